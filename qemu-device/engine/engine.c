/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: lifetime, stream fetch and instruction dispatch.
 */
#include <errno.h>
#include <stdlib.h>
#include "lmma_int.h"

struct lut_op_desc {
    lut_op_fn fn;
};

static const struct lut_op_desc lut_ops[256] = {
    [LUTC_OP_NOP]      = { lut_op_nop },
    [LUTC_OP_FENCE]    = { lut_op_fence },
    [LUTC_OP_SIGNAL]   = { lut_op_signal },
    [LUTC_OP_COPY]     = { lut_op_copy },
    [LUTC_OP_PRECOMP]  = { lut_op_precomp },
    [LUTC_OP_LMMA]     = { lut_op_lmma },
    [LUTC_OP_EPILOGUE] = { lut_op_epilogue },
    [LUTC_OP_EMBED]    = { lut_op_embed },
    [LUTC_OP_RMSNORM]  = { lut_op_rmsnorm },
    [LUTC_OP_ROPE]     = { lut_op_rope },
    [LUTC_OP_ATTN]     = { lut_op_attn },
    [LUTC_OP_ELTWISE]  = { lut_op_eltwise },
    [LUTC_OP_ARGMAX]   = { lut_op_argmax },
    [LUTC_OP_SOFTMAX]  = { lut_op_softmax },
};

void lut_engine_config_default(struct lut_engine_config *cfg)
{
    const char *portable = getenv("LUTCORE_ENGINE_PORTABLE");

    *cfg = (struct lut_engine_config){
        .array_m = 2,
        .array_n = 64,
        .array_k = 4,
        .array_mult = 1,
        .cores = 1,
        .clock_mhz = 1000,
        .vector_lanes = 64,
        .mem_bytes_per_cycle = 64,
        .insn_overhead = 16,
        .threads = 1,
    };
    if (portable && portable[0] == '1') {
        cfg->flags |= LUT_ENGINE_PORTABLE;
    }
}

static bool config_ok(const struct lut_engine_config *cfg)
{
    return cfg->array_m && cfg->array_n && cfg->array_k &&
           cfg->array_mult && cfg->cores && cfg->clock_mhz &&
           cfg->vector_lanes && cfg->mem_bytes_per_cycle &&
           cfg->threads <= LUT_ENGINE_MAX_THREADS &&
           !(cfg->flags & ~LUT_ENGINE_PORTABLE);
}

int lut_engine_init(struct lut_engine **out,
                    const struct lut_engine_config *cfg)
{
    struct lut_engine *e;
    uint32_t threads;
    int err;

    if (!config_ok(cfg)) {
        return -EINVAL;
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        return -ENOMEM;
    }
    e->cfg = *cfg;
    threads = cfg->threads ? cfg->threads : 1;
    e->cfg.threads = threads;
    atomic_init(&e->abort, false);
    e->avx2 = !(cfg->flags & LUT_ENGINE_PORTABLE) && lmma_avx2_usable();
    e->scratch = calloc(threads, sizeof(*e->scratch));
    e->scratch_size = calloc(threads, sizeof(*e->scratch_size));
    if (!e->scratch || !e->scratch_size) {
        lut_engine_fini(e);
        return -ENOMEM;
    }
    err = lut_pool_init(&e->pool, threads, &e->abort);
    if (err) {
        lut_engine_fini(e);
        return err;
    }
    *out = e;
    return 0;
}

void lut_engine_fini(struct lut_engine *e)
{
    uint32_t i;

    if (!e) {
        return;
    }
    lut_pool_fini(e->pool);
    for (i = 0; e->scratch && i < e->cfg.threads; i++) {
        free(e->scratch[i]);
    }
    free(e->scratch);
    free(e->scratch_size);
    free(e->stage);
    free(e);
}

const struct lut_engine_config *lut_engine_get_config(struct lut_engine *e)
{
    return &e->cfg;
}

