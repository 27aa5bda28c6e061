// SPDX-License-Identifier: MIT
/*
 * lutcore-train's forward pass, llama as llama.cpp runs it:
 *
 *   x = token_embd[token]
 *   per layer:  h = rmsnorm(x) * attn_norm
 *               q, k, v = h Wq^T, h Wk^T, h Wv^T;  q, k = rope(q), rope(k)
 *               x = x + attention(q, k, v) Wo^T
 *               h = rmsnorm(x) * ffn_norm
 *               x = x + (silu(h Wg^T) * (h Wu^T)) Wd^T
 *   logits = (rmsnorm(x) * output_norm) Wout^T
 *
 * rmsnorm(x) = x / sqrt(mean(x^2) + eps). RoPE turns the adjacent pair
 * (2i, 2i+1) of each head by pos * base^(-2i/head_dim) (GGUF "llama",
 * LUTC_ROPE_NORM), angles, sines and cosines in double. Attention is
 * causal, scaled by 1/sqrt(head_dim), with grouped-query heads (query
 * head h reads kv head h / (heads / kv_heads)).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "acts.h"

/* ---- Allocation ------------------------------------------------------------- */

static real *alloc_reals(size_t n, bool *fail)
{
	real *p = calloc(n ? n : 1, sizeof(real));

	if (!p)
		*fail = true;
	return p;
}

