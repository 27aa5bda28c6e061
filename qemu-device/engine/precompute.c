/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: PRECOMP, activations to symmetrized lookup tables.
 *
 * For each row and each group of 4 activations a0..a3 the table holds the
 * 8 sums T[j] = -a3 + sum_{t<3} (2 j_t - 1) a_t, the half of the 16 sign
 * patterns with a3 negative (the other half is -T, Eq. 4-5). Float entries
 * are evaluated in binary32 in the order ((+-a0 +- a1) +- a2) - a3 and
 * rounded once to the table type. Integer activations give exact integer
 * entries in [-512, 512].
 */
#include <math.h>
#include <stdlib.h>
#include "lut_engine_int.h"

struct pre_args {
    const struct lutc_precomp *p;
    const uint8_t *act;
    const float *act_scale, *norm_w;
    uint8_t *table;
    float *tscale, *asum;
    uint32_t k4, ng, gk4;       /* 4-groups per row, groups, 4-groups/group */
    uint32_t chunks;            /* work items per row */
    bool int_entries;
    /* Prepared rows (normalized, quantized), padded to k4 * 4 elements. */
    float *xf;
    int32_t *xi;
    float *ascale;
};

/*
 * Integer entries (I8 activations, or float ones quantized per token)
 * need an integer table. Float entries go to F32/F16 tables or are
 * quantized to I8; I16 tables only ever hold exact integers.
 */
static bool pre_types_ok(const struct lutc_precomp *p)
{
    bool int_act = p->act_dtype == LUTC_DT_I8;
    bool quant = p->flags & LUTC_PRE_QUANT_ACT;
    bool norm = p->flags & LUTC_PRE_RMSNORM;
    uint32_t t = p->table_dtype;

    if (int_act) {
        return !quant && !norm && (t == LUTC_DT_I16 || t == LUTC_DT_I8);
    }
    if (!lut_is_float_dtype(p->act_dtype)) {
        return false;
    }
    if (quant) {
        return t == LUTC_DT_I16 || t == LUTC_DT_I8;
    }
    return t == LUTC_DT_F32 || t == LUTC_DT_F16 || t == LUTC_DT_I8;
}

