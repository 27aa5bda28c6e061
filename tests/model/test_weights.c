// SPDX-License-Identifier: MIT
/*
 * Host tests of the weight conversion (lib/weights.c) on random tensors of
 * every supported type and several shapes (n = 1, n not a multiple of 64,
 * k = one block and several, partial scale groups):
 *  - quantized types dequantize from the engine layout to exactly what
 *    lut_ggml_dequantize() makes of the file, bit for bit;
 *  - float types dequantize to what a naive symmetric (or absmean ternary)
 *    quantizer written here makes of them, within half a step of the input;
 *  - the engine computes with the parts: PRECOMP + one LMMA per part +
 *    EPILOGUE on lut_cpu match a double matmul of the dequantized weights;
 *  - every error has its errno, a one-line message and leaves nothing.
 */
/* The harness compares through typeof(expected): int literals vs unsigned. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "lutcore/pack.h"
#include "lutcore/quant.h"
#include "lutcore/stream.h"
#include "lutcore/weights.h"

#define ERR_SIZE 256

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static float frand(uint64_t *s, float lo, float hi)
{
	return lo + (hi - lo) * (float)(rnd(s) >> 40) / (float)(1u << 24);
}

/* ---- Random tensors ------------------------------------------------------------ */

/*
 * A tensor's bytes at an odd address, ending where its allocation ends,
 * so that a misaligned access or a read past the end shows under ASan.
 */
struct tensor {
	uint8_t *alloc;
	uint8_t *data;
	size_t size;
	uint32_t type, k, n;
};

static void put_half(uint8_t *p, float v)
{
	uint16_t h = lut_ggml_f32_to_f16(v);

	p[0] = h & 0xff;
	p[1] = h >> 8;
}

/* A block scale: either sign, magnitudes over three decades. */
static float rand_scale(uint64_t *s)
{
	float d = powf(10.0f, frand(s, -3.0f, 0.0f));

	return rnd(s) & 1 ? -d : d;
}

static void gen_block(uint32_t type, uint8_t *b, uint64_t *s)
{
	uint32_t i, j;

	switch (type) {
	case LUT_GGML_Q4_0:
	case LUT_GGML_Q8_0:
		put_half(b, rand_scale(s));
		for (i = 2; i < lut_ggml_type_info(type)->block_bytes; i++)
			b[i] = (uint8_t)rnd(s);
		break;
	case LUT_GGML_TQ1_0: /* every byte value decodes to trits */
		for (i = 0; i < 52; i++)
			b[i] = (uint8_t)rnd(s);
		put_half(b + 52, rand_scale(s));
		break;
	default: /* TQ2_0: codes 0..2 only */
		for (i = 0; i < 64; i++) {
			b[i] = 0;
			for (j = 0; j < 4; j++)
				b[i] |= (uint8_t)(rnd(s) % 3 << 2 * j);
		}
		put_half(b + 64, rand_scale(s));
		break;
	}
}

/* Float rows of varied magnitude, with some all-zero groups of 32. */
static void gen_floats(float *x, uint32_t k, uint32_t n, uint64_t *s)
{
	uint32_t r, c;

	for (r = 0; r < n; r++) {
		float mag = powf(10.0f, frand(s, -2.0f, 1.0f));

		for (c = 0; c < k; c++)
			x[(size_t)r * k + c] =
				(r + c / 32) % 7 == 3 ? 0.0f : mag * frand(s, -1.0f, 1.0f);
	}
}

static int tensor_make(struct tensor *t, uint32_t type, uint32_t k, uint32_t n, uint64_t seed)
{
	const struct lut_ggml_type_info *ti = lut_ggml_type_info(type);
	uint64_t row, s = seed;
	size_t i, nb;
	int ret = lut_ggml_row_size(type, k, &row);

	memset(t, 0, sizeof(*t));
	if (ret)
		return ret;
	t->type = type;
	t->k = k;
	t->n = n;
	t->size = (size_t)row * n;
	t->alloc = malloc(t->size + 1);
	if (!t->alloc)
		return -ENOMEM;
	t->data = t->alloc + 1;
	if (ti->block_elems == 1) {
		float *x = malloc((size_t)k * n * sizeof(float));

		if (!x)
			return -ENOMEM;
		gen_floats(x, k, n, &s);
		ret = lut_ggml_quantize(type, x, (uint64_t)k * n, t->data, t->size);
		free(x);
		return ret;
	}
	nb = t->size / ti->block_bytes;
	for (i = 0; i < nb; i++)
		gen_block(type, t->data + i * ti->block_bytes, &s);
	return 0;
}

