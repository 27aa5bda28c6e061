// SPDX-License-Identifier: MIT
/*
 * lutcore-train's backward pass: the gradient of the last forward's mean
 * cross-entropy with respect to every parameter, layer by layer from the
 * top. Projections use the weights the forward pass used (weff), so for a
 * ternary model the gradient is W_q's, and it is stored as the latent
 * W's: BitNet's straight-through estimator.
 *
 * Every reduction runs in a fixed order: weight gradients are matrix
 * products over all tokens in ascending order, norm weights are summed
 * per column over the rows in order, and each embedding row adds its
 * tokens in order; the threads only split the outputs.
 */
#include <math.h>
#include <string.h>

#include "acts.h"

struct rows_job {
	struct lt_acts *a;
	const real *dy, *x, *w, *rs, *base;
	real *out, *gw;
	size_t cols;
	uint32_t layer;
};

/*
 * out = base + dx for y = x * rs * w (RMSNorm):
 * dx_j = rs * w_j * dy_j - x_j * rs^3 / n * sum_i dy_i * w_i * x_i.
 */
static void rms_dx_rows(void *ctx, size_t b, size_t e)
{
	const struct rows_job *j = ctx;
	size_t r, i, n = j->cols;

	for (r = b; r < e; r++) {
		const real *dy = j->dy + r * n, *x = j->x + r * n, *bs = j->base + r * n;
		real s = j->rs[r], c, *o = j->out + r * n;
		double dot = 0;

		for (i = 0; i < n; i++)
			dot += (double)dy[i] * j->w[i] * x[i];
		c = (real)(dot * s * s * s / (double)n);
		for (i = 0; i < n; i++)
			o[i] = bs[i] + (s * j->w[i] * dy[i] - x[i] * c);
	}
}

/* gw_i = sum over rows of dy_i * x_i * rs, columns [b, e). */
static void rms_dw_cols(void *ctx, size_t b, size_t e)
{
	const struct rows_job *j = ctx;
	size_t r, i, n = j->cols, rows = (size_t)j->a->b * j->a->t;

	for (i = b; i < e; i++)
		j->gw[i] = 0;
	for (r = 0; r < rows; r++)
		for (i = b; i < e; i++)
			j->gw[i] += j->dy[r * n + i] * j->x[r * n + i] * j->rs[r];
}

static void rmsnorm_backward(struct lt_pool *pool, struct lt_acts *a, const real *dy, const real *x,
			     const real *w, const real *rs, const real *base, real *out, real *gw)
{
	struct rows_job j = {.a = a,
			     .dy = dy,
			     .x = x,
			     .w = w,
			     .rs = rs,
			     .base = base,
			     .out = out,
			     .gw = gw,
			     .cols = a->d};

	lt_parallel(pool, a->d, 8, rms_dw_cols, &j);
	lt_parallel(pool, (size_t)a->b * a->t, 16, rms_dx_rows, &j);
}

/* m = silu(g) * u: du = dm * silu(g), dg = dm * u * sigma(g) (1 + g (1 - sigma(g))). */
static void swiglu_back_rows(void *ctx, size_t b, size_t e)
{
	const struct rows_job *j = ctx;
	const struct lt_acts *a = j->a;
	const struct lt_layer_acts *la = &a->l[j->layer];
	size_t i;

	for (i = b * a->f; i < e * a->f; i++) {
		real g = la->gate[i], sg = (real)(1 / (1 + exp(-(double)g)));

		a->dup[i] = a->dm[i] * g * sg;
		a->dgate[i] = a->dm[i] * la->up[i] * sg * (1 + g * (1 - sg));
	}
}

/* d(loss)/d(logits) = (softmax - onehot) / scored, 0 for unscored rows. */
static void dlogits_rows(void *ctx, size_t b, size_t e)
{
	const struct rows_job *j = ctx;
	const struct lt_acts *a = j->a;
	real inv = (real)(1.0 / (double)a->n_scored);
	size_t r, v;

	for (r = b; r < e; r++) {
		const real *z = a->logits + r * a->vocab;
		real *dz = a->dlogits + r * a->vocab;

		if (a->targets[r] < 0) {
			memset(dz, 0, a->vocab * sizeof(real));
			continue;
		}
		for (v = 0; v < a->vocab; v++)
			dz[v] = (real)exp((double)(z[v] - a->lse[r])) * inv;
		dz[a->targets[r]] -= inv;
	}
}

