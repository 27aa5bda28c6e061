// SPDX-License-Identifier: MIT
/*
 * Vector instruction tests against the naive reference: EMBED (dense and
 * packed rows), RMSNORM, ROPE, ATTN (append, causal softmax, GQA, F16
 * cache, indirect position), ELTWISE, ARGMAX, SOFTMAX, COPY, and the
 * control instructions NOP, FENCE and SIGNAL.
 *
 * Tolerances: conversions exact (after the reference's own rounding);
 * binary32 arithmetic 1e-5 of the magnitude of the terms (1e-4 for
 * attention, whose dot products run over the whole head).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "lutcore/pack.h"
#include "ref.h"
#include "tfixture.h"

static int run1(struct tdev *d, const void *insn)
{
	struct lut_exec_result res;

	return tdev_run(d, insn, 1, &res);
}

/* count floats rounded to dtype dt into device memory; held gets them. */
static uint64_t put_floats(struct tdev *d, uint32_t dt, size_t count, float lo, float hi,
			   float *held)
{
	uint32_t sz = lutc_dtype_size(dt);
	uint64_t va = tdev_alloc(d, count * sz, sz);
	uint8_t *p = tdev_ptr(d, va);
	size_t i;

	for (i = 0; i < count; i++) {
		float f = trand_float(lo, hi);
		uint16_t h;

		if (dt == LUTC_DT_F32) {
			memcpy(p + 4 * i, &f, 4);
		} else {
			h = dt == LUTC_DT_F16 ? ref_f16_bits(f) : ref_bf16_bits(f);
			memcpy(p + 2 * i, &h, 2);
			f = dt == LUTC_DT_F16 ? ref_from_f16_bits(h) : ref_from_bf16_bits(h);
		}
		held[i] = f;
	}
	return va;
}

static double get_float(const void *p, uint32_t dt, size_t i)
{
	uint16_t h;

	if (dt == LUTC_DT_F32)
		return ((const float *)p)[i];
	memcpy(&h, (const uint8_t *)p + 2 * i, 2);
	return dt == LUTC_DT_F16 ? ref_from_f16_bits(h) : ref_from_bf16_bits(h);
}

/* Round a double result to what a dtype can hold, for comparisons. */
static double to_dtype(double v, uint32_t dt)
{
	return dt == LUTC_DT_F16 ? ref_to_f16((float)v) : (float)v;
}

TEST_F(engine, embed_dense)
{
	static const uint32_t srcs[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_BF16};
	uint32_t s, o, vocab = 50, dim = 37, rows = 6, r, k;

	for (s = 0; s < 3; s++)
		for (o = 0; o < 2; o++) {
			uint32_t ld = s == 1 ? dim + 3 : 0, od = o ? LUTC_DT_F16 : LUTC_DT_F32;
			float *tab = malloc(4 * (size_t)vocab * (dim + 3));
			int32_t ids[6] = {0, 49, 7, 7, 13, 1};
			struct lutc_embed e = {.op = LUTC_OP_EMBED,
					       .src_dtype = (uint8_t)srcs[s],
					       .out_dtype = (uint8_t)od,
					       .rows = rows,
					       .dim = dim,
					       .vocab = vocab,
					       .src_ld = ld};

			tdev_reset(&self->d);
			e.src = put_floats(&self->d, srcs[s], (size_t)vocab * (ld ? ld : dim),
					   -3.0f, 3.0f, tab);
			e.ids = tdev_put(&self->d, ids, sizeof(ids), 4);
			e.out = tdev_alloc(&self->d, 4ull * rows * dim, 4);
			ASSERT_EQ(0, run1(&self->d, &e));
			for (r = 0; r < rows; r++)
				for (k = 0; k < dim; k++)
					ASSERT_EQ(to_dtype(tab[ids[r] * (ld ? ld : dim) + k], od),
						  get_float(tdev_ptr(&self->d, e.out), od,
							    r * dim + k));
			free(tab);
		}
}

