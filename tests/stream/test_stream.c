// SPDX-License-Identifier: MIT
/*
 * Host unit tests of the stream builder and of CPU execution of streams
 * (lib/stream.c, lib/stream_cpu.c).
 *
 * Encodings are checked by round trip: a stream is built with the
 * builder, executed by the engine through lut_cpu, and its results are
 * compared with the naive reference of tests/engine/ref.c (vector ops)
 * or with the plain integer sum (the INT8 matmul path, exactly). Errors:
 * every kind of descriptor the device rejects is refused with -EINVAL and
 * writes nothing, a full buffer gives -ENOSPC, and both are sticky.
 */
/* The harness compares through typeof(expected): int literals vs unsigned. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "lutcore/stream.h"
#include "../engine/ref.h"
#include "mmjob.h"

#define VA     0x10000000ull
#define ARENA  (8u << 20)
#define STREAM 4096 /* stream bytes at the arena's start */

/* A host arena at device VA VA with a bump allocator behind the stream. */
struct arena {
	uint8_t *p;
	uint64_t brk;
	struct lut_cpu *cpu;
	struct lut_stream *s;
};

static uint64_t put(struct arena *a, const void *src, uint64_t len)
{
	uint64_t va = VA + a->brk;

	if (src)
		memcpy(a->p + a->brk, src, len);
	else
		memset(a->p + a->brk, 0xcd, len);
	a->brk += (len + 63) / 64 * 64;
	return va;
}

static void *at(struct arena *a, uint64_t va)
{
	return a->p + (va - VA);
}

FIXTURE(st)
{
	struct arena a;
};

FIXTURE_SETUP(st)
{
	self->a.p = calloc(1, ARENA);
	ASSERT_NE(NULL, self->a.p);
	self->a.brk = STREAM;
	ASSERT_EQ(0, lut_cpu_new(&self->a.cpu, 1));
	ASSERT_EQ(0, lut_cpu_map(self->a.cpu, VA, self->a.p, ARENA, 0));
	ASSERT_EQ(0, lut_stream_new(&self->a.s, self->a.p, STREAM, VA));
}

FIXTURE_TEARDOWN(st)
{
	lut_stream_free(self->a.s);
	lut_cpu_free(self->a.cpu);
	free(self->a.p);
}

/* ---- Builder: creation, indices, sizes ---------------------------------- */

TEST(new_rejects_bad_arguments)
{
	static uint8_t buf[1024];
	struct lut_stream *s = (void *)1;

	EXPECT_EQ(-EINVAL, lut_stream_new(NULL, buf, sizeof(buf), VA));
	EXPECT_EQ(-EINVAL, lut_stream_new(&s, NULL, sizeof(buf), VA));
	EXPECT_EQ(NULL, s);
	EXPECT_EQ(-EINVAL, lut_stream_new(&s, buf, LUTC_INSN_SIZE - 1, VA));
	EXPECT_EQ(-EINVAL, lut_stream_new(&s, buf, sizeof(buf), VA + LUTC_STREAM_ALIGN / 2));
	EXPECT_EQ(-EINVAL, lut_stream_new(&s, buf, sizeof(buf), UINT64_MAX - 511));
	EXPECT_EQ(-EINVAL, lut_stream_error(NULL));
	EXPECT_EQ(0, lut_stream_size(NULL));
	EXPECT_EQ(-EINVAL, lut_stream_nop(NULL));
	lut_stream_free(NULL);
	lut_stream_reset(NULL);
}

TEST(indices_sizes_and_encoding)
{
	uint8_t buf[5 * LUTC_INSN_SIZE];
	union lutc_insn *in = (union lutc_insn *)buf;
	struct lut_stream *s;

	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, lut_stream_new(&s, buf, sizeof(buf), VA));
	EXPECT_EQ(VA, lut_stream_va(s));
	EXPECT_EQ((const void *)buf, lut_stream_data(s));
	EXPECT_EQ(0, lut_stream_size(s));
	EXPECT_EQ(0, lut_stream_nop(s));
	EXPECT_EQ(1, lut_stream_fence(s));
	EXPECT_EQ(2, lut_stream_signal(s, VA + 64, 0x1122334455667788ull, LUTC_SIG_IRQ));
	EXPECT_EQ(3 * LUTC_INSN_SIZE, lut_stream_size(s));
	EXPECT_EQ(0, lut_stream_error(s));
	/* Bytes as lutcore_isa.h defines them, everything else zero. */
	EXPECT_EQ(LUTC_OP_NOP, buf[0]);
	EXPECT_EQ(LUTC_OP_FENCE, buf[LUTC_INSN_SIZE]);
	EXPECT_EQ(LUTC_OP_SIGNAL, in[2].signal.op);
	EXPECT_EQ(LUTC_SIG_IRQ, in[2].signal.flags);
	EXPECT_EQ(VA + 64, in[2].signal.addr);
	EXPECT_EQ(0x1122334455667788ull, in[2].signal.value);
	for (int i = 1; i < 2 * LUTC_INSN_SIZE; i++) {
		if (i != LUTC_INSN_SIZE)
			ASSERT_EQ(0, buf[i]) TH_LOG("byte %d", i);
	}
	EXPECT_EQ(0xee, buf[3 * LUTC_INSN_SIZE]); /* nothing past the end */
	lut_stream_free(s);
}

