/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: COPY, a 2-D copy that may convert between float types.
 */
#include "lut_engine_int.h"

static bool copy_types_ok(uint32_t src, uint32_t dst)
{
    if (!lutc_dtype_size(src) || !lutc_dtype_size(dst)) {
        return false;
    }
    return src == dst || (lut_is_float_dtype(src) && lut_is_float_dtype(dst));
}

static int copy_check(struct lut_ctx *c, const struct lutc_copy *cp)
{
    if (cp->flags || cp->rsvd0 || !lut_zero_bytes(cp->rsvd1,
                                                  sizeof(cp->rsvd1))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    if (!copy_types_ok(cp->src_dtype, cp->dst_dtype) ||
        !lut_dim_ok(cp->rows) || !lut_dim_ok(cp->cols) ||
        (cp->src_ld && cp->src_ld < cp->cols) ||
        (cp->dst_ld && cp->dst_ld < cp->cols)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

int lut_op_copy(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_copy *cp = &in->copy;
    uint32_t ss = lutc_dtype_size(cp->src_dtype);
    uint32_t ds = lutc_dtype_size(cp->dst_dtype);
    uint64_t sb, db, sld, dld, r, i;
    uint8_t *src, *dst;
    int err = copy_check(c, cp);

    if (err) {
        return err;
    }
    sb = lut_matrix_bytes(cp->rows, cp->cols, cp->src_ld, ss);
    db = lut_matrix_bytes(cp->rows, cp->cols, cp->dst_ld, ds);
    /* Overlapping ranges would make the result depend on the order. */
    if (cp->src < cp->dst + db && cp->dst < cp->src + sb) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, cp->dst);
    }
    err = lut_acquire(c, cp->src, sb, ss, LUT_READ, (void **)&src);
    if (!err) {
        err = lut_acquire(c, cp->dst, db, ds, LUT_WRITE, (void **)&dst);
    }
    if (err) {
        return err;
    }
    sld = cp->src_ld ? cp->src_ld : cp->cols;
    dld = cp->dst_ld ? cp->dst_ld : cp->cols;
    for (r = 0; r < cp->rows; r++) {
        const uint8_t *s = src + r * sld * ss;
        uint8_t *d = dst + r * dld * ds;

        if (cp->src_dtype == cp->dst_dtype) {
            memcpy(d, s, (size_t)cp->cols * ss);
            continue;
        }
        for (i = 0; i < cp->cols; i++) {
            lut_store_f(d, cp->dst_dtype, i,
                        lut_load_f(s, cp->src_dtype, i));
        }
    }
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)cp->rows * cp->cols);
    return 0;
}