static void tensor_free(struct tensor *t)
{
	free(t->alloc);
	t->alloc = t->data = NULL;
}

static float *file_values(const struct tensor *t)
{
	float *x = malloc((size_t)t->k * t->n * sizeof(float));

	if (x && lut_ggml_dequantize(t->type, t->data, t->size, x, (uint64_t)t->k * t->n)) {
		free(x);
		return NULL;
	}
	return x;
}

static float *weight_values(const struct lut_weight *w)
{
	float *x = malloc((size_t)w->k * w->n * sizeof(float));

	if (x && lut_weight_dequantize(w, x)) {
		free(x);
		return NULL;
	}
	return x;
}

/* ---- Quantized types: exact repacking ------------------------------------------- */

static const struct qcase {
	uint32_t type;
	uint32_t nparts, wfmt, group;
	float zero[2];
} qcases[] = {
	{LUT_GGML_Q4_0, 1, LUTC_WF_INT4, 32, {1.0f}},
	{LUT_GGML_Q8_0, 2, LUTC_WF_INT4, 32, {1.0f, -15.0f}},
	{LUT_GGML_TQ1_0, 1, LUTC_WF_TERNARY, 256, {0.0f}},
	{LUT_GGML_TQ2_0, 1, LUTC_WF_TERNARY, 256, {0.0f}},
};

/* Shapes in blocks along k. */
static const struct {
	uint32_t n, blocks;
} qshapes[] = {{1, 1}, {3, 1}, {64, 1}, {70, 3}, {129, 2}};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_layout(struct __test_metadata *_metadata, const struct lut_weight *w,
			 const struct qcase *qc, uint32_t k, uint32_t n)
{
	uint32_t p;

	ASSERT_EQ(n, w->n);
	ASSERT_EQ(k, w->k);
	ASSERT_EQ(qc->type, w->type);
	ASSERT_EQ(qc->nparts, w->nparts);
	for (p = 0; p < w->nparts; p++) {
		EXPECT_EQ(qc->wfmt, w->parts[p].wfmt);
		EXPECT_EQ(qc->group, w->parts[p].group);
		EXPECT_EQ(qc->zero[p], w->parts[p].zero_imm);
		EXPECT_EQ(lutcore_packed_size(n, k, qc->wfmt), w->parts[p].packed_size);
		EXPECT_EQ(NULL, w->parts[p].zeros);
		EXPECT_NE(NULL, w->parts[p].packed);
		EXPECT_NE(NULL, w->parts[p].scales);
	}
}

TEST(quantized_types_repack_exactly)
{
	size_t i, s;

	for (i = 0; i < NELEM(qcases); i++) {
		const struct qcase *qc = &qcases[i];

		for (s = 0; s < NELEM(qshapes); s++) {
			uint32_t k = qshapes[s].blocks * lut_ggml_type_info(qc->type)->block_elems;
			uint32_t n = qshapes[s].n;
			struct tensor t;
			struct lut_weight w;
			char err[ERR_SIZE] = "";
			float *want, *have;

			ASSERT_EQ(0, tensor_make(&t, qc->type, k, n, 1000 * i + s));
			ASSERT_EQ(0, lut_weight_from_ggml(qc->type, t.data, t.size, k, n, NULL, &w,
							  err, sizeof(err)))
			TH_LOG("%s: %s", lut_ggml_type_name(qc->type), err);
			check_layout(_metadata, &w, qc, k, n);
			want = file_values(&t);
			have = weight_values(&w);
			ASSERT_NE(NULL, want);
			ASSERT_NE(NULL, have);
			EXPECT_EQ(0, memcmp(want, have, (size_t)k * n * sizeof(float)))
			TH_LOG("%s [%u, %u] differs", lut_ggml_type_name(qc->type), k, n);
			free(want);
			free(have);
			lut_weight_release(&w);
			tensor_free(&t);
		}
	}
}