/* ---- Attention ---------------------------------------------------------------- */

struct att_job {
	struct lt_acts *a;
	const struct lt_layer_acts *la;
};

/* dS = P (dP - rowsum(P dP)) * scale over the causal part; 0 elsewhere. */
static void softmax_back(const real *p, real *ds, size_t t, real scale)
{
	size_t r, s;

	for (r = 0; r < t; r++) {
		const real *pr = p + r * t;
		real *dr = ds + r * t;
		double dot = 0;

		for (s = 0; s <= r; s++)
			dot += (double)pr[s] * dr[s];
		for (s = 0; s <= r; s++)
			dr[s] = pr[s] * (dr[s] - (real)dot) * scale;
		for (; s < t; s++)
			dr[s] = 0;
	}
}

/* One (sequence, kv head): its query heads in order, so dK, dV add up alike. */
static void att_back_task(void *ctx, size_t b, size_t e)
{
	const struct att_job *j = ctx;
	struct lt_acts *a = j->a;
	const struct lt_layer_acts *la = j->la;
	size_t it, gi, s, i, t = a->t, group = a->heads / a->kv_heads;
	real scale = (real)(1.0 / sqrt((double)a->hd));

	for (it = b; it < e; it++) {
		size_t seq = it / a->kv_heads, kh = it % a->kv_heads;
		real *ds = a->datt + it * (t * t + a->hd * t), *vt = ds + t * t;
		const real *k = la->k + seq * t * a->kvd + kh * a->hd;
		const real *v = la->v + seq * t * a->kvd + kh * a->hd;
		real *dk = a->dk + seq * t * a->kvd + kh * a->hd;
		real *dv = a->dv + seq * t * a->kvd + kh * a->hd;

		for (s = 0; s < t; s++)
			for (i = 0; i < a->hd; i++)
				vt[i * t + s] = v[s * a->kvd + i];
		for (gi = 0; gi < group; gi++) {
			size_t h = kh * group + gi;
			const real *p = la->att + (seq * a->heads + h) * t * t;
			const real *q = la->q + seq * t * a->d + h * a->hd;
			const real *dout = a->dao + seq * t * a->d + h * a->hd;

			real *dq = a->dq + seq * t * a->d + h * a->hd;
			size_t r0, n;

			/* dP = dO V^T, then through the softmax (causal blocks). */
			for (r0 = 0; r0 < t; r0 += n) {
				n = t - r0 < LT_ATT_ROWS ? t - r0 : LT_ATT_ROWS;
				lt_gemm(ds + r0 * t, t, dout + r0 * a->d, a->d, 1, vt, t, n, r0 + n,
					a->hd, false);
			}
			softmax_back(p, ds, t, scale);
			/*
			 * dQ = dS K over the keys up to each block's last row; dK = dS^T Q
			 * and dV = P^T dO over the queries from each block's first row:
			 * the terms left out are exact zeros.
			 */
			for (r0 = 0; r0 < t; r0 += n) {
				n = t - r0 < LT_ATT_ROWS ? t - r0 : LT_ATT_ROWS;
				lt_gemm(dq + r0 * a->d, a->d, ds + r0 * t, t, 1, k, a->kvd, n,
					a->hd, r0 + n, false);
				lt_gemm(dk + r0 * a->kvd, a->kvd, ds + r0 * t + r0, 1, t,
					q + r0 * a->d, a->d, n, a->hd, t - r0, gi > 0);
				lt_gemm(dv + r0 * a->kvd, a->kvd, p + r0 * t + r0, 1, t,
					dout + r0 * a->d, a->d, n, a->hd, t - r0, gi > 0);
			}
		}
	}
}

/* ---- Linear layers --------------------------------------------------------------- */

/*
 * For y[N][n] = x[N][k] W^T: gW[n][k] = dy^T x, and dx[N][k] = dy W (added
 * to dx when acc).
 */
