// SPDX-License-Identifier: MIT
/*
 * lutcore-mkmodel's model: hyperparameters, tensor list and weights.
 *
 * Every tensor draws its values from its own PRNG, seeded from the model
 * seed and the tensor's name, so a tensor does not change when the file's
 * other tensors or its weight type do: the f16 and q4_0 files of one seed
 * hold the same underlying weights. Values come from integer draws times
 * one scale (a single rounding), so they are the same on every IEEE
 * platform:
 *  - norm weights: 1 + k/1024, k in [-102, 102];
 *  - uniform matrices: k * sqrt(3/fan_in)/1023, k in [-1023, 1023], so the
 *    variance is about 1/fan_in;
 *  - ternary matrices: t * s, t in {-1, 0, +1} and one scale s per tensor
 *    (BitNet's absmean scheme), s = sqrt(1.5/fan_in) rounded to bf16 (8
 *    significant bits, so exact in fp16 too), so that TQ1_0, TQ2_0, F16,
 *    BF16 and F32 files all hold exactly the same values;
 *  - token embeddings and output: uniform, scaled so that logits have a
 *    standard deviation of about 3.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/quant.h"
#include "lutcore/sampling.h"
#include "mkmodel.h"

enum kind { K_NORM, K_MATRIX, K_EMBD };

struct tdesc {
	char name[LUT_GGUF_MAX_NAME + 1];
	uint32_t n_dims;
	uint64_t ne[2];
	uint32_t type;
	enum kind kind;
};

void mk_opts_default(struct mk_opts *o, enum mk_arch arch)
{
	bool bitnet = arch == MK_ARCH_BITNET;

	memset(o, 0, sizeof(*o));
	o->arch = arch;
	o->dim = 256;
	o->layers = 2;
	o->heads = 4;
	o->kv_heads = 2;
	o->ffn = 512;
	o->vocab = 512;
	o->ctx = 256;
	o->type = bitnet ? LUT_GGML_TQ2_0 : LUT_GGML_Q4_0;
	o->embd_type = LUT_GGML_F16;
	o->tok = bitnet ? MK_TOK_BPE : MK_TOK_SPM;
	o->weights = bitnet ? MK_W_TERNARY : MK_W_UNIFORM;
	o->act = MK_ACT_RELU2;
	o->tied = bitnet;
	o->seed = 1;
	o->rope_base = 10000.0f;
	o->eps = 1e-5f;
}

int mk_preset(struct mk_opts *o, const char *name)
{
	if (!strcmp(name, "tiny")) {
		mk_opts_default(o, o->arch);
		return 0;
	}
	if (strcmp(name, "bitnet-2b"))
		return -EINVAL;
	/* BitNet b1.58 2B4T (anchors-compute.md section 2.3). */
	mk_opts_default(o, MK_ARCH_BITNET);
	o->dim = 2560;
	o->layers = 30;
	o->heads = 20;
	o->kv_heads = 5;
	o->ffn = 6912;
	o->vocab = 128256;
	o->ctx = 4096;
	o->rope_base = 500000.0f;
	return 0;
}

