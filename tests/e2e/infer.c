// SPDX-License-Identifier: MIT
/*
 * lutcore-e2e-infer: the inference path end to end, inside the VM.
 *
 * Each weight format the runtime runs is written by the model generator
 * into /tmp (tiny dims, e2e.h), loaded on /dev/lutcore and on the CPU
 * backend (one engine thread), and both evaluate the same prompt in one
 * M > 1 call and then E2E_STEPS greedy decode steps, each feeding back its
 * own argmax. The token sequences must be equal, every step's logits must
 * be sane (finite, not all equal), each backend's argmax must be the first
 * largest of its logits, and the logits must agree within a tolerance.
 *
 * The results must be bit-identical, so the tolerance is 0: both
 * backends build the same streams from the same converted weights and run
 * them through the same engine (qemu-device/engine, compiled into QEMU for
 * the device and into liblutcore for the CPU backend, both with
 * -ffp-contract=off), whose results depend neither on the host CPU's
 * kernels nor on the number of threads (docs/isa.md, section 4). Before
 * QEMU's build of the engine kept the compiler from fusing multiplies and
 * adds, its AVX2 kernels rounded the LMMA scale stage once instead of
 * twice; the 1-ulp differences that left grew to 1e-2 of the largest
 * logit in Q8_0 with INT8 tables, where a table quantizer rounds them to
 * a whole step. The largest |diff| is printed either way.
 *
 * The CPU backend runs in the guest, under TCG, where float kernels are
 * emulated in software: ~0.3 s per token with F16 tables at these sizes
 * against ~0.03 s with INT8 tables. So one variant runs the runtime's
 * default F16 tables (llama TQ2_0, the bundled model's format) and the
 * rest INT8 tables, which keeps the suite within a minute.
 *
 * Also: a prompt in one M > 1 call (and in chunks) equals evaluating it
 * token by token on the device, including the KV cache it leaves; three
 * models in two device address spaces at once give exactly what each gives
 * alone; and the device reports modeled cycles for every decode step.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "lutcore/quant.h"
#include "lutcore/weights.h"
#include "lutcore_isa.h"
#include "e2e.h"

#define PROMPT_MAX 16 /* device-only tests */
#define CPU_PROMPT 8  /* tokens the CPU comparisons evaluate */
/* Largest |device - CPU| logit over the largest |logit| (see above). */

FIXTURE(e2e)
{
	struct lut_dev *dev;
	struct lut_model *md, *mc; /* device, CPU */
};

FIXTURE_VARIANT(e2e)
{
	struct e2e_model_spec s;
	const char *arch;
	uint32_t wfmt; /* the engine format the weights must run in */
};

/* clang-format off */
/* F16 tables (the runtime's default) for the bundled model's format. */
FIXTURE_VARIANT_ADD(e2e, llama_tq2_0) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_TQ2_0}, .arch = "llama",
	.wfmt = LUTC_WF_TERNARY,
};
/* INT8 tables for the rest (see above). */
FIXTURE_VARIANT_ADD(e2e, llama_q4_0_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_Q4_0, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_INT4,
};
FIXTURE_VARIANT_ADD(e2e, llama_q8_0_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_Q8_0, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_INT4,
};
FIXTURE_VARIANT_ADD(e2e, llama_tq1_0_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_TQ1_0, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_TERNARY,
};
FIXTURE_VARIANT_ADD(e2e, llama_f16_wbits2_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_F16, .wbits = 2, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_INT2,
};
FIXTURE_VARIANT_ADD(e2e, llama_f16_wbits3_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_F16, .wbits = 3, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_INT3,
};
FIXTURE_VARIANT_ADD(e2e, llama_f16_wbits4_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_F16, .wbits = 4, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_INT4,
};
FIXTURE_VARIANT_ADD(e2e, llama_bf16_ternary_i8_tables) {
	.s = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_BF16, .ternary = true,
	      .wbits = LUT_WBITS_TERNARY, .table = LUTC_DT_I8},
	.arch = "llama", .wfmt = LUTC_WF_TERNARY,
};
FIXTURE_VARIANT_ADD(e2e, bitnet_tq2_0_relu2_i8_tables) {
	.s = {.arch = MK_ARCH_BITNET, .type = LUT_GGML_TQ2_0, .act = MK_ACT_RELU2,
	      .table = LUTC_DT_I8},
	.arch = "bitnet", .wfmt = LUTC_WF_TERNARY,
};
FIXTURE_VARIANT_ADD(e2e, bitnet_tq2_0_silu_i8_tables) {
	.s = {.arch = MK_ARCH_BITNET, .type = LUT_GGML_TQ2_0, .act = MK_ACT_SILU,
	      .table = LUTC_DT_I8},
	.arch = "bitnet", .wfmt = LUTC_WF_TERNARY,
};
/* clang-format on */

