/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: EPILOGUE, the per-channel and per-token stage of a
 * matmul: row (token or table) scale, zero-point correction with the
 * activation sum, column (output-channel) scale, bias, activation
 * function, residual add and conversion to F32, F16 or I8. Each step is a
 * separate binary32 operation in that order.
 *
 * I8 output is quantized per row with the row's absmax: q = round(v *
 * 127 / amax) and out_scale[m] = amax / 127, the form PRECOMP reads back
 * as per-token INT8 activations.
 */
#include <math.h>
#include "lut_engine_int.h"

struct epi_args {
    const struct lutc_epilogue *p;
    const uint8_t *acc;
    const float *row_scale, *asum, *bias;
    const uint8_t *col_scale, *zero, *res;
    uint8_t *out;
    float *out_scale;
    struct lut_engine *e;
};

static bool epi_types_ok(const struct lutc_epilogue *p)
{
    bool sarr = p->flags & (LUTC_EPI_COL_SCALE | LUTC_EPI_ZERO);

    return (p->acc_dtype == LUTC_DT_F32 || p->acc_dtype == LUTC_DT_I32) &&
           (p->out_dtype == LUTC_DT_F32 || p->out_dtype == LUTC_DT_F16 ||
            p->out_dtype == LUTC_DT_I8) &&
           p->act_fn <= LUTC_ACT_RELU2 &&
           (!sarr || p->scale_dtype == LUTC_DT_F32 ||
            p->scale_dtype == LUTC_DT_F16) &&
           (!(p->flags & LUTC_EPI_RESIDUAL) || p->res_dtype == LUTC_DT_F32 ||
            p->res_dtype == LUTC_DT_F16) &&
           !((p->flags & LUTC_EPI_ZERO) && (p->flags & LUTC_EPI_ZERO_IMM));
}

