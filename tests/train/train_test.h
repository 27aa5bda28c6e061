/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by lutcore-train's host tests: micro models, synthetic
 * token texts, one training run, temporary directories. Header-only, so
 * each test binary is one test source plus the trainer's sources.
 */
#ifndef LUTCORE_TRAIN_TEST_H
#define LUTCORE_TRAIN_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lutcore/sampling.h"
#include "../../tools/train/train.h"

/* A model of config c with values from seed, spread out so that no
 * activation is flat: norms around 1, matrices with deviation sd. */
static inline int tt_model(struct lt_model *m, const struct lt_config *c, uint64_t seed, double sd)
{
	struct lut_rng r;
	size_t i, j;
	int ret = lt_model_new(c, m);

	if (ret)
		return ret;
	lt_model_init(m, seed);
	lut_rng_seed(&r, seed + 1);
	for (i = 0; i < m->n_tensors; i++) {
		const struct lt_tensor *t = &m->t[i];

		for (j = 0; j < (size_t)t->n * t->k; j++) {
			double u = 2 * lut_rng_uniform(&r) - 1;

			m->p[t->off + j] = t->kind == LT_NORM ? (real)(1 + 0.3 * u)
							      : (real)(u * sd * 1.7320508);
		}
	}
	return 0;
}

/* n token ids below vocab from seed. */
static inline struct lt_text tt_text(size_t n, uint32_t vocab, uint64_t seed)
{
	struct lt_text x = {malloc(n * sizeof(int32_t)), n};
	struct lut_rng r;
	size_t i;

	lut_rng_seed(&r, seed);
	for (i = 0; x.ids && i < n; i++)
		x.ids[i] = (int32_t)lut_rng_below(&r, vocab);
	return x;
}

/* A training run's state: model, moments, scratch. */
struct tt_run {
	struct lt_model m;
	struct lt_hparams h;
	struct lt_pool *pool;
	struct lt_acts *acts;
	real *grad, *mo, *ve;
	int32_t *tokens, *targets;
};

static inline int tt_run_new(struct tt_run *r, const struct lt_config *c,
			     const struct lt_hparams *h, unsigned int threads)
{
	size_t n = (size_t)h->batch * c->ctx;

	memset(r, 0, sizeof(*r));
	r->h = *h;
	if (lt_model_new(c, &r->m))
		return -1;
	lt_model_init(&r->m, h->seed);
	r->grad = calloc(r->m.n_params, sizeof(real));
	r->mo = calloc(r->m.n_params, sizeof(real));
	r->ve = calloc(r->m.n_params, sizeof(real));
	r->tokens = calloc(n, sizeof(int32_t));
	r->targets = calloc(n, sizeof(int32_t));
	if (!r->grad || !r->mo || !r->ve || !r->tokens || !r->targets)
		return -1;
	if (lt_pool_new(threads, &r->pool) || lt_acts_new(&r->m, h->batch, c->ctx, &r->acts))
		return -1;
	return 0;
}

static inline void tt_run_free(struct tt_run *r)
{
	lt_acts_free(r->acts);
	lt_pool_free(r->pool);
	lt_model_free(&r->m);
	free(r->grad);
	free(r->mo);
	free(r->ve);
	free(r->tokens);
	free(r->targets);
}

/* Steps [from, to) on text x; returns the last loss. */
static inline double tt_steps(struct tt_run *r, const struct lt_text *x, uint32_t from, uint32_t to)
{
	struct lt_trainer t = {.m = &r->m,
			       .acts = r->acts,
			       .pool = r->pool,
			       .text = x,
			       .bos = 0,
			       .h = &r->h,
			       .grad = r->grad,
			       .mo = r->mo,
			       .ve = r->ve,
			       .tokens = r->tokens,
			       .targets = r->targets};
	double loss = 0, gnorm;
	uint32_t s;

	for (s = from; s < to; s++)
		loss = lt_step(&t, s, &gnorm);
	return loss;
}

/* A new temporary directory (malloc()ed name), or NULL. */
static inline char *tt_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *d = malloc(4096);

	if (!d)
		return NULL;
	snprintf(d, 4096, "%.200s/lutcore-train-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

/* Remove the directory and the files in it (one level), and free d. */
static inline void tt_rmdir(char *d)
{
	char p[4400];
	struct dirent *e;
	DIR *dir;

	if (!d)
		return;
	dir = opendir(d);
	while (dir && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
			unlink(p);
		}
	if (dir)
		closedir(dir);
	rmdir(d);
	free(d);
}

#endif /* LUTCORE_TRAIN_TEST_H */
