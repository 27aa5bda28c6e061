/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: row-wise vector instructions on the vector unit:
 * RMSNORM, ELTWISE, ARGMAX and SOFTMAX. Rows run in parallel; each row is
 * read into scratch first, so an instruction may write its result over
 * its input when both have the same address, type and stride.
 */
#include <math.h>
#include "lut_engine_int.h"

struct vec_args {
    const union lutc_insn *in;
    const uint8_t *a, *b;
    uint8_t *y;
    float *val;
    struct lut_engine *e;
};

static bool ld_ok(uint32_t ld, uint32_t n)
{
    return !ld || ld >= n;
}

static int vec_acquire(struct lut_ctx *c, uint64_t va, uint32_t rows,
                       uint32_t n, uint32_t ld, uint32_t dt,
                       enum lut_access acc, const void *out)
{
    uint32_t sz = lutc_dtype_size(dt);

    return lut_acquire(c, va, lut_matrix_bytes(rows, n, ld, sz), sz, acc,
                       (void **)out);
}

/* ---- RMSNORM ------------------------------------------------------------ */

static void rmsnorm_row(void *arg, uint32_t r, uint32_t worker)
{
    const struct vec_args *a = arg;
    const struct lutc_rmsnorm *p = &a->in->rmsnorm;
    uint64_t il = p->in_ld ? p->in_ld : p->n, ol = p->out_ld ? p->out_ld : p->n;
    float *x = a->e->scratch[worker], s;
    uint32_t i;

    for (i = 0; i < p->n; i++) {
        x[i] = lut_load_f(a->a, p->in_dtype, r * il + i);
    }
    s = lut_rms_scale(x, p->n, p->eps);
    for (i = 0; i < p->n; i++) {
        float v = x[i] * s;

        lut_store_f(a->y, p->out_dtype, r * ol + i,
                    a->b ? v * lut_load_f(a->b, LUTC_DT_F32, i) : v);
    }
}

int lut_op_rmsnorm(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_rmsnorm *p = &in->rmsnorm;
    struct vec_args a = { .in = in, .e = c->e };
    bool w = p->flags & LUTC_NORM_WEIGHT;
    int err;

    if (p->rsvd0 || p->rsvd1 || p->flags & ~LUTC_NORM_WEIGHT ||
        !lut_zero_bytes(p->rsvd2, sizeof(p->rsvd2))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, w, p->weight);
    if (err) {
        return err;
    }
    if (!(p->in_dtype == LUTC_DT_F32 || p->in_dtype == LUTC_DT_F16) ||
        !(p->out_dtype == LUTC_DT_F32 || p->out_dtype == LUTC_DT_F16) ||
        !lut_dim_ok(p->rows) || !lut_dim_ok(p->n) || !ld_ok(p->in_ld, p->n) ||
        !ld_ok(p->out_ld, p->n) || !(p->eps >= 0.0f && isfinite(p->eps))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    err = vec_acquire(c, p->in, p->rows, p->n, p->in_ld, p->in_dtype,
                      LUT_READ, &a.a);
    if (!err && w) {
        err = vec_acquire(c, p->weight, 1, p->n, 0, LUTC_DT_F32, LUT_READ,
                          &a.b);
    }
    err = err ? err : vec_acquire(c, p->out, p->rows, p->n, p->out_ld,
                                  p->out_dtype, LUT_WRITE, &a.y);
    err = err ? err : lut_reserve_scratch(c, (size_t)p->n * sizeof(float));
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->rows, rmsnorm_row, &a);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->rows * p->n * 4);
    return 0;
}

/* ---- ELTWISE ------------------------------------------------------------ */

static bool elt_unary(uint32_t fn)
{
    return fn == LUTC_ELT_SILU || fn == LUTC_ELT_RELU2;
}

static float elt_apply(uint32_t fn, float a, float b)
{
    switch (fn) {
    case LUTC_ELT_ADD:
        return a + b;
    case LUTC_ELT_MUL:
        return a * b;
    case LUTC_ELT_SILU:
        return lut_silu(a);
    case LUTC_ELT_SILU_MUL:
        return lut_silu(a) * b;
    case LUTC_ELT_RELU2:
        return lut_relu2(a);
    default:
        return lut_relu2(a) * b;
    }
}

static void eltwise_row(void *arg, uint32_t r, uint32_t worker)
{
    const struct vec_args *a = arg;
    const struct lutc_eltwise *p = &a->in->elt;
    const float *x = (const float *)a->a + r * (uint64_t)(p->a_ld ?
                                                          p->a_ld : p->n);
    float *y = (float *)a->y + r * (uint64_t)(p->y_ld ? p->y_ld : p->n);
    const float *b = NULL;
    uint32_t i;

    if (a->b) {
        b = (const float *)a->b + r * (uint64_t)(p->b_ld ? p->b_ld : p->n);
    }
    for (i = 0; i < p->n; i++) {
        y[i] = elt_apply(p->fn, x[i], b ? b[i] : 0.0f);
    }
}

