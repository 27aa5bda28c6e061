// SPDX-License-Identifier: MIT
/*
 * The reference forward pass (ref_forward.h): one token at a time, every
 * step a loop in double precision, written from the model's definition
 * (anchors-compute.md section 3.5) rather than from the runtime's stream,
 * so that the two are independent.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_forward.h"

struct ref_state {
	uint32_t ctx, pos, kvw, n_layer;
	double *k, *v; /* [layer][ctx][kv_heads * head_dim] */
	double *x, *h, *q, *kk, *vv, *att, *o, *g, *u, *scores;
};

struct ref_state *ref_state_new(const struct ref_model *rm, uint32_t ctx)
{
	struct ref_state *s = calloc(1, sizeof(*s));
	size_t kvw = (size_t)rm->kv_heads * rm->head_dim,
	       wide = rm->dim > rm->ff ? rm->dim : rm->ff;

	if (!s)
		return NULL;
	s->ctx = ctx;
	s->kvw = (uint32_t)kvw;
	s->n_layer = rm->n_layer;
	s->k = calloc((size_t)rm->n_layer * ctx * kvw, sizeof(double));
	s->v = calloc((size_t)rm->n_layer * ctx * kvw, sizeof(double));
	s->x = calloc(rm->dim, sizeof(double));
	s->h = calloc(wide, sizeof(double));
	s->q = calloc(rm->dim, sizeof(double));
	s->kk = calloc(kvw, sizeof(double));
	s->vv = calloc(kvw, sizeof(double));
	s->att = calloc(rm->dim, sizeof(double));
	s->o = calloc(rm->dim, sizeof(double));
	s->g = calloc(rm->ff, sizeof(double));
	s->u = calloc(rm->ff, sizeof(double));
	s->scores = calloc(ctx, sizeof(double));
	if (!s->k || !s->v || !s->x || !s->h || !s->q || !s->kk || !s->vv || !s->att || !s->o ||
	    !s->g || !s->u || !s->scores) {
		ref_state_free(s);
		return NULL;
	}
	return s;
}

void ref_state_free(struct ref_state *s)
{
	if (!s)
		return;
	free(s->k);
	free(s->v);
	free(s->x);
	free(s->h);
	free(s->q);
	free(s->kk);
	free(s->vv);
	free(s->att);
	free(s->o);
	free(s->g);
	free(s->u);
	free(s->scores);
	free(s);
}

void ref_rewind(struct ref_state *s, uint32_t pos)
{
	if (pos < s->pos)
		s->pos = pos;
}

/* y = x / sqrt(mean(x^2) + eps) * w */
static void rmsnorm(double *y, const double *x, const float *w, uint32_t n, double eps)
{
	double ss = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		ss += x[i] * x[i];
	ss = 1.0 / sqrt(ss / n + eps);
	for (i = 0; i < n; i++)
		y[i] = x[i] * ss * w[i];
}

/* y[n] = W[n][k] x[k] */
static void matvec(double *y, const float *w, const double *x, uint32_t n, uint32_t k)
{
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		double acc = 0;

		for (j = 0; j < k; j++)
			acc += (double)w[(size_t)i * k + j] * x[j];
		y[i] = acc;
	}
}

/* Rotate each head of x ([heads][head_dim]) for position pos. */
static void rope(const struct ref_model *rm, double *x, uint32_t heads, uint32_t pos)
{
	uint32_t h, i, half = rm->n_rot / 2;

	for (h = 0; h < heads; h++) {
		double *hx = x + (size_t)h * rm->head_dim;

		for (i = 0; i < half; i++) {
			double a = pos * pow(rm->rope_base, -2.0 * i / rm->n_rot);
			uint32_t i0 = rm->neox ? i : 2 * i, i1 = rm->neox ? i + half : 2 * i + 1;
			double x0 = hx[i0], x1 = hx[i1];

			hx[i0] = x0 * cos(a) - x1 * sin(a);
			hx[i1] = x0 * sin(a) + x1 * cos(a);
		}
	}
}

