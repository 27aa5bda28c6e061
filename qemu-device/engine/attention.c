/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: ATTN, causal attention over a KV cache.
 *
 * With LUTC_ATTN_APPEND the new rows' K and V are first stored (converted
 * to the cache type) at positions pos0 .. pos0 + rows - 1. Then query row
 * r (position p = pos0 + r), head h reads kv head h / (heads / kv_heads)
 * (grouped-query attention) at positions 0..p:
 *     s_t = scale * q . k_t,  w = softmax(s),  out = sum_t w_t v_t,
 * with binary32 dot products, exp of s_t - max, and the normalizing sum
 * in double. (row, head) pairs run in parallel.
 */
#include <math.h>
#include "lut_engine_int.h"

struct attn_args {
    const struct lutc_attn *p;
    const float *q;
    uint8_t *kc, *vc;
    float *out;
    uint32_t pos0, group;
    struct lut_engine *e;
};

static int attn_check(struct lut_ctx *c, const struct lutc_attn *p)
{
    bool app = p->flags & LUTC_ATTN_APPEND;
    bool ind = p->flags & LUTC_ATTN_POS_INDIRECT;
    uint32_t qw = p->heads * p->head_dim, kw = p->kv_heads * p->head_dim;
    int err;

    if (p->flags & ~(LUTC_ATTN_APPEND | LUTC_ATTN_POS_INDIRECT) ||
        !lut_zero_bytes(p->rsvd0, sizeof(p->rsvd0)) ||
        !lut_zero_bytes(p->rsvd1, sizeof(p->rsvd1))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, app, p->k_new);
    err = err ? err : lut_check_unused(c, app, p->v_new);
    err = err ? err : lut_check_unused(c, app, p->kv_ld);
    err = err ? err : lut_check_unused(c, ind, p->pos);
    err = err ? err : lut_check_unused(c, !ind, p->pos0);
    if (err) {
        return err;
    }
    if (!(p->kv_dtype == LUTC_DT_F32 || p->kv_dtype == LUTC_DT_F16) ||
        !lut_dim_ok(p->rows) || !p->heads || p->heads > LUTC_MAX_HEADS ||
        !p->kv_heads || p->heads % p->kv_heads || !p->head_dim ||
        p->head_dim > LUTC_MAX_HEAD_DIM || !lut_dim_ok(p->ctx) ||
        (p->q_ld && p->q_ld < qw) || (p->out_ld && p->out_ld < qw) ||
        (p->kv_ld && p->kv_ld < kw) || !isfinite(p->scale)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

/* The first position; it and all new rows must fit the cache. */
static int attn_pos(struct lut_ctx *c, const struct lutc_attn *p,
                    uint32_t *pos0)
{
    int32_t v = (int32_t)p->pos0;
    int err = 0;

    if (p->flags & LUTC_ATTN_POS_INDIRECT) {
        err = lut_read(c, p->pos, 4, 4, &v);
    }
    if (err) {
        return err;
    }
    if (v < 0 || (uint64_t)v + p->rows > p->ctx) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND,
                        p->pos ? p->pos : c->insn_va);
    }
    *pos0 = (uint32_t)v;
    return 0;
}

static int attn_append(struct lut_ctx *c, struct attn_args *a,
                       uint64_t src_va, uint8_t *cache)
{
    const struct lutc_attn *p = a->p;
    uint32_t kw = p->kv_heads * p->head_dim, r, i;
    uint64_t ld = p->kv_ld ? p->kv_ld : kw;
    const float *src;
    int err = lut_acquire(c, src_va, lut_matrix_bytes(p->rows, kw, p->kv_ld,
                          4), 4, LUT_READ, (void **)&src);

    for (r = 0; !err && r < p->rows; r++) {
        uint64_t base = (uint64_t)(a->pos0 + r) * kw;

        for (i = 0; i < kw; i++) {
            lut_store_f(cache, p->kv_dtype, base + i, src[r * ld + i]);
        }
    }
    return err;
}

/* Row t of kv head kvh of a cache as floats: in place for F32, else copied. */
static const float *cache_row(const struct attn_args *a, const uint8_t *cache,
                              uint32_t t, uint32_t kvh, float *tmp)
{
    const struct lutc_attn *p = a->p;
    uint64_t at = ((uint64_t)t * p->kv_heads + kvh) * p->head_dim;
    uint32_t i;

    if (p->kv_dtype == LUTC_DT_F32) {
        return (const float *)cache + at;
    }
    for (i = 0; i < p->head_dim; i++) {
        uint16_t h;

        memcpy(&h, cache + (at + i) * 2, 2);
        tmp[i] = lut_f16_to_f32(h);
    }
    return tmp;
}