/* The device the library finds; a missing one skips (-ENOENT). */
static int open_dev(struct lut_dev **dev)
{
	return lut_dev_open(NULL, dev);
}

FIXTURE_SETUP(e2e)
{
	char path[64], err[256] = "", cerr[256] = "";
	int ret, rd, rc;

	ret = open_dev(&self->dev);
	/* In the VM the device must be there: its absence is a failure. */
	ASSERT_EQ(0, ret) TH_LOG("no LUTCore device: %s", strerror(-ret));
	snprintf(path, sizeof(path), "/tmp/e2e-%d.gguf", (int)getpid());
	ret = e2e_write_model(&variant->s, path, err, sizeof(err));
	rd = ret ? ret : e2e_load(path, &variant->s, self->dev, 0, &self->md, err, sizeof(err));
	rc = ret ? ret : e2e_load(path, &variant->s, NULL, 0, &self->mc, cerr, sizeof(cerr));
	unlink(path); /* the models keep what they need */
	ASSERT_EQ(0, ret) TH_LOG("writing the model: %s", err);
	ASSERT_EQ(0, rd) TH_LOG("loading on the device: %s", err);
	ASSERT_EQ(0, rc) TH_LOG("loading on the CPU: %s", cerr);
}

FIXTURE_TEARDOWN(e2e)
{
	lut_model_free(self->md);
	lut_model_free(self->mc);
	lut_dev_close(self->dev);
}

static int timed_eval(struct lut_model *m, const int32_t *tok, uint32_t n, struct lut_eval *out,
		      double *t)
{
	double t0 = e2e_now();
	int ret = lut_model_eval(m, tok, n, out);

	*t += e2e_now() - t0;
	return ret;
}

/* One step on both backends: sane logits, their argmax, the same token. */
static void check_step(struct __test_metadata *_metadata, const struct lut_eval *d,
		       const struct lut_eval *c, uint32_t n, uint32_t step, double *diff,
		       double *mag)
{
	ASSERT_TRUE(e2e_logits_sane(d->logits, n))
	TH_LOG("step %u: device logits not finite, or all equal", step);
	ASSERT_TRUE(e2e_logits_sane(c->logits, n))
	TH_LOG("step %u: CPU logits not finite, or all equal", step);
	EXPECT_EQ(e2e_argmax(d->logits, n), d->argmax) TH_LOG("step %u: device argmax", step);
	EXPECT_EQ(e2e_argmax(c->logits, n), c->argmax) TH_LOG("step %u: CPU argmax", step);
	e2e_diff(d->logits, c->logits, n, diff, mag);
	ASSERT_EQ(d->argmax, c->argmax)
	TH_LOG("step %u: device and CPU chose different tokens", step);
}

static void check_info(struct __test_metadata *_metadata, const FIXTURE_VARIANT(e2e) * variant,
		       const struct lut_model_info *d, const struct lut_model_info *c)
{
	EXPECT_STREQ(variant->arch, d->arch);
	EXPECT_EQ(E2E_LAYERS, d->n_layer);
	EXPECT_EQ(E2E_DIM, d->n_embd);
	EXPECT_EQ(E2E_FFN, d->n_ff);
	EXPECT_EQ(E2E_VOCAB, d->n_vocab);
	EXPECT_EQ(E2E_CTX, d->ctx);
	EXPECT_EQ(variant->s.type, d->weight_type);
	EXPECT_EQ(variant->wfmt, d->wfmt);
	EXPECT_EQ(d->wfmt, c->wfmt);
	EXPECT_EQ(d->weight_bytes, c->weight_bytes);
	EXPECT_EQ(d->kv_bytes, c->kv_bytes);
}