/* The capacity is whole descriptors; an odd buffer size wastes the tail. */
TEST(overflow_is_enospc_and_sticky)
{
	uint8_t buf[2 * LUTC_INSN_SIZE + 100];
	struct lut_stream *s;

	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, lut_stream_new(&s, buf, sizeof(buf), VA));
	EXPECT_EQ(0, lut_stream_nop(s));
	EXPECT_EQ(1, lut_stream_nop(s));
	EXPECT_EQ(-ENOSPC, lut_stream_nop(s));
	EXPECT_EQ(-ENOSPC, lut_stream_error(s));
	EXPECT_EQ(-ENOSPC, lut_stream_fence(s));
	EXPECT_EQ(-ENOSPC, lut_stream_memcpy(s, VA, VA + 4096, 16));
	EXPECT_EQ(2 * LUTC_INSN_SIZE, lut_stream_size(s));
	for (size_t i = 2 * LUTC_INSN_SIZE; i < sizeof(buf); i++)
		ASSERT_EQ(0xee, buf[i]);
	lut_stream_reset(s);
	EXPECT_EQ(0, lut_stream_error(s));
	EXPECT_EQ(0, lut_stream_size(s));
	EXPECT_EQ(0, lut_stream_fence(s));
	lut_stream_free(s);
}

/* An error sticks: later valid appends fail the same way and write nothing. */
TEST(invalid_is_einval_and_sticky)
{
	uint8_t buf[4 * LUTC_INSN_SIZE];
	struct lutc_softmax sm = {.dtype = LUTC_DT_F32,
				  .rows = 1,
				  .n = 4,
				  .scale = 1.0f,
				  .in = VA,
				  .out = VA + 64,
				  .flags = 1};
	struct lut_stream *s;

	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, lut_stream_new(&s, buf, sizeof(buf), VA));
	EXPECT_EQ(0, lut_stream_nop(s));
	EXPECT_EQ(-EINVAL, lut_stream_softmax(s, &sm));
	EXPECT_EQ(-EINVAL, lut_stream_nop(s));
	EXPECT_EQ(-EINVAL, lut_stream_error(s));
	EXPECT_EQ(LUTC_INSN_SIZE, lut_stream_size(s));
	EXPECT_EQ(0xee, buf[LUTC_INSN_SIZE]);
	lut_stream_reset(s);
	sm.flags = 0;
	EXPECT_EQ(0, lut_stream_softmax(s, &sm));
	lut_stream_free(s);
}

/* ---- Builder: the device's rules, one case each ------------------------- */

/* Valid descriptors, then each broken in one field. */
static const struct lutc_precomp ok_pre = {.act_dtype = LUTC_DT_F32,
					   .table_dtype = LUTC_DT_I8,
					   .m = 1,
					   .k = 64,
					   .act = VA,
					   .table = VA + 4096,
					   .tscale = VA + 8192};
static const struct lutc_lmma ok_lmma = {.table_dtype = LUTC_DT_I8,
					 .wfmt = LUTC_WF_INT2,
					 .acc_dtype = LUTC_DT_F32,
					 .flags = LUTC_MM_TSCALE,
					 .m = 1,
					 .n = 64,
					 .k = 64,
					 .table = VA,
					 .weights = VA + 4096,
					 .acc = VA + 8192,
					 .tscale = VA + 12288};
static const struct lutc_copy ok_copy = {.src_dtype = LUTC_DT_U8,
					 .dst_dtype = LUTC_DT_U8,
					 .rows = 1,
					 .cols = 16,
					 .src = VA,
					 .dst = VA + 4096};
static const struct lutc_epilogue ok_epi = {.acc_dtype = LUTC_DT_F32,
					    .out_dtype = LUTC_DT_F32,
					    .m = 1,
					    .n = 64,
					    .acc = VA,
					    .out = VA + 4096};

