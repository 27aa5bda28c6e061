/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: LMMA, bit-serial lookup-accumulate.
 *
 * acc[m][n] (+)= sum_g s[n,g] * (t[m,g] * P[m,n,g] - z[n,g] * asum[m,g])
 * with P the lookup sum of group g (see lmma_int.h). The per-group scale
 * stage lives here rather than in EPILOGUE so that per-group partial sums
 * never leave the accumulator: an [m][n][groups] intermediate would be
 * larger than the weights themselves at group 32.
 *
 * Work is split into items of (64-row weight tile, block of activation
 * rows) and spread over the engine's threads; each item reads its tile of
 * packed weights once and reuses it for all of its rows, a chunk at a time
 * (group_sums), two rows per pass with I8 tables (the array's M = 2).
 */
#include "lmma_int.h"

#define LMMA_ROWS_PER_ITEM      8
#define LMMA_CHUNK              64      /* 4-groups of weights per pass */

struct lmma_args {
    const struct lutc_lmma *l;
    const struct lmma_kernels *kern;
    struct lut_engine *e;
    const uint8_t *stage;       /* staged tables */
    uint32_t stage_bytes;       /* per 4-group */
    const struct lut_span *wview;
    uint64_t tile_bytes;
    void *acc;
    const uint8_t *wscale, *wzero;
    const float *tscale, *asum;
    uint32_t k4, ng, gk4, planes, tiles, mblocks;
    uint8_t pw[4];              /* plane weights */
};

static bool lmma_types_ok(const struct lutc_lmma *l)
{
    bool int_tab = l->table_dtype == LUTC_DT_I16 ||
                   l->table_dtype == LUTC_DT_I8;
    bool tab_ok = int_tab || l->table_dtype == LUTC_DT_F32 ||
                  l->table_dtype == LUTC_DT_F16;
    uint32_t scaled = l->flags & (LUTC_MM_WSCALE | LUTC_MM_WZERO |
                                  LUTC_MM_WZERO_IMM | LUTC_MM_TSCALE);

    if (!tab_ok || !lutc_wfmt_planes(l->wfmt)) {
        return false;
    }
    if (l->acc_dtype == LUTC_DT_I32) {
        /* Raw integer sums: one group, nothing to scale. */
        return int_tab && !scaled && !l->group &&
               !(l->flags & LUTC_MM_PER_CHANNEL);
    }
    return l->acc_dtype == LUTC_DT_F32 &&
           !((l->flags & LUTC_MM_WZERO) && (l->flags & LUTC_MM_WZERO_IMM)) &&
           !((l->flags & LUTC_MM_TSCALE) && !int_tab) &&
           !((l->flags & LUTC_MM_PER_CHANNEL) &&
             !(l->flags & (LUTC_MM_WSCALE | LUTC_MM_WZERO)));
}

static int lmma_check(struct lut_ctx *c, const struct lutc_lmma *l)
{
    bool zero = l->flags & (LUTC_MM_WZERO | LUTC_MM_WZERO_IMM);
    bool sarr = l->flags & (LUTC_MM_WSCALE | LUTC_MM_WZERO);
    uint32_t zimm;
    int err;

    memcpy(&zimm, &l->zero_imm, 4);
    if (l->flags & ~LUTC_MM_FLAGS || !lut_zero_bytes(l->rsvd0,
        sizeof(l->rsvd0)) || !lut_zero_bytes(l->rsvd1, sizeof(l->rsvd1))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, l->flags & LUTC_MM_WSCALE, l->wscale);
    err = err ? err : lut_check_unused(c, l->flags & LUTC_MM_WZERO, l->wzero);
    err = err ? err : lut_check_unused(c, l->flags & LUTC_MM_WZERO_IMM, zimm);
    err = err ? err : lut_check_unused(c, l->flags & LUTC_MM_TSCALE,
                                       l->tscale);
    err = err ? err : lut_check_unused(c, zero, l->asum);
    err = err ? err : lut_check_unused(c, sarr, l->scale_dtype);
    if (err) {
        return err;
    }
    if (!lmma_types_ok(l) || !lut_dim_ok(l->m) || !lut_dim_ok(l->n) ||
        !lut_dim_ok(l->k) || l->group % 4 || l->group > LUTC_MAX_DIM ||
        (sarr && l->scale_dtype != LUTC_DT_F32 &&
         l->scale_dtype != LUTC_DT_F16)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

static int lmma_acquire(struct lut_ctx *c, struct lmma_args *a)
{
    const struct lutc_lmma *l = a->l;
    uint32_t ss = lutc_dtype_size(l->scale_dtype);
    uint64_t sbytes = (uint64_t)l->n * ss *
                      (l->flags & LUTC_MM_PER_CHANNEL ? 1 : a->ng);
    uint64_t side = (uint64_t)l->m * a->ng * 4;
    int err;

    err = lut_acquire_view(c, l->weights, lutc_weight_bytes(l->n, l->k,
                           l->wfmt), LUTC_WEIGHT_ALIGN, &a->wview);
    err = err ? err : lut_acquire(c, l->acc, (uint64_t)l->m * l->n * 4, 4,
                                  l->flags & LUTC_MM_ACCUMULATE ? LUT_RDWR :
                                  LUT_WRITE, &a->acc);
    if (!err && l->wscale) {
        err = lut_acquire(c, l->wscale, sbytes, ss, LUT_READ,
                          (void **)&a->wscale);
    }
    if (!err && l->wzero) {
        err = lut_acquire(c, l->wzero, sbytes, ss, LUT_READ,
                          (void **)&a->wzero);
    }
    if (!err && l->tscale) {
        err = lut_acquire(c, l->tscale, side, 4, LUT_READ,
                          (void **)&a->tscale);
    }
    if (!err && l->asum) {
        err = lut_acquire(c, l->asum, side, 4, LUT_READ, (void **)&a->asum);
    }
    return err;
}

/* ---- Table staging ------------------------------------------------------ */

struct stage_args {
    const struct lutc_lmma *l;
    const uint8_t *table;
    uint8_t *stage;
    uint32_t k4, bytes;
    uint32_t chunks;            /* work items per row */
};

static int32_t clamp_i(int32_t v, int32_t lim)
{
    return v < -lim ? -lim : (v > lim ? lim : v);
}

/* I8 entries: E[nib] = T[nib] for nib < 8, -T[nib - 8] above. */
static void stage_i8(const int8_t *src, uint8_t *dst)
{
    uint32_t i;

    for (i = 0; i < 8; i++) {
        int32_t t = src[i] < -LMMA_I8_LIMIT ? -LMMA_I8_LIMIT : src[i];

        dst[i] = (uint8_t)t;
        dst[8 + i] = (uint8_t)-t;
    }
}

/* I16 entries as low bytes, then high bytes. */
static void stage_i16(const uint8_t *src, uint8_t *dst)
{
    uint32_t i;

    for (i = 0; i < 8; i++) {
        int16_t v;
        int32_t t;

        memcpy(&v, src + 2 * i, 2);
        t = clamp_i(v, LMMA_I16_LIMIT);
        dst[i] = (uint8_t)t;
        dst[16 + i] = (uint8_t)(t >> 8);
        dst[8 + i] = (uint8_t)-t;
        dst[24 + i] = (uint8_t)(-t >> 8);
    }
}

static void stage_f16(const uint8_t *src, uint8_t *dst)
{
    float f[8];
    uint32_t i;

    for (i = 0; i < 8; i++) {
        uint16_t h;

        memcpy(&h, src + 2 * i, 2);
        f[i] = lut_f16_to_f32(h);
    }
    memcpy(dst, f, sizeof(f));
}

static void stage_group(const struct stage_args *s, uint64_t g)
{
    const uint8_t *src = s->table + g * 8 * lutc_dtype_size(s->l->table_dtype);
    uint8_t *dst = s->stage + g * s->bytes;

    switch (s->l->table_dtype) {
    case LUTC_DT_I8:
        stage_i8((const int8_t *)src, dst);
        break;
    case LUTC_DT_I16:
        stage_i16(src, dst);
        break;
    default:
        stage_f16(src, dst);
        break;
    }
}

/* One item: a range of 4-groups of one row. */
static void stage_item(void *arg, uint32_t item, uint32_t worker)
{
    const struct stage_args *s = arg;
    uint32_t m = item / s->chunks, c = item % s->chunks;
    uint64_t g = (uint64_t)m * s->k4 + (uint64_t)s->k4 * c / s->chunks;
    uint64_t end = (uint64_t)m * s->k4 + (uint64_t)s->k4 * (c + 1) / s->chunks;

    for (; g < end; g++) {
        stage_group(s, g);
    }
}

static int lmma_stage(struct lut_ctx *c, struct lmma_args *a)
{
    const struct lutc_lmma *l = a->l;
    struct stage_args s = { .l = l, .k4 = a->k4 };
    int err;

    err = lut_acquire(c, l->table, lutc_table_bytes(l->m, l->k,
                      l->table_dtype), lutc_dtype_size(l->table_dtype),
                      LUT_READ, (void **)&s.table);
    if (err) {
        return err;
    }
    if (l->table_dtype == LUTC_DT_F32) {
        a->stage = s.table;     /* already in the kernels' form */
        a->stage_bytes = LMMA_STAGE_F32;
        return 0;
    }
    s.bytes = l->table_dtype == LUTC_DT_I8 ? LMMA_STAGE_I8 :
              l->table_dtype == LUTC_DT_I16 ? LMMA_STAGE_I16 :
              LMMA_STAGE_F32;
    err = lut_reserve_stage(c, (size_t)l->m * a->k4 * s.bytes);
    if (err) {
        return err;
    }
    s.stage = c->e->stage;
    /* Split rows into ranges of at least 256 groups when rows are few. */
    s.chunks = LUT_MIN(LUT_MAX(1, a->k4 / 256), LUT_DIV_UP(64, l->m));
    lut_pool_run(c->e->pool, l->m * s.chunks, stage_item, &s);
    a->stage = s.stage;
    a->stage_bytes = s.bytes;
    return 0;
}

/* ---- Compute ------------------------------------------------------------ */

/*
 * Per-tile scales and zero points as floats, [groups][64] (or [64] per
 * channel), so that the group stage reads them contiguously. Rows past n
 * get 0.
 */
static void tile_side(const struct lmma_args *a, const uint8_t *src,
                      uint32_t tile, float *dst)
{
    const struct lutc_lmma *l = a->l;
    uint32_t ng = l->flags & LUTC_MM_PER_CHANNEL ? 1 : a->ng;
    uint32_t n0 = tile * LUTC_TILE_N, nv = LUT_MIN(LUTC_TILE_N, l->n - n0);
    uint32_t g, i;

    for (g = 0; g < ng; g++) {
        float *d = dst + g * LUTC_TILE_N;
        uint64_t at = (uint64_t)g * l->n + n0;

        if (l->scale_dtype == LUTC_DT_F32) {
            memcpy(d, src + at * 4, nv * sizeof(float));
        } else {
            for (i = 0; i < nv; i++) {
                uint16_t h;

                memcpy(&h, src + (at + i) * 2, 2);
                d[i] = lut_f16_to_f32(h);
            }
        }
        for (i = nv; i < LUTC_TILE_N; i++) {
            d[i] = 0.0f;
        }
    }
}

/* Partial lookup sums of the rows of one item, integer or float. */
union lmma_psum {
    int32_t i[LMMA_ROWS_PER_ITEM][LUTC_TILE_N];
    float f[LMMA_ROWS_PER_ITEM][LUTC_TILE_N];
};

/* Add the lookups of 4-groups [j0, j1) of row m to p. */
static void chunk_sum(const struct lmma_args *a, uint32_t m, uint32_t j0,
                      uint32_t j1, const uint8_t *w, void *p)
{
    const uint8_t *tab = a->stage + ((uint64_t)m * a->k4 + j0) *
                         a->stage_bytes;
    uint32_t dt = a->l->table_dtype;

    w += (uint64_t)j0 * a->planes * LUTC_PLANE_BYTES;
    if (dt == LUTC_DT_F32 || dt == LUTC_DT_F16) {
        a->kern->f32((const float *)tab, w, j1 - j0, a->planes, a->pw, p);
    } else if (dt == LUTC_DT_I8) {
        a->kern->i8((const int8_t *)tab, w, j1 - j0, a->planes, a->pw, p);
    } else {
        a->kern->i16(tab, w, j1 - j0, a->planes, a->pw, p);
    }
}

/* chunk_sum of I8 tables for rows m and m + 1 at once. */
static void chunk_sum2(const struct lmma_args *a, uint32_t m, uint32_t j0,
                       uint32_t j1, const uint8_t *w, int32_t *p0,
                       int32_t *p1)
{
    const int8_t *t0 = (const int8_t *)a->stage +
                       ((uint64_t)m * a->k4 + j0) * a->stage_bytes;

    a->kern->i8x2(t0, t0 + (uint64_t)a->k4 * a->stage_bytes,
                  w + (uint64_t)j0 * a->planes * LUTC_PLANE_BYTES, j1 - j0,
                  a->planes, a->pw, p0, p1);
}

/*
 * The lookup sums of group g for rows [m0, m1). The group is walked in
 * chunks of LMMA_CHUNK 4-groups with the rows inside, so that a chunk of
 * the tile's weights (at most 8 KiB) stays in the L1 cache while every
 * row uses it. Each row still accumulates its groups in ascending order.
 */
static void group_sums(const struct lmma_args *a, uint32_t g, uint32_t m0,
                       uint32_t m1, const uint8_t *w, union lmma_psum *p)
{
    uint32_t j0 = g * a->gk4, j1 = LUT_MIN(a->k4, j0 + a->gk4), j, m;

    memset(p, 0, (m1 - m0) * sizeof(p->i[0]));
    for (j = j0; j < j1; j += LMMA_CHUNK) {
        uint32_t je = LUT_MIN(j1, j + LMMA_CHUNK);

        for (m = m0; m < m1; m++) {
            if (a->l->table_dtype == LUTC_DT_I8 && m + 1 < m1) {
                chunk_sum2(a, m, j, je, w, p->i[m - m0], p->i[m + 1 - m0]);
                m++;
            } else {
                chunk_sum(a, m, j, je, w, p->i[m - m0]);
            }
        }
    }
}

struct lmma_side {
    const float *ws, *wz;       /* tile scales / zeros, or NULL */
    uint32_t ws_step, wz_step;  /* floats per group: 64, n or 0 */
};

/* F32 accumulators: the group stage of every group, then store. */
static void rows_f32(const struct lmma_args *a, uint32_t tile, uint32_t m0,
                     uint32_t m1, const uint8_t *w, const struct lmma_side *sd)
{
    const struct lutc_lmma *l = a->l;
    uint32_t n0 = tile * LUTC_TILE_N, nv = LUT_MIN(LUTC_TILE_N, l->n - n0);
    bool itab = l->table_dtype == LUTC_DT_I8 || l->table_dtype == LUTC_DT_I16;
    float out[LMMA_ROWS_PER_ITEM][LUTC_TILE_N];
    union lmma_psum p;
    uint32_t g, m, i;

    for (m = m0; m < m1; m++) {
        float *acc = (float *)a->acc + (uint64_t)m * l->n + n0;

        for (i = 0; i < LUTC_TILE_N; i++) {
            out[m - m0][i] = i < nv && (l->flags & LUTC_MM_ACCUMULATE) ?
                             acc[i] : 0.0f;
        }
    }
    for (g = 0; g < a->ng; g++) {
        const float *s = sd->ws ? sd->ws + g * sd->ws_step : NULL;
        const float *z = sd->wz ? sd->wz + g * sd->wz_step : NULL;

        group_sums(a, g, m0, m1, w, &p);
        for (m = m0; m < m1; m++) {
            uint64_t mg = (uint64_t)m * a->ng + g;
            float t = a->tscale ? a->tscale[mg] : 1.0f;
            float as = a->asum ? a->asum[mg] : 0.0f;

            if (itab) {
                a->kern->stage_i(out[m - m0], p.i[m - m0], t, s, z, as);
            } else {
                a->kern->stage(out[m - m0], p.f[m - m0], t, s, z, as);
            }
        }
    }
    for (m = m0; m < m1; m++) {
        memcpy((float *)a->acc + (uint64_t)m * l->n + n0, out[m - m0],
               nv * sizeof(float));
    }
}

/* I32 accumulators: the raw integer sums over all of K. */
static void rows_i32(const struct lmma_args *a, uint32_t tile, uint32_t m0,
                     uint32_t m1, const uint8_t *w)
{
    const struct lutc_lmma *l = a->l;
    uint32_t n0 = tile * LUTC_TILE_N, nv = LUT_MIN(LUTC_TILE_N, l->n - n0);
    union lmma_psum p;
    uint32_t m, i;

    group_sums(a, 0, m0, m1, w, &p);
    for (m = m0; m < m1; m++) {
        int32_t *acc = (int32_t *)a->acc + (uint64_t)m * l->n + n0;

        for (i = 0; i < nv; i++) {
            /* Accumulation wraps modulo 2^32, as the hardware's adder. */
            acc[i] = l->flags & LUTC_MM_ACCUMULATE ?
                     (int32_t)((uint32_t)acc[i] + (uint32_t)p.i[m - m0][i]) :
                     p.i[m - m0][i];
        }
    }
}

/*
 * Point at a tile's scales (or zero points): straight into the operand
 * when it is F32 and the tile is full, else into a converted copy.
 */
static const float *tile_side_ptr(const struct lmma_args *a,
                                  const uint8_t *src, uint32_t tile,
                                  float *copy, uint32_t *step)
{
    const struct lutc_lmma *l = a->l;
    bool chan = l->flags & LUTC_MM_PER_CHANNEL;

    if (l->scale_dtype == LUTC_DT_F32 && (tile + 1) * LUTC_TILE_N <= l->n) {
        *step = chan ? 0 : l->n;
        return (const float *)src + tile * LUTC_TILE_N;
    }
    tile_side(a, src, tile, copy);
    *step = chan ? 0 : LUTC_TILE_N;
    return copy;
}

static void lmma_item(void *arg, uint32_t item, uint32_t worker)
{
    const struct lmma_args *a = arg;
    const struct lutc_lmma *l = a->l;
    uint32_t tile = item % a->tiles, mb = item / a->tiles;
    uint32_t m0 = mb * LMMA_ROWS_PER_ITEM;
    uint32_t m1 = LUT_MIN(l->m, m0 + LMMA_ROWS_PER_ITEM), m;
    uint32_t sides = (l->flags & LUTC_MM_PER_CHANNEL ? 1 : a->ng) *
                     LUTC_TILE_N;
    uint8_t *scratch = a->e->scratch[worker];
    float *ws = (float *)(scratch + LUT_DIV_UP(a->tile_bytes, 64) * 64);
    float *wz = ws + sides;
    struct lmma_side sd = { 0 };
    const uint8_t *w;

    w = lut_view_ptr(a->wview, tile * a->tile_bytes, a->tile_bytes, scratch);
    if (a->wscale) {
        sd.ws = tile_side_ptr(a, a->wscale, tile, ws, &sd.ws_step);
    }
    if (a->asum && a->wzero) {
        sd.wz = tile_side_ptr(a, a->wzero, tile, wz, &sd.wz_step);
    } else if (a->asum) {
        for (m = 0; m < LUTC_TILE_N; m++) {
            wz[m] = l->zero_imm;
        }
        sd.wz = wz;
    }
    if (l->acc_dtype == LUTC_DT_I32) {
        rows_i32(a, tile, m0, m1, w);
    } else {
        rows_f32(a, tile, m0, m1, w, &sd);
    }
}

static void lmma_setup(struct lut_engine *e, struct lmma_args *a)
{
    const struct lutc_lmma *l = a->l;
    uint32_t b;

    a->kern = e->avx2 && lmma_kernels_avx2 ? lmma_kernels_avx2 :
              &lmma_kernels_portable;
    a->k4 = LUT_DIV_UP(l->k, LUTC_GROUP_K);
    a->ng = lutc_ngroups(l->k, l->group);
    a->gk4 = l->group ? l->group / LUTC_GROUP_K : a->k4;
    a->planes = lutc_wfmt_planes(l->wfmt);
    a->tiles = LUT_DIV_UP(l->n, LUTC_TILE_N);
    a->mblocks = LUT_DIV_UP(l->m, LMMA_ROWS_PER_ITEM);
    a->tile_bytes = (uint64_t)a->k4 * a->planes * LUTC_PLANE_BYTES;
    for (b = 0; b < a->planes; b++) {
        a->pw[b] = l->wfmt == LUTC_WF_TERNARY ? 1 : 1u << b;
    }
}

int lut_op_lmma(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_lmma *l = &in->lmma;
    struct lmma_args a = { .l = l, .e = c->e };
    uint64_t sides, vec;
    int err = lmma_check(c, l);

    if (err) {
        return err;
    }
    lmma_setup(c->e, &a);
    err = lmma_acquire(c, &a);
    err = err ? err : lmma_stage(c, &a);
    sides = (uint64_t)(l->flags & LUTC_MM_PER_CHANNEL ? 1 : a.ng) *
            LUTC_TILE_N * 2 * sizeof(float);
    err = err ? err : lut_reserve_scratch(c, LUT_DIV_UP(a.tile_bytes, 64) *
                                          64 + sides);
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, a.tiles * a.mblocks, lmma_item, &a);
    /* The group stage runs on the vector unit beside the array. */
    vec = lut_vector_cycles(&c->e->cfg, (uint64_t)l->m * l->n * a.ng * 3);
    c->compute_cycles = LUT_MAX(vec, lut_cycles_lmma(&c->e->cfg, l->m, l->n,
                                                     l->k, a.planes));
    return 0;
}
