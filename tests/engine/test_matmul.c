// SPDX-License-Identifier: MIT
/*
 * End-to-end matmul tests: PRECOMP -> LMMA -> EPILOGUE streams against the
 * naive dequantize-then-multiply reference in double, for every activation
 * type, table type and weight format, per-group and per-channel scales,
 * with and without zero points.
 *
 * The integer path (INT8 activations, I16 tables, I32 accumulation) must
 * match a plain integer reference exactly. Float paths must stay within
 * the error model of docs/isa.md ("Numerics"), with M = sum_k |a_k| |s'|
 * (|q'_k| + |z'|):
 *   all paths     2e-5 M (binary32 rounding of tables, sums and scales)
 *   F16 tables    + 2^-9 sqrt(sum_j (|s'| P A_j)^2)      entry rounding
 *   I8 tables     + 2 sqrt(sum_j (|s'| P step_g)^2)       table quantization
 *   INT8 per token + 2 ascale sqrt(sum_k w_k^2)          activation rounding
 * where A_j is |a| summed over 4-group j, P the sum of plane weights and
 * step_g = max_j A_j / 127 over the group.
 *
 * matmul_llm_shape_integer_exact runs one 4096 x 4096 decode step (2-bit
 * and ternary) and compares the output bit for bit with the documented
 * binary32 epilogue applied to the exact integer sums.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "lutcore/pack.h"
#include "ref.h"
#include "tfixture.h"

struct mm_case {
	uint32_t m, n, k, group, wfmt, act, table;
	uint32_t zero;	 /* 0 none, 1 array, 2 immediate */
	int per_channel; /* scales and zero points per output row */
	int quant_act;	 /* float activations quantized to INT8 per token */
};

struct mm_data {
	double *a;	/* [m][k] activations as held (INT8: the integers) */
	float *ascale;	/* [m] */
	uint8_t *codes; /* [n][k] */
	float *ws, *wz; /* engine form; [ng][n] or [n] */
	float zimm;
	double *w; /* dequantized [n][k] */
};

static uint32_t plane_sum(uint32_t wfmt)
{
	return wfmt == LUTC_WF_TERNARY ? 2 : (1u << wfmt) - 1;
}

static void gen(const struct mm_case *c, struct mm_data *d)
{
	uint32_t ng = lutc_ngroups(c->k, c->group), nside = c->per_channel ? c->n : ng * c->n;
	uint32_t hi = c->wfmt == LUTC_WF_TERNARY ? 2 : (1u << c->wfmt) - 1, i;
	float zr = (float)(1u << ref_planes(c->wfmt));

	d->a = malloc(sizeof(double) * c->m * c->k);
	d->ascale = malloc(4 * c->m);
	d->codes = malloc((size_t)c->n * c->k);
	d->ws = malloc(4 * nside);
	d->wz = malloc(4 * nside);
	d->w = malloc(sizeof(double) * c->n * c->k);
	for (i = 0; i < c->m; i++)
		d->ascale[i] = trand_float(0.005f, 0.05f);
	for (i = 0; i < c->m * c->k; i++) {
		float f = trand_normal();

		if (c->act == LUTC_DT_I8)
			f = (float)((int)trand_range(0, 254) - 127);
		else if (c->act == LUTC_DT_F16)
			f = ref_to_f16(f);
		else if (c->act == LUTC_DT_BF16)
			f = ref_to_bf16(f);
		d->a[i] = f;
	}
	for (i = 0; i < c->n * c->k; i++)
		d->codes[i] = (uint8_t)trand_range(0, hi);
	for (i = 0; i < nside; i++) {
		d->ws[i] = trand_float(0.01f, 0.1f);
		d->wz[i] = trand_float(-zr, zr);
	}
	d->zimm = c->zero == 2 ? trand_float(-zr, zr) : 0.0f;
	ref_dequant(d->w, d->codes, d->ws, c->zero == 1 ? d->wz : NULL, d->zimm, c->n, c->k,
		    c->group, c->per_channel, c->wfmt);
}

static void gen_free(struct mm_data *d)
{
	free(d->a);
	free(d->ascale);
	free(d->codes);
	free(d->ws);
	free(d->wz);
	free(d->w);
}

