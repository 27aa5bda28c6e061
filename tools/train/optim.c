// SPDX-License-Identifier: MIT
/*
 * lutcore-train's optimizer: AdamW (decoupled weight decay, on matrices
 * only: token_embd, the projections and the output head; not the norm
 * weights), a learning rate with linear warmup and cosine decay to
 * min_lr, and clipping to a global gradient norm. The norm is summed in
 * fixed chunks, so it is the same for every thread count.
 */
#include <math.h>
#include <stdlib.h>

#include "train.h"

#define CHUNK 4096 /* elements per partial sum of the gradient norm */

/* The defaults are the recipe of the default ternary model. */
void lt_hparams_default(struct lt_hparams *h)
{
	h->steps = 1000;
	h->warmup = 50;
	h->batch = 8;
	h->lr = 3e-3f;
	h->min_lr = 3e-4f;
	h->wd = 0.1f;
	h->beta1 = 0.9f;
	h->beta2 = 0.95f;
	h->adam_eps = 1e-8f;
	h->clip = 1.0f;
	h->seed = 1;
}

double lt_lr(const struct lt_hparams *h, uint32_t step)
{
	double p;

	if (step < h->warmup)
		return h->lr * (step + 1.0) / h->warmup;
	if (h->steps <= h->warmup)
		return h->lr;
	p = (double)(step - h->warmup) / (double)(h->steps - h->warmup);
	if (p > 1)
		p = 1;
	return h->min_lr + 0.5 * (h->lr - h->min_lr) * (1 + cos(M_PI * p));
}

struct adam_job {
	const struct lt_model *m;
	const struct lt_hparams *h;
	real *p, *g, *mo, *ve;
	double *part;
	double lr, c1, c2, gscale;
};

static void norm_chunks(void *ctx, size_t b, size_t e)
{
	const struct adam_job *j = ctx;
	size_t c, i, n = j->m->n_params;

	for (c = b; c < e; c++) {
		double s = 0;

		for (i = c * CHUNK; i < n && i < (c + 1) * CHUNK; i++)
			s += (double)j->g[i] * j->g[i];
		j->part[c] = s;
	}
}

/* Tensors [b, e): one AdamW update of each element. */
static void adam_tensors(void *ctx, size_t b, size_t e)
{
	const struct adam_job *j = ctx;
	const struct lt_hparams *h = j->h;
	size_t ti, i;

	for (ti = b; ti < e; ti++) {
		const struct lt_tensor *t = &j->m->t[ti];
		size_t n = (size_t)t->n * t->k;
		real *p = j->p + t->off, *g = j->g + t->off;
		real *mo = j->mo + t->off, *ve = j->ve + t->off;
		real decay = t->kind == LT_NORM ? 1 : (real)(1 - j->lr * h->wd);

		for (i = 0; i < n; i++) {
			real gi = g[i] * (real)j->gscale;

			mo[i] = h->beta1 * mo[i] + (1 - h->beta1) * gi;
			ve[i] = h->beta2 * ve[i] + (1 - h->beta2) * gi * gi;
			p[i] = p[i] * decay - (real)(j->lr * (mo[i] / j->c1) /
						     (sqrt(ve[i] / j->c2) + h->adam_eps));
		}
	}
}

double lt_adamw(const struct lt_model *m, const struct lt_hparams *h, uint32_t step, real *p,
		real *g, real *mo, real *ve, struct lt_pool *pool)
{
	size_t chunks = (m->n_params + CHUNK - 1) / CHUNK, c;
	struct adam_job j = {m, h, p, g, mo, ve, NULL, 0, 0, 0, 1};
	double ss = 0, norm;

	j.part = calloc(chunks, sizeof(double));
	if (!j.part)
		return NAN;
	lt_parallel(pool, chunks, 1, norm_chunks, &j);
	for (c = 0; c < chunks; c++)
		ss += j.part[c];
	free(j.part);
	norm = sqrt(ss);
	/* A NaN or infinite gradient would poison every weight: no update. */
	if (!isfinite(norm))
		return norm;
	if (h->clip > 0 && norm > h->clip)
		j.gscale = h->clip / norm;
	j.lr = lt_lr(h, step);
	j.c1 = 1 - pow(h->beta1, step + 1.0);
	j.c2 = 1 - pow(h->beta2, step + 1.0);
	lt_parallel(pool, m->n_tensors, 1, adam_tensors, &j);
	return norm;
}