/* Rows gathered straight from packed LMMA weights with their scales. */
TEST_F(engine, embed_packed)
{
	uint32_t vocab = 130, dim = 102, rows = 5, w, n = 0, r, k;

	for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++)
		for (n = 0; n < 6; n++) {
			uint32_t group = n % 3 == 0 ? 0 : (n % 3 == 1 ? 32 : 12);
			uint32_t ng = lutc_ngroups(dim, group), chan = n % 2;
			uint32_t nside = chan ? vocab : ng * vocab, hi = w == 5 ? 2 : (1u << w) - 1;
			uint32_t sdt = n / 3 ? LUTC_DT_F16 : LUTC_DT_F32;
			uint8_t *codes = malloc((size_t)vocab * dim);
			float *ws = malloc(4 * nside), *wz = malloc(4 * nside);
			double *deq = malloc(sizeof(double) * vocab * dim);
			int32_t ids[5] = {129, 0, 64, 63, 77};
			struct lutc_embed e = {.op = LUTC_OP_EMBED,
					       .wfmt = (uint8_t)w,
					       .out_dtype = LUTC_DT_F32,
					       .rows = rows,
					       .dim = dim,
					       .vocab = vocab,
					       .group = group,
					       .scale_dtype = (uint8_t)sdt,
					       .flags = LUTC_MM_WSCALE | LUTC_MM_WZERO |
							(chan ? LUTC_MM_PER_CHANNEL : 0)};

			tdev_reset(&self->d);
			for (k = 0; k < vocab * dim; k++)
				codes[k] = (uint8_t)trand_range(0, hi);
			e.src = tdev_alloc(&self->d, lutcore_packed_size(vocab, dim, w), 32);
			lutcore_pack_codes(tdev_ptr(&self->d, e.src), codes, vocab, dim, w);
			e.wscale = put_floats(&self->d, sdt, nside, 0.1f, 1.0f, ws);
			e.wzero = put_floats(&self->d, sdt, nside, -2.0f, 2.0f, wz);
			e.ids = tdev_put(&self->d, ids, sizeof(ids), 4);
			e.out = tdev_alloc(&self->d, 4ull * rows * dim, 4);
			ASSERT_EQ(0, run1(&self->d, &e));
			ref_dequant(deq, codes, ws, wz, 0.0f, vocab, dim, group, chan, w);
			for (r = 0; r < rows; r++)
				for (k = 0; k < dim; k++) {
					double want = deq[(size_t)ids[r] * dim + k];
					float got =
						((float *)tdev_ptr(&self->d, e.out))[r * dim + k];

					ASSERT_TRUE(fabs(got - want) <= 1e-6 * (fabs(want) + 30));
				}
			free(codes);
			free(ws);
			free(wz);
			free(deq);
		}
}

/*
 * Packed rows with the other options of the scale stage: F16 output
 * (strided, gaps untouched), the immediate zero point, and no scales or
 * zero points at all (the raw q'). Element k of row n is s' (q' - z').
 */
TEST_F(engine, embed_packed_f16_out_imm_zero_no_scales)
{
	static const struct {
		uint32_t out, flags, sdt, group, out_ld;
	} cfgs[] = {
		{LUTC_DT_F16, LUTC_MM_WSCALE | LUTC_MM_WZERO_IMM, LUTC_DT_F16, 32, 0},
		{LUTC_DT_F16, LUTC_MM_WSCALE | LUTC_MM_WZERO | LUTC_MM_PER_CHANNEL, LUTC_DT_F32, 0,
		 110},
		{LUTC_DT_F32, LUTC_MM_WZERO_IMM, 0, 12, 0},
		{LUTC_DT_F16, LUTC_MM_WZERO_IMM, 0, 0, 105},
		{LUTC_DT_F32, 0, 0, 0, 0},
		{LUTC_DT_F16, 0, 0, 0, 0},
		{LUTC_DT_F32, LUTC_MM_WSCALE | LUTC_MM_WZERO_IMM | LUTC_MM_PER_CHANNEL, LUTC_DT_F32,
		 0, 0},
	};
	uint32_t vocab = 130, dim = 102, rows = 5, w, c, r, k;

	for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++)
		for (c = 0; c < ARRAY_SIZE(cfgs); c++) {
			uint32_t group = cfgs[c].group, ng = lutc_ngroups(dim, group);
			uint32_t chan = !!(cfgs[c].flags & LUTC_MM_PER_CHANNEL), od = cfgs[c].out;
			uint32_t nside = chan ? vocab : ng * vocab, hi = w == 5 ? 2 : (1u << w) - 1;
			uint32_t ol = cfgs[c].out_ld ? cfgs[c].out_ld : dim,
				 osz = lutc_dtype_size(od);
			uint8_t *codes = malloc((size_t)vocab * dim), *out;
			float *ws = malloc(4 * nside), *wz = malloc(4 * nside), zimm = 0.0f;
			double *deq = malloc(sizeof(double) * vocab * dim);
			int32_t ids[5] = {64, 129, 0, 63, 64};
			struct lutc_embed e = {.op = LUTC_OP_EMBED,
					       .wfmt = (uint8_t)w,
					       .out_dtype = (uint8_t)od,
					       .flags = cfgs[c].flags,
					       .rows = rows,
					       .dim = dim,
					       .vocab = vocab,
					       .group = group,
					       .out_ld = cfgs[c].out_ld,
					       .scale_dtype = (uint8_t)cfgs[c].sdt};

			tdev_reset(&self->d);
			for (k = 0; k < vocab * dim; k++)
				codes[k] = (uint8_t)trand_range(0, hi);
			e.src = tdev_alloc(&self->d, lutcore_packed_size(vocab, dim, w), 32);
			lutcore_pack_codes(tdev_ptr(&self->d, e.src), codes, vocab, dim, w);
			if (e.flags & LUTC_MM_WSCALE)
				e.wscale =
					put_floats(&self->d, e.scale_dtype, nside, 0.1f, 1.0f, ws);
			if (e.flags & LUTC_MM_WZERO)
				e.wzero =
					put_floats(&self->d, e.scale_dtype, nside, -2.0f, 2.0f, wz);
			if (e.flags & LUTC_MM_WZERO_IMM) {
				zimm = trand_float(-3.0f, 3.0f);
				e.zero_imm = zimm;
			}
			e.ids = tdev_put(&self->d, ids, sizeof(ids), 4);
			e.out = tdev_alloc(&self->d, (size_t)rows * ol * osz, 4);
			ASSERT_EQ(0, run1(&self->d, &e));
			ref_dequant(deq, codes, e.flags & LUTC_MM_WSCALE ? ws : NULL,
				    e.flags & LUTC_MM_WZERO ? wz : NULL, zimm, vocab, dim, group,
				    chan, w);
			out = tdev_ptr(&self->d, e.out);
			for (r = 0; r < rows; r++) {
				for (k = 0; k < dim; k++) {
					double want = deq[(size_t)ids[r] * dim + k];
					double got = get_float(out, od, (size_t)r * ol + k);
					double tol =
						1e-6 * (fabs(want) + 30) +
						(od == LUTC_DT_F16 ? ldexp(fabs(want), -11) : 0);

					/* Without scales the values are small integers. */
					if (!(e.flags & (LUTC_MM_WSCALE | LUTC_MM_WZERO_IMM)))
						tol = 0;
					ASSERT_TRUE(fabs(got - want) <= tol)
					{
						TH_LOG("wfmt %u cfg %u row %u k %u: %.9g vs %.9g",
						       w, c, r, k, got, want);
					}
				}
				/* Gaps between strided rows stay untouched. */
				for (k = dim * osz; r + 1 < rows && k < ol * osz; k++)
					ASSERT_EQ(0xcd, out[(size_t)r * ol * osz + k]);
			}
			free(codes);
			free(ws);
			free(wz);
			free(deq);
		}
}

