/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: EMBED, embedding row gather.
 *
 * Rows come from a dense F32/F16/BF16 table or straight from packed LMMA
 * weights (so a model with tied embeddings keeps one copy): row n of a
 * packed matrix is lane n % 64 of tile n / 64, and element k is
 * s * (q' - z) with q' = sum_b pw[b] (2 w_b - 1) decoded from the
 * sign-inverted nibbles. Only the rows named by ids are read.
 */
#include "lut_engine_int.h"

struct embed_args {
    const struct lutc_embed *p;
    uint8_t *out;
    uint32_t k4, ng, planes;
    uint8_t pw[4];
};

static int embed_check(struct lut_ctx *c, const struct lutc_embed *p)
{
    bool packed = p->wfmt != LUTC_WF_NONE;
    bool sarr = p->flags & (LUTC_MM_WSCALE | LUTC_MM_WZERO);
    uint32_t zimm;
    int err;

    memcpy(&zimm, &p->zero_imm, 4);
    if (p->flags & ~LUTC_EMBED_FLAGS || (!packed && p->flags) ||
        !lut_zero_bytes(p->rsvd0, sizeof(p->rsvd0)) ||
        !lut_zero_bytes(p->rsvd1, sizeof(p->rsvd1))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, p->flags & LUTC_MM_WSCALE, p->wscale);
    err = err ? err : lut_check_unused(c, p->flags & LUTC_MM_WZERO, p->wzero);
    err = err ? err : lut_check_unused(c, p->flags & LUTC_MM_WZERO_IMM, zimm);
    err = err ? err : lut_check_unused(c, sarr, p->scale_dtype);
    err = err ? err : lut_check_unused(c, packed, p->group);
    err = err ? err : lut_check_unused(c, !packed, p->src_ld);
    if (err) {
        return err;
    }
    if ((packed ? p->src_dtype != LUTC_DT_NONE ||
         !lutc_wfmt_planes(p->wfmt) : !lut_is_float_dtype(p->src_dtype)) ||
        !(p->out_dtype == LUTC_DT_F32 || p->out_dtype == LUTC_DT_F16) ||
        !lut_dim_ok(p->rows) || !lut_dim_ok(p->dim) || !lut_dim_ok(p->vocab) ||
        p->group % 4 || p->group > LUTC_MAX_DIM ||
        (p->src_ld && p->src_ld < p->dim) ||
        (p->out_ld && p->out_ld < p->dim) ||
        (sarr && p->scale_dtype != LUTC_DT_F32 &&
         p->scale_dtype != LUTC_DT_F16) ||
        ((p->flags & LUTC_MM_WZERO) && (p->flags & LUTC_MM_WZERO_IMM))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

/* Read the scale or zero point of row id for group g. */
static int side_value(struct lut_ctx *c, const struct lutc_embed *p,
                      uint64_t va, uint32_t id, uint32_t g, float *v)
{
    uint32_t sz = lutc_dtype_size(p->scale_dtype);
    uint64_t idx = p->flags & LUTC_MM_PER_CHANNEL ? id :
                   (uint64_t)g * p->vocab + id;
    uint8_t raw[4];
    int err = lut_read(c, va + idx * sz, sz, sz, raw);

    if (!err) {
        *v = lut_load_f(raw, p->scale_dtype, 0);
    }
    return err;
}

/* The weight q' of element k of lane `lane` in a packed tile. */
static int32_t packed_q(const struct embed_args *a, const uint8_t *tile,
                        uint32_t lane, uint32_t k)
{
    uint32_t j = k / 4, t = k % 4, b;
    int32_t q = 0;

    for (b = 0; b < a->planes; b++) {
        uint8_t byte = tile[((uint64_t)j * a->planes + b) * 32 + lane % 32];
        uint8_t nib = lane < 32 ? byte & 15 : byte >> 4;
        /* Undo Eq. 6: bits 0-2 were inverted where the sign bit is set. */
        uint32_t bit = t == 3 ? nib >> 3 : ((nib >> t) ^ (nib >> 3)) & 1;

        q += (int32_t)a->pw[b] * (bit ? 1 : -1);
    }
    return q;
}

static int embed_packed_row(struct lut_ctx *c, const struct embed_args *a,
                            uint32_t id, float *v, uint8_t *tile)
{
    const struct lutc_embed *p = a->p;
    uint64_t tbytes = (uint64_t)a->k4 * a->planes * LUTC_PLANE_BYTES;
    uint32_t gk = p->group ? p->group : p->dim, g, k;
    int err = lut_read(c, p->src + (uint64_t)(id / 64) * tbytes, tbytes,
                       LUTC_WEIGHT_ALIGN, tile);

    for (g = 0; !err && g < a->ng; g++) {
        float s = 1.0f, z = p->flags & LUTC_MM_WZERO_IMM ? p->zero_imm : 0.0f;

        if (p->flags & LUTC_MM_WSCALE) {
            err = side_value(c, p, p->wscale, id, g, &s);
        }
        if (!err && (p->flags & LUTC_MM_WZERO)) {
            err = side_value(c, p, p->wzero, id, g, &z);
        }
        for (k = g * gk; !err && k < LUT_MIN(p->dim, (g + 1) * gk); k++) {
            v[k] = s * ((float)packed_q(a, tile, id % 64, k) - z);
        }
    }
    return err;
}

static int embed_row(struct lut_ctx *c, const struct embed_args *a,
                     uint32_t r, uint8_t *buf)
{
    const struct lutc_embed *p = a->p;
    uint64_t ol = p->out_ld ? p->out_ld : p->dim;
    float *v = (float *)buf;
    int32_t id;
    uint32_t k;
    int err = lut_read(c, p->ids + 4ull * r, 4, 4, &id);

    if (err) {
        return err;
    }
    if (id < 0 || (uint32_t)id >= p->vocab) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, p->ids + 4ull * r);
    }
    if (a->planes) {
        err = embed_packed_row(c, a, id, v, buf + (uint64_t)p->dim * 4);
    } else {
        uint32_t sz = lutc_dtype_size(p->src_dtype);
        uint64_t ld = p->src_ld ? p->src_ld : p->dim;
        uint8_t *raw = buf + (uint64_t)p->dim * 4;

        err = lut_read(c, p->src + (uint64_t)id * ld * sz,
                       (uint64_t)p->dim * sz, sz, raw);
        for (k = 0; !err && k < p->dim; k++) {
            v[k] = lut_load_f(raw, p->src_dtype, k);
        }
    }
    for (k = 0; !err && k < p->dim; k++) {
        lut_store_f(a->out, p->out_dtype, r * ol + k, v[k]);
    }
    return err;
}

int lut_op_embed(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_embed *p = &in->embed;
    struct embed_args a = { .p = p };
    uint32_t osz = lutc_dtype_size(p->out_dtype), r, b;
    uint64_t raw;
    int err = embed_check(c, p);

    if (err) {
        return err;
    }
    a.k4 = LUT_DIV_UP(p->dim, LUTC_GROUP_K);
    a.ng = lutc_ngroups(p->dim, p->group);
    a.planes = lutc_wfmt_planes(p->wfmt);
    for (b = 0; b < a.planes; b++) {
        a.pw[b] = p->wfmt == LUTC_WF_TERNARY ? 1 : 1u << b;
    }
    raw = a.planes ? (uint64_t)a.k4 * a.planes * LUTC_PLANE_BYTES :
          (uint64_t)p->dim * 4;
    err = lut_acquire(c, p->out, lut_matrix_bytes(p->rows, p->dim, p->out_ld,
                      osz), osz, LUT_WRITE, (void **)&a.out);
    err = err ? err : lut_reserve_scratch(c, (size_t)p->dim * 4 + raw);
    for (r = 0; !err && r < p->rows; r++) {
        err = embed_row(c, &a, r, c->e->scratch[0]);
    }
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->rows * p->dim * 2);
    return err;
}