static void attn_item(void *arg, uint32_t item, uint32_t worker)
{
    const struct attn_args *a = arg;
    const struct lutc_attn *p = a->p;
    uint32_t r = item / p->heads, h = item % p->heads, hd = p->head_dim;
    uint32_t kvh = h / a->group, npos = a->pos0 + r + 1, t, i;
    const float *q = a->q + r * (uint64_t)(p->q_ld ? p->q_ld :
                                           p->heads * hd) + h * hd;
    float *o = a->out + r * (uint64_t)(p->out_ld ? p->out_ld :
                                       p->heads * hd) + h * hd;
    float *s = a->e->scratch[worker], *acc = s + npos, *tmp = acc + hd;
    float mx = -INFINITY;
    double sum = 0.0;

    for (t = 0; t < npos; t++) {
        const float *k = cache_row(a, a->kc, t, kvh, tmp);
        float d = 0.0f;

        for (i = 0; i < hd; i++) {
            d += q[i] * k[i];
        }
        s[t] = d * p->scale;
        mx = fmaxf(mx, s[t]);
    }
    memset(acc, 0, hd * sizeof(float));
    for (t = 0; t < npos; t++) {
        s[t] = mx == -INFINITY ? 0.0f : expf(s[t] - mx);
        sum += s[t];
    }
    for (t = 0; t < npos; t++) {
        const float *v = cache_row(a, a->vc, t, kvh, tmp);
        float w = sum > 0.0 ? (float)(s[t] / sum) : 0.0f;

        for (i = 0; i < hd; i++) {
            acc[i] += w * v[i];
        }
    }
    memcpy(o, acc, hd * sizeof(float));
}

static int attn_acquire(struct lut_ctx *c, struct attn_args *a)
{
    const struct lutc_attn *p = a->p;
    uint32_t qw = p->heads * p->head_dim, sz = lutc_dtype_size(p->kv_dtype);
    uint64_t live = (uint64_t)(a->pos0 + p->rows) * p->kv_heads *
                    p->head_dim * sz;
    enum lut_access acc = p->flags & LUTC_ATTN_APPEND ? LUT_RDWR : LUT_READ;
    int err;

    err = lut_acquire(c, p->q, lut_matrix_bytes(p->rows, qw, p->q_ld, 4), 4,
                      LUT_READ, (void **)&a->q);
    err = err ? err : lut_acquire(c, p->k_cache, live, sz, acc,
                                  (void **)&a->kc);
    err = err ? err : lut_acquire(c, p->v_cache, live, sz, acc,
                                  (void **)&a->vc);
    if (!err && acc == LUT_RDWR) {
        /* Of the live caches, appending writes the new rows only. */
        c->wr -= 2 * (live - (uint64_t)p->rows * p->kv_heads *
                      p->head_dim * sz);
    }
    err = err ? err : lut_acquire(c, p->out, lut_matrix_bytes(p->rows, qw,
                                  p->out_ld, 4), 4, LUT_WRITE,
                                  (void **)&a->out);
    if (!err && (p->flags & LUTC_ATTN_APPEND)) {
        err = attn_append(c, a, p->k_new, a->kc);
        err = err ? err : attn_append(c, a, p->v_new, a->vc);
    }
    return err;
}

int lut_op_attn(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_attn *p = &in->attn;
    struct attn_args a = { .p = p, .e = c->e };
    uint64_t work;
    int err = attn_check(c, p);

    err = err ? err : attn_pos(c, p, &a.pos0);
    if (err) {
        return err;
    }
    a.group = p->heads / p->kv_heads;
    err = attn_acquire(c, &a);
    err = err ? err : lut_reserve_scratch(c, ((size_t)a.pos0 + p->rows +
                                          2 * p->head_dim) * sizeof(float));
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->rows * p->heads, attn_item, &a);
    /* Two dot products of head_dim per (row, head, position). */
    work = (uint64_t)p->heads * p->head_dim * 4 *
           ((uint64_t)p->rows * a.pos0 + (uint64_t)p->rows * (p->rows + 1) / 2);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg, work);
    return 0;
}