TEST_F(engine, embed_id_out_of_range)
{
	int32_t ids[3] = {1, 50, 2};
	float tab[50 * 4] = {0};
	struct lutc_embed e = {.op = LUTC_OP_EMBED,
			       .src_dtype = LUTC_DT_F32,
			       .out_dtype = LUTC_DT_F32,
			       .rows = 3,
			       .dim = 4,
			       .vocab = 50};
	struct lut_exec_result res;

	e.src = tdev_put(&self->d, tab, sizeof(tab), 4);
	e.ids = tdev_put(&self->d, ids, sizeof(ids), 4);
	e.out = tdev_alloc(&self->d, 48, 4);
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, tdev_run(&self->d, &e, 1, &res));
	ASSERT_EQ(e.ids + 4, res.fault_va);
	ids[1] = -1;
	memcpy(tdev_ptr(&self->d, e.ids), ids, sizeof(ids));
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, tdev_run(&self->d, &e, 1, &res));
}

TEST_F(engine, rmsnorm)
{
	uint32_t c, rows = 3, n = 100, r, i;

	for (c = 0; c < 8; c++) {
		uint32_t idt = c & 1 ? LUTC_DT_F16 : LUTC_DT_F32,
			 odt = c & 2 ? LUTC_DT_F16 : LUTC_DT_F32;
		uint32_t ld = c & 4 ? n + 7 : 0, inplace = c == 0 || c == 7;
		float *x = malloc(4ull * rows * (n + 7)), w[100] = {0};
		double y[100], xr[100], ww[100];
		struct lutc_rmsnorm p = {.op = LUTC_OP_RMSNORM,
					 .in_dtype = (uint8_t)idt,
					 .out_dtype = (uint8_t)odt,
					 .rows = rows,
					 .n = n,
					 .in_ld = ld,
					 .eps = 1e-5f};

		tdev_reset(&self->d);
		p.in = put_floats(&self->d, idt, (size_t)rows * (ld ? ld : n), -4.0f, 4.0f, x);
		if (c % 2) {
			p.flags = LUTC_NORM_WEIGHT;
			p.weight = put_floats(&self->d, LUTC_DT_F32, n, 0.5f, 1.5f, w);
		}
		if (inplace && idt == odt) {
			p.out = p.in;
			p.out_ld = ld;
		} else {
			p.out = tdev_alloc(&self->d, 4ull * rows * n, 4);
		}
		ASSERT_EQ(0, run1(&self->d, &p));
		for (r = 0; r < rows; r++) {
			for (i = 0; i < n; i++) {
				xr[i] = x[r * (ld ? ld : n) + i];
				ww[i] = w[i];
			}
			ref_rmsnorm(y, xr, p.weight ? ww : NULL, n, 1e-5);
			for (i = 0; i < n; i++) {
				double got = get_float(tdev_ptr(&self->d, p.out), odt,
						       r * (p.out_ld ? p.out_ld : n) + i);
				double tol = 1e-5 * fabs(y[i]) + 1e-6 +
					     (odt == LUTC_DT_F16 ? ldexp(fabs(y[i]), -10) : 0);

				ASSERT_TRUE(fabs(got - y[i]) <= tol)
				{
					TH_LOG("case %u (%u,%u): %g vs %g", c, r, i, got, y[i]);
				}
			}
		}
		free(x);
	}
}