static uint64_t put_act(struct tdev *t, const struct mm_case *c, const struct mm_data *d)
{
	uint32_t sz = lutc_dtype_size(c->act), i;
	uint64_t va = tdev_alloc(t, (uint64_t)c->m * c->k * sz, sz);
	uint8_t *p = tdev_ptr(t, va);

	for (i = 0; i < c->m * c->k; i++) {
		float f = (float)d->a[i];
		uint16_t h;

		if (c->act == LUTC_DT_I8) {
			p[i] = (uint8_t)(int8_t)d->a[i];
		} else if (c->act == LUTC_DT_F32) {
			memcpy(p + 4 * i, &f, 4);
		} else {
			h = c->act == LUTC_DT_F16 ? ref_f16_bits(f) : ref_bf16_bits(f);
			memcpy(p + 2 * i, &h, 2);
		}
	}
	return va;
}

/* Build PRECOMP, LMMA and EPILOGUE for a case; returns the output VA. */
static uint64_t build(struct tdev *t, const struct mm_case *c, const struct mm_data *d,
		      union lutc_insn in[3])
{
	uint32_t ng = lutc_ngroups(c->k, c->group), nside = c->per_channel ? c->n : ng * c->n;
	int itab = c->table == LUTC_DT_I8 || c->table == LUTC_DT_I16;
	struct lutc_precomp *p = &in[0].precomp;
	struct lutc_lmma *l = &in[1].lmma;
	struct lutc_epilogue *e = &in[2].epi;

	memset(in, 0, 3 * sizeof(*in));
	*p = (struct lutc_precomp){.op = LUTC_OP_PRECOMP,
				   .act_dtype = (uint8_t)c->act,
				   .table_dtype = (uint8_t)c->table,
				   .m = c->m,
				   .k = c->k,
				   .group = c->group};
	*l = (struct lutc_lmma){.op = LUTC_OP_LMMA,
				.table_dtype = (uint8_t)c->table,
				.wfmt = (uint8_t)c->wfmt,
				.acc_dtype = LUTC_DT_F32,
				.m = c->m,
				.n = c->n,
				.k = c->k,
				.group = c->group,
				.scale_dtype = LUTC_DT_F32,
				.flags = LUTC_MM_WSCALE};
	*e = (struct lutc_epilogue){.op = LUTC_OP_EPILOGUE,
				    .acc_dtype = LUTC_DT_F32,
				    .out_dtype = LUTC_DT_F32,
				    .m = c->m,
				    .n = c->n};
	p->act = put_act(t, c, d);
	if (c->act == LUTC_DT_I8)
		p->act_scale = tdev_put(t, d->ascale, 4 * c->m, 4);
	if (c->quant_act)
		p->flags |= LUTC_PRE_QUANT_ACT;
	p->table = l->table = tdev_alloc(t, lutc_table_bytes(c->m, c->k, c->table), 4);
	if (itab) {
		p->tscale = l->tscale = tdev_alloc(t, 4ull * c->m * ng, 4);
		l->flags |= LUTC_MM_TSCALE;
	}
	if (c->zero) {
		p->flags |= LUTC_PRE_ASUM;
		p->asum = l->asum = tdev_alloc(t, 4ull * c->m * ng, 4);
		l->flags |= c->zero == 1 ? LUTC_MM_WZERO : LUTC_MM_WZERO_IMM;
		l->zero_imm = d->zimm;
		if (c->zero == 1)
			l->wzero = tdev_put(t, d->wz, 4 * nside, 4);
	}
	if (c->per_channel)
		l->flags |= LUTC_MM_PER_CHANNEL;
	l->weights = tdev_alloc(t, lutcore_packed_size(c->n, c->k, c->wfmt), 32);
	lutcore_pack_codes(tdev_ptr(t, l->weights), d->codes, c->n, c->k, c->wfmt);
	l->wscale = tdev_put(t, d->ws, 4 * nside, 4);
	l->acc = e->acc = tdev_alloc(t, 4ull * c->m * c->n, 4);
	e->out = tdev_alloc(t, 4ull * c->m * c->n, 4);
	return e->out;
}