/* ---- Float types: quantized at load --------------------------------------------- */

/*
 * pack.h's grids written out naively. Symmetric B bits: s' = amax /
 * (2^B - 1) and q' the odd integer in [-(2^B - 1), 2^B - 1] nearest w / s'.
 * Ternary: s = mean |w|, t = round(w / s) in [-1, 1], value s t, s' = s/2.
 * Sets *tie for an input within 1e-4 of a rounding boundary, where the
 * library may round the other way; returns the value.
 */
static float naive_value(float w, float sp, uint32_t wbits, int *tie)
{
	double u, hi = (double)((1u << wbits) - 1), q;

	if (sp == 0.0f) {
		*tie = 0;
		return 0.0f;
	}
	if (wbits == LUT_WBITS_TERNARY) {
		u = fabs((double)w / (2.0 * sp));
		*tie = fabs(u - 0.5) < 1e-4 || fabs(u - 1.5) < 1e-4;
		q = fmin(1.0, floor(u + 0.5));
		return (2.0f * sp) * (float)(w < 0 ? -q : q);
	}
	u = ((double)w / sp + hi) / 2.0;
	*tie = fabs(u - floor(u) - 0.5) < 1e-4;
	q = fmax(0.0, fmin(hi, floor(u + 0.5)));
	return sp * (float)(2.0 * q - hi);
}

static float naive_scale(const float *w, uint32_t len, uint32_t wbits)
{
	double asum = 0.0;
	float amax = 0.0f;
	uint32_t i;

	for (i = 0; i < len; i++) {
		asum += fabsf(w[i]);
		amax = fabsf(w[i]) > amax ? fabsf(w[i]) : amax;
	}
	if (wbits == LUT_WBITS_TERNARY)
		return (float)(asum / len) / 2.0f;
	return amax / (float)((1u << wbits) - 1);
}

struct fcheck {
	uint64_t bad_scale, bad_value, ties, bad_error;
	double worst; /* largest error in units of half a step */
};

/* One group of one row: scale, values, error against the input. */
static void check_group(struct fcheck *fc, const float *x, const float *have, uint32_t len,
			float sp, uint32_t wbits)
{
	float want_sp = naive_scale(x, len, wbits);
	uint32_t i;

	fc->bad_scale += sp != want_sp;
	for (i = 0; i < len; i++) {
		int tie;
		float v = naive_value(x[i], want_sp, wbits, &tie);
		/* Half a step: s' on the odd grid; s/2 = s' for unclamped ternary. */
		double half = want_sp, err = fabs((double)have[i] - x[i]);

		fc->ties += tie;
		fc->bad_value += !tie && v != have[i];
		if (wbits == LUT_WBITS_TERNARY && fabsf(x[i]) > 3.0f * want_sp)
			continue; /* clamped to +-s: checked against the naive value */
		if (half > 0.0 && err / half > fc->worst)
			fc->worst = err / half;
		fc->bad_error += err > half * (1.0 + 1e-5); /* float rounding */
	}
}

static const struct {
	uint32_t n, k, group;
} fshapes[] = {{1, 32, 0}, {3, 50, 0}, {70, 96, 16}, {65, 7, 4}, {2, 50, 64}};
static const uint32_t ftypes[] = {LUT_GGML_F32, LUT_GGML_F16, LUT_GGML_BF16};
static const uint32_t fbits[] = {1, 2, 3, 4, LUT_WBITS_TERNARY};