TEST_F(engine, rope)
{
	uint32_t c, rows = 3, heads = 3, r, h, i;

	for (c = 0; c < 16; c++) {
		uint32_t hd = c & 4 ? 64 : 16, rot = c & 8 ? hd / 2 : 0,
			 dt = c & 2 ? LUTC_DT_F16 : LUTC_DT_F32;
		uint32_t width = heads * hd, mode = c & 1 ? LUTC_ROPE_NEOX : LUTC_ROPE_NORM;
		float *x = malloc(4ull * rows * width);
		int32_t pos[3] = {5, 1000, 0};
		struct lutc_rope p = {.op = LUTC_OP_ROPE,
				      .dtype = (uint8_t)dt,
				      .mode = (uint8_t)mode,
				      .rows = rows,
				      .heads = heads,
				      .head_dim = hd,
				      .rot_dim = rot,
				      .theta = 10000.0f,
				      .freq_scale = c & 4 ? 0.5f : 1.0f};

		tdev_reset(&self->d);
		p.in = put_floats(&self->d, dt, (size_t)rows * width, -2.0f, 2.0f, x);
		if (c % 3 == 0) {
			p.flags = LUTC_ROPE_POS_ARRAY;
			p.pos = tdev_put(&self->d, pos, sizeof(pos), 4);
		} else {
			p.pos0 = 17;
		}
		p.out = c % 2 ? p.in : tdev_alloc(&self->d, 4ull * rows * width, 4);
		ASSERT_EQ(0, run1(&self->d, &p));
		for (r = 0; r < rows; r++)
			for (h = 0; h < heads; h++) {
				double v[64];
				double ps = p.flags ? (double)pos[r] : 17.0 + r;

				for (i = 0; i < hd; i++)
					v[i] = x[(r * heads + h) * hd + i];
				ref_rope(v, hd, rot ? rot : hd, ps, 10000.0, p.freq_scale, mode);
				for (i = 0; i < hd; i++) {
					double got = get_float(tdev_ptr(&self->d, p.out), dt,
							       (r * heads + h) * hd + i);
					double tol =
						1e-5 * 4 +
						(dt == LUTC_DT_F16 ? ldexp(fabs(v[i]), -10) : 0);

					ASSERT_TRUE(fabs(got - v[i]) <= tol)
					{
						TH_LOG("case %u row %u head %u i %u: %g vs %g", c,
						       r, h, i, got, v[i]);
					}
				}
			}
		free(x);
	}
}

struct attn_ref {
	uint32_t heads, kvh, hd, ctx, dt;
	double *kc, *vc; /* [ctx][kvh][hd] */
};

/* One ATTN step; checks outputs and the cache against the reference. */
static int attn_step(struct __test_metadata *_metadata, struct tdev *d, struct attn_ref *a,
		     uint64_t kc, uint64_t vc, uint32_t rows, uint32_t pos0, int append,
		     int indirect, uint32_t pad)
{
	uint32_t qw = a->heads * a->hd, kw = a->kvh * a->hd, r, h, i;
	float *q = malloc(4ull * rows * (qw + pad)), *kn = malloc(4ull * rows * (kw + pad));
	float *vn = malloc(4ull * rows * (kw + pad));
	double qd[64], out[64];
	struct lutc_attn p = {.op = LUTC_OP_ATTN,
			      .kv_dtype = (uint8_t)a->dt,
			      .rows = rows,
			      .heads = a->heads,
			      .kv_heads = a->kvh,
			      .head_dim = a->hd,
			      .ctx = a->ctx,
			      .q_ld = pad ? qw + pad : 0,
			      .out_ld = pad ? qw + pad : 0,
			      .k_cache = kc,
			      .v_cache = vc,
			      .scale = 1.0f / sqrtf((float)a->hd)};
	int bad = 0;

	p.q = put_floats(d, LUTC_DT_F32, (size_t)rows * (qw + pad), -1.0f, 1.0f, q);
	p.out = tdev_alloc(d, 4ull * rows * (qw + pad), 4);
	if (append) {
		p.flags |= LUTC_ATTN_APPEND;
		p.kv_ld = pad ? kw + pad : 0;
		p.k_new = put_floats(d, LUTC_DT_F32, (size_t)rows * (kw + pad), -1.0f, 1.0f, kn);
		p.v_new = put_floats(d, LUTC_DT_F32, (size_t)rows * (kw + pad), -1.0f, 1.0f, vn);
		for (r = 0; r < rows; r++)
			for (i = 0; i < kw; i++) {
				a->kc[(size_t)(pos0 + r) * kw + i] =
					to_dtype(kn[r * (kw + pad) + i], a->dt);
				a->vc[(size_t)(pos0 + r) * kw + i] =
					to_dtype(vn[r * (kw + pad) + i], a->dt);
			}
	}
	if (indirect) {
		p.flags |= LUTC_ATTN_POS_INDIRECT;
		p.pos = tdev_put(d, &pos0, 4, 4);
	} else {
		p.pos0 = pos0;
	}
	EXPECT_EQ(0, run1(d, &p));
	for (i = 0; append && i < rows * kw; i++)
		bad += get_float(tdev_ptr(d, kc), a->dt, (size_t)pos0 * kw + i) !=
		       a->kc[(size_t)pos0 * kw + i];
	for (r = 0; r < rows; r++)
		for (h = 0; h < a->heads; h++) {
			for (i = 0; i < a->hd; i++)
				qd[i] = q[r * (qw + pad) + h * a->hd + i];
			ref_attention(out, qd, a->kc, a->vc, pos0 + r + 1, a->kvh,
				      h / (a->heads / a->kvh), a->hd, 1.0 / sqrt(a->hd));
			for (i = 0; i < a->hd; i++) {
				float got = ((float *)tdev_ptr(
					d, p.out))[r * (qw + pad) + h * a->hd + i];

				if (fabs(got - out[i]) > 1e-4 && bad++ < 3)
					TH_LOG("row %u head %u i %u: %g vs %g", r, h, i, got,
					       out[i]);
			}
		}
	free(q);
	free(kn);
	free(vn);
	return bad;
}

