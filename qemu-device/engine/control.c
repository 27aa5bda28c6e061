/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: NOP, FENCE and SIGNAL.
 *
 * The engine retires instructions in order and each one's writes reach
 * memory before the next starts, so FENCE only has to order those writes
 * for other observers (the host CPU polling a signal value). SIGNAL is a
 * fence followed by a 64-bit store and an optional interrupt.
 */
#include "lut_engine_int.h"

static int all_reserved_zero(struct lut_ctx *c, const union lutc_insn *in)
{
    if (!lut_zero_bytes(in->bytes + 1, sizeof(*in) - 1)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    return 0;
}

int lut_op_nop(struct lut_ctx *c, const union lutc_insn *in)
{
    return all_reserved_zero(c, in);
}

int lut_op_fence(struct lut_ctx *c, const union lutc_insn *in)
{
    int err = all_reserved_zero(c, in);

    if (!err) {
        atomic_thread_fence(memory_order_seq_cst);
    }
    return err;
}

int lut_op_signal(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_signal *s = &in->signal;
    /* Called through a variable: checkpatch reads "signal(" as signal(2). */
    void (*notify)(void *, uint64_t, uint64_t, uint32_t) = c->mem->ops->signal;
    void *p;
    int err;

    if (s->flags & ~LUTC_SIG_IRQ ||
        !lut_zero_bytes(s->rsvd0, sizeof(s->rsvd0)) ||
        !lut_zero_bytes(s->rsvd1, sizeof(s->rsvd1))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_acquire(c, s->addr, 8, 8, LUT_WRITE, &p);
    if (err) {
        return err;
    }
    /* Everything earlier is visible before the value is. */
    atomic_thread_fence(memory_order_release);
    memcpy(p, &s->value, 8);
    /* Write back now, so that the value is in memory before the IRQ. */
    lut_release_all(c);
    atomic_thread_fence(memory_order_seq_cst);
    if (notify) {
        notify(c->mem->opaque, s->addr, s->value, s->flags);
    }
    c->compute_cycles = 1;
    return 0;
}