TEST_F_TIMEOUT(e2e, device_equals_cpu, 120)
{
	const struct lut_model_info *info = lut_model_info(self->md);
	double diff = 0.0, mag = 0.0, t_dev = 0.0, t_cpu = 0.0;
	int32_t prompt[CPU_PROMPT], tok;
	struct lut_eval d, c;
	uint32_t step;
	int n;

	check_info(_metadata, variant, info, lut_model_info(self->mc));
	n = e2e_prompt(self->md, 0, prompt, CPU_PROMPT);
	ASSERT_LT(1, n);
	ASSERT_EQ(0, timed_eval(self->md, prompt, n, &d, &t_dev))
	TH_LOG("device prompt: %s", lut_model_error(self->md));
	ASSERT_EQ(0, timed_eval(self->mc, prompt, n, &c, &t_cpu))
	TH_LOG("CPU prompt: %s", lut_model_error(self->mc));
	check_step(_metadata, &d, &c, info->n_vocab, 0, &diff, &mag);
	for (step = 1; step <= E2E_STEPS; step++) {
		tok = d.argmax; /* == c.argmax */
		ASSERT_EQ(0, timed_eval(self->md, &tok, 1, &d, &t_dev))
		TH_LOG("device step %u: %s", step, lut_model_error(self->md));
		ASSERT_EQ(0, timed_eval(self->mc, &tok, 1, &c, &t_cpu))
		TH_LOG("CPU step %u: %s", step, lut_model_error(self->mc));
		check_step(_metadata, &d, &c, info->n_vocab, step, &diff, &mag);
	}
	EXPECT_EQ(n + E2E_STEPS, lut_model_pos(self->md));
	EXPECT_EQ(n + E2E_STEPS, lut_model_pos(self->mc));
	TH_LOG("%d prompt tokens + %u steps, tokens equal; max |device - cpu| logit %.3g%s "
	       "(%.2g of max |logit| %.3g); device %.2f s, cpu %.2f s",
	       n, E2E_STEPS, diff, diff ? "" : " (bit-identical)", diff / mag, mag, t_dev, t_cpu);
	EXPECT_TRUE(diff == 0.0);
}

/* ---- Device-only checks ---------------------------------------------------- */

FIXTURE(dev)
{
	struct lut_dev *dev;
	char path[3][64];
};

FIXTURE_SETUP(dev)
{
	int ret = open_dev(&self->dev);

	/* In the VM the device must be there: its absence is a failure. */
	ASSERT_EQ(0, ret) TH_LOG("no LUTCore device: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(dev)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (self->path[i][0])
			unlink(self->path[i]);
	}
	lut_dev_close(self->dev);
}

static const struct e2e_model_spec llama_q4 = {.arch = MK_ARCH_LLAMA, .type = LUT_GGML_Q4_0};
static const struct e2e_model_spec bitnet_tq2 = {.arch = MK_ARCH_BITNET, .type = LUT_GGML_TQ2_0};
/* INT8 tables: the CPU backend under TCG runs these ~6x faster. */
static const struct e2e_model_spec llama_q4_i8 = {
	.arch = MK_ARCH_LLAMA, .type = LUT_GGML_Q4_0, .table = LUTC_DT_I8};

static void make(struct __test_metadata *_metadata, FIXTURE_DATA(dev) * self, int i,
		 const struct e2e_model_spec *s)
{
	char err[256] = "";

	snprintf(self->path[i], sizeof(self->path[i]), "/tmp/e2e-%d-%d.gguf", (int)getpid(), i);
	ASSERT_EQ(0, e2e_write_model(s, self->path[i], err, sizeof(err))) TH_LOG("%s", err);
}

static void load(struct __test_metadata *_metadata, FIXTURE_DATA(dev) * self, int i,
		 const struct e2e_model_spec *s, struct lut_dev *dev, uint32_t chunk,
		 struct lut_model **m)
{
	char err[256] = "";

	ASSERT_EQ(0, e2e_load(self->path[i], s, dev, chunk, m, err, sizeof(err)))
	TH_LOG("loading %s: %s", self->path[i], err);
}

/* What a run leaves: the greedy tokens and the last step's logits. */
struct trace {
	int32_t tok[E2E_STEPS + 1];
	float *logits;
	uint32_t n_vocab;
};

static void trace_free(struct trace *t)
{
	free(t->logits);
	t->logits = NULL;
}

static void keep_logits(struct __test_metadata *_metadata, struct trace *t,
			const struct lut_model *m, const struct lut_eval *e)
{
	t->n_vocab = lut_model_info(m)->n_vocab;
	if (!t->logits)
		t->logits = malloc(t->n_vocab * sizeof(float));
	ASSERT_NE(NULL, t->logits);
	ASSERT_TRUE(e2e_logits_sane(e->logits, t->n_vocab));
	memcpy(t->logits, e->logits, t->n_vocab * sizeof(float));
}

/* Greedy steps from tok[from] on, recording tok[from + 1 ..]. */
static void decode(struct __test_metadata *_metadata, struct lut_model *m, struct trace *t,
		   uint32_t from, uint32_t steps)
{
	struct lut_eval e;
	uint32_t i;

	for (i = from; i < from + steps; i++) {
		ASSERT_EQ(0, lut_model_eval(m, &t->tok[i], 1, &e))
		TH_LOG("step %u: %s", i, lut_model_error(m));
		t->tok[i + 1] = e.argmax;
	}
	keep_logits(_metadata, t, m, &e);
}