static void check_float(struct __test_metadata *_metadata, uint32_t type, uint32_t wbits,
			uint32_t si, uint64_t seed)
{
	uint32_t n = fshapes[si].n, k = fshapes[si].k, r, c0;
	struct lut_weight_params p = {.wbits = wbits, .group = fshapes[si].group};
	uint32_t gk = p.group ? p.group : LUT_WGROUP_DEFAULT;
	struct fcheck fc = {0};
	struct lut_weight w;
	struct tensor t;
	char err[ERR_SIZE] = "";
	float *x, *have;

	ASSERT_EQ(0, tensor_make(&t, type, k, n, seed));
	ASSERT_EQ(0, lut_weight_from_ggml(type, t.data, t.size, k, n, &p, &w, err, sizeof(err)))
	TH_LOG("%s: %s", lut_ggml_type_name(type), err);
	ASSERT_EQ(1, w.nparts);
	EXPECT_EQ(wbits == LUT_WBITS_TERNARY ? LUTC_WF_TERNARY : wbits, w.parts[0].wfmt);
	EXPECT_EQ(gk, w.parts[0].group);
	EXPECT_EQ(0.0f, w.parts[0].zero_imm);
	EXPECT_EQ(NULL, w.parts[0].zeros);
	x = file_values(&t);
	have = weight_values(&w);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, have);
	for (r = 0; r < n; r++) {
		for (c0 = 0; c0 < k; c0 += gk) {
			size_t at = (size_t)r * k + c0;

			check_group(&fc, x + at, have + at, k - c0 < gk ? k - c0 : gk,
				    w.parts[0].scales[(size_t)(c0 / gk) * n + r], wbits);
		}
	}
	EXPECT_EQ(0, fc.bad_scale);
	EXPECT_EQ(0, fc.bad_value);
	EXPECT_EQ(0, fc.bad_error)
	TH_LOG("%s wbits %u [%u, %u]: worst error %.6f half-steps", lut_ggml_type_name(type), wbits,
	       k, n, fc.worst);
	EXPECT_GE(1 + (uint64_t)n * k / 100, fc.ties); /* ties are rare, not the rule */
	free(x);
	free(have);
	lut_weight_release(&w);
	tensor_free(&t);
}

TEST(float_types_quantize_within_half_a_step)
{
	size_t i, b, s;

	for (i = 0; i < NELEM(ftypes); i++)
		for (b = 0; b < NELEM(fbits); b++)
			for (s = 0; s < NELEM(fshapes); s++)
				check_float(_metadata, ftypes[i], fbits[b], (uint32_t)s,
					    100 * i + 10 * b + s);
}

TEST(float_defaults_are_int4_group_32)
{
	struct lut_weight_params zero = {0};
	struct lut_weight w;
	struct tensor t;
	char err[ERR_SIZE] = "";
	int pass;

	ASSERT_EQ(0, tensor_make(&t, LUT_GGML_F16, 96, 5, 7));
	for (pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, lut_weight_from_ggml(LUT_GGML_F16, t.data, t.size, 96, 5,
						  pass ? &zero : NULL, &w, err, sizeof(err)));
		EXPECT_EQ(LUT_WBITS_DEFAULT, w.parts[0].wfmt);
		EXPECT_EQ(LUT_WGROUP_DEFAULT, w.parts[0].group);
		lut_weight_release(&w);
	}
	tensor_free(&t);
}

/* ---- The engine computes with the parts ----------------------------------------- */

#define VA	     0x10000000ull
#define STREAM_BYTES (8 * LUTC_INSN_SIZE)

/* A host arena at device VA VA, filled front to back. */
struct arena {
	uint8_t *p;
	uint64_t size, brk;
};

static uint64_t put(struct arena *a, const void *src, uint64_t len)
{
	uint64_t va = VA + a->brk;

	if (src)
		memcpy(a->p + a->brk, src, len);
	else
		memset(a->p + a->brk, 0xa5, len);
	a->brk += (len + 63) / 64 * 64;
	return va;
}

static uint64_t arena_need(const struct lut_weight *w, uint32_t m)
{
	uint32_t ng = lutcore_pack_groups(w->k, w->parts[0].group), p;
	uint64_t need = STREAM_BYTES + 64ull * 8;

	need += 4ull * m * w->k + lutc_table_bytes(m, w->k, LUTC_DT_F32) + 4ull * m * ng;
	need += 2 * 4ull * m * w->n;
	for (p = 0; p < w->nparts; p++)
		need += w->parts[p].packed_size + 4ull * ng * w->n + 128;
	return need;
}

/* The operands' VAs. */
struct mm_vas {
	uint64_t act, table, asum, acc, out;
	uint64_t packed[LUT_WEIGHT_MAX_PARTS], scales[LUT_WEIGHT_MAX_PARTS];
};

static int has_zero(const struct lut_weight *w)
{
	uint32_t p;

	for (p = 0; p < w->nparts; p++) {
		if (w->parts[p].zero_imm != 0.0f)
			return 1;
	}
	return 0;
}

