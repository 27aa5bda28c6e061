// SPDX-License-Identifier: MIT
/*
 * The ternary path of lutcore-train (BitNet b1.58 absmean QAT):
 *  - the forward pass uses W_q = s * {-1, 0, +1} with s = mean|W| rounded
 *    to fp16, each code from W / s rounded, ties to zero; norms, token
 *    embeddings and the output head stay float;
 *  - the backward pass hands W_q's gradient to the latent W unchanged
 *    (straight-through): a ternary model's gradient is bit for bit the
 *    gradient of a float model whose projections hold W_q, and not zero,
 *    although W_q is a step function of W;
 *  - an AdamW step moves the latent weights.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "lutcore/quant.h"
#include "train_test.h"

#define B 2
#define T 6

static const struct lt_config micro = {
	.dim = 16,
	.layers = 2,
	.heads = 2,
	.kv_heads = 2,
	.ffn = 24,
	.vocab = 20,
	.ctx = T,
	.eps = 1e-5f,
	.rope_base = 10000.0f,
	.ternary = true,
};

static const int32_t tokens[B * T] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
static const int32_t targets[B * T] = {1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9};

TEST(forward_weights_are_absmean_ternary)
{
	struct lt_model m;
	size_t i, j;
	int codes[3];

	ASSERT_EQ(0, tt_model(&m, &micro, 3, 0.05));
	lt_model_prepare(&m, NULL);
	for (i = 0; i < m.n_tensors; i++) {
		const struct lt_tensor *t = &m.t[i];
		size_t n = (size_t)t->n * t->k;
		double sum = 0;
		float s;

		if (t->kind != LT_PROJ) {
			/* Float tensors: the forward pass uses them as they are. */
			if (t->kind == LT_OUTPUT)
				EXPECT_EQ(0,
					  memcmp(m.weff + t->off, m.p + t->off, n * sizeof(real)));
			continue;
		}
		for (j = 0; j < n; j++)
			sum += fabs(m.p[t->off + j]);
		s = lut_ggml_f16_to_f32(lut_ggml_f32_to_f16((float)(sum / n)));
		EXPECT_EQ(s, m.scale[i]);
		memset(codes, 0, sizeof(codes));
		for (j = 0; j < n; j++) {
			real w = m.p[t->off + j], q = m.weff[t->off + j];
			int code = fabs(w) > s / 2 ? (w > 0 ? 1 : -1) : 0;

			EXPECT_EQ((real)code * s, q)
			{
				TH_LOG("%s[%zu]: w %g s %g gives %g", t->name, j, w, s, q);
			}
			codes[code + 1]++;
		}
		/* All three codes occur, so the check above covers each. */
		EXPECT_GT(codes[0], 0);
		EXPECT_GT(codes[1], 0);
		EXPECT_GT(codes[2], 0);
	}
	lt_model_free(&m);
}

/* A float twin of m whose projections hold m's W_q. */
static int float_twin(const struct lt_model *m, struct lt_model *f)
{
	struct lt_config c = m->c;
	size_t i;

	c.ternary = false;
	if (lt_model_new(&c, f))
		return -1;
	memcpy(f->p, m->p, m->n_params * sizeof(real));
	for (i = 0; i < m->n_tensors; i++)
		if (m->t[i].kind == LT_PROJ)
			memcpy(f->p + m->t[i].off, m->weff + m->t[i].off,
			       (size_t)m->t[i].n * m->t[i].k * sizeof(real));
	lt_model_prepare(f, NULL);
	return 0;
}