/* The prompt in one call, then steps greedy tokens. */
static void run(struct __test_metadata *_metadata, struct lut_model *m, int prompt_variant,
		uint32_t steps, struct trace *t)
{
	int32_t prompt[PROMPT_MAX];
	struct lut_eval e;
	int n = e2e_prompt(m, prompt_variant, prompt, PROMPT_MAX);

	ASSERT_LT(1, n);
	ASSERT_EQ(0, lut_model_eval(m, prompt, n, &e)) TH_LOG("prompt: %s", lut_model_error(m));
	t->tok[0] = e.argmax;
	keep_logits(_metadata, t, m, &e);
	if (steps)
		decode(_metadata, m, t, 0, steps);
}

static void expect_same(struct __test_metadata *_metadata, const struct trace *a,
			const struct trace *b, uint32_t steps, double tol, const char *what)
{
	double diff = 0.0, mag = 0.0;

	e2e_diff(a->logits, b->logits, a->n_vocab, &diff, &mag);
	EXPECT_EQ(0, memcmp(a->tok, b->tok, (steps + 1) * sizeof(a->tok[0])))
	TH_LOG("%s: the greedy tokens differ", what);
	EXPECT_LE(diff, tol * mag) TH_LOG("%s: logits differ by %.3g", what, diff);
	TH_LOG("%s: %u tokens equal, max |diff| of the last logits %.3g (max |logit| %.3g)", what,
	       steps + 1, diff, mag);
}

/*
 * Rows of an M > 1 stream are computed as the decode stream computes its
 * one row (per-row tables, the same reduction order; attention of row i
 * sees positions 0..i like step i did), so the results should be
 * identical; PREFILL_TOL allows the runtime to order the prompt's softmax
 * or RMSNorm sums differently (binary32 rounding, a few ulps of the
 * largest logit), and the greedy tokens must still be equal.
 */
#define PREFILL_TOL   1e-5
#define PREFILL_STEPS 8

TEST_F_TIMEOUT(dev, prompt_in_one_call_equals_token_by_token, 60)
{
	const struct e2e_model_spec *specs[] = {&llama_q4, &bitnet_tq2};
	int i;

	for (i = 0; i < 2; i++) {
		struct trace one = {0}, chunked = {0}, single = {0};
		struct lut_model *m = NULL, *mc = NULL;
		int32_t prompt[PROMPT_MAX];
		struct lut_eval e = {NULL, -1};
		int n, j;

		make(_metadata, self, i, specs[i]);
		load(_metadata, self, i, specs[i], self->dev, 0, &m);
		load(_metadata, self, i, specs[i], self->dev, 5, &mc);
		run(_metadata, m, 1, PREFILL_STEPS, &one);
		run(_metadata, mc, 1, PREFILL_STEPS, &chunked);
		/* The same prompt again, one token at a time. */
		ASSERT_EQ(0, lut_model_rewind(m, 0));
		EXPECT_EQ(0, lut_model_pos(m));
		n = e2e_prompt(m, 1, prompt, PROMPT_MAX);
		ASSERT_LT(5, n) TH_LOG("the prompt must span several chunks of 5");
		for (j = 0; j < n; j++)
			ASSERT_EQ(0, lut_model_eval(m, &prompt[j], 1, &e)) TH_LOG("token %d", j);
		single.tok[0] = e.argmax;
		keep_logits(_metadata, &single, m, &e);
		decode(_metadata, m, &single, 0, PREFILL_STEPS);
		EXPECT_EQ(n + PREFILL_STEPS, lut_model_pos(m));
		expect_same(_metadata, &one, &single, PREFILL_STEPS, PREFILL_TOL,
			    i ? "bitnet, one call vs token by token"
			      : "llama, one call vs token by token");
		expect_same(_metadata, &one, &chunked, PREFILL_STEPS, PREFILL_TOL,
			    i ? "bitnet, one call vs chunks of 5"
			      : "llama, one call vs chunks of 5");
		trace_free(&one);
		trace_free(&chunked);
		trace_free(&single);
		lut_model_free(m);
		lut_model_free(mc);
	}
}

/*
 * Model A with prompt 0 in one address space (the fixture's device file),
 * and model B and A again with prompt 1 in a second one, all loaded at once
 * and stepped in turns: each must give exactly what it gives alone (same
 * device, same streams, so no tolerance). Both files' buffers are live at
 * once, with different contents (A's KV caches hold different prompts), so
 * a write or a translation that crossed address spaces would change a
 * result.
 */