static int epi_check(struct lut_ctx *c, const struct lutc_epilogue *p)
{
    uint32_t f = p->flags, zimm;
    bool zero = f & (LUTC_EPI_ZERO | LUTC_EPI_ZERO_IMM);
    bool res = f & LUTC_EPI_RESIDUAL;
    int err;

    memcpy(&zimm, &p->zero_imm, 4);
    if (f & ~LUTC_EPI_FLAGS || !lut_zero_bytes(p->rsvd0, sizeof(p->rsvd0)) ||
        !lut_zero_bytes(p->rsvd1, sizeof(p->rsvd1))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, f & LUTC_EPI_ROW_SCALE, p->row_scale);
    err = err ? err : lut_check_unused(c, zero, p->asum);
    err = err ? err : lut_check_unused(c, f & LUTC_EPI_ZERO, p->zero);
    err = err ? err : lut_check_unused(c, f & LUTC_EPI_ZERO_IMM, zimm);
    err = err ? err : lut_check_unused(c, f & LUTC_EPI_COL_SCALE,
                                       p->col_scale);
    err = err ? err : lut_check_unused(c, f & (LUTC_EPI_COL_SCALE |
                                       LUTC_EPI_ZERO), p->scale_dtype);
    err = err ? err : lut_check_unused(c, f & LUTC_EPI_BIAS, p->bias);
    err = err ? err : lut_check_unused(c, res, p->residual);
    err = err ? err : lut_check_unused(c, res, p->res_dtype);
    err = err ? err : lut_check_unused(c, res, p->res_ld);
    err = err ? err : lut_check_unused(c, p->out_dtype == LUTC_DT_I8,
                                       p->out_scale);
    if (err) {
        return err;
    }
    if (!epi_types_ok(p) || !lut_dim_ok(p->m) || !lut_dim_ok(p->n) ||
        (p->out_ld && p->out_ld < p->n) || (p->res_ld && p->res_ld < p->n)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

static int epi_acquire_vec(struct lut_ctx *c, uint64_t va, uint64_t count,
                           uint32_t dtype, enum lut_access acc, void *ptr)
{
    uint32_t sz = lutc_dtype_size(dtype);

    return va ? lut_acquire(c, va, count * sz, sz, acc, ptr) : 0;
}

static int epi_acquire(struct lut_ctx *c, struct epi_args *a)
{
    const struct lutc_epilogue *p = a->p;
    uint32_t osz = lutc_dtype_size(p->out_dtype);
    int err;

    err = lut_acquire(c, p->acc, (uint64_t)p->m * p->n * 4, 4, LUT_READ,
                      (void **)&a->acc);
    err = err ? err : epi_acquire_vec(c, p->row_scale, p->m, LUTC_DT_F32,
                                      LUT_READ, &a->row_scale);
    err = err ? err : epi_acquire_vec(c, p->asum, p->m, LUTC_DT_F32,
                                      LUT_READ, &a->asum);
    err = err ? err : epi_acquire_vec(c, p->col_scale, p->n, p->scale_dtype,
                                      LUT_READ, &a->col_scale);
    err = err ? err : epi_acquire_vec(c, p->zero, p->n, p->scale_dtype,
                                      LUT_READ, &a->zero);
    err = err ? err : epi_acquire_vec(c, p->bias, p->n, LUTC_DT_F32,
                                      LUT_READ, &a->bias);
    if (!err && p->residual) {
        uint32_t rsz = lutc_dtype_size(p->res_dtype);

        err = lut_acquire(c, p->residual, lut_matrix_bytes(p->m, p->n,
                          p->res_ld, rsz), rsz, LUT_READ, (void **)&a->res);
    }
    err = err ? err : lut_acquire(c, p->out, lut_matrix_bytes(p->m, p->n,
                                  p->out_ld, osz), osz, LUT_WRITE,
                                  (void **)&a->out);
    err = err ? err : epi_acquire_vec(c, p->out_scale, p->m, LUTC_DT_F32,
                                      LUT_WRITE, &a->out_scale);
    return err;
}

static float epi_value(const struct epi_args *a, uint32_t m, uint32_t n)
{
    const struct lutc_epilogue *p = a->p;
    uint64_t i = (uint64_t)m * p->n + n;
    float v;

    if (p->acc_dtype == LUTC_DT_I32) {
        int32_t x;

        memcpy(&x, a->acc + 4 * i, 4);
        v = (float)x;
    } else {
        memcpy(&v, a->acc + 4 * i, 4);
    }
    if (a->row_scale) {
        v *= a->row_scale[m];
    }
    if (a->asum) {
        float z = a->zero ? lut_load_f(a->zero, p->scale_dtype, n) :
                  p->zero_imm;

        v -= z * a->asum[m];
    }
    if (a->col_scale) {
        v *= lut_load_f(a->col_scale, p->scale_dtype, n);
    }
    if (a->bias) {
        v += a->bias[n];
    }
    if (p->act_fn == LUTC_ACT_SILU) {
        v = lut_silu(v);
    } else if (p->act_fn == LUTC_ACT_RELU2) {
        v = lut_relu2(v);
    }
    if (a->res) {
        uint64_t ld = p->res_ld ? p->res_ld : p->n;

        v += lut_load_f(a->res, p->res_dtype, m * ld + n);
    }
    return v;
}

static void epi_row(void *arg, uint32_t m, uint32_t worker)
{
    const struct epi_args *a = arg;
    const struct lutc_epilogue *p = a->p;
    uint64_t ld = p->out_ld ? p->out_ld : p->n;
    float *v = a->e->scratch[worker], amax = 0.0f, inv;
    uint32_t n;

    for (n = 0; n < p->n; n++) {
        v[n] = epi_value(a, m, n);
        amax = fmaxf(amax, fabsf(v[n]));
    }
    if (p->out_dtype != LUTC_DT_I8) {
        for (n = 0; n < p->n; n++) {
            lut_store_f(a->out, p->out_dtype, m * ld + n, v[n]);
        }
        return;
    }
    inv = amax > 0.0f && isfinite(amax) ? 127.0f / amax : 0.0f;
    for (n = 0; n < p->n; n++) {
        float q = v[n] * inv;

        q = q != q ? 0.0f : fminf(fmaxf(q, -127.0f), 127.0f);
        a->out[m * ld + n] = (uint8_t)(int8_t)lrintf(q);
    }
    a->out_scale[m] = amax / 127.0f;
}

int lut_op_epilogue(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_epilogue *p = &in->epi;
    struct epi_args a = { .p = p, .e = c->e };
    int err = epi_check(c, p);

    if (err) {
        return err;
    }
    err = epi_acquire(c, &a);
    err = err ? err : lut_reserve_scratch(c, (size_t)p->n * sizeof(float));
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->m, epi_row, &a);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->m * p->n * 8);
    return 0;
}