static int append_case(struct lut_stream *s, int which, const union lutc_insn *in)
{
	switch (which) {
	case LUTC_OP_PRECOMP:
		return lut_stream_precomp(s, &in->precomp);
	case LUTC_OP_LMMA:
		return lut_stream_lmma(s, &in->lmma);
	case LUTC_OP_EPILOGUE:
		return lut_stream_epilogue(s, &in->epi);
	case LUTC_OP_COPY:
		return lut_stream_copy(s, &in->copy);
	default:
		return lut_stream_insn(s, in);
	}
}

TEST(rejects_what_the_device_rejects)
{
	struct {
		const char *what;
		int fn;
		union lutc_insn in;
	} c[24];
	uint8_t buf[LUTC_INSN_SIZE], zero[LUTC_INSN_SIZE] = {0};
	int n = 0, i;

#define CASE(fn_, member, base, ...)                  \
	do {                                          \
		memset(&c[n].in, 0, sizeof(c[n].in)); \
		c[n].in.member = base;                \
		__VA_ARGS__;                          \
		c[n].fn = fn_;                        \
		c[n++].what = #__VA_ARGS__;           \
	} while (0)
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.rsvd0 = 1);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.rsvd2[5] = 1);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.flags = 1u << 7);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.act_dtype = LUTC_DT_I32);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.k = 0);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.group = 6);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.asum = VA);
	CASE(LUTC_OP_PRECOMP, precomp, ok_pre, c[n].in.precomp.op = LUTC_OP_LMMA);
	CASE(LUTC_OP_LMMA, lmma, ok_lmma, c[n].in.lmma.wfmt = 6);
	CASE(LUTC_OP_LMMA, lmma, ok_lmma, c[n].in.lmma.m = LUTC_MAX_DIM + 1);
	CASE(LUTC_OP_LMMA, lmma, ok_lmma, c[n].in.lmma.flags |= 1u << 6);
	CASE(LUTC_OP_LMMA, lmma, ok_lmma, c[n].in.lmma.wscale = VA);
	CASE(LUTC_OP_LMMA, lmma, ok_lmma, c[n].in.lmma.rsvd1[4] = 1);
	CASE(LUTC_OP_EPILOGUE, epi, ok_epi, c[n].in.epi.act_fn = 3);
	CASE(LUTC_OP_EPILOGUE, epi, ok_epi, c[n].in.epi.out_dtype = LUTC_DT_BF16);
	CASE(LUTC_OP_EPILOGUE, epi, ok_epi, c[n].in.epi.out_ld = 63);
	CASE(LUTC_OP_EPILOGUE, epi, ok_epi, c[n].in.epi.bias = VA);
	CASE(LUTC_OP_COPY, copy, ok_copy, c[n].in.copy.flags = 1);
	CASE(LUTC_OP_COPY, copy, ok_copy, c[n].in.copy.dst_dtype = LUTC_DT_F32);
	CASE(0, bytes[0], LUTC_OP_INVALID, (void)0);
	CASE(0, bytes[0], 0x7f, (void)0);
	CASE(0, bytes[0], LUTC_OP_NOP, c[n].in.bytes[127] = 1);
	CASE(0, bytes[0], LUTC_OP_FENCE, c[n].in.hdr.flags = 1);
	CASE(0, bytes[0], LUTC_OP_SIGNAL, c[n].in.signal.flags = 2);
#undef CASE
	for (i = 0; i < n; i++) {
		struct lut_stream *s;

		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(0, lut_stream_new(&s, buf, sizeof(buf), VA));
		EXPECT_EQ(-EINVAL, append_case(s, c[i].fn, &c[i].in)) TH_LOG("%s", c[i].what);
		EXPECT_EQ(0, lut_stream_size(s));
		EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf))) TH_LOG("%s wrote", c[i].what);
		lut_stream_free(s);
	}
	/* The same valid descriptors are accepted. */
	{
		struct lut_stream *s;
		uint8_t b3[3 * LUTC_INSN_SIZE];

		ASSERT_EQ(0, lut_stream_new(&s, b3, sizeof(b3), VA));
		EXPECT_EQ(0, lut_stream_precomp(s, &ok_pre));
		EXPECT_EQ(1, lut_stream_lmma(s, &ok_lmma));
		EXPECT_EQ(2, lut_stream_epilogue(s, &ok_epi));
		lut_stream_reset(s);
		EXPECT_EQ(0, lut_stream_copy(s, &ok_copy));
		lut_stream_free(s);
	}
	EXPECT_EQ(-EINVAL, lut_stream_lmma((struct lut_stream *)NULL, &ok_lmma));
}

TEST(null_descriptor_is_einval)
{
	uint8_t buf[LUTC_INSN_SIZE];
	struct lut_stream *s;

	ASSERT_EQ(0, lut_stream_new(&s, buf, sizeof(buf), VA));
	EXPECT_EQ(-EINVAL, lut_stream_lmma(s, NULL));
	EXPECT_EQ(-EINVAL, lut_stream_error(s));
	lut_stream_reset(s);
	EXPECT_EQ(-EINVAL, lut_stream_raw(s, NULL));
	lut_stream_free(s);
}