#define SHARED_STEPS 12

TEST_F_TIMEOUT(dev, models_in_two_address_spaces, 60)
{
	static const char *const what[3] = {"A (llama q4_0) in file 1", "B (bitnet) in file 2",
					    "A again in file 2"};
	const struct e2e_model_spec *spec[3] = {&llama_q4, &bitnet_tq2, &llama_q4};
	const int prompt[3] = {0, 1, 1}, file[3] = {0, 1, 0};
	struct trace alone[3], shared[3];
	struct lut_model *m[3] = {NULL};
	struct lut_dev *dev2 = NULL;
	uint32_t s;
	int i;

	memset(alone, 0, sizeof(alone));
	memset(shared, 0, sizeof(shared));
	make(_metadata, self, 0, &llama_q4);
	make(_metadata, self, 1, &bitnet_tq2);
	for (i = 0; i < 3; i++) {
		struct lut_model *solo = NULL;

		load(_metadata, self, file[i], spec[i], self->dev, 0, &solo);
		run(_metadata, solo, prompt[i], SHARED_STEPS, &alone[i]);
		lut_model_free(solo);
	}
	ASSERT_EQ(0, open_dev(&dev2));
	for (i = 0; i < 3; i++) {
		load(_metadata, self, file[i], spec[i], i ? dev2 : self->dev, 0, &m[i]);
		run(_metadata, m[i], prompt[i], 0, &shared[i]);
	}
	for (s = 0; s < SHARED_STEPS; s++) {
		for (i = 0; i < 3; i++)
			decode(_metadata, m[i], &shared[i], s, 1);
	}
	for (i = 0; i < 3; i++)
		expect_same(_metadata, &alone[i], &shared[i], SHARED_STEPS, 0.0, what[i]);
	/* Different prompts really did leave different states. */
	EXPECT_NE(0, memcmp(shared[0].logits, shared[2].logits, shared[0].n_vocab * sizeof(float)));
	for (i = 0; i < 3; i++) {
		lut_model_free(m[i]);
		trace_free(&alone[i]);
		trace_free(&shared[i]);
	}
	lut_dev_close(dev2);
}

/*
 * The device's modeled cycles (its CYCLES counters, read by the runtime
 * through DRM_LUTCORE_PARAM_CYCLES) for a prompt and decode steps: more
 * than zero per token, and equal to what the CPU backend's engine counts
 * for the same streams (one cycle model, docs/device.md section 5.4).
 */
TEST_F_TIMEOUT(dev, device_counts_modeled_cycles, 60)
{
	struct lut_model_stats sd, sc;
	struct lut_model *md = NULL, *mc = NULL;
	struct trace td = {0}, tc = {0};
	int32_t prompt[PROMPT_MAX];
	int n;

	make(_metadata, self, 0, &llama_q4_i8);
	load(_metadata, self, 0, &llama_q4_i8, self->dev, 0, &md);
	load(_metadata, self, 0, &llama_q4_i8, NULL, 0, &mc);
	n = e2e_prompt(md, 0, prompt, PROMPT_MAX);
	run(_metadata, md, 0, PREFILL_STEPS, &td);
	run(_metadata, mc, 0, PREFILL_STEPS, &tc);
	lut_model_stats(md, &sd);
	lut_model_stats(mc, &sc);
	EXPECT_EQ(n, sd.prompt_tokens);
	EXPECT_EQ(PREFILL_STEPS, sd.decode_tokens);
	EXPECT_LT(0, sd.prompt_cycles);
	EXPECT_LT(0, sd.decode_cycles);
	EXPECT_LT(0, sd.clock_mhz);
	EXPECT_EQ(sc.prompt_cycles, sd.prompt_cycles);
	EXPECT_EQ(sc.decode_cycles, sd.decode_cycles);
	if (sd.clock_mhz)
		TH_LOG("device: %llu cycles per decode token = %.3f us modeled at %u MHz "
		       "(CPU backend's engine: %llu)",
		       (unsigned long long)(sd.decode_cycles / PREFILL_STEPS),
		       (double)sd.decode_cycles / PREFILL_STEPS / sd.clock_mhz, sd.clock_mhz,
		       (unsigned long long)(sc.decode_cycles / PREFILL_STEPS));
	trace_free(&td);
	trace_free(&tc);
	lut_model_free(md);
	lut_model_free(mc);
}

TEST_HARNESS_MAIN
