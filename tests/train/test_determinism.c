// SPDX-License-Identifier: MIT
/*
 * lutcore-train is deterministic: three training steps from one seed give
 * bit-identical parameters and Adam moments with 1, 2 and 3 threads (the
 * shapes are chosen so that every threaded split has uneven edges), for
 * the ternary and the float model; and a run saved after two steps and
 * resumed from its checkpoint ends bit-identical to one run of four.
 * Broken checkpoints are refused with a message.
 */
#include "kselftest_harness.h"

#include "train_test.h"

static const struct lt_config small = {
	.dim = 24,
	.layers = 2,
	.heads = 3,
	.kv_heads = 1,
	.ffn = 40,
	.vocab = 37,
	.ctx = 45, /* more than one attention block of 32 rows */
	.eps = 1e-5f,
	.rope_base = 10000.0f,
};

static void hparams(struct lt_hparams *h, uint32_t steps)
{
	lt_hparams_default(h);
	h->batch = 3;
	h->steps = steps;
	h->warmup = 1;
	h->lr = 3e-3f;
	h->seed = 77;
}

struct state {
	real *p, *mo, *ve;
	size_t n;
};

static void state_free(struct state *s)
{
	free(s->p);
	free(s->mo);
	free(s->ve);
}

static int same(const struct state *a, const struct state *b)
{
	return a->n == b->n && !memcmp(a->p, b->p, a->n * sizeof(real)) &&
	       !memcmp(a->mo, b->mo, a->n * sizeof(real)) &&
	       !memcmp(a->ve, b->ve, a->n * sizeof(real));
}

static struct state take(const struct tt_run *r)
{
	size_t bytes = r->m.n_params * sizeof(real);
	struct state s = {malloc(bytes), malloc(bytes), malloc(bytes), r->m.n_params};

	if (s.p && s.mo && s.ve) {
		memcpy(s.p, r->m.p, bytes);
		memcpy(s.mo, r->mo, bytes);
		memcpy(s.ve, r->ve, bytes);
	}
	return s;
}

static struct state run(bool ternary, unsigned int threads, uint32_t steps)
{
	struct lt_config c = small;
	struct lt_text x = tt_text(600, small.vocab, 5);
	struct lt_hparams h;
	struct tt_run r;
	struct state s = {0};

	c.ternary = ternary;
	hparams(&h, steps);
	if (x.ids && !tt_run_new(&r, &c, &h, threads)) {
		tt_steps(&r, &x, 0, steps);
		s = take(&r);
	}
	tt_run_free(&r);
	free(x.ids);
	return s;
}

TEST(thread_count_changes_no_bit)
{
	int ternary;

	for (ternary = 0; ternary < 2; ternary++) {
		struct state one = run(ternary, 1, 3), again = run(ternary, 1, 3);
		struct state two = run(ternary, 2, 3), three = run(ternary, 3, 3);
		struct state fewer = run(ternary, 2, 2);

		ASSERT_NE(NULL, one.p);
		EXPECT_TRUE(same(&one, &again));
		EXPECT_TRUE(same(&one, &two));
		EXPECT_TRUE(same(&one, &three));
		/* The comparison can fail: a step less is a different state. */
		EXPECT_FALSE(same(&one, &fewer));
		state_free(&one);
		state_free(&again);
		state_free(&two);
		state_free(&three);
		state_free(&fewer);
	}
}

TEST(resume_equals_an_uninterrupted_run)
{
	struct state whole = run(true, 2, 4), resumed;
	struct lt_text x = tt_text(600, small.vocab, 5);
	char *dir = tt_tmpdir(), path[4200], err[LT_ERR_SIZE];
	struct lt_config c = small;
	struct lt_hparams h;
	struct lt_ckpt k;
	struct tt_run r;

	ASSERT_NE(NULL, dir);
	ASSERT_NE(NULL, whole.p);
	snprintf(path, sizeof(path), "%s/run.ckpt", dir);
	c.ternary = true;
	hparams(&h, 4);
	/* Two steps, saved; everything thrown away. */
	ASSERT_EQ(0, tt_run_new(&r, &c, &h, 2));
	tt_steps(&r, &x, 0, 2);
	k = (struct lt_ckpt){h, 2, r.mo, r.ve};
	ASSERT_EQ(0, lt_ckpt_save(path, &r.m, &k, err, sizeof(err)));
	tt_run_free(&r);
	/* A new run from the file: model, moments, settings and step. */
	ASSERT_EQ(0, tt_run_new(&r, &c, &h, 1));
	lt_model_free(&r.m);
	free(r.mo);
	free(r.ve);
	ASSERT_EQ(0, lt_ckpt_load(path, &r.m, &k, err, sizeof(err)))
	{
		TH_LOG("%s", err);
	}
	EXPECT_EQ(2u, k.step);
	EXPECT_EQ(4u, k.h.steps);
	EXPECT_EQ(77u, k.h.seed);
	EXPECT_TRUE(r.m.c.ternary);
	r.mo = k.mo;
	r.ve = k.ve;
	r.h = k.h;
	tt_steps(&r, &x, k.step, k.h.steps);
	resumed = take(&r);
	EXPECT_TRUE(same(&whole, &resumed));
	state_free(&whole);
	state_free(&resumed);
	tt_run_free(&r);
	free(x.ids);
	tt_rmdir(dir);
}

TEST(broken_checkpoints_are_refused)
{
	char *dir = tt_tmpdir(), path[4200], err[LT_ERR_SIZE];
	struct lt_config c = small;
	struct lt_hparams h;
	struct lt_model m;
	struct lt_ckpt k;
	struct tt_run r;
	FILE *f;
	long size;

	ASSERT_NE(NULL, dir);
	snprintf(path, sizeof(path), "%s/x.ckpt", dir);
	hparams(&h, 2);
	EXPECT_EQ(-ENOENT, lt_ckpt_load(path, &m, &k, err, sizeof(err)));
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("not a checkpoint at all, not even close to one, no header here", f);
	fclose(f);
	EXPECT_EQ(-EINVAL, lt_ckpt_load(path, &m, &k, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not a checkpoint"));
	/* A good one cut short. */
	ASSERT_EQ(0, tt_run_new(&r, &c, &h, 1));
	k = (struct lt_ckpt){h, 0, r.mo, r.ve};
	ASSERT_EQ(0, lt_ckpt_save(path, &r.m, &k, err, sizeof(err)));
	tt_run_free(&r);
	f = fopen(path, "r+");
	ASSERT_NE(NULL, f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	ASSERT_EQ(0, truncate(path, size - 4));
	EXPECT_EQ(-EINVAL, lt_ckpt_load(path, &m, &k, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "truncated"));
	ASSERT_EQ(0, truncate(path, 0));
	EXPECT_EQ(-EINVAL, lt_ckpt_load(path, &m, &k, err, sizeof(err)));
	tt_rmdir(dir);
}

TEST_HARNESS_MAIN
