// SPDX-License-Identifier: MIT
/*
 * The model runtime's view of a GGUF file's metadata: the architecture,
 * the hyperparameters under "{arch}." (anchors-compute.md section 3.4, as
 * llama.cpp reads them), and the checks that every tensor the graph needs
 * exists with the shape the hyperparameters imply. Every message names
 * the key or the tensor at fault.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_priv.h"

/* "{arch}.{key}" */
static const char *akey(const struct lut_model *m, const char *key, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%s", m->arch, key);
	return buf;
}

/*
 * A u32 hyperparameter. llama.cpp also accepts a per-layer array for
 * some of them; the runtime runs uniform layers only, so an array must
 * hold one value throughout. Absent: -ENOENT (a message only if required).
 */
static int get_u32(struct lut_model *m, struct lut_gguf *g, const char *key, bool required,
		   uint32_t *v)
{
	struct lut_gguf_arr a;
	char k[128];
	uint64_t i;
	int64_t x, first = 0;
	int ret = lut_gguf_get_u32(g, akey(m, key, k, sizeof(k)), v);

	if (ret == -ENOENT)
		return required ? lm_fail(m, -EINVAL, "model: %s is missing", k) : -ENOENT;
	if (ret && ret != -EINVAL)
		return lm_fail(m, ret, "model: %s: %s", k, lut_gguf_error(g));
	if (!ret)
		return 0;
	if (lut_gguf_get_arr(g, k, &a))
		return lm_fail(m, -EINVAL, "model: %s is not an unsigned integer", k);
	for (i = 0; i < a.count; i++) {
		if (lut_gguf_arr_int(&a, i, &x) || x < 0 || x > UINT32_MAX)
			return lm_fail(m, -EINVAL, "model: %s[%" PRIu64 "] is not a u32", k, i);
		if (i && x != first)
			return lm_fail(m, -EOPNOTSUPP,
				       "model: %s differs between layers, which is not supported",
				       k);
		first = x;
	}
	if (!a.count)
		return lm_fail(m, -EINVAL, "model: %s is an empty array", k);
	*v = (uint32_t)first;
	return 0;
}

static int get_f32(struct lut_model *m, struct lut_gguf *g, const char *key, bool required,
		   float *v)
{
	char k[128];
	double d;
	int ret = lut_gguf_get_float(g, akey(m, key, k, sizeof(k)), &d);

	if (ret == -ENOENT)
		return required ? lm_fail(m, -EINVAL, "model: %s is missing", k) : -ENOENT;
	if (ret)
		return lm_fail(m, ret, "model: %s: %s", k, lut_gguf_error(g));
	if (!isfinite(d) || d <= 0)
		return lm_fail(m, -EINVAL, "model: %s = %g is not a positive number", k, d);
	*v = (float)d;
	return 0;
}

/* An optional string: NULL when absent. */
static int get_str(struct lut_model *m, struct lut_gguf *g, const char *key, const char **s)
{
	int ret = lut_gguf_get_str(g, key, s, NULL);

	if (ret == -ENOENT) {
		*s = NULL;
		return 0;
	}
	return ret ? lm_fail(m, ret, "model: %s: %s", key, lut_gguf_error(g)) : 0;
}

static int read_arch(struct lut_model *m, struct lut_gguf *g)
{
	const char *a;
	int ret = get_str(m, g, "general.architecture", &a);

	if (ret)
		return ret;
	if (!a)
		return lm_fail(m, -EINVAL, "model: general.architecture is missing");
	if (strcmp(a, "llama") && strcmp(a, "bitnet"))
		return lm_fail(m, -EOPNOTSUPP,
			       "model: architecture '%.40s' is not supported (llama, bitnet)", a);
	snprintf(m->arch, sizeof(m->arch), "%s", a);
	m->cfg.arch = strcmp(a, "bitnet") ? LM_ARCH_LLAMA : LM_ARCH_BITNET;
	m->cfg.rope_mode = m->cfg.arch == LM_ARCH_BITNET ? LUTC_ROPE_NEOX : LUTC_ROPE_NORM;
	return 0;
}