/* Reference y and the error-model tolerance of output (i, j). */
static void expect(const struct mm_case *c, const struct mm_data *d, uint32_t i, uint32_t j,
		   double *y, double *tol)
{
	uint32_t gk = c->group ? c->group : c->k, k4 = (c->k + 3) / 4,
		 ng = lutc_ngroups(c->k, c->group);
	double sc = c->act == LUTC_DT_I8 ? d->ascale[i] : 1.0, M = 0.0, rss = 0.0, w2 = 0.0;
	double amax = 0.0, gmax[ng];
	const double *a = d->a + (size_t)i * c->k, *w = d->w + (size_t)j * c->k;
	uint32_t t, q, g;

	*y = 0.0;
	memset(gmax, 0, sizeof(gmax));
	for (t = 0; t < c->k; t++) {
		size_t si = c->per_channel ? j : (size_t)(t / gk) * c->n + j;
		double z = c->zero == 1 ? d->wz[si] : d->zimm;

		*y += sc * a[t] * w[t];
		M += fabs(sc * a[t]) * d->ws[si] *
		     (abs(ref_code_value(d->codes[(size_t)j * c->k + t], c->wfmt)) + fabs(z));
		w2 += w[t] * w[t];
		amax = fmax(amax, fabs(a[t]));
	}
	for (q = 0; q < k4; q++) {
		double A = 0.0;

		for (t = 4 * q; t < 4 * q + 4 && t < c->k; t++)
			A += fabs(sc * a[t]);
		gmax[4 * q / gk] = fmax(gmax[4 * q / gk], A);
	}
	for (q = 0; q < k4; q++) {
		double A = 0.0, s;

		g = 4 * q / gk;
		s = d->ws[c->per_channel ? j : (size_t)g * c->n + j] * plane_sum(c->wfmt);
		for (t = 4 * q; t < 4 * q + 4 && t < c->k; t++)
			A += fabs(sc * a[t]);
		if (c->table == LUTC_DT_F16)
			rss += (s * A) * (s * A);
		if (c->table == LUTC_DT_I8)
			rss += (s * gmax[g] / 127.0) * (s * gmax[g] / 127.0);
	}
	*tol = 2e-5 * M + 1e-12;
	if (c->table == LUTC_DT_F16)
		*tol += ldexp(sqrt(rss), -9);
	if (c->table == LUTC_DT_I8)
		*tol += 2.0 * sqrt(rss);
	if (c->quant_act)
		*tol += 2.0 * amax / 127.0 * sqrt(w2);
}

static int run_case(struct __test_metadata *_metadata, struct tdev *t, const struct mm_case *c)
{
	union lutc_insn in[3];
	struct lut_exec_result res;
	struct mm_data d;
	uint64_t out;
	uint32_t i, j;
	int bad = 0;

	gen(c, &d);
	tdev_reset(t);
	out = build(t, c, &d, in);
	EXPECT_EQ(0, tdev_run(t, in, 3, &res));
	EXPECT_EQ(3u, res.insns);
	for (i = 0; i < c->m; i++) {
		for (j = 0; j < c->n; j++) {
			float got = ((float *)tdev_ptr(t, out))[i * c->n + j];
			double want, tol;

			expect(c, &d, i, j, &want, &tol);
			if (!(fabs(got - want) <= tol) && bad++ < 3)
				TH_LOG("m %u n %u k %u group %u wfmt %u act %u table %u zero %u "
				       "chan %d quant %d: (%u,%u) got %.8g want %.8g tol %.3g",
				       c->m, c->n, c->k, c->group, c->wfmt, c->act, c->table,
				       c->zero, c->per_channel, c->quant_act, i, j, got, want, tol);
		}
	}
	gen_free(&d);
	return bad;
}

static const struct {
	uint32_t m, n, k, group;
} mm_shapes[] = {
	{1, 64, 128, 32},  {1, 65, 100, 0},	{3, 130, 260, 128}, {2, 33, 36, 12},
	{5, 100, 300, 64}, {1, 130, 1030, 128}, {4, 1, 7, 4},
};

/* Every activation type, table type and weight format on every shape. */
TEST_F(engine, matmul_all_types)
{
	static const struct {
		uint32_t act, table;
		int quant;
	} paths[] = {
		{LUTC_DT_F32, LUTC_DT_F32, 0},	{LUTC_DT_F16, LUTC_DT_F32, 0},
		{LUTC_DT_BF16, LUTC_DT_F16, 0}, {LUTC_DT_F32, LUTC_DT_F16, 0},
		{LUTC_DT_F16, LUTC_DT_I8, 0},	{LUTC_DT_F32, LUTC_DT_I8, 0},
		{LUTC_DT_I8, LUTC_DT_I16, 0},	{LUTC_DT_I8, LUTC_DT_I8, 0},
		{LUTC_DT_F32, LUTC_DT_I16, 1},	{LUTC_DT_BF16, LUTC_DT_I8, 1},
	};
	uint32_t s, p, w, n = 0;

	for (s = 0; s < ARRAY_SIZE(mm_shapes); s++)
		for (p = 0; p < ARRAY_SIZE(paths); p++)
			for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++, n++) {
				struct mm_case c = {
					.m = mm_shapes[s].m,
					.n = mm_shapes[s].n,
					.k = mm_shapes[s].k,
					.group = mm_shapes[s].group,
					.wfmt = w,
					.act = paths[p].act,
					.table = paths[p].table,
					.quant_act = paths[p].quant,
					.zero = n % 3,
					.per_channel = (n / 3) % 2,
				};

				ASSERT_EQ(0, run_case(_metadata, &self->d, &c));
			}
}