int lut_op_eltwise(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_eltwise *p = &in->elt;
    struct vec_args a = { .in = in, .e = c->e };
    bool bin = !elt_unary(p->fn);
    int err;

    if (p->rsvd0 || p->rsvd1 || p->flags ||
        !lut_zero_bytes(p->rsvd2, sizeof(p->rsvd2))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, bin, p->b);
    err = err ? err : lut_check_unused(c, bin, p->b_ld);
    if (err) {
        return err;
    }
    if (p->fn > LUTC_ELT_RELU2_MUL || p->dtype != LUTC_DT_F32 ||
        !lut_dim_ok(p->rows) || !lut_dim_ok(p->n) || !ld_ok(p->a_ld, p->n) ||
        !ld_ok(p->b_ld, p->n) || !ld_ok(p->y_ld, p->n)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    err = vec_acquire(c, p->a, p->rows, p->n, p->a_ld, LUTC_DT_F32,
                      LUT_READ, &a.a);
    if (!err && bin) {
        err = vec_acquire(c, p->b, p->rows, p->n, p->b_ld, LUTC_DT_F32,
                          LUT_READ, &a.b);
    }
    err = err ? err : vec_acquire(c, p->y, p->rows, p->n, p->y_ld,
                                  LUTC_DT_F32, LUT_WRITE, &a.y);
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->rows, eltwise_row, &a);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->rows * p->n * 4);
    return 0;
}

/* ---- ARGMAX ------------------------------------------------------------- */

static void argmax_row(void *arg, uint32_t r, uint32_t worker)
{
    const struct vec_args *a = arg;
    const struct lutc_argmax *p = &a->in->argmax;
    const float *x = (const float *)a->a + r * (uint64_t)(p->ld ? p->ld :
                                                          p->n);
    int32_t best = -1, idx;
    uint32_t i;

    for (i = 0; i < p->n; i++) {
        /* NaNs never win; ties keep the first index. */
        if (x[i] == x[i] && (best < 0 || x[i] > x[best])) {
            best = (int32_t)i;
        }
    }
    idx = best < 0 ? 0 : best;
    memcpy(a->y + 4 * (uint64_t)r, &idx, 4);
    if (a->val) {
        a->val[r] = best < 0 ? NAN : x[best];
    }
}

int lut_op_argmax(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_argmax *p = &in->argmax;
    struct vec_args a = { .in = in, .e = c->e };
    bool val = p->flags & LUTC_ARGMAX_VALUE;
    int err;

    if (p->rsvd1 || p->flags & ~LUTC_ARGMAX_VALUE ||
        !lut_zero_bytes(p->rsvd0, sizeof(p->rsvd0)) ||
        !lut_zero_bytes(p->rsvd2, sizeof(p->rsvd2))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, val, p->out_val);
    if (err) {
        return err;
    }
    if (p->dtype != LUTC_DT_F32 || !lut_dim_ok(p->rows) ||
        !lut_dim_ok(p->n) || !ld_ok(p->ld, p->n)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    err = vec_acquire(c, p->in, p->rows, p->n, p->ld, LUTC_DT_F32, LUT_READ,
                      &a.a);
    err = err ? err : vec_acquire(c, p->out, 1, p->rows, 0, LUTC_DT_I32,
                                  LUT_WRITE, &a.y);
    if (!err && val) {
        err = vec_acquire(c, p->out_val, 1, p->rows, 0, LUTC_DT_F32,
                          LUT_WRITE, &a.val);
    }
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->rows, argmax_row, &a);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->rows * p->n);
    return 0;
}

/* ---- SOFTMAX ------------------------------------------------------------ */

static void softmax_row(void *arg, uint32_t r, uint32_t worker)
{
    const struct vec_args *a = arg;
    const struct lutc_softmax *p = &a->in->softmax;
    const float *x = (const float *)a->a + r * (uint64_t)(p->in_ld ?
                                                          p->in_ld : p->n);
    float *y = (float *)a->y + r * (uint64_t)(p->out_ld ? p->out_ld : p->n);
    float *t = a->e->scratch[worker], mx = -INFINITY;
    double sum = 0.0;
    uint32_t i;

    for (i = 0; i < p->n; i++) {
        t[i] = x[i] * p->scale;
        mx = fmaxf(mx, t[i]);
    }
    for (i = 0; i < p->n; i++) {
        /* A row of -inf has no maximum to subtract: all weights 0. */
        t[i] = mx == -INFINITY ? 0.0f : expf(t[i] - mx);
        sum += t[i];
    }
    for (i = 0; i < p->n; i++) {
        y[i] = sum > 0.0 ? (float)(t[i] / sum) : 0.0f;
    }
}

int lut_op_softmax(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_softmax *p = &in->softmax;
    struct vec_args a = { .in = in, .e = c->e };
    int err;

    if (p->rsvd1 || p->flags || !lut_zero_bytes(p->rsvd0, sizeof(p->rsvd0)) ||
        !lut_zero_bytes(p->rsvd2, sizeof(p->rsvd2))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    if (p->dtype != LUTC_DT_F32 || !lut_dim_ok(p->rows) ||
        !lut_dim_ok(p->n) || !ld_ok(p->in_ld, p->n) ||
        !ld_ok(p->out_ld, p->n) || !isfinite(p->scale)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    err = vec_acquire(c, p->in, p->rows, p->n, p->in_ld, LUTC_DT_F32,
                      LUT_READ, &a.a);
    err = err ? err : vec_acquire(c, p->out, p->rows, p->n, p->out_ld,
                                  LUTC_DT_F32, LUT_WRITE, &a.y);
    err = err ? err : lut_reserve_scratch(c, (size_t)p->n * sizeof(float));
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->rows, softmax_row, &a);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->rows * p->n * 4);
    return 0;
}