static int __attribute__((format(printf, 3, 4))) bad(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Rows of a matrix of this type must hold whole blocks. */
static int check_rows(uint32_t type, uint32_t k, const char *what, char *err, size_t size)
{
	const struct lut_ggml_type_info *ti = lut_ggml_type_info(type);

	if (!ti || !ti->convert) {
		snprintf(err, size, "type %u cannot be written", type);
		return -EINVAL;
	}
	if (k % ti->block_elems) {
		snprintf(err, size, "%s %u is not a multiple of %u, which %s needs", what, k,
			 ti->block_elems, ti->name);
		return -EINVAL;
	}
	return 0;
}

int mk_check(const struct mk_opts *o, char *err, size_t size)
{
	int ret;

	if (!o->dim || o->dim > 65536)
		return bad(err, size, "--dim %u is not within 1..65536", o->dim);
	if (!o->layers || o->layers > 1024)
		return bad(err, size, "--layers %u is not within 1..1024", o->layers);
	if (!o->heads || o->dim % o->heads || (o->dim / o->heads) % 2)
		return bad(err, size, "--heads %u must divide --dim %u into an even head size",
			   o->heads, o->dim);
	if (!o->kv_heads || o->heads % o->kv_heads)
		return bad(err, size, "--kv-heads %u must divide --heads %u", o->kv_heads,
			   o->heads);
	if (!o->ffn || o->ffn > 1u << 20)
		return bad(err, size, "--ffn %u is not within 1..1048576", o->ffn);
	if (!o->ctx || o->ctx > 1u << 20)
		return bad(err, size, "--ctx %u is not within 1..1048576", o->ctx);
	if (o->vocab > 1u << 22)
		return bad(err, size, "--vocab %u is more than 4194304", o->vocab);
	if (!(o->rope_base > 0) || !(o->eps > 0))
		return bad(err, size, "--rope-base and the epsilon must be positive");
	ret = check_rows(o->type, o->dim, "--dim", err, size);
	if (!ret)
		ret = check_rows(o->type, o->ffn, "--ffn", err, size);
	if (!ret)
		ret = check_rows(o->embd_type, o->dim, "--dim", err, size);
	return ret;
}

/* ---- Tensors ----------------------------------------------------------- */

static void tensor(struct tdesc *t, const char *name, uint64_t ne0, uint64_t ne1, uint32_t type,
		   enum kind kind)
{
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->n_dims = ne1 ? 2 : 1;
	t->ne[0] = ne0;
	t->ne[1] = ne1 ? ne1 : 1;
	t->type = kind == K_NORM ? LUT_GGML_F32 : type;
	t->kind = kind;
}

/* The tensors of one layer, in llama.cpp's naming; returns how many. */
static int layer(const struct mk_opts *o, uint32_t l, struct tdesc *t)
{
	uint64_t d = o->dim, hd = o->dim / o->heads, kv = o->kv_heads * hd, f = o->ffn;
	bool bn = o->arch == MK_ARCH_BITNET;
	char n[LUT_GGUF_MAX_NAME + 1];
	int i = 0;

#define T(suffix, ne0, ne1, kind)                                      \
	do {                                                           \
		snprintf(n, sizeof(n), "blk.%u." suffix ".weight", l); \
		tensor(&t[i++], n, ne0, ne1, o->type, kind);           \
	} while (0)
	T("attn_norm", d, 0, K_NORM);
	T("attn_q", d, d, K_MATRIX);
	T("attn_k", d, kv, K_MATRIX);
	T("attn_v", d, kv, K_MATRIX);
	if (bn)
		T("attn_sub_norm", d, 0, K_NORM);
	T("attn_output", d, d, K_MATRIX);
	T("ffn_norm", d, 0, K_NORM);
	T("ffn_gate", d, f, K_MATRIX);
	T("ffn_up", d, f, K_MATRIX);
	if (bn)
		T("ffn_sub_norm", f, 0, K_NORM);
	T("ffn_down", f, d, K_MATRIX);
#undef T
	return i;
}

/* All tensors; *n receives the count. The caller frees the array. */
static struct tdesc *tensor_list(const struct mk_opts *o, size_t *n)
{
	struct tdesc *t = calloc((size_t)o->layers * 11 + 3, sizeof(*t));
	size_t k = 0;
	uint32_t l;

	if (!t)
		return NULL;
	tensor(&t[k++], "token_embd.weight", o->dim, o->vocab, o->embd_type, K_EMBD);
	for (l = 0; l < o->layers; l++)
		k += (size_t)layer(o, l, &t[k]);
	tensor(&t[k++], "output_norm.weight", o->dim, 0, 0, K_NORM);
	if (!o->tied)
		tensor(&t[k++], "output.weight", o->dim, o->vocab, o->embd_type, K_EMBD);
	*n = k;
	return t;
}

/* ---- Values ------------------------------------------------------------ */

static uint64_t name_seed(uint64_t seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	return h ^ seed;
}

static void gen_row(const struct mk_opts *o, const struct tdesc *t, struct lut_rng *r, float *x)
{
	uint64_t i, n = t->ne[0];
	float s;

	if (t->kind == K_NORM) {
		for (i = 0; i < n; i++)
			x[i] = 1.0f + (float)((int)lut_rng_below(r, 205) - 102) / 1024.0f;
	} else if (t->kind == K_MATRIX && o->weights == MK_W_TERNARY) {
		s = lut_ggml_bf16_to_f32(lut_ggml_f32_to_bf16(sqrtf(1.5f / (float)n)));
		for (i = 0; i < n; i++)
			x[i] = (float)((int)lut_rng_below(r, 3) - 1) * s;
	} else {
		s = t->kind == K_EMBD ? 3.0f * sqrtf(3.0f / (float)n) / 1023.0f
				      : sqrtf(3.0f / (float)n) / 1023.0f;
		for (i = 0; i < n; i++)
			x[i] = (float)((int)lut_rng_below(r, 2047) - 1023) * s;
	}
}

struct gen {
	const struct mk_opts *o;
	struct lut_gguf_writer *w;
	mk_progress_fn progress;
	void *ctx;
	uint64_t done, total;
	float *row;
	uint8_t *chunk;
	size_t chunk_size;
};

/* Stream one tensor: rows are generated, converted and written in chunks. */
static int gen_tensor(struct gen *g, const struct tdesc *t)
{
	struct lut_rng r;
	uint64_t row_bytes, y, fill = 0;
	int ret = lut_ggml_row_size(t->type, t->ne[0], &row_bytes);

	if (ret)
		return ret;
	lut_rng_seed(&r, name_seed(g->o->seed, t->name));
	for (y = 0; y < t->ne[1]; y++) {
		if (fill + row_bytes > g->chunk_size) {
			ret = lut_gguf_writer_data(g->w, g->chunk, (size_t)fill);
			if (ret)
				return ret;
			g->done += fill;
			fill = 0;
			if (g->progress)
				g->progress(g->ctx, g->done, g->total);
		}
		gen_row(g->o, t, &r, g->row);
		ret = lut_ggml_quantize(t->type, g->row, t->ne[0], g->chunk + fill,
					(size_t)row_bytes);
		if (ret)
			return ret;
		fill += row_bytes;
	}
	g->done += fill;
	return lut_gguf_writer_data(g->w, g->chunk, (size_t)fill);
}

/* ---- Metadata ----------------------------------------------------------- */

static uint32_t file_type(uint32_t type)
{
	switch (type) {
	case LUT_GGML_F32:
		return 0;
	case LUT_GGML_F16:
		return 1;
	case LUT_GGML_Q4_0:
		return 2;
	case LUT_GGML_Q8_0:
		return 7;
	case LUT_GGML_BF16:
		return 32;
	case LUT_GGML_TQ1_0:
		return 36;
	case LUT_GGML_TQ2_0:
		return 37;
	}
	return 0;
}

/* "{arch}.key" */
static int add_arch_u32(struct lut_gguf_writer *w, const char *arch, const char *key, uint32_t v)
{
	char k[96];

	snprintf(k, sizeof(k), "%s.%s", arch, key);
	return lut_gguf_writer_add_u32(w, k, v);
}

static int add_hparams(struct lut_gguf_writer *w, const struct mk_opts *o)
{
	const char *a = o->arch == MK_ARCH_BITNET ? "bitnet" : "llama";
	char k[96];
	int ret = 0;

	ret = ret ?: add_arch_u32(w, a, "vocab_size", o->vocab);
	ret = ret ?: add_arch_u32(w, a, "context_length", o->ctx);
	ret = ret ?: add_arch_u32(w, a, "embedding_length", o->dim);
	ret = ret ?: add_arch_u32(w, a, "block_count", o->layers);
	ret = ret ?: add_arch_u32(w, a, "feed_forward_length", o->ffn);
	ret = ret ?: add_arch_u32(w, a, "attention.head_count", o->heads);
	ret = ret ?: add_arch_u32(w, a, "attention.head_count_kv", o->kv_heads);
	ret = ret ?: add_arch_u32(w, a, "rope.dimension_count", o->dim / o->heads);
	snprintf(k, sizeof(k), "%s.attention.layer_norm_rms_epsilon", a);
	ret = ret ?: lut_gguf_writer_add_f32(w, k, o->eps);
	snprintf(k, sizeof(k), "%s.rope.freq_base", a);
	ret = ret ?: lut_gguf_writer_add_f32(w, k, o->rope_base);
	snprintf(k, sizeof(k), "%s.hidden_activation", a);
	if (o->arch == MK_ARCH_BITNET)
		ret = ret
			      ?: lut_gguf_writer_add_str(w, k,
							 o->act == MK_ACT_RELU2 ? "relu2" : "silu");
	return ret;
}

static int add_general(struct lut_gguf_writer *w, const struct mk_opts *o)
{
	const char *a = o->arch == MK_ARCH_BITNET ? "bitnet" : "llama";
	char s[160];
	int ret = lut_gguf_writer_add_str(w, "general.architecture", a);

	snprintf(s, sizeof(s), "lutcore-test %s d%u l%u %s", a, o->dim, o->layers,
		 lut_ggml_type_name(o->type));
	ret = ret ?: lut_gguf_writer_add_str(w, "general.name", s);
	snprintf(
		s, sizeof(s),
		"random %s weights from seed %llu, written by lutcore-mkmodel; not a trained model",
		o->weights == MK_W_TERNARY ? "ternary" : "uniform", (unsigned long long)o->seed);
	ret = ret ?: lut_gguf_writer_add_str(w, "general.description", s);
	ret = ret ?: lut_gguf_writer_add_u32(w, "general.file_type", file_type(o->type));
	return ret ?: lut_gguf_writer_add_u32(w, "general.quantization_version", 2);
}

/* ---- The file ------------------------------------------------------------- */

static int declare(struct lut_gguf_writer *w, const struct mk_opts *o, struct tdesc **list,
		   size_t *n, char *err, size_t size)
{
	struct mk_vocab v;
	size_t i;
	int ret = mk_vocab_build(o, &v, err, size);

	if (ret)
		return ret;
	ret = add_general(w, o);
	ret = ret ?: add_hparams(w, o);
	ret = ret ?: mk_vocab_add(w, o, &v);
	mk_vocab_free(&v);
	*n = 0;
	*list = NULL;
	if (ret || o->vocab_only)
		return ret;
	*list = tensor_list(o, n);
	if (!*list)
		return -ENOMEM;
	for (i = 0; i < *n && !ret; i++)
		ret = lut_gguf_writer_add_tensor(w, (*list)[i].name, (*list)[i].n_dims,
						 (*list)[i].ne, (*list)[i].type);
	return ret;
}

static int stream(struct gen *g, const struct tdesc *list, size_t n, FILE *f)
{
	size_t i, wide = g->o->ffn > g->o->dim ? g->o->ffn : g->o->dim;
	uint64_t bytes;
	int ret = lut_gguf_writer_begin(g->w, f);

	for (i = 0; i < n; i++)
		if (!lut_ggml_row_size(list[i].type, list[i].ne[0], &bytes))
			g->total += bytes * list[i].ne[1];
	g->row = malloc(wide * sizeof(float));
	/* 4 MiB per write, and at least one row of the widest f32 tensor. */
	g->chunk_size = wide * 4 > 4u << 20 ? wide * 4 : 4u << 20;
	g->chunk = malloc(g->chunk_size);
	if (!ret && (!g->row || !g->chunk))
		ret = -ENOMEM;
	for (i = 0; i < n && !ret; i++)
		ret = gen_tensor(g, &list[i]);
	if (!ret && g->progress)
		g->progress(g->ctx, g->done, g->total);
	free(g->row);
	free(g->chunk);
	return ret ?: lut_gguf_writer_finish(g->w);
}

int mk_write(const struct mk_opts *o, FILE *f, mk_progress_fn progress, void *ctx, char *err,
	     size_t size)
{
	struct gen g = {o, NULL, progress, ctx, 0, 0, NULL, NULL, 0};
	struct tdesc *list = NULL;
	size_t n = 0;
	int ret = mk_check(o, err, size);

	if (ret)
		return ret;
	err[0] = '\0';
	ret = lut_gguf_writer_new(0, &g.w);
	if (!ret)
		ret = declare(g.w, o, &list, &n, err, size);
	if (!ret) {
		ret = stream(&g, list, n, f);
		if (ret == -EIO)
			snprintf(err, size, "write error: %s", strerror(errno));
	}
	if (ret && !err[0])
		snprintf(err, size, "%s", strerror(-ret));
	free(list);
	lut_gguf_writer_free(g.w);
	return ret;
}