TEST_F(engine, attention_kv_cache)
{
	uint32_t c;

	for (c = 0; c < 8; c++) {
		struct attn_ref a = {.heads = c & 2 ? 4 : 2,
				     .kvh = 2,
				     .hd = c & 4 ? 32 : 8,
				     .ctx = 16,
				     .dt = c & 1 ? LUTC_DT_F16 : LUTC_DT_F32};
		size_t cells = (size_t)a.ctx * a.kvh * a.hd;
		uint32_t pad = c & 4 ? 5 : 0;
		uint64_t kc, vc;

		tdev_reset(&self->d);
		a.kc = calloc(cells, sizeof(double));
		a.vc = calloc(cells, sizeof(double));
		kc = tdev_alloc(&self->d, cells * lutc_dtype_size(a.dt), 4);
		vc = tdev_alloc(&self->d, cells * lutc_dtype_size(a.dt), 4);
		/* Prefill 3 tokens, decode 1 (position read from memory), re-read 2. */
		ASSERT_EQ(0, attn_step(_metadata, &self->d, &a, kc, vc, 3, 0, 1, 0, pad));
		ASSERT_EQ(0, attn_step(_metadata, &self->d, &a, kc, vc, 1, 3, 1, 1, pad));
		ASSERT_EQ(0, attn_step(_metadata, &self->d, &a, kc, vc, 2, 2, 0, 0, pad));
		free(a.kc);
		free(a.vc);
	}
}

TEST_F(engine, attention_position_out_of_cache)
{
	struct lutc_attn p = {.op = LUTC_OP_ATTN,
			      .kv_dtype = LUTC_DT_F32,
			      .rows = 2,
			      .heads = 1,
			      .kv_heads = 1,
			      .head_dim = 4,
			      .ctx = 8,
			      .pos0 = 7,
			      .scale = 0.5f};
	struct lut_exec_result res;
	int32_t neg = -1;

	p.q = tdev_alloc(&self->d, 32, 4);
	p.k_cache = tdev_alloc(&self->d, 128, 4);
	p.v_cache = tdev_alloc(&self->d, 128, 4);
	p.out = tdev_alloc(&self->d, 32, 4);
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, tdev_run(&self->d, &p, 1, &res));
	p.pos0 = 0;
	p.flags = LUTC_ATTN_POS_INDIRECT;
	p.pos = tdev_put(&self->d, &neg, 4, 4);
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, tdev_run(&self->d, &p, 1, &res));
	ASSERT_EQ(p.pos, res.fault_va);
}

static double elt_ref(uint32_t fn, double a, double b)
{
	switch (fn) {
	case LUTC_ELT_ADD:
		return a + b;
	case LUTC_ELT_MUL:
		return a * b;
	case LUTC_ELT_SILU:
		return ref_silu(a);
	case LUTC_ELT_SILU_MUL:
		return ref_silu(a) * b;
	case LUTC_ELT_RELU2:
		return ref_relu2(a);
	default:
		return ref_relu2(a) * b;
	}
}