/* ---- Round trips through the engine ------------------------------------- */

static const struct mmjob_shape mm_shapes[] = {
	{.m = 1, .n = 64, .k = 128, .wfmt = LUTC_WF_INT1},
	{.m = 3, .n = 70, .k = 1000, .wfmt = LUTC_WF_INT2},
	{.m = 5, .n = 33, .k = 7, .wfmt = LUTC_WF_INT3},
	{.m = 2, .n = 130, .k = 260, .wfmt = LUTC_WF_INT4},
	{.m = 1, .n = 65, .k = 4096, .wfmt = LUTC_WF_TERNARY},
	{.m = 4, .n = 200, .k = 512, .wfmt = LUTC_WF_INT2},
};

/*
 * The INT8 path: accumulators equal the integer sum exactly, and two
 * executors (one and three threads) leave byte-identical arenas.
 */
TEST(matmul_int8_path_exact)
{
	for (size_t i = 0; i < sizeof(mm_shapes) / sizeof(mm_shapes[0]); i++) {
		uint64_t size = mmjob_arena_size(&mm_shapes[i]);
		uint8_t *a = malloc(size), *b = malloc(size);
		struct lut_cpu *c1, *c3;
		struct lut_cpu_result r;
		struct mmjob j;
		char why[128] = "";

		ASSERT_EQ(0, mmjob_build(&j, &mm_shapes[i], a, size, VA, 7 + i));
		EXPECT_EQ(3 * LUTC_INSN_SIZE, j.stream_size);
		memcpy(b, a, size);
		ASSERT_EQ(0, lut_cpu_new(&c1, 1));
		ASSERT_EQ(0, lut_cpu_new(&c3, 3));
		ASSERT_EQ(0, lut_cpu_map(c1, VA, a, size, 0));
		ASSERT_EQ(0, lut_cpu_map(c3, VA, b, size, 0));
		ASSERT_EQ(0, lut_cpu_run(c1, VA, j.stream_size, &r));
		EXPECT_EQ(3, r.insns);
		EXPECT_LT(0, r.cycles);
		ASSERT_EQ(0, lut_cpu_run(c3, VA, j.stream_size, &r));
		EXPECT_EQ(0, mmjob_check_acc(&j, a, why, sizeof(why)))
		TH_LOG("shape %zu: %s", i, why);
		EXPECT_EQ(0, mmjob_compare(&j, a, b, why, sizeof(why)))
		TH_LOG("shape %zu: %s", i, why);
		mmjob_free(&j);
		lut_cpu_free(c1);
		lut_cpu_free(c3);
		free(a);
		free(b);
	}
}

/* The float path, against dequantize-then-multiply in double. */
TEST(matmul_float_path)
{
	const struct mmjob_shape sh = {
		.m = 3, .n = 70, .k = 256, .wfmt = LUTC_WF_INT3, .group = 64, .float_path = 1};
	uint64_t size = mmjob_arena_size(&sh);
	uint8_t *a = malloc(size);
	struct lut_cpu *cpu;
	struct lut_cpu_result r;
	struct mmjob j;
	double *w = malloc(sizeof(double) * sh.n * sh.k);
	const float *ws, *wz, *bias, *out;

	ASSERT_EQ(0, mmjob_build(&j, &sh, a, size, VA, 99));
	ASSERT_EQ(0, lut_cpu_new(&cpu, 2));
	ASSERT_EQ(0, lut_cpu_map(cpu, VA, a, size, 0));
	ASSERT_EQ(0, lut_cpu_run(cpu, VA, j.stream_size, &r));
	ws = (const void *)(a + j.off[MMJ_WSCALE]);
	wz = (const void *)(a + j.off[MMJ_WZERO]);
	bias = (const void *)(a + j.off[MMJ_BIAS]);
	out = (const void *)(a + j.off[MMJ_OUT]);
	ref_dequant(w, j.codes, ws, wz, 0.0f, sh.n, sh.k, sh.group, 0, sh.wfmt);
	for (uint32_t i = 0; i < sh.m; i++) {
		for (uint32_t c = 0; c < sh.n; c++) {
			double y = 0.0, mag = 0.0, got;

			for (uint32_t t = 0; t < sh.k; t++) {
				y += j.x[i * sh.k + t] * w[c * sh.k + t];
				mag += fabs(j.x[i * sh.k + t] * w[c * sh.k + t]);
			}
			y += bias[c];
			got = out[i * sh.n + c];
			/* SiLU's slope is below 1.1; I8 tables lose about 1% of mag. */
			ASSERT_LE(fabs(got - ref_silu(y)), 0.02 * mag + 1e-6)
			TH_LOG("(%u,%u) got %g want %g", i, c, got, ref_silu(y));
		}
	}
	mmjob_free(&j);
	lut_cpu_free(cpu);
	free(w);
	free(a);
}