TEST(gradient_passes_straight_through_to_the_latent_weights)
{
	struct lt_model m, f;
	struct lt_acts *am, *af;
	real *gm, *gf;
	double lm, lf;
	size_t i, j;

	ASSERT_EQ(0, tt_model(&m, &micro, 4, 0.05));
	lt_model_prepare(&m, NULL);
	ASSERT_EQ(0, float_twin(&m, &f));
	ASSERT_EQ(0, lt_acts_new(&m, B, T, &am));
	ASSERT_EQ(0, lt_acts_new(&f, B, T, &af));
	gm = calloc(m.n_params, sizeof(real));
	gf = calloc(m.n_params, sizeof(real));
	ASSERT_NE(NULL, gm);
	ASSERT_NE(NULL, gf);
	lm = lt_forward(&m, am, NULL, tokens, targets, B, T);
	lf = lt_forward(&f, af, NULL, tokens, targets, B, T);
	EXPECT_EQ(lf, lm);
	lt_backward(&m, am, NULL, gm);
	lt_backward(&f, af, NULL, gf);
	EXPECT_EQ(0, memcmp(gm, gf, m.n_params * sizeof(real)));
	for (i = 0; i < m.n_tensors; i++) {
		const struct lt_tensor *t = &m.t[i];
		size_t nonzero = 0;

		for (j = t->off; j < t->off + (size_t)t->n * t->k; j++)
			nonzero += gm[j] != 0;
		if (t->kind == LT_PROJ)
			EXPECT_GT(nonzero, (size_t)t->n * t->k / 2)
			{
				TH_LOG("%s: only %zu gradients are not zero", t->name, nonzero);
			}
	}
	free(gm);
	free(gf);
	lt_acts_free(am);
	lt_acts_free(af);
	lt_model_free(&m);
	lt_model_free(&f);
}

TEST(a_step_moves_latent_weights_and_requantizes)
{
	struct lt_hparams h;
	struct lt_text x = tt_text(200, micro.vocab, 9);
	struct tt_run r;
	real *before;
	size_t i, j;

	lt_hparams_default(&h);
	h.batch = B;
	h.warmup = 0;
	h.lr = 1e-2f;
	ASSERT_NE(NULL, x.ids);
	ASSERT_EQ(0, tt_run_new(&r, &micro, &h, 1));
	before = malloc(r.m.n_params * sizeof(real));
	ASSERT_NE(NULL, before);
	memcpy(before, r.m.p, r.m.n_params * sizeof(real));
	tt_steps(&r, &x, 0, 1);
	lt_model_prepare(&r.m, NULL);
	for (i = 0; i < r.m.n_tensors; i++) {
		const struct lt_tensor *t = &r.m.t[i];
		size_t moved = 0;

		if (t->kind != LT_PROJ)
			continue;
		for (j = t->off; j < t->off + (size_t)t->n * t->k; j++) {
			moved += r.m.p[j] != before[j];
			EXPECT_TRUE(r.m.weff[j] == 0 || fabs(r.m.weff[j]) == r.m.scale[i]);
		}
		EXPECT_GT(moved, (size_t)t->n * t->k / 2);
	}
	free(before);
	free(x.ids);
	tt_run_free(&r);
}

/* A non-finite gradient leaves weights and moments as they were. */
TEST(a_non_finite_gradient_changes_nothing)
{
	struct lt_hparams h;
	struct tt_run r;
	real *before;
	size_t bytes;

	lt_hparams_default(&h);
	h.batch = B;
	ASSERT_EQ(0, tt_run_new(&r, &micro, &h, 1));
	bytes = r.m.n_params * sizeof(real);
	before = malloc(bytes);
	ASSERT_NE(NULL, before);
	memcpy(before, r.m.p, bytes);
	r.grad[0] = NAN;
	EXPECT_FALSE(isfinite(lt_adamw(&r.m, &h, 0, r.m.p, r.grad, r.mo, r.ve, r.pool)));
	EXPECT_EQ(0, memcmp(before, r.m.p, bytes));
	EXPECT_EQ(0.0, r.mo[1]);
	EXPECT_EQ(0.0, r.ve[1]);
	free(before);
	tt_run_free(&r);
}

TEST_HARNESS_MAIN