TEST_F(engine, eltwise)
{
	uint32_t fn, rows = 3, n = 50, r, i;

	for (fn = 0; fn <= LUTC_ELT_RELU2_MUL; fn++) {
		int unary = fn == LUTC_ELT_SILU || fn == LUTC_ELT_RELU2;
		float a[3 * 60], b[3 * 60];
		struct lutc_eltwise e = {.op = LUTC_OP_ELTWISE,
					 .fn = (uint8_t)fn,
					 .dtype = LUTC_DT_F32,
					 .rows = rows,
					 .n = n,
					 .a_ld = 60};

		tdev_reset(&self->d);
		e.a = put_floats(&self->d, LUTC_DT_F32, 3 * 60, -6.0f, 6.0f, a);
		if (!unary) {
			e.b_ld = 55;
			e.b = put_floats(&self->d, LUTC_DT_F32, 3 * 55, -2.0f, 2.0f, b);
		}
		/* Binary functions write over their first input. */
		e.y = unary ? tdev_alloc(&self->d, 4 * 3 * 50, 4) : e.a;
		e.y_ld = unary ? 0 : 60;
		ASSERT_EQ(0, run1(&self->d, &e));
		for (r = 0; r < rows; r++)
			for (i = 0; i < n; i++) {
				double want = elt_ref(fn, a[r * 60 + i], unary ? 0 : b[r * 55 + i]);
				float got = ((float *)tdev_ptr(&self->d,
							       e.y))[r * (e.y_ld ? 60 : 50) + i];

				ASSERT_TRUE(fabs(got - want) <= 1e-6 * (fabs(want) + 1.0))
				{
					TH_LOG("fn %u (%u,%u): %g vs %g", fn, r, i, got, want);
				}
			}
	}
}

TEST_F(engine, argmax)
{
	float x[4][6] = {
		{1, 5, 2, 5, -1, 0},		/* tie: the first 5 */
		{NAN, -3, NAN, -2, -7, -2},	/* NaNs never win */
		{NAN, NAN, NAN, NAN, NAN, NAN}, /* nothing: index 0, NaN */
		{-INFINITY, -INFINITY, 1e-30f, 0, 0, -0.0f},
	};
	static const int32_t want[4] = {1, 3, 0, 2};
	struct lutc_argmax p = {.op = LUTC_OP_ARGMAX,
				.dtype = LUTC_DT_F32,
				.rows = 4,
				.n = 6,
				.flags = LUTC_ARGMAX_VALUE};
	uint32_t r;

	p.in = tdev_put(&self->d, x, sizeof(x), 4);
	p.out = tdev_alloc(&self->d, 16, 4);
	p.out_val = tdev_alloc(&self->d, 16, 4);
	ASSERT_EQ(0, run1(&self->d, &p));
	for (r = 0; r < 4; r++) {
		float v = ((float *)tdev_ptr(&self->d, p.out_val))[r];

		ASSERT_EQ(want[r], ((int32_t *)tdev_ptr(&self->d, p.out))[r]);
		if (r == 2) {
			ASSERT_TRUE(isnan(v));
		} else {
			ASSERT_EQ(x[r][want[r]], v);
		}
	}
}

TEST_F(engine, argmax_random)
{
	uint32_t rows = 5, n = 1000, r, i;
	float *x = malloc(4ull * rows * n);
	struct lutc_argmax p = {.op = LUTC_OP_ARGMAX, .dtype = LUTC_DT_F32, .rows = rows, .n = n};

	p.in = put_floats(&self->d, LUTC_DT_F32, (size_t)rows * n, -10.0f, 10.0f, x);
	p.out = tdev_alloc(&self->d, 4 * rows, 4);
	ASSERT_EQ(0, run1(&self->d, &p));
	for (r = 0; r < rows; r++) {
		uint32_t best = 0;

		for (i = 1; i < n; i++)
			if (x[r * n + i] > x[r * n + best])
				best = i;
		ASSERT_EQ((int32_t)best, ((int32_t *)tdev_ptr(&self->d, p.out))[r]);
	}
	free(x);
}

TEST_F(engine, softmax)
{
	uint32_t rows = 3, n = 40, r, i;
	float x[3 * 40];
	double xd[40], y[40];
	struct lutc_softmax p = {
		.op = LUTC_OP_SOFTMAX, .dtype = LUTC_DT_F32, .rows = rows, .n = n, .scale = 0.7f};

	p.in = put_floats(&self->d, LUTC_DT_F32, rows * n, -20.0f, 20.0f, x);
	x[5] = -INFINITY;
	memcpy(tdev_ptr(&self->d, p.in), x, sizeof(x));
	p.out = p.in; /* in place */
	ASSERT_EQ(0, run1(&self->d, &p));
	for (r = 0; r < rows; r++) {
		for (i = 0; i < n; i++)
			xd[i] = (double)x[r * n + i] * 0.7f;
		ref_softmax(y, xd, n);
		for (i = 0; i < n; i++)
			ASSERT_TRUE(fabs(((float *)tdev_ptr(&self->d, p.out))[r * n + i] - y[i]) <=
				    1e-6 * y[i] + 1e-9);
	}
}

/*
 * A row of -inf gives zeros (docs/isa.md, SOFTMAX), in place and not, next
 * to rows with some -inf entries that still normalize.
 */