/* PRECOMP (F32 tables), one LMMA per part, EPILOGUE to F32; returns its size. */
static int build(struct arena *a, const struct lut_weight *w, uint32_t m, const struct mm_vas *v)
{
	uint32_t zero = has_zero(w), p;
	struct lutc_precomp pre = {.act_dtype = LUTC_DT_F32,
				   .table_dtype = LUTC_DT_F32,
				   .flags = zero ? LUTC_PRE_ASUM : 0,
				   .m = m,
				   .k = w->k,
				   .group = w->parts[0].group,
				   .act = v->act,
				   .table = v->table,
				   .asum = zero ? v->asum : 0};
	struct lutc_epilogue epi = {.acc_dtype = LUTC_DT_F32,
				    .out_dtype = LUTC_DT_F32,
				    .m = m,
				    .n = w->n,
				    .acc = v->acc,
				    .out = v->out};
	struct lut_stream *s;
	int ret = lut_stream_new(&s, a->p, STREAM_BYTES, VA);

	if (ret)
		return ret;
	lut_stream_precomp(s, &pre);
	for (p = 0; p < w->nparts; p++) {
		const struct lut_weight_part *pt = &w->parts[p];
		int z = pt->zero_imm != 0.0f;
		struct lutc_lmma l = {.table_dtype = LUTC_DT_F32,
				      .wfmt = (uint8_t)pt->wfmt,
				      .acc_dtype = LUTC_DT_F32,
				      .flags = LUTC_MM_WSCALE | (z ? LUTC_MM_WZERO_IMM : 0) |
					       (p ? LUTC_MM_ACCUMULATE : 0),
				      .m = m,
				      .n = w->n,
				      .k = w->k,
				      .group = pt->group,
				      .scale_dtype = LUTC_DT_F32,
				      .zero_imm = pt->zero_imm,
				      .table = v->table,
				      .weights = v->packed[p],
				      .acc = v->acc,
				      .wscale = v->scales[p],
				      .asum = z ? v->asum : 0};

		lut_stream_lmma(s, &l);
	}
	lut_stream_epilogue(s, &epi);
	ret = lut_stream_error(s);
	if (!ret)
		ret = (int)lut_stream_size(s);
	lut_stream_free(s);
	return ret;
}

/* Place the operands, build the stream and run it; y gets [m][n]. */
static int run_engine(const struct lut_weight *w, const float *x, uint32_t m, float *y)
{
	uint32_t ng = lutcore_pack_groups(w->k, w->parts[0].group), p;
	struct arena a = {.size = arena_need(w, m), .brk = STREAM_BYTES};
	struct lut_cpu_result res;
	struct lut_cpu *cpu = NULL;
	struct mm_vas v;
	int ret, size;

	a.p = aligned_alloc(64, (a.size + 63) / 64 * 64);
	if (!a.p)
		return -ENOMEM;
	v.act = put(&a, x, 4ull * m * w->k);
	v.table = put(&a, NULL, lutc_table_bytes(m, w->k, LUTC_DT_F32));
	v.asum = put(&a, NULL, 4ull * m * ng);
	for (p = 0; p < w->nparts; p++) {
		v.packed[p] = put(&a, w->parts[p].packed, w->parts[p].packed_size);
		v.scales[p] = put(&a, w->parts[p].scales, 4ull * ng * w->n);
	}
	v.acc = put(&a, NULL, 4ull * m * w->n);
	v.out = put(&a, NULL, 4ull * m * w->n);
	size = build(&a, w, m, &v);
	ret = size < 0 ? size : lut_cpu_new(&cpu, 1);
	ret = ret ? ret : lut_cpu_map(cpu, VA, a.p, a.brk, 0);
	ret = ret ? ret : lut_cpu_run(cpu, VA, (uint64_t)size, &res);
	if (!ret)
		memcpy(y, a.p + (v.out - VA), 4ull * m * w->n);
	lut_cpu_free(cpu);
	free(a.p);
	return ret;
}