/* Causal softmax attention of query q over positions 0..pos of layer l. */
static void attention(const struct ref_model *rm, struct ref_state *s, uint32_t l)
{
	uint32_t hd = rm->head_dim, group = rm->heads / rm->kv_heads, h, t, i;
	const double *kc = s->k + (size_t)l * s->ctx * s->kvw;
	const double *vc = s->v + (size_t)l * s->ctx * s->kvw;

	for (h = 0; h < rm->heads; h++) {
		const double *qh = s->q + (size_t)h * hd;
		uint32_t kvh = h / group;
		double max = -INFINITY, sum = 0;

		for (t = 0; t <= s->pos; t++) {
			const double *kt = kc + (size_t)t * s->kvw + (size_t)kvh * hd;
			double d = 0;

			for (i = 0; i < hd; i++)
				d += qh[i] * kt[i];
			s->scores[t] = d / sqrt((double)hd);
			max = s->scores[t] > max ? s->scores[t] : max;
		}
		for (t = 0; t <= s->pos; t++) {
			s->scores[t] = exp(s->scores[t] - max);
			sum += s->scores[t];
		}
		for (i = 0; i < hd; i++) {
			double acc = 0;

			for (t = 0; t <= s->pos; t++)
				acc += s->scores[t] * vc[(size_t)t * s->kvw + (size_t)kvh * hd + i];
			s->att[(size_t)h * hd + i] = acc / sum;
		}
	}
}

static double act(const struct ref_model *rm, double g)
{
	if (rm->relu2)
		return g > 0 ? g * g : 0;
	return g / (1.0 + exp(-g));
}

static void block(const struct ref_model *rm, struct ref_state *s, uint32_t l)
{
	const struct ref_layer *ly = &rm->layers[l];
	uint32_t d = rm->dim, i;

	rmsnorm(s->h, s->x, ly->attn_norm, d, rm->eps);
	matvec(s->q, ly->wq, s->h, d, d);
	matvec(s->kk, ly->wk, s->h, s->kvw, d);
	matvec(s->vv, ly->wv, s->h, s->kvw, d);
	rope(rm, s->q, rm->heads, s->pos);
	rope(rm, s->kk, rm->kv_heads, s->pos);
	memcpy(s->k + ((size_t)l * s->ctx + s->pos) * s->kvw, s->kk, s->kvw * sizeof(double));
	memcpy(s->v + ((size_t)l * s->ctx + s->pos) * s->kvw, s->vv, s->kvw * sizeof(double));
	attention(rm, s, l);
	if (ly->attn_sub_norm)
		rmsnorm(s->att, s->att, ly->attn_sub_norm, d, rm->eps);
	matvec(s->o, ly->wo, s->att, d, d);
	for (i = 0; i < d; i++)
		s->x[i] += s->o[i];

	rmsnorm(s->h, s->x, ly->ffn_norm, d, rm->eps);
	matvec(s->g, ly->gate, s->h, rm->ff, d);
	matvec(s->u, ly->up, s->h, rm->ff, d);
	for (i = 0; i < rm->ff; i++)
		s->g[i] = act(rm, s->g[i]) * s->u[i];
	if (ly->ffn_sub_norm)
		rmsnorm(s->g, s->g, ly->ffn_sub_norm, rm->ff, rm->eps);
	matvec(s->o, ly->down, s->g, d, rm->ff);
	for (i = 0; i < d; i++)
		s->x[i] += s->o[i];
}

int ref_step(const struct ref_model *rm, struct ref_state *s, int32_t token, double *logits)
{
	uint32_t i, l;

	if (s->pos >= s->ctx || token < 0 || (uint32_t)token >= rm->vocab)
		return -1;
	for (i = 0; i < rm->dim; i++)
		s->x[i] = rm->embd[(size_t)token * rm->dim + i];
	for (l = 0; l < rm->n_layer; l++)
		block(rm, s, l);
	rmsnorm(s->h, s->x, rm->out_norm, rm->dim, rm->eps);
	matvec(logits, rm->out, s->h, rm->vocab, rm->dim);
	s->pos++;
	return 0;
}
