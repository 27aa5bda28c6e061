// SPDX-License-Identifier: MIT
/*
 * lutcore-train's model: the tensor layout in one flat parameter array,
 * initial values, and the weights the forward pass uses (ternarized
 * projections, transposed copies for the matrix kernel).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/quant.h"
#include "lutcore/sampling.h"
#include "train.h"

static int __attribute__((format(printf, 3, 4))) bad(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int lt_config_check(const struct lt_config *c, char *err, size_t size)
{
	if (!c->dim || c->dim > 8192)
		return bad(err, size, "--dim %u is not within 1..8192", c->dim);
	if (!c->layers || c->layers > 64)
		return bad(err, size, "--layers %u is not within 1..64", c->layers);
	if (!c->heads || c->dim % c->heads || (c->dim / c->heads) % 2)
		return bad(err, size, "--heads %u must divide --dim %u into an even head size",
			   c->heads, c->dim);
	if (!c->kv_heads || c->heads % c->kv_heads)
		return bad(err, size, "--kv-heads %u must divide --heads %u", c->kv_heads,
			   c->heads);
	if (!c->ffn || c->ffn > 65536)
		return bad(err, size, "--ffn %u is not within 1..65536", c->ffn);
	if (c->vocab < 2 || c->vocab > 1u << 20)
		return bad(err, size, "the vocabulary of %u tokens is not within 2..1048576",
			   c->vocab);
	if (c->ctx < 2 || c->ctx > 8192)
		return bad(err, size, "--ctx %u is not within 2..8192", c->ctx);
	if (!(c->eps > 0) || !(c->rope_base > 1))
		return bad(err, size, "the norm epsilon must be > 0 and the RoPE base > 1");
	return 0;
}

size_t lt_layer_base(uint32_t l)
{
	return 1 + (size_t)l * LT_T_PER_LAYER;
}

size_t lt_output_norm_index(const struct lt_model *m)
{
	return lt_layer_base(m->c.layers);
}

size_t lt_output_index(const struct lt_model *m)
{
	return lt_layer_base(m->c.layers) + 1;
}

static void put(struct lt_model *m, size_t i, const char *name, enum lt_kind kind, uint32_t n,
		uint32_t k)
{
	struct lt_tensor *t = &m->t[i];

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->kind = kind;
	t->n = n;
	t->k = k;
	t->off = m->n_params;
	m->n_params += (size_t)n * k;
}

/* The tensors of layer l in llama.cpp's names and GGUF order. */
static void layout_layer(struct lt_model *m, uint32_t l)
{
	static const struct {
		const char *suffix;
		enum lt_kind kind;
	} names[LT_T_PER_LAYER] = {
		{"attn_norm", LT_NORM}, {"attn_q", LT_PROJ},	  {"attn_k", LT_PROJ},
		{"attn_v", LT_PROJ},	{"attn_output", LT_PROJ}, {"ffn_norm", LT_NORM},
		{"ffn_gate", LT_PROJ},	{"ffn_up", LT_PROJ},	  {"ffn_down", LT_PROJ},
	};
	uint32_t d = m->c.dim, kv = m->c.dim / m->c.heads * m->c.kv_heads, f = m->c.ffn;
	const uint32_t shape[LT_T_PER_LAYER][2] = {{1, d}, {d, d}, {kv, d}, {kv, d}, {d, d},
						   {1, d}, {f, d}, {f, d},  {d, f}};
	char name[LUT_GGUF_MAX_NAME + 1];
	int i;

	for (i = 0; i < LT_T_PER_LAYER; i++) {
		snprintf(name, sizeof(name), "blk.%u.%s.weight", l, names[i].suffix);
		put(m, lt_layer_base(l) + (size_t)i, name, names[i].kind, shape[i][0], shape[i][1]);
	}
}