static void linear_back(struct lt_pool *pool, const struct lt_model *m, size_t ti, const real *dy,
			const real *x, real *dx, real *g, size_t rows, bool acc)
{
	const struct lt_tensor *t = &m->t[ti];

	lt_gemm_par(pool, g + t->off, t->k, dy, 1, t->n, x, t->k, t->n, t->k, rows, false);
	if (dx)
		lt_gemm_par(pool, dx, t->k, dy, t->n, 1, m->weff + t->off, t->k, rows, t->k, t->n,
			    acc);
}

static void layer_backward(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool, uint32_t l,
			   real *g)
{
	struct lt_layer_acts *la = &a->l[l];
	size_t base = lt_layer_base(l), n = (size_t)a->b * a->t;
	struct rows_job sj = {.a = a, .cols = a->f, .layer = l};
	struct att_job aj = {a, la};
	const struct lt_tensor *an = &m->t[base + LT_T_ATTN_NORM];
	const struct lt_tensor *fn = &m->t[base + LT_T_FFN_NORM];

	/* FFN: a->dx is the gradient of the layer's output. */
	linear_back(pool, m, base + LT_T_DOWN, a->dx, la->m, a->dm, g, n, false);
	lt_parallel(pool, n, 16, swiglu_back_rows, &sj);
	linear_back(pool, m, base + LT_T_GATE, a->dgate, la->h2, a->dh, g, n, false);
	linear_back(pool, m, base + LT_T_UP, a->dup, la->h2, a->dh, g, n, true);
	rmsnorm_backward(pool, a, a->dh, la->xm, m->p + fn->off, la->rs2, a->dx, a->dxm,
			 g + fn->off);
	/* Attention. */
	linear_back(pool, m, base + LT_T_O, a->dxm, la->ao, a->dao, g, n, false);
	lt_parallel(pool, (size_t)a->b * a->kv_heads, 1, att_back_task, &aj);
	lt_rope(pool, a, a->dq, a->dk, true);
	linear_back(pool, m, base + LT_T_Q, a->dq, la->h1, a->dh, g, n, false);
	linear_back(pool, m, base + LT_T_K, a->dk, la->h1, a->dh, g, n, true);
	linear_back(pool, m, base + LT_T_V, a->dv, la->h1, a->dh, g, n, true);
	rmsnorm_backward(pool, a, a->dh, la->x, m->p + an->off, la->rs1, a->dxm, a->dx,
			 g + an->off);
}

struct embed_job {
	const struct lt_model *m;
	const struct lt_acts *a;
	real *g;
};

/* Token rows [b, e) of the embedding gradient: their tokens, in order. */
static void embed_back(void *ctx, size_t b, size_t e)
{
	const struct embed_job *j = ctx;
	const struct lt_acts *a = j->a;
	size_t r, i, n = (size_t)a->b * a->t, d = a->d;
	real *g = j->g + j->m->t[0].off;

	memset(g + b * d, 0, (e - b) * d * sizeof(real));
	for (r = 0; r < n; r++) {
		size_t tok = (size_t)a->tokens[r];

		if (tok >= b && tok < e)
			for (i = 0; i < d; i++)
				g[tok * d + i] += a->dx[r * d + i];
	}
}

void lt_backward(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool, real *g)
{
	size_t n = (size_t)a->b * a->t, on = lt_output_norm_index(m);
	struct rows_job lj = {.a = a};
	struct embed_job ej = {m, a, g};
	int l;

	lt_parallel(pool, n, 16, dlogits_rows, &lj);
	linear_back(pool, m, lt_output_index(m), a->dlogits, a->hf, a->dh, g, n, false);
	memset(a->dxm, 0, n * a->d * sizeof(real));
	rmsnorm_backward(pool, a, a->dh, a->xf, m->p + m->t[on].off, a->rsf, a->dxm, a->dx,
			 g + m->t[on].off);
	for (l = (int)m->c.layers - 1; l >= 0; l--)
		layer_backward(m, a, pool, (uint32_t)l, g);
	lt_parallel(pool, m->c.vocab, 1, embed_back, &ej);
}