/* A larger decode-shaped GEMV and a prefill-shaped GEMM. */
TEST_F(engine, matmul_larger)
{
	struct mm_case c = {.m = 1,
			    .n = 1000,
			    .k = 2048,
			    .group = 128,
			    .wfmt = LUTC_WF_INT2,
			    .act = LUTC_DT_F32,
			    .table = LUTC_DT_I8,
			    .zero = 1};

	ASSERT_EQ(0, run_case(_metadata, &self->d, &c));
	c.m = 17;
	c.n = 130;
	c.wfmt = LUTC_WF_INT4;
	c.table = LUTC_DT_F32;
	ASSERT_EQ(0, run_case(_metadata, &self->d, &c));
}

/*
 * The integer path: INT8 activations (given, or quantized per token from
 * floats), I16 tables and I32 accumulation equal the plain integer sum
 * sum_k q_k q'_k bit for bit; the epilogue then applies the per-token and
 * per-channel scales and the zero point.
 */
static int run_int_case(struct __test_metadata *_metadata, struct tdev *t, uint32_t m, uint32_t n,
			uint32_t k, uint32_t wfmt, int from_float)
{
	uint32_t hi = wfmt == LUTC_WF_TERNARY ? 2 : (1u << wfmt) - 1, i, j, r;
	int8_t *q = malloc((size_t)m * k);
	uint8_t *codes = malloc((size_t)n * k);
	float *ascale = malloc(4 * m), *ws = malloc(4 * n), *wz = malloc(4 * n), *x;
	struct lutc_precomp p = {.op = LUTC_OP_PRECOMP,
				 .act_dtype = LUTC_DT_I8,
				 .table_dtype = LUTC_DT_I16,
				 .flags = LUTC_PRE_ASUM,
				 .m = m,
				 .k = k};
	struct lutc_lmma l = {.op = LUTC_OP_LMMA,
			      .table_dtype = LUTC_DT_I16,
			      .wfmt = (uint8_t)wfmt,
			      .acc_dtype = LUTC_DT_I32,
			      .m = m,
			      .n = n,
			      .k = k};
	struct lutc_epilogue e = {
		.op = LUTC_OP_EPILOGUE,
		.acc_dtype = LUTC_DT_I32,
		.out_dtype = LUTC_DT_F32,
		.flags = LUTC_EPI_ROW_SCALE | LUTC_EPI_ZERO | LUTC_EPI_COL_SCALE,
		.scale_dtype = LUTC_DT_F32,
		.m = m,
		.n = n,
	};
	union lutc_insn in[3];
	struct lut_exec_result res;
	int bad = 0;

	tdev_reset(t);
	for (i = 0; i < m; i++) {
		ascale[i] = from_float ? 1.0f : trand_float(0.01f, 0.1f);
		for (j = 0; j < k; j++)
			q[i * k + j] = (int8_t)((int)trand_range(0, 254) - 127);
		q[i * k + trand_range(0, k - 1)] = 127; /* amax 127: exact quantization */
	}
	for (i = 0; i < n * k; i++)
		codes[i] = (uint8_t)trand_range(0, hi);
	for (i = 0; i < n; i++) {
		ws[i] = trand_float(0.01f, 0.1f);
		wz[i] = wfmt == LUTC_WF_TERNARY ? 0.0f : trand_float(-3.0f, 3.0f);
	}
	if (from_float) {
		x = malloc(4 * (size_t)m * k);
		for (i = 0; i < m * k; i++)
			x[i] = q[i];
		p.act_dtype = LUTC_DT_F32;
		p.flags |= LUTC_PRE_QUANT_ACT;
		p.act = tdev_put(t, x, 4 * (size_t)m * k, 4);
		free(x);
	} else {
		p.act = tdev_put(t, q, (size_t)m * k, 1);
		p.act_scale = tdev_put(t, ascale, 4 * m, 4);
	}
	p.table = l.table = tdev_alloc(t, lutc_table_bytes(m, k, LUTC_DT_I16), 2);
	p.tscale = e.row_scale = tdev_alloc(t, 4 * m, 4);
	p.asum = e.asum = tdev_alloc(t, 4 * m, 4);
	l.weights = tdev_alloc(t, lutcore_packed_size(n, k, wfmt), 32);
	lutcore_pack_codes(tdev_ptr(t, l.weights), codes, n, k, wfmt);
	l.acc = e.acc = tdev_alloc(t, 4ull * m * n, 4);
	e.col_scale = tdev_put(t, ws, 4 * n, 4);
	e.zero = tdev_put(t, wz, 4 * n, 4);
	e.out = tdev_alloc(t, 4ull * m * n, 4);
	memcpy(&in[0], &p, sizeof(p));
	memcpy(&in[1], &l, sizeof(l));
	memcpy(&in[2], &e, sizeof(e));
	EXPECT_EQ(0, tdev_run(t, in, 3, &res));
	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			int64_t acc = 0;
			double y = 0.0, mag = 0.0, got;

			for (r = 0; r < k; r++) {
				int cv = ref_code_value(codes[j * k + r], wfmt);

				acc += (int64_t)q[i * k + r] * cv;
				y += ascale[i] * q[i * k + r] * ws[j] * (cv - wz[j]);
				mag += fabs(ascale[i] * q[i * k + r] * ws[j]) *
				       (abs(cv) + fabs(wz[j]));
			}
			if (((int32_t *)tdev_ptr(t, l.acc))[i * n + j] != (int32_t)acc && bad++ < 3)
				TH_LOG("wfmt %u: acc (%u,%u) %d want %lld", wfmt, i, j,
				       ((int32_t *)tdev_ptr(t, l.acc))[i * n + j], (long long)acc);
			got = ((float *)tdev_ptr(t, e.out))[i * n + j];
			if (fabs(got - y) > 1e-5 * mag + 1e-12 && bad++ < 3)
				TH_LOG("wfmt %u: out (%u,%u) %g want %g", wfmt, i, j, got, y);
		}
	}
	free(q);
	free(codes);
	free(ascale);
	free(ws);
	free(wz);
	return bad;
}