bool lut_engine_uses_avx2(struct lut_engine *e)
{
    return e->avx2;
}

void lut_engine_abort(struct lut_engine *e)
{
    atomic_store(&e->abort, true);
}

void lut_engine_clear_abort(struct lut_engine *e)
{
    atomic_store(&e->abort, false);
}

/* Modeled cycles: issue overhead plus the slower of compute and memory. */
static uint64_t insn_cycles(const struct lut_engine_config *cfg,
                            const struct lut_ctx *c)
{
    uint64_t mem = LUT_DIV_UP(c->rd + c->wr, cfg->mem_bytes_per_cycle);

    return cfg->insn_overhead + LUT_MAX(c->compute_cycles, mem);
}

static int exec_insn(struct lut_engine *e, const struct lut_mem *mem,
                     const union lutc_insn *in, uint64_t insn_va,
                     struct lut_exec_result *res)
{
    struct lut_ctx c = {
        .e = e, .mem = mem, .res = res, .insn_va = insn_va,
        .fault_va = insn_va,
    };
    lut_op_fn fn = lut_ops[in->hdr.op].fn;
    int err;

    if (!fn) {
        res->fault_va = insn_va;
        return LUTCORE_ERR_BAD_OPCODE;
    }
    err = fn(&c, in);
    lut_release_all(&c);
    if (err) {
        res->fault_va = c.fault_va;
        return err;
    }
    res->insns++;
    res->bytes_read += c.rd;
    res->bytes_written += c.wr;
    res->cycles += insn_cycles(&e->cfg, &c);
    return 0;
}

int lut_engine_exec(struct lut_engine *e, const struct lut_mem *mem,
                    const void *insn, struct lut_exec_result *res)
{
    union lutc_insn in;

    memcpy(&in, insn, sizeof(in));
    res->error = exec_insn(e, mem, &in, 0, res);
    return res->error;
}

/* Copy one descriptor out of the stream, which may straddle pages. */
static int fetch(const struct lut_mem *mem, uint64_t va, union lutc_insn *in,
                 uint64_t *fault_va)
{
    uint64_t off = 0;

    while (off < sizeof(*in)) {
        void *host = NULL;
        uint64_t got = 0;
        int err = mem->ops->map(mem->opaque, va + off, sizeof(*in) - off,
                                LUT_READ, &host, &got, fault_va);

        if (err) {
            return err;
        }
        if (!host || !got) {
            *fault_va = va + off;
            return LUTCORE_ERR_BUS;
        }
        got = LUT_MIN(got, sizeof(*in) - off);
        memcpy(in->bytes + off, host, got);
        if (mem->ops->unmap) {
            mem->ops->unmap(mem->opaque, host, got, LUT_READ, 0);
        }
        off += got;
    }
    return 0;
}

int lut_engine_run(struct lut_engine *e, const struct lut_mem *mem,
                   uint64_t va, uint64_t size, struct lut_exec_result *res)
{
    uint64_t off;

    memset(res, 0, sizeof(*res));
    if (!size || size % LUTC_INSN_SIZE || size > LUTC_STREAM_MAX ||
        va % LUTC_STREAM_ALIGN || va + size < va) {
        res->error = LUTCORE_ERR_BAD_STREAM;
        res->fault_va = va;
        return res->error;
    }
    for (off = 0; off < size; off += LUTC_INSN_SIZE) {
        union lutc_insn in;
        int err;

        res->fault_offset = off;
        if (atomic_load(&e->abort)) {
            res->aborted = true;
            return 0;
        }
        err = fetch(mem, va + off, &in, &res->fault_va);
        if (!err) {
            err = exec_insn(e, mem, &in, va + off, res);
        }
        if (err) {
            res->error = err;
            return err;
        }
    }
    /* An abort during the last instruction still cut it short. */
    res->aborted = atomic_load(&e->abort);
    res->fault_offset = res->aborted ? res->fault_offset : 0;
    return 0;
}