TEST_F(engine, softmax_all_minus_inf_row)
{
	uint32_t rows = 4, n = 33, ld = 40, r, i, pass;
	float x[4 * 40];
	double xd[40], y[40];

	for (pass = 0; pass < 2; pass++) {
		struct lutc_softmax p = {.op = LUTC_OP_SOFTMAX,
					 .dtype = LUTC_DT_F32,
					 .rows = rows,
					 .n = n,
					 .in_ld = ld,
					 .out_ld = pass ? ld : 0,
					 .scale = pass ? 2.5f : 1.0f};

		tdev_reset(&self->d);
		p.in = put_floats(&self->d, LUTC_DT_F32, rows * ld, -10.0f, 10.0f, x);
		for (i = 0; i < n; i++) {
			x[0 * ld + i] = -INFINITY;
			x[2 * ld + i] = -INFINITY;
		}
		x[1 * ld + 3] = -INFINITY;
		x[3 * ld + n - 1] = -INFINITY;
		memcpy(tdev_ptr(&self->d, p.in), x, sizeof(x));
		p.out = pass ? p.in : tdev_alloc(&self->d, 4ull * rows * n, 4);
		ASSERT_EQ(0, run1(&self->d, &p));
		for (r = 0; r < rows; r++) {
			for (i = 0; i < n; i++)
				xd[i] = (double)x[r * ld + i] * p.scale;
			ref_softmax(y, xd, n);
			for (i = 0; i < n; i++) {
				float got = ((float *)tdev_ptr(&self->d,
							       p.out))[r * (pass ? ld : n) + i];

				if (r % 2 == 0) {
					ASSERT_EQ(0.0f, got)
					{
						TH_LOG("pass %u row %u i %u: %g", pass, r, i, got);
					}
					ASSERT_EQ(0.0, y[i]);
				} else {
					/* x scale rounds to binary32 before exp. */
					ASSERT_TRUE(fabs(got - y[i]) <= 1e-5 * y[i] + 1e-9)
					{
						TH_LOG("pass %u row %u i %u: %g vs %g", pass, r, i,
						       got, y[i]);
					}
				}
			}
		}
	}
}

TEST_F(engine, copy_and_convert)
{
	static const struct {
		uint32_t src, dst;
	} pairs[] = {
		{LUTC_DT_F32, LUTC_DT_F16},  {LUTC_DT_F16, LUTC_DT_F32},
		{LUTC_DT_BF16, LUTC_DT_F32}, {LUTC_DT_F32, LUTC_DT_BF16},
		{LUTC_DT_F16, LUTC_DT_BF16}, {LUTC_DT_BF16, LUTC_DT_F16},
		{LUTC_DT_I32, LUTC_DT_I32},  {LUTC_DT_U8, LUTC_DT_U8},
		{LUTC_DT_I8, LUTC_DT_I8},    {LUTC_DT_F32, LUTC_DT_F32},
	};
	uint32_t c, rows = 3, cols = 21, r, i;

	for (c = 0; c < ARRAY_SIZE(pairs); c++) {
		uint32_t ss = lutc_dtype_size(pairs[c].src), ds = lutc_dtype_size(pairs[c].dst);
		struct lutc_copy p = {.op = LUTC_OP_COPY,
				      .src_dtype = (uint8_t)pairs[c].src,
				      .dst_dtype = (uint8_t)pairs[c].dst,
				      .rows = rows,
				      .cols = cols,
				      .src_ld = 25,
				      .dst_ld = c % 2 ? 0 : 30};
		uint32_t dld = p.dst_ld ? p.dst_ld : cols;
		float held[3 * 25];
		uint8_t *s, *d;

		tdev_reset(&self->d);
		if (ss == 1 || pairs[c].src == LUTC_DT_I32) {
			p.src = tdev_alloc(&self->d, 3 * 25 * ss, ss);
			for (i = 0; i < 3 * 25 * ss; i++)
				((uint8_t *)tdev_ptr(&self->d, p.src))[i] = (uint8_t)trand();
		} else {
			p.src = put_floats(&self->d, pairs[c].src, 3 * 25, -1e4f, 1e4f, held);
		}
		p.dst = tdev_alloc(&self->d, (size_t)rows * dld * ds, 4);
		ASSERT_EQ(0, run1(&self->d, &p));
		s = tdev_ptr(&self->d, p.src);
		d = tdev_ptr(&self->d, p.dst);
		for (r = 0; r < rows; r++) {
			if (pairs[c].src == pairs[c].dst) {
				ASSERT_EQ(0, memcmp(d + r * dld * ds, s + r * 25 * ss, cols * ss));
				continue;
			}
			for (i = 0; i < cols; i++) {
				double v = held[r * 25 + i];
				double want = pairs[c].dst == LUTC_DT_F16    ? ref_to_f16((float)v)
					      : pairs[c].dst == LUTC_DT_BF16 ? ref_to_bf16((float)v)
									     : v;

				ASSERT_EQ(want, get_float(d, pairs[c].dst, r * dld + i));
			}
		}
	}
}

