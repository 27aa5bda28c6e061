// SPDX-License-Identifier: MIT
/*
 * Finite-difference check of lutcore-train's backward pass, built with
 * real = double (-DLT_REAL_DOUBLE): on micro float models (dim 8, two
 * query heads sharing one kv head, ffn 12, vocabulary 16; two layers and
 * two sequences of 5 tokens, one target left unscored; one layer and a
 * sequence of 37 tokens, longer than an attention block) every single
 * parameter of every kind (token_embd, both norms of each layer,
 * q/k/v/output, gate/up/down, output_norm, output) gets its analytic
 * gradient compared with the central difference (L(p + h) - L(p - h)) / 2h,
 * h = 1e-5. In double the difference is good to about 1e-9 here, so the
 * tolerance is 1e-7 absolute plus 1e-6 relative.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "train_test.h"

#define B 2
#define T 5

static const struct lt_config micro = {
	.dim = 8,
	.layers = 2,
	.heads = 2,
	.kv_heads = 1,
	.ffn = 12,
	.vocab = 16,
	.ctx = T,
	.eps = 1e-5f,
	.rope_base = 10000.0f,
};

static const int32_t tokens[B * T] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
static const int32_t targets[B * T] = {1, 4, 1, 5, 9, 2, 6, 5, -1, 8};

struct batch {
	const int32_t *tokens, *targets;
	uint32_t b, t;
};

static double loss_of(struct lt_model *m, struct lt_acts *a, const struct batch *x)
{
	lt_model_prepare(m, NULL);
	return lt_forward(m, a, NULL, x->tokens, x->targets, x->b, x->t);
}

/* Every parameter of a model from seed, on batch x. */
static void check(struct __test_metadata *_metadata, const struct lt_config *c, uint64_t seed,
		  const struct batch *x)
{
	struct lt_model m;
	struct lt_acts *a;
	double h = 1e-5, worst = 0;
	real *g;
	size_t i, j;

	ASSERT_EQ(0, tt_model(&m, c, seed, 0.4));
	ASSERT_EQ(0, lt_acts_new(&m, x->b, x->t, &a));
	g = calloc(m.n_params, sizeof(real));
	ASSERT_NE(NULL, g);
	loss_of(&m, a, x);
	lt_backward(&m, a, NULL, g);
	for (i = 0; i < m.n_tensors; i++) {
		const struct lt_tensor *t = &m.t[i];
		double biggest = 0;

		for (j = t->off; j < t->off + (size_t)t->n * t->k; j++) {
			real keep = m.p[j];
			double up, down, fd, err;

			m.p[j] = keep + h;
			up = loss_of(&m, a, x);
			m.p[j] = keep - h;
			down = loss_of(&m, a, x);
			m.p[j] = keep;
			fd = (up - down) / (2 * h);
			err = fabs(fd - g[j]);
			if (err > worst)
				worst = err;
			if (fabs(g[j]) > biggest)
				biggest = fabs(g[j]);
			EXPECT_LE(err, 1e-7 + 1e-6 * fabs(fd))
			{
				TH_LOG("%s[%zu]: backward %.10g, finite difference %.10g", t->name,
				       j - t->off, g[j], fd);
			}
		}
		/* Every kind takes part: no tensor's gradient is all zero. */
		EXPECT_GT(biggest, 1e-4)
		{
			TH_LOG("%s has no gradient", t->name);
		}
	}
	TH_LOG("largest difference %.3g over %zu parameters", worst, m.n_params);
	free(g);
	lt_acts_free(a);
	lt_model_free(&m);
}

TEST(every_parameter_matches_finite_differences)
{
	const struct batch x = {tokens, targets, B, T};

	/* The tolerance is for double: tests/train/rules.mk builds it so. */
	ASSERT_EQ(sizeof(double), sizeof(real));
	check(_metadata, &micro, 11, &x);
}

/* A sequence longer than an attention block (LT_ATT_ROWS, 32 rows). */
TEST(long_sequences_match_finite_differences)
{
	struct lt_config c = micro;
	int32_t tok[37], tgt[37];
	const struct batch x = {tok, tgt, 1, 37};
	size_t i;

	c.ctx = 37;
	c.layers = 1;
	for (i = 0; i < 37; i++) {
		tok[i] = (int32_t)((i * 7 + 3) % 16);
		tgt[i] = (int32_t)((i * 5 + 1) % 16);
	}
	check(_metadata, &c, 12, &x);
}

/* The unscored target changes nothing: its row's logits get no gradient. */
TEST(unscored_targets_have_no_gradient)
{
	int32_t tgt[B * T];
	struct lt_model m;
	struct lt_acts *a;
	real *g1, *g2;
	double l1, l2;

	memcpy(tgt, targets, sizeof(tgt));
	ASSERT_EQ(0, tt_model(&m, &micro, 5, 0.4));
	ASSERT_EQ(0, lt_acts_new(&m, B, T, &a));
	g1 = calloc(m.n_params, sizeof(real));
	g2 = calloc(m.n_params, sizeof(real));
	ASSERT_NE(NULL, g1);
	ASSERT_NE(NULL, g2);
	lt_model_prepare(&m, NULL);
	l1 = lt_forward(&m, a, NULL, tokens, targets, B, T);
	lt_backward(&m, a, NULL, g1);
	tgt[8] = 7; /* score it: the loss and the gradient change */
	l2 = lt_forward(&m, a, NULL, tokens, tgt, B, T);
	lt_backward(&m, a, NULL, g2);
	EXPECT_NE(l1, l2);
	EXPECT_NE(0, memcmp(g1, g2, m.n_params * sizeof(real)));
	free(g1);
	free(g2);
	lt_acts_free(a);
	lt_model_free(&m);
}

TEST_HARNESS_MAIN