static int pre_check(struct lut_ctx *c, const struct lutc_precomp *p)
{
    bool norm = p->flags & LUTC_PRE_RMSNORM;
    bool int_tab = p->table_dtype == LUTC_DT_I16 ||
                   p->table_dtype == LUTC_DT_I8;
    uint32_t eps_bits;
    int err;

    memcpy(&eps_bits, &p->eps, 4);
    if (p->rsvd0 || p->rsvd1 || p->flags & ~LUTC_PRE_FLAGS ||
        !lut_zero_bytes(p->rsvd2, sizeof(p->rsvd2))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, norm, eps_bits);
    err = err ? err : lut_check_unused(c, norm, p->norm_w);
    err = err ? err : lut_check_unused(c, p->act_dtype == LUTC_DT_I8,
                                       p->act_scale);
    err = err ? err : lut_check_unused(c, int_tab, p->tscale);
    err = err ? err : lut_check_unused(c, p->flags & LUTC_PRE_ASUM, p->asum);
    if (err) {
        return err;
    }
    if (!pre_types_ok(p) || !lut_dim_ok(p->m) || !lut_dim_ok(p->k) ||
        p->group % 4 || p->group > LUTC_MAX_DIM ||
        (p->act_ld && p->act_ld < p->k) ||
        (norm && !(p->eps >= 0.0f && isfinite(p->eps)))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

/*
 * Round to nearest even and saturate to [-lim, lim]; NaN becomes 0. Adding
 * and subtracting 1.5 * 2^23 rounds a binary32 below 2^22 to an integer in
 * the current (nearest-even) mode without a libm call.
 */
static int32_t quant_sat(float v, float lim)
{
    v = v != v ? 0.0f : v;
    v = v < -lim ? -lim : v;
    v = v > lim ? lim : v;
    return (int32_t)((v + 12582912.0f) - 12582912.0f);
}

/* Load row m as floats (normalized) or ints; returns the row's scale. */
static float load_row(const struct pre_args *a, uint32_t m, float *xf,
                      int32_t *xi)
{
    const struct lutc_precomp *p = a->p;
    uint64_t ld = p->act_ld ? p->act_ld : p->k;
    const uint8_t *row = a->act + m * ld * lutc_dtype_size(p->act_dtype);
    uint32_t i, kp = a->k4 * 4;
    float amax = 0.0f, inv;

    if (p->act_dtype == LUTC_DT_I8) {
        for (i = 0; i < kp; i++) {
            xi[i] = i < p->k ? (int8_t)row[i] : 0;
        }
        return a->act_scale[m];
    }
    if (p->act_dtype == LUTC_DT_F32) {
        memcpy(xf, row, (size_t)p->k * sizeof(float));
    } else {
        for (i = 0; i < p->k; i++) {
            xf[i] = lut_load_f(row, p->act_dtype, i);
        }
    }
    for (i = p->k; i < kp; i++) {
        xf[i] = 0.0f;
    }
    if (p->flags & LUTC_PRE_RMSNORM) {
        float r = lut_rms_scale(xf, p->k, p->eps);

        for (i = 0; i < p->k; i++) {
            xf[i] = xf[i] * r * a->norm_w[i];
        }
    }
    if (!(p->flags & LUTC_PRE_QUANT_ACT)) {
        return 1.0f;
    }
    /* Per-token absmax quantization to [-127, 127], as BitNet does. */
    for (i = 0; i < p->k; i++) {
        amax = lut_fmaxf(amax, fabsf(xf[i]));
    }
    inv = amax > 0.0f && isfinite(amax) ? 127.0f / amax : 0.0f;
    for (i = 0; i < kp; i++) {
        xi[i] = quant_sat(xf[i] * inv, 127.0f);
    }
    return amax / 127.0f;
}

/*
 * The 8 entries of one group, as floats (exact for integer inputs). Both
 * forms add in the order ((+-a0 +- a1) +- a2) - a3.
 */
static void entries(const struct pre_args *a, const float *xf,
                    const int32_t *xi, uint32_t j, float t[8])
{
    uint32_t idx;

    if (a->int_entries) {
        const int32_t *q = xi + 4 * j;
        int32_t s01[4] = { -q[0] - q[1], q[0] - q[1], q[1] - q[0],
                           q[0] + q[1] };

        for (idx = 0; idx < 4; idx++) {
            t[idx] = (float)(s01[idx] - q[2] - q[3]);
            t[idx + 4] = (float)(s01[idx] + q[2] - q[3]);
        }
        return;
    }
    {
        const float *x = xf + 4 * j;
        float s01[4] = { -x[0] + -x[1], x[0] + -x[1], -x[0] + x[1],
                         x[0] + x[1] };

        /* Entries j and j + 4 differ in the sign of a2 only. */
        for (idx = 0; idx < 4; idx++) {
            t[idx] = (s01[idx] + -x[2]) - x[3];
            t[idx + 4] = (s01[idx] + x[2]) - x[3];
        }
    }
}

/* Largest entry magnitude of a 4-group: |a0| + |a1| + |a2| + |a3|. */
static float group_absmax(const struct pre_args *a, const float *xf,
                          const int32_t *xi, uint32_t j)
{
    if (a->int_entries) {
        const int32_t *q = xi + 4 * j;

        return (float)(abs(q[0]) + abs(q[1]) + abs(q[2]) + abs(q[3]));
    }
    return ((fabsf(xf[4 * j]) + fabsf(xf[4 * j + 1])) +
            fabsf(xf[4 * j + 2])) + fabsf(xf[4 * j + 3]);
}

static void store_entries(const struct pre_args *a, uint64_t base,
                          const float t[8], float inv)
{
    uint8_t *dst = a->table + base * lutc_dtype_size(a->p->table_dtype);
    int16_t v16[8];
    uint16_t h16[8];
    uint32_t i;

    switch (a->p->table_dtype) {
    case LUTC_DT_I8:
        for (i = 0; i < 8; i++) {
            dst[i] = (uint8_t)quant_sat(t[i] * inv, 127.0f);
        }
        break;
    case LUTC_DT_I16:
        for (i = 0; i < 8; i++) {
            v16[i] = (int16_t)t[i];
        }
        memcpy(dst, v16, sizeof(v16));
        break;
    case LUTC_DT_F32:
        memcpy(dst, t, 8 * sizeof(float));
        break;
    default:
        for (i = 0; i < 8; i++) {
            h16[i] = lut_f32_to_f16(t[i]);
        }
        memcpy(dst, h16, sizeof(h16));
        break;
    }
}

/* One weight-scale group of row m: tables, table scale, sum. */
static void pre_group(const struct pre_args *a, uint32_t m, uint32_t g,
                      const float *xf, const int32_t *xi, float ascale)
{
    uint32_t j0 = g * a->gk4, j1 = LUT_MIN(a->k4, j0 + a->gk4), j;
    float amax = 0.0f, inv = 1.0f, ts = ascale, t[8];
    double sum = 0.0;

    if (a->p->table_dtype == LUTC_DT_I8) {
        for (j = j0; j < j1; j++) {
            amax = lut_fmaxf(amax, group_absmax(a, xf, xi, j));
        }
        inv = amax > 0.0f && isfinite(amax) ? 127.0f / amax : 0.0f;
        ts *= amax / 127.0f;
    }
    for (j = j0; j < j1; j++) {
        entries(a, xf, xi, j, t);
        store_entries(a, ((uint64_t)m * a->k4 + j) * 8, t, inv);
        sum += a->int_entries ?
               (double)xi[4 * j] + xi[4 * j + 1] + xi[4 * j + 2] +
               xi[4 * j + 3] :
               (double)xf[4 * j] + xf[4 * j + 1] + xf[4 * j + 2] +
               xf[4 * j + 3];
    }
    if (a->tscale) {
        a->tscale[(uint64_t)m * a->ng + g] = ts;
    }
    if (a->asum) {
        /* Integer sums are exact; one rounding when scaled. */
        a->asum[(uint64_t)m * a->ng + g] = (float)(sum * ascale);
    }
}

/* Phase 1, per row: load, normalize and quantize the activations. */
static void pre_prep(void *arg, uint32_t m, uint32_t worker)
{
    const struct pre_args *a = arg;
    uint64_t off = (uint64_t)m * a->k4 * 4;

    a->ascale[m] = load_row(a, m, a->xf + off, a->xi + off);
}

/* Phase 2, per row and range of groups: tables, table scales, sums. */
static void pre_item(void *arg, uint32_t item, uint32_t worker)
{
    const struct pre_args *a = arg;
    uint32_t m = item / a->chunks, c = item % a->chunks;
    uint32_t g0 = (uint64_t)a->ng * c / a->chunks;
    uint32_t g1 = (uint64_t)a->ng * (c + 1) / a->chunks, g;
    uint64_t off = (uint64_t)m * a->k4 * 4;

    for (g = g0; g < g1; g++) {
        pre_group(a, m, g, a->xf + off, a->xi + off, a->ascale[m]);
    }
}

static int pre_acquire(struct lut_ctx *c, struct pre_args *a)
{
    const struct lutc_precomp *p = a->p;
    uint64_t side = (uint64_t)p->m * a->ng * 4;
    uint32_t tsz = lutc_dtype_size(p->table_dtype);
    int err;

    err = lut_acquire(c, p->act, lut_matrix_bytes(p->m, p->k, p->act_ld,
                      lutc_dtype_size(p->act_dtype)),
                      lutc_dtype_size(p->act_dtype), LUT_READ,
                      (void **)&a->act);
    if (!err && p->act_scale) {
        err = lut_acquire(c, p->act_scale, (uint64_t)p->m * 4, 4, LUT_READ,
                          (void **)&a->act_scale);
    }
    if (!err && p->norm_w) {
        err = lut_acquire(c, p->norm_w, (uint64_t)p->k * 4, 4, LUT_READ,
                          (void **)&a->norm_w);
    }
    if (!err) {
        err = lut_acquire(c, p->table, lutc_table_bytes(p->m, p->k,
                          p->table_dtype), tsz, LUT_WRITE,
                          (void **)&a->table);
    }
    if (!err && p->tscale) {
        err = lut_acquire(c, p->tscale, side, 4, LUT_WRITE,
                          (void **)&a->tscale);
    }
    if (!err && p->asum) {
        err = lut_acquire(c, p->asum, side, 4, LUT_WRITE, (void **)&a->asum);
    }
    return err;
}

int lut_op_precomp(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_precomp *p = &in->precomp;
    struct pre_args a = { .p = p };
    uint64_t ops;
    int err = pre_check(c, p);

    if (err) {
        return err;
    }
    a.k4 = LUT_DIV_UP(p->k, LUTC_GROUP_K);
    a.ng = lutc_ngroups(p->k, p->group);
    a.gk4 = p->group ? p->group / LUTC_GROUP_K : a.k4;
    a.int_entries = p->act_dtype == LUTC_DT_I8 ||
                    (p->flags & LUTC_PRE_QUANT_ACT);
    err = pre_acquire(c, &a);
    /* Rows are prepared first so that groups of one row run in parallel. */
    err = err ? err : lut_reserve_stage(c, (size_t)p->m * (a.k4 * 4 * 8 + 4));
    if (err) {
        return err;
    }
    a.xf = c->e->stage;
    a.xi = (int32_t *)(a.xf + (uint64_t)p->m * a.k4 * 4);
    a.ascale = (float *)(a.xi + (uint64_t)p->m * a.k4 * 4);
    lut_pool_run(c->e->pool, p->m, pre_prep, &a);
    /* Split rows into group ranges only when there are few rows. */
    a.chunks = LUT_MIN(a.ng, LUT_DIV_UP(64, p->m));
    lut_pool_run(c->e->pool, p->m * a.chunks, pre_item, &a);
    /* Per 4-group: 8 entries (Gray-code chain), the sum, quantization. */
    ops = (uint64_t)p->m * a.k4 *
          (9 + (p->table_dtype == LUTC_DT_I8 ? 8 : 0) +
           (p->flags & LUTC_PRE_RMSNORM ? 8 : 0) +
           (p->flags & LUTC_PRE_QUANT_ACT ? 8 : 0));
    c->compute_cycles = lut_vector_cycles(&c->e->cfg, ops);
    return 0;
}