int lt_model_new(const struct lt_config *c, struct lt_model *m)
{
	uint32_t l;

	memset(m, 0, sizeof(*m));
	m->c = *c;
	m->n_tensors = lt_layer_base(c->layers) + 2;
	m->t = calloc(m->n_tensors, sizeof(*m->t));
	m->scale = calloc(m->n_tensors, sizeof(*m->scale));
	if (!m->t || !m->scale)
		goto oom;
	put(m, 0, "token_embd.weight", LT_EMBD, c->vocab, c->dim);
	for (l = 0; l < c->layers; l++)
		layout_layer(m, l);
	put(m, lt_output_norm_index(m), "output_norm.weight", LT_NORM, 1, c->dim);
	put(m, lt_output_index(m), "output.weight", LT_OUTPUT, c->vocab, c->dim);
	m->p = calloc(m->n_params, sizeof(real));
	m->weff = calloc(m->n_params, sizeof(real));
	m->wt = calloc(m->n_params, sizeof(real));
	if (!m->p || !m->weff || !m->wt)
		goto oom;
	return 0;
oom:
	lt_model_free(m);
	return -ENOMEM;
}

void lt_model_free(struct lt_model *m)
{
	free(m->t);
	free(m->scale);
	free(m->p);
	free(m->weff);
	free(m->wt);
	memset(m, 0, sizeof(*m));
}

void lt_model_init(struct lt_model *m, uint64_t seed)
{
	struct lut_rng r;
	size_t i, j;

	lut_rng_seed(&r, seed);
	for (i = 0; i < m->n_tensors; i++) {
		const struct lt_tensor *t = &m->t[i];
		real *p = m->p + t->off;
		size_t n = (size_t)t->n * t->k;
		double sd = 0.02, a;

		if (t->kind == LT_NORM) {
			for (j = 0; j < n; j++)
				p[j] = 1;
			continue;
		}
		/* GPT-2's scheme: the residual branches' last layers smaller. */
		if (strstr(t->name, "attn_output") || strstr(t->name, "ffn_down"))
			sd /= sqrt(2.0 * m->c.layers);
		a = sd * sqrt(3.0); /* uniform in [-a, a] has this deviation */
		for (j = 0; j < n; j++)
			p[j] = (real)((2 * lut_rng_uniform(&r) - 1) * a);
	}
}

float lt_absmean_scale(const real *w, size_t n)
{
	double s = 0;
	size_t i;
	float f;

	for (i = 0; i < n; i++)
		s += fabs((double)w[i]);
	f = lut_ggml_f16_to_f32(lut_ggml_f32_to_f16((float)(n ? s / (double)n : 0)));
	/* A zero or subnormal scale would make W / s blow up. */
	return f >= 0x1p-14f ? f : 0x1p-14f;
}

/* W_q = clamp(round(W / s), -1, 1) * s, ties (|W| = s/2) to zero. */
static void ternarize(const real *w, real *q, size_t n, float s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		real x = w[i] / (real)s;

		q[i] = x > (real)0.5 ? (real)s : x < (real)-0.5 ? -(real)s : 0;
	}
}

struct prep_job {
	struct lt_model *m;
};

static void prep_tensors(void *ctx, size_t b, size_t e)
{
	struct lt_model *m = ((struct prep_job *)ctx)->m;
	size_t i;

	for (i = b; i < e; i++) {
		const struct lt_tensor *t = &m->t[i];
		size_t n = (size_t)t->n * t->k;

		if (t->kind != LT_PROJ && t->kind != LT_OUTPUT)
			continue;
		if (t->kind == LT_PROJ && m->c.ternary) {
			m->scale[i] = lt_absmean_scale(m->p + t->off, n);
			ternarize(m->p + t->off, m->weff + t->off, n, m->scale[i]);
		} else {
			m->scale[i] = 0;
			memcpy(m->weff + t->off, m->p + t->off, n * sizeof(real));
		}
		lt_transpose(m->wt + t->off, m->weff + t->off, t->n, t->k);
	}
}

void lt_model_prepare(struct lt_model *m, struct lt_pool *pool)
{
	struct prep_job j = {m};

	lt_parallel(pool, m->n_tensors, 1, prep_tensors, &j);
}
