// SPDX-License-Identifier: MIT
/*
 * lutcore-train's GGUF files: the trained model out (the keys and tensor
 * names lutcore-mkmodel writes and the runtime reads), and any llama GGUF
 * back in for evaluation with the trainer's own forward pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/quant.h"
#include "train.h"

/* The file type of a projection type, as llama.cpp numbers them. */
static uint32_t file_type(uint32_t type)
{
	return type == LUT_GGML_TQ2_0 ? 37 : 1; /* MOSTLY_TQ2_0, MOSTLY_F16 */
}

static uint32_t tensor_type(const struct lt_model *m, const struct lt_tensor *t)
{
	if (t->kind == LT_NORM)
		return LUT_GGML_F32;
	if (t->kind == LT_PROJ && m->c.ternary)
		return LUT_GGML_TQ2_0;
	return LUT_GGML_F16;
}

static int add_u32(struct lut_gguf_writer *w, const char *key, uint32_t v)
{
	char k[96];

	snprintf(k, sizeof(k), "llama.%s", key);
	return lut_gguf_writer_add_u32(w, k, v);
}

static int add_metadata(struct lut_gguf_writer *w, const struct lt_model *m,
			const struct lt_export_info *info)
{
	const struct lt_config *c = &m->c;
	uint32_t proj = c->ternary ? LUT_GGML_TQ2_0 : LUT_GGML_F16;
	int ret = lut_gguf_writer_add_str(w, "general.architecture", "llama");

	ret = ret ?: lut_gguf_writer_add_str(w, "general.name", info->name);
	ret = ret ?: lut_gguf_writer_add_str(w, "general.description", info->description);
	ret = ret ?: lut_gguf_writer_add_u32(w, "general.file_type", file_type(proj));
	ret = ret ?: lut_gguf_writer_add_u32(w, "general.quantization_version", 2);
	ret = ret ?: add_u32(w, "vocab_size", c->vocab);
	ret = ret ?: add_u32(w, "context_length", c->ctx);
	ret = ret ?: add_u32(w, "embedding_length", c->dim);
	ret = ret ?: add_u32(w, "block_count", c->layers);
	ret = ret ?: add_u32(w, "feed_forward_length", c->ffn);
	ret = ret ?: add_u32(w, "attention.head_count", c->heads);
	ret = ret ?: add_u32(w, "attention.head_count_kv", c->kv_heads);
	ret = ret ?: add_u32(w, "rope.dimension_count", c->dim / c->heads);
	ret = ret ?: lut_gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", c->eps);
	return ret ?: lut_gguf_writer_add_f32(w, "llama.rope.freq_base", c->rope_base);
}

/* One tensor's rows, converted and appended. */
static int write_tensor(struct lut_gguf_writer *w, const struct lt_model *m,
			const struct lt_tensor *t, float *row, void *out, size_t out_size)
{
	uint32_t type = tensor_type(m, t), r, i;
	/* Ternary projections: W_q (exactly codes * s), else the weights. */
	const real *src = t->kind == LT_PROJ ? m->weff : m->p;
	uint64_t bytes;
	int ret = lut_ggml_row_size(type, t->k, &bytes);

	for (r = 0; r < t->n && !ret; r++) {
		for (i = 0; i < t->k; i++)
			row[i] = (float)src[t->off + (size_t)r * t->k + i];
		ret = lut_ggml_quantize(type, row, t->k, out, out_size);
		ret = ret ?: lut_gguf_writer_data(w, out, (size_t)bytes);
	}
	return ret;
}

static int declare(struct lut_gguf_writer *w, const struct lt_model *m, char *err, size_t size)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < m->n_tensors && !ret; i++) {
		const struct lt_tensor *t = &m->t[i];
		uint64_t ne[2] = {t->k, t->n};
		uint32_t type = tensor_type(m, t);

		ret = lut_gguf_writer_add_tensor(w, t->name, t->n > 1 ? 2 : 1, ne, type);
		if (ret == -EINVAL)
			snprintf(err, size, "%s: rows of %u values do not fill %s blocks", t->name,
				 t->k, lut_ggml_type_name(type));
	}
	return ret;
}

int lt_export(const struct lt_model *m, struct lut_gguf *vocab, const struct lt_export_info *info,
	      const char *path, char *err, size_t size)
{
	size_t wide = m->c.ffn > m->c.dim ? m->c.ffn : m->c.dim, i;
	struct lut_gguf_writer *w = NULL;
	float *row = malloc(wide * sizeof(float));
	void *out = malloc(wide * sizeof(float));
	char tmp[4096];
	FILE *f = NULL;
	int ret = !row || !out ? -ENOMEM : lut_gguf_writer_new(0, &w);

	err[0] = '\0';
	ret = ret ?: add_metadata(w, m, info);
	ret = ret ?: lt_vocab_copy(vocab, w);
	ret = ret ?: declare(w, m, err, size);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!ret) {
		f = fopen(tmp, "wb");
		if (!f)
			ret = -errno;
	}
	ret = ret ?: lut_gguf_writer_begin(w, f);
	for (i = 0; i < m->n_tensors && !ret; i++)
		ret = write_tensor(w, m, &m->t[i], row, out, wide * sizeof(float));
	ret = ret ?: lut_gguf_writer_finish(w);
	if (f && fclose(f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret && f)
		remove(tmp);
	if (ret && !err[0])
		snprintf(err, size, "%s: %s", path, strerror(-ret));
	lut_gguf_writer_free(w);
	free(row);
	free(out);
	return ret;
}