/*
 * bitnet's FFN activation: {arch}.hidden_activation, SiLU when absent as
 * in llama.cpp (older BitNet GGUFs ran SiLU); llama is always SiLU.
 */
static int read_activation(struct lut_model *m, struct lut_gguf *g)
{
	const char *s;
	char k[128];
	int ret;

	m->cfg.ffn_fn = LUTC_ELT_SILU_MUL;
	if (m->cfg.arch != LM_ARCH_BITNET)
		return 0;
	ret = get_str(m, g, akey(m, "hidden_activation", k, sizeof(k)), &s);
	if (ret || !s || !strcmp(s, "silu"))
		return ret;
	if (strcmp(s, "relu2") && strcmp(s, "relu_squared"))
		return lm_fail(m, -EOPNOTSUPP, "model: %s '%.40s' is not supported (silu, relu2)",
			       k, s);
	m->cfg.ffn_fn = LUTC_ELT_RELU2_MUL;
	return 0;
}

/* Linear RoPE scaling is a position scale; other kinds are refused. */
static int read_rope_scaling(struct lut_model *m, struct lut_gguf *g)
{
	const char *s;
	char k[128];
	float f;
	int ret = get_str(m, g, akey(m, "rope.scaling.type", k, sizeof(k)), &s);

	m->cfg.freq_scale = 1.0f;
	if (ret || !s || !strcmp(s, "none"))
		return ret;
	if (strcmp(s, "linear"))
		return lm_fail(m, -EOPNOTSUPP, "model: %s '%.40s' is not supported (none, linear)",
			       k, s);
	ret = get_f32(m, g, "rope.scaling.factor", false, &f);
	if (ret == -ENOENT)
		return 0;
	if (!ret)
		m->cfg.freq_scale = 1.0f / f;
	return ret;
}

/* A dimension the engine's limits allow. */
static int check_dim(struct lut_model *m, const char *key, uint32_t v, uint32_t max)
{
	if (v && v <= max)
		return 0;
	return lm_fail(m, -EINVAL, "model: %s.%s = %u is not within 1..%u", m->arch, key, v, max);
}

static int check_heads(struct lut_model *m, struct lut_gguf *g)
{
	struct lm_cfg *c = &m->cfg;
	uint32_t v;
	int ret;

	if (c->n_embd % c->n_head)
		return lm_fail(
			m, -EINVAL,
			"model: %s.attention.head_count %u does not divide %s.embedding_length %u",
			m->arch, c->n_head, m->arch, c->n_embd);
	c->head_dim = c->n_embd / c->n_head;
	if (c->n_head % c->n_head_kv)
		return lm_fail(m, -EINVAL,
			       "model: %s.attention.head_count_kv %u does not divide "
			       "%s.attention.head_count %u",
			       m->arch, c->n_head_kv, m->arch, c->n_head);
	ret = check_dim(m, "attention.head_count", c->n_head, LUTC_MAX_HEADS);
	ret = ret ?: check_dim(m, "embedding_length / head_count", c->head_dim, LUTC_MAX_HEAD_DIM);
	if (ret)
		return ret;
	/* Heads of another size than n_embd / n_head are not run. */
	ret = get_u32(m, g, "attention.key_length", false, &v);
	if (ret == -ENOENT)
		ret = get_u32(m, g, "attention.value_length", false, &v);
	if (ret == -ENOENT)
		return 0;
	if (!ret && v != c->head_dim)
		return lm_fail(m, -EOPNOTSUPP,
			       "model: head size %u (%s.attention.key_length) is not "
			       "embedding_length / head_count = %u",
			       v, m->arch, c->head_dim);
	return ret;
}

static int read_rope(struct lut_model *m, struct lut_gguf *g)
{
	struct lm_cfg *c = &m->cfg;
	int ret = get_f32(m, g, "rope.freq_base", false, &c->rope_base);

	if (ret == -ENOENT)
		c->rope_base = 10000.0f;
	else if (ret)
		return ret;
	ret = get_u32(m, g, "rope.dimension_count", false, &c->n_rot);
	if (ret == -ENOENT)
		c->n_rot = c->head_dim;
	else if (ret)
		return ret;
	if (!c->n_rot || c->n_rot % 2 || c->n_rot > c->head_dim)
		return lm_fail(
			m, -EINVAL,
			"model: %s.rope.dimension_count %u is not an even number within 1..%u",
			m->arch, c->n_rot, c->head_dim);
	return read_rope_scaling(m, g);
}