int lt_acts_new(const struct lt_model *m, uint32_t b, uint32_t t, struct lt_acts **out)
{
	struct lt_acts *a = calloc(1, sizeof(*a));
	const struct lt_config *c = &m->c;
	size_t n = (size_t)b * t;
	bool fail = false;
	uint32_t l;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->b_max = b;
	a->t_max = t;
	a->d = c->dim;
	a->hd = c->dim / c->heads;
	a->kvd = a->hd * c->kv_heads;
	a->f = c->ffn;
	a->vocab = c->vocab;
	a->layers = c->layers;
	a->heads = c->heads;
	a->kv_heads = c->kv_heads;
	a->tokens = calloc(n, sizeof(int32_t));
	a->targets = calloc(n, sizeof(int32_t));
	a->l = calloc(c->layers, sizeof(*a->l));
	if (!a->tokens || !a->targets || !a->l) {
		lt_acts_free(a);
		return -ENOMEM;
	}
	for (l = 0; l < c->layers; l++) {
		struct lt_layer_acts *la = &a->l[l];

		la->x = alloc_reals(n * a->d, &fail);
		la->h1 = alloc_reals(n * a->d, &fail);
		la->rs1 = alloc_reals(n, &fail);
		la->q = alloc_reals(n * a->d, &fail);
		la->k = alloc_reals(n * a->kvd, &fail);
		la->v = alloc_reals(n * a->kvd, &fail);
		la->att = alloc_reals((size_t)b * c->heads * t * t, &fail);
		la->ao = alloc_reals(n * a->d, &fail);
		la->xm = alloc_reals(n * a->d, &fail);
		la->h2 = alloc_reals(n * a->d, &fail);
		la->rs2 = alloc_reals(n, &fail);
		la->gate = alloc_reals(n * a->f, &fail);
		la->up = alloc_reals(n * a->f, &fail);
		la->m = alloc_reals(n * a->f, &fail);
	}
	a->xf = alloc_reals(n * a->d, &fail);
	a->hf = alloc_reals(n * a->d, &fail);
	a->rsf = alloc_reals(n, &fail);
	a->logits = alloc_reals(n * a->vocab, &fail);
	a->lse = alloc_reals(n, &fail);
	a->rope = alloc_reals((size_t)t * a->hd, &fail);
	a->kt = alloc_reals(n * a->kvd, &fail);
	a->dlogits = alloc_reals(n * a->vocab, &fail);
	a->dx = alloc_reals(n * a->d, &fail);
	a->dxm = alloc_reals(n * a->d, &fail);
	a->dh = alloc_reals(n * a->d, &fail);
	a->dao = alloc_reals(n * a->d, &fail);
	a->dq = alloc_reals(n * a->d, &fail);
	a->dk = alloc_reals(n * a->kvd, &fail);
	a->dv = alloc_reals(n * a->kvd, &fail);
	a->dgate = alloc_reals(n * a->f, &fail);
	a->dup = alloc_reals(n * a->f, &fail);
	a->dm = alloc_reals(n * a->f, &fail);
	a->datt = alloc_reals((size_t)b * c->kv_heads * ((size_t)t * t + (size_t)a->hd * t), &fail);
	if (fail) {
		lt_acts_free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void lt_acts_free(struct lt_acts *a)
{
	uint32_t l;

	if (!a)
		return;
	for (l = 0; a->l && l < a->layers; l++) {
		struct lt_layer_acts *la = &a->l[l];
		real **p[] = {&la->x,  &la->h1, &la->rs1, &la->q,   &la->k,    &la->v,	&la->att,
			      &la->ao, &la->xm, &la->h2,  &la->rs2, &la->gate, &la->up, &la->m};
		size_t i;

		for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
			free(*p[i]);
	}
	free(a->l);
	free(a->tokens);
	free(a->targets);
	free(a->xf);
	free(a->hf);
	free(a->rsf);
	free(a->logits);
	free(a->lse);
	free(a->rope);
	free(a->kt);
	free(a->dlogits);
	free(a->dx);
	free(a->dxm);
	free(a->dh);
	free(a->dao);
	free(a->dq);
	free(a->dk);
	free(a->dv);
	free(a->dgate);
	free(a->dup);
	free(a->dm);
	free(a->datt);
	free(a);
}

/* ---- Row operations ------------------------------------------------------------ */

struct rows_job {
	struct lt_acts *a;
	const struct lt_model *m;
	const real *x, *w;
	real *y, *rs;
	size_t cols;
	uint32_t layer;
};

/* y = x / sqrt(mean(x^2) + eps) * w, row by row; rs = the 1/rms. */
static void rmsnorm_rows(void *ctx, size_t b, size_t e)
{
	const struct rows_job *j = ctx;
	size_t r, i, n = j->cols;

	for (r = b; r < e; r++) {
		const real *x = j->x + r * n;
		double ss = 0;
		real s;

		for (i = 0; i < n; i++)
			ss += (double)x[i] * x[i];
		s = (real)(1.0 / sqrt(ss / (double)n + j->m->c.eps));
		j->rs[r] = s;
		for (i = 0; i < n; i++)
			j->y[r * n + i] = x[i] * s * j->w[i];
	}
}

void lt_rmsnorm(struct lt_pool *pool, const struct lt_model *m, const real *x, const real *w,
		real *y, real *rs, size_t rows, size_t cols)
{
	struct rows_job j = {.m = m, .x = x, .w = w, .y = y, .rs = rs, .cols = cols};

	lt_parallel(pool, rows, 16, rmsnorm_rows, &j);
}

/* Turn each adjacent pair of each head of rows [b, e) by +angle or -angle. */
static void rope_rows(const struct lt_acts *a, real *x, size_t width, size_t b, size_t e,
		      bool inverse)
{
	size_t r, h, i, heads = width / a->hd;

	for (r = b; r < e; r++) {
		const real *cs = a->rope + (r % a->t) * a->hd;

		for (h = 0; h < heads; h++) {
			real *p = x + r * width + h * a->hd;

			for (i = 0; i < a->hd / 2; i++) {
				real c = cs[2 * i], s = inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
				real x0 = p[2 * i], x1 = p[2 * i + 1];

				p[2 * i] = x0 * c - x1 * s;
				p[2 * i + 1] = x0 * s + x1 * c;
			}
		}
	}
}

struct rope_job {
	const struct lt_acts *a;
	real *q, *k;
	bool inverse;
};

static void rope_task(void *ctx, size_t b, size_t e)
{
	const struct rope_job *j = ctx;

	rope_rows(j->a, j->q, j->a->d, b, e, j->inverse);
	rope_rows(j->a, j->k, j->a->kvd, b, e, j->inverse);
}

void lt_rope(struct lt_pool *pool, const struct lt_acts *a, real *q, real *k, bool inverse)
{
	struct rope_job j = {a, q, k, inverse};

	lt_parallel(pool, (size_t)a->b * a->t, 16, rope_task, &j);
}

/* cos and sin of pos * base^(-2i/hd), in double as the device does. */
static void rope_table(struct lt_acts *a, double base)
{
	uint32_t p, i;

	for (p = 0; p < a->t; p++)
		for (i = 0; i < a->hd / 2; i++) {
			double th = p * pow(base, -2.0 * i / a->hd);

			a->rope[p * a->hd + 2 * i] = (real)cos(th);
			a->rope[p * a->hd + 2 * i + 1] = (real)sin(th);
		}
}

static real silu(real g)
{
	return g / (1 + (real)exp(-(double)g));
}

static void swiglu_rows(void *ctx, size_t b, size_t e)
{
	const struct rows_job *j = ctx;
	const struct lt_layer_acts *la = &j->a->l[j->layer];
	size_t i;

	for (i = b * j->cols; i < e * j->cols; i++)
		la->m[i] = silu(la->gate[i]) * la->up[i];
}

/* ---- Attention ---------------------------------------------------------------- */

struct att_job {
	struct lt_acts *a;
	struct lt_layer_acts *la;
};

/* K of each (sequence, kv head) transposed to [hd][t], for Q K^T. */
static void kt_task(void *ctx, size_t b, size_t e)
{
	const struct att_job *j = ctx;
	const struct lt_acts *a = j->a;
	size_t it, s, i;

	for (it = b; it < e; it++) {
		size_t seq = it / a->kv_heads, kh = it % a->kv_heads;
		real *kt = a->kt + it * a->hd * a->t;

		for (s = 0; s < a->t; s++)
			for (i = 0; i < a->hd; i++)
				kt[i * a->t + s] =
					j->la->k[(seq * a->t + s) * a->kvd + kh * a->hd + i];
	}
}

/* Causal softmax of each row of scores p[t][t] (in place), scale applied. */
void lt_causal_softmax(real *p, size_t t, real scale)
{
	size_t r, s;

	for (r = 0; r < t; r++) {
		real *row = p + r * t, mx = -INFINITY;
		double sum = 0;

		for (s = 0; s <= r; s++) {
			row[s] *= scale;
			if (row[s] > mx)
				mx = row[s];
		}
		for (s = 0; s <= r; s++) {
			row[s] = (real)exp((double)(row[s] - mx));
			sum += row[s];
		}
		for (s = 0; s <= r; s++)
			row[s] = (real)(row[s] / sum);
		for (; s < t; s++)
			row[s] = 0;
	}
}

static void att_task(void *ctx, size_t b, size_t e)
{
	const struct att_job *j = ctx;
	const struct lt_acts *a = j->a;
	const struct lt_layer_acts *la = j->la;
	size_t it, t = a->t, group = a->heads / a->kv_heads;
	real scale = (real)(1.0 / sqrt((double)a->hd));

	for (it = b; it < e; it++) {
		size_t seq = it / a->heads, h = it % a->heads, kh = h / group;
		real *p = la->att + it * t * t;
		const real *q = la->q + seq * t * a->d + h * a->hd;
		const real *v = la->v + seq * t * a->kvd + kh * a->hd;

		const real *kt = a->kt + (seq * a->kv_heads + kh) * a->hd * t;
		real *o = la->ao + seq * t * a->d + h * a->hd;
		size_t r0, rows;

		/* Row blocks see only the keys up to their last row (causal). */
		for (r0 = 0; r0 < t; r0 += rows) {
			rows = t - r0 < LT_ATT_ROWS ? t - r0 : LT_ATT_ROWS;
			lt_gemm(p + r0 * t, t, q + r0 * a->d, a->d, 1, kt, t, rows, r0 + rows,
				a->hd, false);
		}
		lt_causal_softmax(p, t, scale);
		for (r0 = 0; r0 < t; r0 += rows) {
			rows = t - r0 < LT_ATT_ROWS ? t - r0 : LT_ATT_ROWS;
			lt_gemm(o + r0 * a->d, a->d, p + r0 * t, t, 1, v, a->kvd, rows, a->hd,
				r0 + rows, false);
		}
	}
}

/* ---- The pass --------------------------------------------------------------------- */

struct embed_job {
	const struct lt_model *m;
	const int32_t *tokens;
	real *x;
};

static void embed_rows(void *ctx, size_t b, size_t e)
{
	const struct embed_job *j = ctx;
	size_t r, d = j->m->c.dim;

	for (r = b; r < e; r++)
		memcpy(j->x + r * d, j->m->p + j->m->t[0].off + (size_t)j->tokens[r] * d,
		       d * sizeof(real));
}

/* y[N][n] = x[N][k] W^T (+ y when acc), W given as its transpose wt[k][n]. */
static void linear(struct lt_pool *pool, const struct lt_model *m, size_t ti, const real *x,
		   real *y, size_t rows, bool acc)
{
	const struct lt_tensor *t = &m->t[ti];

	lt_gemm_par(pool, y, t->n, x, t->k, 1, m->wt + t->off, t->n, rows, t->n, t->k, acc);
}

static void layer_forward(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool, uint32_t l,
			  real *xout)
{
	struct lt_layer_acts *la = &a->l[l];
	size_t base = lt_layer_base(l), n = (size_t)a->b * a->t;
	struct att_job aj = {a, la};
	struct rows_job sj = {.a = a, .cols = a->f, .layer = l};

	lt_rmsnorm(pool, m, la->x, m->p + m->t[base + LT_T_ATTN_NORM].off, la->h1, la->rs1, n,
		   a->d);
	linear(pool, m, base + LT_T_Q, la->h1, la->q, n, false);
	linear(pool, m, base + LT_T_K, la->h1, la->k, n, false);
	linear(pool, m, base + LT_T_V, la->h1, la->v, n, false);
	lt_rope(pool, a, la->q, la->k, false);
	lt_parallel(pool, (size_t)a->b * a->kv_heads, 1, kt_task, &aj);
	lt_parallel(pool, (size_t)a->b * a->heads, 1, att_task, &aj);
	memcpy(la->xm, la->x, n * a->d * sizeof(real));
	linear(pool, m, base + LT_T_O, la->ao, la->xm, n, true);
	lt_rmsnorm(pool, m, la->xm, m->p + m->t[base + LT_T_FFN_NORM].off, la->h2, la->rs2, n,
		   a->d);
	linear(pool, m, base + LT_T_GATE, la->h2, la->gate, n, false);
	linear(pool, m, base + LT_T_UP, la->h2, la->up, n, false);
	lt_parallel(pool, n, 16, swiglu_rows, &sj);
	memcpy(xout, la->xm, n * a->d * sizeof(real));
	linear(pool, m, base + LT_T_DOWN, la->m, xout, n, true);
}

struct loss_job {
	struct lt_acts *a;
	double *row_loss;
};

/* Each row's log-sum-exp, and its loss when it has a target. */
static void loss_rows(void *ctx, size_t b, size_t e)
{
	const struct loss_job *j = ctx;
	struct lt_acts *a = j->a;
	size_t r, v;

	for (r = b; r < e; r++) {
		const real *z = a->logits + r * a->vocab;
		real mx = z[0];
		double sum;

		for (v = 1; v < a->vocab; v++)
			if (z[v] > mx)
				mx = z[v];
		sum = exp((double)(z[0] - mx));
		for (v = 1; v < a->vocab; v++)
			sum += exp((double)(z[v] - mx));
		a->lse[r] = (real)(mx + log(sum));
		j->row_loss[r] = a->targets[r] >= 0 ? mx + log(sum) - z[a->targets[r]] : 0;
	}
}

double lt_forward(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool,
		  const int32_t *tokens, const int32_t *targets, uint32_t b, uint32_t t)
{
	size_t n = (size_t)b * t, r, on = lt_output_norm_index(m);
	struct embed_job ej = {m, a->tokens, a->l[0].x};
	double total = 0, *row_loss;
	struct loss_job lj;
	uint32_t l;

	if (b > a->b_max || t > a->t_max || !b || !t)
		return NAN; /* more than the activations were made for */
	if (a->t != t) {
		a->t = t;
		rope_table(a, m->c.rope_base);
	}
	a->b = b;
	memcpy(a->tokens, tokens, n * sizeof(int32_t));
	for (r = 0; r < n; r++)
		a->targets[r] = targets ? targets[r] : -1;
	lt_parallel(pool, n, 16, embed_rows, &ej);
	for (l = 0; l < m->c.layers; l++)
		layer_forward(m, a, pool, l, l + 1 < m->c.layers ? a->l[l + 1].x : a->xf);
	lt_rmsnorm(pool, m, a->xf, m->p + m->t[on].off, a->hf, a->rsf, n, a->d);
	linear(pool, m, lt_output_index(m), a->hf, a->logits, n, false);
	row_loss = calloc(n, sizeof(*row_loss));
	if (!row_loss)
		return NAN;
	lj = (struct loss_job){a, row_loss};
	lt_parallel(pool, n, 16, loss_rows, &lj);
	a->n_scored = 0;
	for (r = 0; r < n; r++) {
		total += row_loss[r];
		a->n_scored += a->targets[r] >= 0;
	}
	free(row_loss);
	return a->n_scored ? total / (double)a->n_scored : 0;
}

const real *lt_logits(const struct lt_acts *a, size_t i)
{
	return a->logits + i * a->vocab;
}