/* The engine's y = x W^T against double sums of the dequantized weights. */
static void check_engine(struct __test_metadata *_metadata, const struct lut_weight *w, uint32_t m,
			 uint64_t seed)
{
	float *x = malloc(4ull * m * w->k), *y = malloc(4ull * m * w->n), *wd = weight_values(w);
	uint64_t s = seed, bad = 0;
	uint32_t i, j, c;

	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y);
	ASSERT_NE(NULL, wd);
	for (i = 0; i < m * w->k; i++)
		x[i] = frand(&s, -1.0f, 1.0f);
	ASSERT_EQ(0, run_engine(w, x, m, y));
	for (i = 0; i < m; i++) {
		for (j = 0; j < w->n; j++) {
			double ref = 0.0, mag = 0.0;

			for (c = 0; c < w->k; c++) {
				double t =
					(double)wd[(size_t)j * w->k + c] * x[(size_t)i * w->k + c];

				ref += t;
				mag += fabs(t);
			}
			if (!(fabs(y[(size_t)i * w->n + j] - ref) <= 1e-4 * mag + 1e-30) && !bad++)
				TH_LOG("%s m %u: y[%u][%u] = %.9g, want %.9g (sum |w x| %.3g)",
				       lut_ggml_type_name(w->type), m, i, j,
				       y[(size_t)i * w->n + j], ref, mag);
		}
	}
	EXPECT_EQ(0, bad);
	free(x);
	free(y);
	free(wd);
}

static const struct {
	uint32_t type, wbits, group;
	uint32_t n, k;
} ecases[] = {
	{LUT_GGML_Q4_0, 0, 0, 70, 64},
	{LUT_GGML_Q4_0, 0, 0, 1, 32},
	{LUT_GGML_Q8_0, 0, 0, 70, 96},
	{LUT_GGML_Q8_0, 0, 0, 1, 32},
	{LUT_GGML_TQ1_0, 0, 0, 70, 512},
	{LUT_GGML_TQ2_0, 0, 0, 65, 256},
	{LUT_GGML_TQ2_0, 0, 0, 1, 512},
	{LUT_GGML_F32, 4, 0, 70, 50},
	{LUT_GGML_F16, 2, 16, 3, 64},
	{LUT_GGML_BF16, 3, 0, 129, 40},
	{LUT_GGML_F16, 1, 0, 5, 33},
	{LUT_GGML_F32, LUT_WBITS_TERNARY, 0, 70, 100},
	{LUT_GGML_BF16, LUT_WBITS_TERNARY, 64, 1, 128},
};

TEST(engine_computes_with_the_parts)
{
	static const uint32_t ms[] = {1, 3};
	size_t i, j;

	for (i = 0; i < NELEM(ecases); i++) {
		struct lut_weight_params p = {.wbits = ecases[i].wbits, .group = ecases[i].group};
		struct lut_weight w;
		struct tensor t;
		char err[ERR_SIZE] = "";

		ASSERT_EQ(0, tensor_make(&t, ecases[i].type, ecases[i].k, ecases[i].n, 77 + i));
		ASSERT_EQ(0, lut_weight_from_ggml(t.type, t.data, t.size, t.k, t.n, &p, &w, err,
						  sizeof(err)))
		TH_LOG("%s: %s", lut_ggml_type_name(t.type), err);
		for (j = 0; j < NELEM(ms); j++)
			check_engine(_metadata, &w, ms[j], 1000 + 10 * i + j);
		lut_weight_release(&w);
		tensor_free(&t);
	}
}

/* ---- Errors --------------------------------------------------------------------- */

#define EXPECT_MSG(want, have)                                             \
	do {                                                               \
		if (!strstr(have, want)) {                                 \
			TH_LOG("message \"%s\" lacks \"%s\"", have, want); \
			EXPECT_TRUE(0);                                    \
		}                                                          \
	} while (0)

/*
 * Convert into a weight full of garbage; on failure it must come back
 * holding nothing, with a one-line message. Returns the errno.
 */