int lm_read_config(struct lut_model *m, struct lut_gguf *g)
{
	struct lm_cfg *c = &m->cfg;
	int ret = read_arch(m, g);

	ret = ret ?: get_u32(m, g, "context_length", true, &c->ctx_train);
	ret = ret ?: get_u32(m, g, "embedding_length", true, &c->n_embd);
	ret = ret ?: get_u32(m, g, "block_count", true, &c->n_layer);
	ret = ret ?: get_u32(m, g, "feed_forward_length", true, &c->n_ff);
	ret = ret ?: get_u32(m, g, "attention.head_count", true, &c->n_head);
	ret = ret ?: get_f32(m, g, "attention.layer_norm_rms_epsilon", true, &c->eps);
	if (ret)
		return ret;
	ret = get_u32(m, g, "attention.head_count_kv", false, &c->n_head_kv);
	if (ret == -ENOENT)
		c->n_head_kv = c->n_head;
	else if (ret)
		return ret;
	ret = check_dim(m, "embedding_length", c->n_embd, LUTC_MAX_DIM);
	ret = ret ?: check_dim(m, "feed_forward_length", c->n_ff, LUTC_MAX_DIM);
	ret = ret ?: check_dim(m, "block_count", c->n_layer, INT16_MAX);
	ret = ret ?: check_dim(m, "context_length", c->ctx_train, LUTC_MAX_DIM);
	ret = ret ?: check_dim(m, "attention.head_count_kv", c->n_head_kv, LUTC_MAX_HEADS);
	ret = ret ?: check_dim(m, "attention.head_count", c->n_head, LUTC_MAX_HEADS);
	ret = ret ?: check_heads(m, g);
	ret = ret ?: read_rope(m, g);
	return ret ?: read_activation(m, g);
}

static void shape_str(char *buf, size_t size, const uint64_t *ne, uint32_t n_dims)
{
	size_t at = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < n_dims && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%" PRIu64, i ? ", " : "", ne[i]);
}

int lm_tensor(struct lut_model *m, struct lut_gguf *g, const char *name, uint64_t ne0, uint64_t ne1,
	      bool optional, const struct lut_gguf_tensor **t)
{
	uint64_t want[2] = {ne0, ne1};
	char have[96], exp[48];
	const void *data;
	uint64_t size;
	bool ok;

	if (lut_gguf_find_tensor(g, name, t))
		return optional ? -ENOENT
				: lm_fail(m, -EINVAL, "model: tensor %s is missing", name);
	if (ne1)
		ok = (*t)->n_dims == 2 && (*t)->ne[0] == ne0 && (*t)->ne[1] == ne1;
	else
		ok = (*t)->ne[0] == ne0 && (*t)->n_elems == ne0;
	if (!ok) {
		shape_str(have, sizeof(have), (*t)->ne, (*t)->n_dims);
		shape_str(exp, sizeof(exp), want, ne1 ? 2 : 1);
		return lm_fail(m, -EINVAL, "model: tensor %s has shape [%s], expected [%s]", name,
			       have, exp);
	}
	if (lut_gguf_tensor_data(g, *t, &data, &size))
		return lm_fail(m, -EOPNOTSUPP,
			       "model: tensor %s has ggml type %u, which is unknown", name,
			       (*t)->type);
	return 0;
}

/* Whether s ends with suffix. */
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

int lm_check_extra_tensors(struct lut_model *m, struct lut_gguf *g)
{
	size_t i, n = lut_gguf_n_tensors(g);

	for (i = 0; i < n; i++) {
		const char *name = lut_gguf_tensor(g, i)->name;

		if (ends_with(name, ".bias") || ends_with(name, ".scale") ||
		    !strcmp(name, "rope_freqs.weight"))
			return lm_fail(m, -EOPNOTSUPP,
				       "model: tensor %s is not supported (no biases, tensor "
				       "scales or RoPE frequency factors)",
				       name);
	}
	return 0;
}