/*
 * BF16 -> F16 at the edges of F16: BF16's wider exponent overflows to
 * +-inf and underflows to subnormals and zero, rounding to nearest even;
 * infinities, signed zeros and NaNs carry over (docs/isa.md, Numerics).
 */
TEST_F(engine, copy_bf16_to_f16_edges)
{
	static const float vals[] = {
		1.0f,	  -3.140625f, 65280.0f, 65504.0f, 65536.0f, -1e5f,   1e38f,    6.1e-5f,
		1e-6f,	  -2e-7f,     5.9e-8f,	2.9e-8f,  1e-8f,    1e-30f,  0.0f,     -0.0f,
		INFINITY, -INFINITY,  NAN,	-NAN,	  0.33f,    1027.0f, -2049.0f, 3.0e4f,
	};
	uint32_t n = ARRAY_SIZE(vals), i;
	uint16_t src[ARRAY_SIZE(vals)];
	struct lutc_copy p = {.op = LUTC_OP_COPY,
			      .src_dtype = LUTC_DT_BF16,
			      .dst_dtype = LUTC_DT_F16,
			      .rows = 1,
			      .cols = n};
	const uint16_t *d;

	for (i = 0; i < n; i++)
		src[i] = isnan(vals[i]) ? (uint16_t)(signbit(vals[i]) ? 0xffc1 : 0x7fa0)
					: ref_bf16_bits(vals[i]);
	p.src = tdev_put(&self->d, src, sizeof(src), 2);
	p.dst = tdev_alloc(&self->d, sizeof(src), 2);
	ASSERT_EQ(0, run1(&self->d, &p));
	d = tdev_ptr(&self->d, p.dst);
	for (i = 0; i < n; i++) {
		float b = ref_from_bf16_bits(src[i]);

		if (isnan(b)) {
			ASSERT_TRUE(isnan(ref_from_f16_bits(d[i])))
			{
				TH_LOG("%u: NaN %#x became %#x", i, src[i], d[i]);
			}
			continue;
		}
		ASSERT_EQ(ref_f16_bits(b), d[i])
		{
			TH_LOG("%u: bf16 %#x (%g) -> f16 %#x, want %#x", i, src[i], b, d[i],
			       ref_f16_bits(b));
		}
	}
	/* The edges were reached: overflow, a subnormal, a flush to zero. */
	ASSERT_EQ(0x7c00, d[4]);
	ASSERT_EQ(0xfc00, d[5]);
	ASSERT_TRUE(d[8] > 0 && d[8] < 0x0400);
	ASSERT_EQ(0, d[12]);
	ASSERT_EQ(0x8000, d[15]);
}

/* Memory callbacks of the flat accessor plus a notify that records. */
static uint64_t notified_va, notified_value;
static uint32_t notified_flags, notified_count;

static void record_notify(void *opaque, uint64_t va, uint64_t value, uint32_t flags)
{
	notified_va = va;
	notified_value = value;
	notified_flags = flags;
	notified_count++;
}

TEST_F(engine, nop_fence_signal)
{
	struct lut_mem_ops ops = lut_flat_mem_ops;
	struct lut_mem mem = {.ops = &ops, .opaque = &self->d.fm};
	union lutc_insn in[4];
	struct lut_exec_result res;
	uint64_t flag = tdev_alloc(&self->d, 8, 8), va;

	ops.signal = record_notify;
	memset(in, 0, sizeof(in));
	in[0].hdr.op = LUTC_OP_NOP;
	in[1].hdr.op = LUTC_OP_FENCE;
	in[2].signal = (struct lutc_signal){.op = LUTC_OP_SIGNAL,
					    .flags = LUTC_SIG_IRQ,
					    .addr = flag,
					    .value = 0x1234567890abcdefull};
	in[3].signal = (struct lutc_signal){.op = LUTC_OP_SIGNAL, .addr = flag, .value = 7};
	va = tdev_put(&self->d, in, sizeof(in), LUTC_INSN_SIZE);
	ASSERT_EQ(0, lut_engine_run(self->d.e, &mem, va, 3 * LUTC_INSN_SIZE, &res));
	ASSERT_EQ(3u, res.insns);
	ASSERT_EQ(0x1234567890abcdefull, *(uint64_t *)tdev_ptr(&self->d, flag));
	ASSERT_EQ(1u, notified_count);
	ASSERT_EQ(flag, notified_va);
	ASSERT_EQ(0x1234567890abcdefull, notified_value);
	ASSERT_EQ(LUTC_SIG_IRQ, notified_flags);
	ASSERT_EQ(0, lut_engine_run(self->d.e, &mem, va, sizeof(in), &res));
	ASSERT_EQ(7u, *(uint64_t *)tdev_ptr(&self->d, flag));
	ASSERT_EQ(0u, notified_flags);
	ASSERT_EQ(16u, res.bytes_written); /* two SIGNALs */
	ASSERT_GT(res.cycles, 0u);
}

TEST_HARNESS_MAIN