static int try_convert(struct __test_metadata *_metadata, uint32_t type, const void *data,
		       size_t size, uint32_t k, uint32_t n, const struct lut_weight_params *p,
		       char *err)
{
	struct lut_weight w, empty;
	int ret;

	memset(&w, 0x5a, sizeof(w));
	memset(&empty, 0, sizeof(empty));
	err[0] = 0;
	ret = lut_weight_from_ggml(type, data, size, k, n, p, &w, err, ERR_SIZE);
	if (!ret) {
		lut_weight_release(&w);
		return 0;
	}
	EXPECT_EQ(0, memcmp(&w, &empty, sizeof(w)));
	EXPECT_NE(0, strlen(err));
	EXPECT_EQ(NULL, strchr(err, '\n'));
	/* The same failure without a message buffer. */
	EXPECT_EQ(ret, lut_weight_from_ggml(type, data, size, k, n, p, &w, NULL, 0));
	return ret;
}

TEST(unsupported_types_are_named)
{
	static const uint8_t bytes[4096];
	char err[ERR_SIZE];

	EXPECT_EQ(-EOPNOTSUPP,
		  try_convert(_metadata, LUT_GGML_Q5_K, bytes, sizeof(bytes), 256, 2, NULL, err));
	EXPECT_MSG("tensor type q5_K cannot run on the engine (supported: ", err);
	EXPECT_MSG("q4_0", err);
	EXPECT_MSG("tq2_0", err);
	EXPECT_EQ(-EOPNOTSUPP,
		  try_convert(_metadata, LUT_GGML_Q4_1, bytes, sizeof(bytes), 32, 2, NULL, err));
	EXPECT_MSG("q4_1", err);
	EXPECT_EQ(-EOPNOTSUPP, try_convert(_metadata, 36, bytes, sizeof(bytes), 256, 2, NULL, err));
	EXPECT_MSG("36", err);
}

TEST(short_data_is_eoverflow)
{
	static const uint32_t types[] = {LUT_GGML_Q4_0,	 LUT_GGML_Q8_0, LUT_GGML_TQ1_0,
					 LUT_GGML_TQ2_0, LUT_GGML_F16,	LUT_GGML_F32};
	char err[ERR_SIZE];
	size_t i;

	for (i = 0; i < NELEM(types); i++) {
		struct tensor t;

		ASSERT_EQ(0, tensor_make(&t, types[i], 256, 3, i));
		EXPECT_EQ(-EOVERFLOW, try_convert(_metadata, t.type, t.data + 1, t.size - 1, 256, 3,
						  NULL, err));
		EXPECT_MSG("bytes", err);
		EXPECT_EQ(0, try_convert(_metadata, t.type, t.data, t.size, 256, 3, NULL, err));
		tensor_free(&t);
	}
}

TEST(bad_dimensions_and_parameters_are_einval)
{
	static const uint8_t bytes[4096];
	struct lut_weight_params p = {0};
	char err[ERR_SIZE];

	EXPECT_EQ(-EINVAL,
		  try_convert(_metadata, LUT_GGML_Q4_0, bytes, sizeof(bytes), 0, 2, NULL, err));
	EXPECT_EQ(-EINVAL,
		  try_convert(_metadata, LUT_GGML_F32, bytes, sizeof(bytes), 4, 0, NULL, err));
	EXPECT_EQ(-EINVAL,
		  try_convert(_metadata, LUT_GGML_Q4_0, bytes, sizeof(bytes), 48, 2, NULL, err));
	EXPECT_MSG("block size 32", err);
	EXPECT_EQ(-EINVAL,
		  try_convert(_metadata, LUT_GGML_TQ2_0, bytes, sizeof(bytes), 100, 1, NULL, err));
	EXPECT_EQ(-EINVAL, try_convert(_metadata, LUT_GGML_F16, bytes, sizeof(bytes), 2,
				       LUTC_MAX_DIM + 1, NULL, err));
	p.wbits = 6;
	EXPECT_EQ(-EINVAL,
		  try_convert(_metadata, LUT_GGML_F32, bytes, sizeof(bytes), 8, 2, &p, err));
	EXPECT_MSG("bits 6", err);
	p.wbits = 2;
	p.group = 6;
	EXPECT_EQ(-EINVAL,
		  try_convert(_metadata, LUT_GGML_F32, bytes, sizeof(bytes), 8, 2, &p, err));
	EXPECT_MSG("group 6", err);
	p.group = 8;
	EXPECT_EQ(0, try_convert(_metadata, LUT_GGML_F32, bytes, sizeof(bytes), 8, 2, &p, err));
}