static float randf(uint64_t *st)
{
	return (float)(mmjob_rand(st) >> 40) / (float)(1u << 23) - 1.0f;
}

static uint64_t put_rand(struct arena *a, uint64_t *st, uint32_t count, float **host)
{
	uint64_t va = put(a, NULL, 4ull * count);
	float *p = at(a, va);

	for (uint32_t i = 0; i < count; i++)
		p[i] = randf(st);
	if (host)
		*host = p;
	return va;
}

#define NEAR(want, got, rel) ASSERT_LE(fabs((double)(got) - (want)), (rel) * (fabs(want) + 1e-3))

/* EMBED -> RMSNORM -> ROPE -> ELTWISE -> SOFTMAX -> ARGMAX, one stream. */
TEST_F(st, vector_ops_round_trip)
{
	enum { V = 10, D = 32, R = 2 };
	uint64_t st = 5;
	int32_t ids[R] = {7, 3}, *am;
	float *tab, *nw, *other, *e, *nrm, *rp, *sum, *sm, *amv;
	double x[D], y[D], wd[D];
	uint64_t tab_va = put_rand(&self->a, &st, V * D, &tab);
	uint64_t nw_va = put_rand(&self->a, &st, D, &nw);
	uint64_t other_va = put_rand(&self->a, &st, R * D, &other);
	uint64_t ids_va = put(&self->a, ids, sizeof(ids));
	uint64_t out_va = put(&self->a, NULL, 4 * R * D), norm_va = put(&self->a, NULL, 4 * R * D);
	uint64_t rope_va = put(&self->a, NULL, 4 * R * D), sum_va = put(&self->a, NULL, 4 * R * D);
	uint64_t sm_va = put(&self->a, NULL, 4 * R * D), am_va = put(&self->a, NULL, 4 * R);
	uint64_t amv_va = put(&self->a, NULL, 4 * R);
	struct lut_cpu_result r;
	const struct lutc_embed em = {.src_dtype = LUTC_DT_F32,
				      .out_dtype = LUTC_DT_F32,
				      .rows = R,
				      .dim = D,
				      .vocab = V,
				      .ids = ids_va,
				      .src = tab_va,
				      .out = out_va};
	const struct lutc_rmsnorm rn = {.in_dtype = LUTC_DT_F32,
					.out_dtype = LUTC_DT_F32,
					.flags = LUTC_NORM_WEIGHT,
					.rows = R,
					.n = D,
					.eps = 1e-5f,
					.in = out_va,
					.weight = nw_va,
					.out = norm_va};
	const struct lutc_rope ro = {.dtype = LUTC_DT_F32,
				     .mode = LUTC_ROPE_NEOX,
				     .rows = R,
				     .heads = 2,
				     .head_dim = D / 2,
				     .pos0 = 5,
				     .theta = 10000.0f,
				     .freq_scale = 1.0f,
				     .in = norm_va,
				     .out = rope_va};
	const struct lutc_eltwise el = {.fn = LUTC_ELT_ADD,
					.dtype = LUTC_DT_F32,
					.rows = R,
					.n = D,
					.a = rope_va,
					.b = other_va,
					.y = sum_va};
	const struct lutc_softmax so = {
		.dtype = LUTC_DT_F32, .rows = R, .n = D, .scale = 0.5f, .in = sum_va, .out = sm_va};
	const struct lutc_argmax ar = {.dtype = LUTC_DT_F32,
				       .flags = LUTC_ARGMAX_VALUE,
				       .rows = R,
				       .n = D,
				       .in = sum_va,
				       .out = am_va,
				       .out_val = amv_va};

	EXPECT_EQ(0, lut_stream_embed(self->a.s, &em));
	EXPECT_EQ(1, lut_stream_rmsnorm(self->a.s, &rn));
	EXPECT_EQ(2, lut_stream_rope(self->a.s, &ro));
	EXPECT_EQ(3, lut_stream_eltwise(self->a.s, &el));
	EXPECT_EQ(4, lut_stream_softmax(self->a.s, &so));
	EXPECT_EQ(5, lut_stream_argmax(self->a.s, &ar));
	ASSERT_EQ(0, lut_stream_error(self->a.s));
	ASSERT_EQ(0, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	EXPECT_EQ(6, r.insns);
	e = at(&self->a, out_va);
	nrm = at(&self->a, norm_va);
	rp = at(&self->a, rope_va);
	sum = at(&self->a, sum_va);
	sm = at(&self->a, sm_va);
	am = at(&self->a, am_va);
	amv = at(&self->a, amv_va);
	for (int i = 0; i < R; i++) {
		int best = 0;

		for (int d = 0; d < D; d++) {
			ASSERT_EQ(tab[ids[i] * D + d], e[i * D + d]);
			x[d] = e[i * D + d];
			wd[d] = nw[d];
		}
		ref_rmsnorm(y, x, wd, D, 1e-5);
		for (int d = 0; d < D; d++)
			NEAR(y[d], nrm[i * D + d], 1e-5);
		for (int d = 0; d < D; d++)
			y[d] = nrm[i * D + d];
		ref_rope(y, D / 2, D / 2, 5 + i, 10000.0, 1.0, LUTC_ROPE_NEOX);
		ref_rope(y + D / 2, D / 2, D / 2, 5 + i, 10000.0, 1.0, LUTC_ROPE_NEOX);
		for (int d = 0; d < D; d++) {
			NEAR(y[d], rp[i * D + d], 1e-5);
			ASSERT_EQ(rp[i * D + d] + other[i * D + d], sum[i * D + d]);
			x[d] = 0.5 * sum[i * D + d];
			best = sum[i * D + d] > sum[i * D + best] ? d : best;
		}
		ref_softmax(y, x, D);
		for (int d = 0; d < D; d++)
			NEAR(y[d], sm[i * D + d], 1e-5);
		EXPECT_EQ(best, am[i]);
		EXPECT_EQ(sum[i * D + best], amv[i]);
	}
}

/* ATTN with an append, against one head's naive attention. */
TEST_F(st, attention_round_trip)
{
	enum { H = 2, KVH = 1, HD = 8, CTX = 8, POS = 3 };
	uint64_t st = 11;
	float *q, *kc, *vc, *kn, *vn, *out;
	uint64_t q_va = put_rand(&self->a, &st, H * HD, &q);
	uint64_t kc_va = put_rand(&self->a, &st, CTX * KVH * HD, &kc);
	uint64_t vc_va = put_rand(&self->a, &st, CTX * KVH * HD, &vc);
	uint64_t kn_va = put_rand(&self->a, &st, KVH * HD, &kn);
	uint64_t vn_va = put_rand(&self->a, &st, KVH * HD, &vn);
	uint64_t out_va = put(&self->a, NULL, 4 * H * HD);
	double kd[CTX * HD], vd[CTX * HD], qd[HD], od[HD];
	const struct lutc_attn at_desc = {.kv_dtype = LUTC_DT_F32,
					  .flags = LUTC_ATTN_APPEND,
					  .rows = 1,
					  .heads = H,
					  .kv_heads = KVH,
					  .head_dim = HD,
					  .ctx = CTX,
					  .pos0 = POS,
					  .scale = 0.35355339f,
					  .q = q_va,
					  .k_new = kn_va,
					  .v_new = vn_va,
					  .k_cache = kc_va,
					  .v_cache = vc_va,
					  .out = out_va};
	struct lut_cpu_result r;

	EXPECT_EQ(0, lut_stream_attn(self->a.s, &at_desc));
	ASSERT_EQ(0, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	/* The new row landed at position POS. */
	EXPECT_EQ(0, memcmp(kc + POS * HD, kn, 4 * HD));
	EXPECT_EQ(0, memcmp(vc + POS * HD, vn, 4 * HD));
	for (int i = 0; i < CTX * HD; i++) {
		kd[i] = kc[i];
		vd[i] = vc[i];
	}
	out = at(&self->a, out_va);
	for (int h = 0; h < H; h++) {
		for (int d = 0; d < HD; d++)
			qd[d] = q[h * HD + d];
		ref_attention(od, qd, kd, vd, POS + 1, KVH, 0, HD, 0.35355339);
		for (int d = 0; d < HD; d++)
			NEAR(od[d], out[h * HD + d], 1e-5);
	}
}

/* COPY with conversion, memcpy, SIGNAL after FENCE, NOP. */
TEST_F(st, copy_signal_round_trip)
{
	uint64_t st = 3;
	float *src;
	uint64_t src_va = put_rand(&self->a, &st, 64, &src);
	uint64_t h_va = put(&self->a, NULL, 2 * 64), m_va = put(&self->a, NULL, 256);
	uint64_t sig_va = put(&self->a, NULL, 8);
	const uint16_t *h = at(&self->a, h_va);
	const struct lutc_copy cp = {.src_dtype = LUTC_DT_F32,
				     .dst_dtype = LUTC_DT_F16,
				     .rows = 4,
				     .cols = 16,
				     .src = src_va,
				     .dst = h_va};
	struct lut_cpu_result r;

	EXPECT_EQ(0, lut_stream_copy(self->a.s, &cp));
	EXPECT_EQ(1, lut_stream_memcpy(self->a.s, m_va, src_va, 256));
	EXPECT_EQ(2, lut_stream_nop(self->a.s));
	EXPECT_EQ(3, lut_stream_fence(self->a.s));
	EXPECT_EQ(4, lut_stream_signal(self->a.s, sig_va, 0xfeedfacecafebeefull, 0));
	ASSERT_EQ(0, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(ref_f16_bits(src[i]), h[i]);
	EXPECT_EQ(0, memcmp(at(&self->a, m_va), src, 256));
	EXPECT_EQ(0xfeedfacecafebeefull, *(uint64_t *)at(&self->a, sig_va));
}

/* Large copies split into a rows x LUTC_MAX_DIM COPY plus the remainder. */
TEST(memcpy_splits_and_checks)
{
	uint64_t len = 2ull * LUTC_MAX_DIM + 77, size = (2 * len + 4095) / 4096 * 4096;
	uint8_t *a = malloc(size), sbuf[3 * LUTC_INSN_SIZE];
	const union lutc_insn *in = (const void *)sbuf;
	struct lut_stream *s;
	struct lut_cpu *cpu;
	struct lut_cpu_result r;

	for (uint64_t i = 0; i < len; i++)
		a[i] = (uint8_t)(i * 131 + (i >> 9));
	memset(a + len, 0, len);
	ASSERT_EQ(0, lut_stream_new(&s, sbuf, sizeof(sbuf), VA + size));
	EXPECT_EQ(-EINVAL, lut_stream_memcpy(s, VA + 8, VA, 16)); /* overlap */
	lut_stream_reset(s);
	EXPECT_EQ(-EINVAL, lut_stream_memcpy(s, VA + len, VA, 0));
	lut_stream_reset(s);
	EXPECT_EQ(-EINVAL, lut_stream_memcpy(s, VA, UINT64_MAX - 8, 16));
	lut_stream_reset(s);
	EXPECT_EQ(0, lut_stream_nop(s));
	EXPECT_EQ(1, lut_stream_nop(s));
	EXPECT_EQ(-ENOSPC, lut_stream_memcpy(s, VA + len, VA, len)); /* needs two */
	EXPECT_EQ(2 * LUTC_INSN_SIZE, lut_stream_size(s));
	lut_stream_reset(s);
	EXPECT_EQ(1, lut_stream_memcpy(s, VA + len, VA, len));
	EXPECT_EQ(2, in[0].copy.rows);
	EXPECT_EQ(LUTC_MAX_DIM, in[0].copy.cols);
	EXPECT_EQ(1, in[1].copy.rows);
	EXPECT_EQ(77, in[1].copy.cols);
	ASSERT_EQ(0, lut_cpu_new(&cpu, 1));
	ASSERT_EQ(0, lut_cpu_map(cpu, VA, a, size, 0));
	ASSERT_EQ(0, lut_cpu_run_stream(cpu, s, &r)); /* the stream's buffer mapped for the run */
	EXPECT_EQ(0, memcmp(a, a + len, len));
	lut_cpu_free(cpu);
	lut_stream_free(s);
	free(a);
}

/* ---- CPU executor: faults as the device reports them -------------------- */

TEST_F(st, page_fault_reports_offset_and_va)
{
	struct lut_cpu_result r;

	lut_stream_nop(self->a.s);
	lut_stream_nop(self->a.s);
	lut_stream_memcpy(self->a.s, VA + STREAM, VA + ARENA + 4096, 64);
	lut_stream_nop(self->a.s);
	EXPECT_EQ(-EIO, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, r.error);
	EXPECT_EQ(2 * LUTC_INSN_SIZE, r.fault_offset);
	EXPECT_EQ(VA + ARENA + 4096, r.fault_va);
	EXPECT_EQ(2, r.insns);
}

TEST_F(st, write_fault_on_read_only_mapping)
{
	static uint8_t ro[4096];
	struct lut_cpu_result r;

	memset(ro, 0x5a, sizeof(ro));
	ASSERT_EQ(0, lut_cpu_map(self->a.cpu, VA + ARENA, ro, sizeof(ro), LUT_CPU_READ_ONLY));
	lut_stream_memcpy(self->a.s, VA + STREAM, VA + ARENA, 64); /* reading is fine */
	lut_stream_memcpy(self->a.s, VA + ARENA + 64, VA + STREAM + 128, 64);
	EXPECT_EQ(-EIO, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	EXPECT_EQ(LUTCORE_ERR_WRITE_FAULT, r.error);
	EXPECT_EQ(LUTC_INSN_SIZE, r.fault_offset);
	EXPECT_EQ(VA + ARENA + 64, r.fault_va);
	EXPECT_EQ(0x5a, self->a.p[STREAM]);
	for (size_t i = 0; i < sizeof(ro); i++)
		ASSERT_EQ(0x5a, ro[i]);
}

TEST_F(st, raw_bad_opcode_reaches_the_engine)
{
	union lutc_insn bad;
	struct lut_cpu_result r;

	memset(&bad, 0, sizeof(bad));
	bad.hdr.op = 0x7f;
	lut_stream_nop(self->a.s);
	EXPECT_EQ(1, lut_stream_raw(self->a.s, &bad));
	EXPECT_EQ(-EIO, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	EXPECT_EQ(LUTCORE_ERR_BAD_OPCODE, r.error);
	EXPECT_EQ(LUTC_INSN_SIZE, r.fault_offset);
	EXPECT_EQ(VA + LUTC_INSN_SIZE, r.fault_va);
}

TEST(cpu_map_rules)
{
	static uint8_t b1[8192], b2[4096];
	struct lut_cpu *cpu;
	struct lut_cpu_result r;
	union lutc_insn in;

	EXPECT_EQ(-EINVAL, lut_cpu_new(NULL, 1));
	EXPECT_EQ(-EINVAL, lut_cpu_new(&cpu, 65));
	ASSERT_EQ(0, lut_cpu_new(&cpu, 0));
	EXPECT_EQ(-EINVAL, lut_cpu_map(cpu, VA, NULL, 4096, 0));
	EXPECT_EQ(-EINVAL, lut_cpu_map(cpu, VA, b1, 0, 0));
	EXPECT_EQ(-EINVAL, lut_cpu_map(cpu, UINT64_MAX - 100, b1, 4096, 0));
	EXPECT_EQ(-EINVAL, lut_cpu_map(cpu, VA, b1, 4096, 2));
	ASSERT_EQ(0, lut_cpu_map(cpu, VA, b1, sizeof(b1), 0));
	EXPECT_EQ(-EEXIST, lut_cpu_map(cpu, VA + 8191, b2, sizeof(b2), 0));
	EXPECT_EQ(-EEXIST, lut_cpu_map(cpu, VA - 1, b2, 2, 0));
	EXPECT_EQ(-EEXIST, lut_cpu_map(cpu, VA - 4096, b2, 8192, 0));
	/* Adjacent ranges form one device range; an operand may span both. */
	ASSERT_EQ(0, lut_cpu_map(cpu, VA + sizeof(b1), b2, sizeof(b2), 0));
	memset(b1, 1, sizeof(b1));
	memset(b2, 2, sizeof(b2));
	memset(&in, 0, sizeof(in));
	in.copy = (struct lutc_copy){.op = LUTC_OP_COPY,
				     .src_dtype = LUTC_DT_U8,
				     .dst_dtype = LUTC_DT_U8,
				     .rows = 1,
				     .cols = 256,
				     .src = VA + 8192 - 128,
				     .dst = VA + 1024};
	memcpy(b1, &in, sizeof(in));
	EXPECT_EQ(0, lut_cpu_run(cpu, VA, LUTC_INSN_SIZE, &r));
	EXPECT_EQ(1, b1[1024 + 127]);
	EXPECT_EQ(2, b1[1024 + 128]);
	EXPECT_EQ(-ENOENT, lut_cpu_unmap(cpu, VA + 1));
	EXPECT_EQ(0, lut_cpu_unmap(cpu, VA + sizeof(b1)));
	EXPECT_EQ(-ENOENT, lut_cpu_unmap(cpu, VA + sizeof(b1)));
	EXPECT_EQ(-EIO, lut_cpu_run(cpu, VA, LUTC_INSN_SIZE, &r));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, r.error);
	EXPECT_EQ(VA + sizeof(b1), r.fault_va);
	/* A stream that is not a whole number of descriptors. */
	EXPECT_EQ(-EIO, lut_cpu_run(cpu, VA, 100, &r));
	EXPECT_EQ(LUTCORE_ERR_BAD_STREAM, r.error);
	EXPECT_EQ(-EINVAL, lut_cpu_run(cpu, VA, 128, NULL));
	lut_cpu_free(cpu);
}

/* A stream with a sticky error or nothing in it is not run. */
TEST_F(st, run_stream_refuses_empty_or_failed)
{
	struct lut_cpu_result r;

	EXPECT_EQ(-EINVAL, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
	lut_stream_nop(self->a.s);
	lut_stream_lmma(self->a.s, NULL);
	EXPECT_EQ(-EINVAL, lut_cpu_run_stream(self->a.cpu, self->a.s, &r));
}

TEST_HARNESS_MAIN
