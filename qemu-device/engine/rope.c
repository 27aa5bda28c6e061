/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: ROPE, rotary position embedding.
 *
 * Pair i of a head (i < rot_dim / 2) turns by the angle
 *     pos * freq_scale * theta^(-2i / rot_dim),
 * evaluated in double once per row and shared by all heads. NORM mode
 * pairs elements (2i, 2i+1) (GGUF llama); NEOX mode pairs (i, i +
 * rot_dim/2) (GGUF bitnet, HF llama). Elements past rot_dim are copied.
 */
#include <math.h>
#include "lut_engine_int.h"

struct rope_args {
    const struct lutc_rope *p;
    const uint8_t *in;
    uint8_t *out;
    const int32_t *pos;
    uint32_t rot;
    struct lut_engine *e;
};

static int rope_check(struct lut_ctx *c, const struct lutc_rope *p)
{
    bool arr = p->flags & LUTC_ROPE_POS_ARRAY;
    uint32_t width = p->heads * p->head_dim;
    uint32_t rot = p->rot_dim ? p->rot_dim : p->head_dim;
    int err;

    if (p->rsvd0 || p->rsvd1 || p->flags & ~LUTC_ROPE_POS_ARRAY ||
        !lut_zero_bytes(p->rsvd2, sizeof(p->rsvd2))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPCODE, c->insn_va);
    }
    err = lut_check_unused(c, arr, p->pos);
    err = err ? err : lut_check_unused(c, !arr, p->pos0);
    if (err) {
        return err;
    }
    if (!(p->dtype == LUTC_DT_F32 || p->dtype == LUTC_DT_F16) ||
        p->mode > LUTC_ROPE_NEOX || !lut_dim_ok(p->rows) ||
        !p->heads || p->heads > LUTC_MAX_HEADS || !p->head_dim ||
        p->head_dim > LUTC_MAX_HEAD_DIM || rot % 2 || rot > p->head_dim ||
        (p->in_ld && p->in_ld < width) || (p->out_ld && p->out_ld < width) ||
        !(p->theta > 0.0f && isfinite(p->theta)) ||
        !(p->freq_scale > 0.0f && isfinite(p->freq_scale))) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, c->insn_va);
    }
    return 0;
}

static void rope_head(const struct rope_args *a, float *x, const float *cs)
{
    uint32_t half = a->rot / 2, i;

    for (i = 0; i < half; i++) {
        uint32_t i0 = a->p->mode == LUTC_ROPE_NEOX ? i : 2 * i;
        uint32_t i1 = a->p->mode == LUTC_ROPE_NEOX ? i + half : 2 * i + 1;
        float x0 = x[i0], x1 = x[i1];

        x[i0] = x0 * cs[2 * i] - x1 * cs[2 * i + 1];
        x[i1] = x0 * cs[2 * i + 1] + x1 * cs[2 * i];
    }
}

static void rope_row(void *arg, uint32_t r, uint32_t worker)
{
    const struct rope_args *a = arg;
    const struct lutc_rope *p = a->p;
    uint32_t width = p->heads * p->head_dim, i, h;
    uint64_t il = p->in_ld ? p->in_ld : width;
    uint64_t ol = p->out_ld ? p->out_ld : width;
    float *x = a->e->scratch[worker], *cs = x + width;
    double pos = (double)(a->pos ? a->pos[r] : (int64_t)p->pos0 + r);

    for (i = 0; i < a->rot / 2; i++) {
        double ang = pos * p->freq_scale *
                     pow(p->theta, -2.0 * i / a->rot);

        cs[2 * i] = (float)cos(ang);
        cs[2 * i + 1] = (float)sin(ang);
    }
    for (i = 0; i < width; i++) {
        x[i] = lut_load_f(a->in, p->dtype, r * il + i);
    }
    for (h = 0; h < p->heads; h++) {
        rope_head(a, x + h * p->head_dim, cs);
    }
    for (i = 0; i < width; i++) {
        lut_store_f(a->out, p->dtype, r * ol + i, x[i]);
    }
}

int lut_op_rope(struct lut_ctx *c, const union lutc_insn *in)
{
    const struct lutc_rope *p = &in->rope;
    struct rope_args a = { .p = p, .e = c->e };
    uint32_t width = p->heads * p->head_dim, sz = lutc_dtype_size(p->dtype);
    int err = rope_check(c, p);

    if (err) {
        return err;
    }
    a.rot = p->rot_dim ? p->rot_dim : p->head_dim;
    err = lut_acquire(c, p->in, lut_matrix_bytes(p->rows, width, p->in_ld,
                      sz), sz, LUT_READ, (void **)&a.in);
    if (!err && p->pos) {
        err = lut_acquire(c, p->pos, (uint64_t)p->rows * 4, 4, LUT_READ,
                          (void **)&a.pos);
    }
    err = err ? err : lut_acquire(c, p->out, lut_matrix_bytes(p->rows, width,
                                  p->out_ld, sz), sz, LUT_WRITE,
                                  (void **)&a.out);
    err = err ? err : lut_reserve_scratch(c, ((size_t)width + a.rot) * 4);
    if (err) {
        return err;
    }
    lut_pool_run(c->e->pool, p->rows, rope_row, &a);
    c->compute_cycles = lut_vector_cycles(&c->e->cfg,
                                          (uint64_t)p->rows * width * 3);
    return 0;
}