TEST(null_arguments_are_einval)
{
	static const uint8_t bytes[64];
	struct lut_weight w = {0};
	char err[ERR_SIZE] = "";
	float out[16];

	EXPECT_EQ(-EINVAL, try_convert(_metadata, LUT_GGML_F32, NULL, 64, 4, 4, NULL, err));
	EXPECT_EQ(-EINVAL, lut_weight_from_ggml(LUT_GGML_F32, bytes, sizeof(bytes), 4, 4, NULL,
						NULL, err, sizeof(err)));
	EXPECT_NE(0, strlen(err));
	EXPECT_EQ(-EINVAL, lut_weight_dequantize(NULL, out));
	EXPECT_EQ(-EINVAL, lut_weight_dequantize(&w, out)); /* holds nothing */
	ASSERT_EQ(0, lut_weight_from_ggml(LUT_GGML_F32, bytes, sizeof(bytes), 4, 4, NULL, &w, err,
					  sizeof(err)));
	EXPECT_EQ(-EINVAL, lut_weight_dequantize(&w, NULL));
	EXPECT_EQ(0, lut_weight_dequantize(&w, out));
	lut_weight_release(&w);
	lut_weight_release(&w); /* released twice: a no-op */
	lut_weight_release(NULL);
	EXPECT_EQ(0, w.nparts);
}

TEST(tq2_0_code_3_is_edom)
{
	/* Row 1, block 1, element 77: byte 13 of qs, bits 4..5. */
	uint32_t e = 77, byte = 32 * (e / 128) + e % 32, shift = 2 * ((e % 128) / 32);
	char err[ERR_SIZE];
	struct tensor t;
	uint8_t *b;

	ASSERT_EQ(0, tensor_make(&t, LUT_GGML_TQ2_0, 512, 3, 5));
	b = t.data + (1 * 2 + 1) * 66;
	b[byte] |= (uint8_t)(3u << shift);
	EXPECT_EQ(-EDOM, try_convert(_metadata, t.type, t.data, t.size, 512, 3, NULL, err));
	EXPECT_MSG("row 1 block 1 element 77 (column 333)", err);
	EXPECT_MSG("code 3", err);
	tensor_free(&t);
}

TEST(non_finite_values_are_edom)
{
	char err[ERR_SIZE];
	struct tensor t;
	float nan = NAN;

	ASSERT_EQ(0, tensor_make(&t, LUT_GGML_F32, 40, 70, 9));
	memcpy(t.data + (65 * 40 + 5) * 4, &nan, 4);
	EXPECT_EQ(-EDOM, try_convert(_metadata, t.type, t.data, t.size, 40, 70, NULL, err));
	EXPECT_MSG("row 65, column 5", err);
	tensor_free(&t);

	ASSERT_EQ(0, tensor_make(&t, LUT_GGML_F16, 40, 2, 9));
	put_half(t.data + (1 * 40 + 39) * 2, INFINITY);
	EXPECT_EQ(-EDOM, try_convert(_metadata, t.type, t.data, t.size, 40, 2, NULL, err));
	EXPECT_MSG("row 1, column 39", err);
	tensor_free(&t);

	/* A block scale that is not finite. */
	ASSERT_EQ(0, tensor_make(&t, LUT_GGML_Q8_0, 64, 2, 9));
	put_half(t.data + 3 * 34, INFINITY);
	EXPECT_EQ(-EDOM, try_convert(_metadata, t.type, t.data, t.size, 64, 2, NULL, err));
	EXPECT_MSG("row 1 block 1", err);
	tensor_free(&t);
}

/* The names the tools print; unknown formats never give NULL. */
TEST(wfmt_names)
{
	EXPECT_STREQ("int1", lut_wfmt_name(LUTC_WF_INT1));
	EXPECT_STREQ("int4", lut_wfmt_name(LUTC_WF_INT4));
	EXPECT_STREQ("ternary", lut_wfmt_name(LUTC_WF_TERNARY));
	EXPECT_STREQ("none", lut_wfmt_name(LUTC_WF_NONE));
	EXPECT_STREQ("unknown", lut_wfmt_name(LUTC_WF_TERNARY + 1));
	EXPECT_STREQ("unknown", lut_wfmt_name(UINT32_MAX));
}

TEST_HARNESS_MAIN