TEST_F(engine, matmul_integer_path_exact)
{
	static const struct {
		uint32_t m, n, k;
	} sh[] = {{1, 64, 128}, {3, 70, 1000}, {5, 33, 7}, {1, 65, 4096}};
	uint32_t s, w;

	for (s = 0; s < ARRAY_SIZE(sh); s++)
		for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++) {
			ASSERT_EQ(0, run_int_case(_metadata, &self->d, sh[s].m, sh[s].n, sh[s].k, w,
						  0));
			ASSERT_EQ(0, run_int_case(_metadata, &self->d, sh[s].m, sh[s].n, sh[s].k, w,
						  1));
		}
}

/*
 * A decode step at a real LLM shape (N = K = 4096, M = 1, a Llama-7B
 * projection), 2-bit with zero points and ternary (BitNet), on the
 * integer path: the I32 accumulators equal the int64 reference, the table
 * scale and group sum are the documented binary32 values, and the
 * EPILOGUE output equals, bit for bit, the documented sequence of binary32
 * steps (ref_epilogue_f32) applied to them.
 */
static int run_llm_case(struct __test_metadata *_metadata, struct tdev *t, uint32_t n, uint32_t k,
			uint32_t wfmt)
{
	uint32_t hi = wfmt == LUTC_WF_TERNARY ? 2 : (1u << wfmt) - 1, i, j;
	int8_t *q = malloc(k);
	uint8_t *codes = malloc((size_t)n * k);
	float *ws = malloc(4 * n), *wz = malloc(4 * n), ascale = trand_float(0.005f, 0.05f);
	int zero = wfmt != LUTC_WF_TERNARY;
	struct lutc_precomp p = {.op = LUTC_OP_PRECOMP,
				 .act_dtype = LUTC_DT_I8,
				 .table_dtype = LUTC_DT_I16,
				 .flags = LUTC_PRE_ASUM,
				 .m = 1,
				 .k = k};
	struct lutc_lmma l = {.op = LUTC_OP_LMMA,
			      .table_dtype = LUTC_DT_I16,
			      .wfmt = (uint8_t)wfmt,
			      .acc_dtype = LUTC_DT_I32,
			      .m = 1,
			      .n = n,
			      .k = k};
	struct lutc_epilogue e = {
		.op = LUTC_OP_EPILOGUE,
		.acc_dtype = LUTC_DT_I32,
		.out_dtype = LUTC_DT_F32,
		.flags = LUTC_EPI_ROW_SCALE | LUTC_EPI_COL_SCALE | (zero ? LUTC_EPI_ZERO : 0),
		.scale_dtype = LUTC_DT_F32,
		.m = 1,
		.n = n,
	};
	union lutc_insn in[3];
	struct lut_exec_result res;
	int32_t isum = 0;
	float asum;
	int bad = 0;

	tdev_reset(t);
	for (j = 0; j < k; j++) {
		q[j] = (int8_t)((int)trand_range(0, 254) - 127);
		isum += q[j];
	}
	for (i = 0; i < n * k; i++)
		codes[i] = (uint8_t)trand_range(0, hi);
	for (i = 0; i < n; i++) {
		ws[i] = trand_float(0.01f, 0.1f);
		wz[i] = zero ? trand_float(-3.0f, 3.0f) : 0.0f;
	}
	p.act = tdev_put(t, q, k, 1);
	p.act_scale = tdev_put(t, &ascale, 4, 4);
	p.table = l.table = tdev_alloc(t, lutc_table_bytes(1, k, LUTC_DT_I16), 2);
	p.tscale = e.row_scale = tdev_alloc(t, 4, 4);
	p.asum = tdev_alloc(t, 4, 4);
	if (zero)
		e.asum = p.asum;
	l.weights = tdev_alloc(t, lutcore_packed_size(n, k, wfmt), 32);
	ASSERT_EQ(0, lutcore_pack_codes(tdev_ptr(t, l.weights), codes, n, k, wfmt));
	l.acc = e.acc = tdev_alloc(t, 4ull * n, 4);
	e.col_scale = tdev_put(t, ws, 4 * n, 4);
	if (zero)
		e.zero = tdev_put(t, wz, 4 * n, 4);
	e.out = tdev_alloc(t, 4ull * n, 4);
	memcpy(&in[0], &p, sizeof(p));
	memcpy(&in[1], &l, sizeof(l));
	memcpy(&in[2], &e, sizeof(e));
	EXPECT_EQ(0, tdev_run(t, in, 3, &res));
	EXPECT_EQ(3u, res.insns);
	/* I16 tables of INT8 activations: one table unit is the token's scale. */
	EXPECT_EQ(ascale, *(float *)tdev_ptr(t, p.tscale));
	/* The integer sum (exact in binary32 here), scaled once. */
	asum = (float)isum * ascale;
	EXPECT_EQ(asum, *(float *)tdev_ptr(t, p.asum));
	for (i = 0; i < n; i++) {
		struct ref_epi re = {.row_scale = &ascale,
				     .zero = zero ? &wz[i] : NULL,
				     .asum = &asum,
				     .col_scale = &ws[i]};
		int64_t acc = 0;
		int32_t got_acc = ((int32_t *)tdev_ptr(t, l.acc))[i];
		float want, got = ((float *)tdev_ptr(t, e.out))[i];

		for (j = 0; j < k; j++)
			acc += (int64_t)q[j] * ref_code_value(codes[(size_t)i * k + j], wfmt);
		want = ref_epilogue_f32(&re, (int32_t)acc);
		if ((got_acc != acc || memcmp(&got, &want, 4)) && bad++ < 3)
			TH_LOG("wfmt %u n %u: acc %d want %lld, out %.9g want %.9g", wfmt, i,
			       got_acc, (long long)acc, got, want);
	}
	free(q);
	free(codes);
	free(ws);
	free(wz);
	return bad;
}

TEST_F(engine, matmul_llm_shape_integer_exact)
{
	ASSERT_EQ(0, run_llm_case(_metadata, &self->d, 4096, 4096, LUTC_WF_INT2));
	ASSERT_EQ(0, run_llm_case(_metadata, &self->d, 4096, 4096, LUTC_WF_TERNARY));
}

TEST_HARNESS_MAIN