/* ---- Reading a model back ---------------------------------------------------------- */

static int get_u32(struct lut_gguf *g, const char *key, uint32_t *v, char *err, size_t size)
{
	char k[96];
	int ret;

	snprintf(k, sizeof(k), "llama.%s", key);
	ret = lut_gguf_get_u32(g, k, v);
	if (ret)
		snprintf(err, size, "%s", lut_gguf_error(g));
	return ret;
}

static int read_config(struct lut_gguf *g, struct lt_config *c, char *err, size_t size)
{
	const char *arch;
	double eps, base = 10000;
	int ret = lut_gguf_get_str(g, "general.architecture", &arch, NULL);

	if (ret || strcmp(arch, "llama")) {
		snprintf(err, size, "not a llama model (general.architecture)");
		return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	ret = get_u32(g, "embedding_length", &c->dim, err, size);
	ret = ret ?: get_u32(g, "block_count", &c->layers, err, size);
	ret = ret ?: get_u32(g, "feed_forward_length", &c->ffn, err, size);
	ret = ret ?: get_u32(g, "attention.head_count", &c->heads, err, size);
	ret = ret ?: get_u32(g, "context_length", &c->ctx, err, size);
	if (!ret)
		c->kv_heads = c->heads;
	if (!ret && lut_gguf_find_kv(g, "llama.attention.head_count_kv") >= 0)
		ret = get_u32(g, "attention.head_count_kv", &c->kv_heads, err, size);
	if (!ret && lut_gguf_get_float(g, "llama.attention.layer_norm_rms_epsilon", &eps)) {
		snprintf(err, size, "%s", lut_gguf_error(g));
		ret = -EINVAL;
	}
	if (!ret && lut_gguf_find_kv(g, "llama.rope.freq_base") >= 0)
		lut_gguf_get_float(g, "llama.rope.freq_base", &base);
	c->eps = (float)eps;
	c->rope_base = (float)base;
	return ret;
}

/* Tensor t of m from g: its shape checked, every value converted. */
static int import_tensor(struct lut_gguf *g, struct lt_model *m, const struct lt_tensor *t,
			 float *buf, char *err, size_t size)
{
	const struct lut_gguf_tensor *gt;
	size_t n = (size_t)t->n * t->k, i;
	int ret = lut_gguf_find_tensor(g, t->name, &gt);

	if (ret) {
		snprintf(err, size, "%s", lut_gguf_error(g));
		return ret;
	}
	if (gt->ne[0] != t->k || gt->n_elems != n) {
		snprintf(err, size, "%s: shape does not match the metadata", t->name);
		return -EINVAL;
	}
	ret = lut_ggml_dequantize(gt->type, gt->data, gt->size, buf, n);
	if (ret) {
		snprintf(err, size, "%s: cannot convert %s", t->name, lut_ggml_type_name(gt->type));
		return ret;
	}
	for (i = 0; i < n; i++)
		m->p[t->off + i] = buf[i];
	return 0;
}

int lt_import(struct lut_gguf *g, struct lt_model *m, char *err, size_t size)
{
	const struct lut_gguf_tensor *voc;
	struct lt_config c;
	float *buf = NULL;
	size_t i, most = 0;
	int ret = read_config(g, &c, err, size);

	if (ret)
		return ret;
	if (lut_gguf_find_tensor(g, "token_embd.weight", &voc)) {
		snprintf(err, size, "%s", lut_gguf_error(g));
		return -EINVAL;
	}
	c.vocab = (uint32_t)voc->ne[1];
	ret = lt_config_check(&c, err, size);
	ret = ret ?: lt_model_new(&c, m);
	if (ret == -ENOMEM)
		snprintf(err, size, "out of memory");
	if (ret)
		return ret;
	for (i = 0; i < m->n_tensors; i++)
		if ((size_t)m->t[i].n * m->t[i].k > most)
			most = (size_t)m->t[i].n * m->t[i].k;
	buf = malloc(most * sizeof(float));
	if (!buf)
		ret = -ENOMEM;
	for (i = 0; i < m->n_tensors && !ret; i++)
		ret = import_tensor(g, m, &m->t[i], buf, err, size);
	free(buf);
	if (ret)
		lt_model_free(m);
	else
		lt_model_prepare(m, NULL);
	return ret;
}
