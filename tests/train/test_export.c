// SPDX-License-Identifier: MIT
/*
 * lutcore-train's files: a learned vocabulary file gives liblutcore a
 * byte-level BPE tokenizer; an exported ternary model opens with
 * lut_gguf_open(), carries the llama keys and that vocabulary (the same
 * token ids for a text), and its TQ2_0 tensors dequantize to exactly the
 * trained W_q = s * {-1, 0, +1}, every block's scale being s; token_embd
 * and output are F16, norms F32; a float model's projections are F16.
 * Reading the file back gives the model its forward pass ran with.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "lutcore/quant.h"
#include "../../tools/mkmodel/mkmodel.h"
#include "train_test.h"

static const struct lt_config shape = {
	.dim = 256,
	.layers = 1,
	.heads = 4,
	.kv_heads = 2,
	.ffn = 512,
	.vocab = 300,
	.ctx = 16,
	.eps = 1e-5f,
	.rope_base = 10000.0f,
	.ternary = true,
};

FIXTURE(files)
{
	char *dir;
	char vocab[4200], model[4200];
	struct lut_gguf *v, *g;
	struct lt_model m;
};

FIXTURE_SETUP(files)
{
	char err[LT_ERR_SIZE];
	struct lt_export_info info = {"test", "lutcore-train test model"};

	self->dir = tt_tmpdir();
	ASSERT_NE(NULL, self->dir);
	snprintf(self->vocab, sizeof(self->vocab), "%s/vocab.gguf", self->dir);
	snprintf(self->model, sizeof(self->model), "%s/model.gguf", self->dir);
	ASSERT_EQ(0, lt_vocab_learn(mk_corpus, strlen(mk_corpus), shape.vocab, self->vocab, err,
				    sizeof(err)))
	{
		TH_LOG("%s", err);
	}
	ASSERT_EQ(0, lut_gguf_open(self->vocab, &self->v, err, sizeof(err)));
	ASSERT_EQ(0, tt_model(&self->m, &shape, 21, 0.05));
	lt_model_prepare(&self->m, NULL);
	ASSERT_EQ(0, lt_export(&self->m, self->v, &info, self->model, err, sizeof(err)))
	{
		TH_LOG("%s", err);
	}
	ASSERT_EQ(0, lut_gguf_open(self->model, &self->g, err, sizeof(err)));
}

FIXTURE_TEARDOWN(files)
{
	lut_gguf_close(self->g);
	lut_gguf_close(self->v);
	lt_model_free(&self->m);
	tt_rmdir(self->dir);
}

TEST_F(files, metadata_is_a_llama_with_the_vocabulary)
{
	static const char *const keys[] = {"embedding_length",
					   "block_count",
					   "feed_forward_length",
					   "attention.head_count",
					   "attention.head_count_kv",
					   "context_length",
					   "vocab_size",
					   "rope.dimension_count"};
	const uint32_t want[] = {256, 1, 512, 4, 2, 16, 300, 64};
	static const char text[] = "The keeper of the lighthouse kept a book of tables.";
	struct lut_tok *tv, *tm;
	int32_t a[64], b[64];
	const char *s;
	char key[96];
	double f;
	uint32_t u;
	size_t i;
	int na, nb;

	ASSERT_EQ(0, lut_gguf_get_str(self->g, "general.architecture", &s, NULL));
	EXPECT_STREQ("llama", s);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(key, sizeof(key), "llama.%s", keys[i]);
		ASSERT_EQ(0, lut_gguf_get_u32(self->g, key, &u));
		EXPECT_EQ(want[i], u)
		{
			TH_LOG("%s", key);
		}
	}
	ASSERT_EQ(0, lut_gguf_get_float(self->g, "llama.attention.layer_norm_rms_epsilon", &f));
	EXPECT_EQ((float)f, 1e-5f);
	ASSERT_EQ(0, lut_gguf_get_u32(self->g, "general.file_type", &u));
	EXPECT_EQ(37u, u);
	ASSERT_EQ(0, lut_gguf_get_str(self->g, "tokenizer.ggml.model", &s, NULL));
	EXPECT_STREQ("gpt2", s);
	ASSERT_EQ(0, lut_tok_from_gguf(self->v, &tv, NULL, 0));
	ASSERT_EQ(0, lut_tok_from_gguf(self->g, &tm, NULL, 0));
	EXPECT_EQ(300, lut_tok_n_vocab(tm));
	na = lut_tok_encode(tv, text, strlen(text), LUT_TOK_ADD_SPECIAL, a, 64);
	nb = lut_tok_encode(tm, text, strlen(text), LUT_TOK_ADD_SPECIAL, b, 64);
	ASSERT_GT(na, 5);
	ASSERT_EQ(na, nb);
	EXPECT_EQ(0, memcmp(a, b, (size_t)na * sizeof(int32_t)));
	/* Merges were learned: fewer tokens than bytes (plus BOS). */
	EXPECT_LT(na, (int)strlen(text));
	lut_tok_free(tv);
	lut_tok_free(tm);
}

/* Tensor t as floats (malloc()ed). */
static float *values(struct lut_gguf *g, const struct lut_gguf_tensor *t)
{
	float *x = malloc(t->n_elems * sizeof(float));

	if (x && lut_ggml_dequantize(t->type, t->data, t->size, x, t->n_elems)) {
		free(x);
		return NULL;
	}
	return x;
}

TEST_F(files, tensors_hold_exactly_the_trained_values)
{
	size_t i, j, e;

	ASSERT_EQ(self->m.n_tensors, lut_gguf_n_tensors(self->g));
	for (i = 0; i < self->m.n_tensors; i++) {
		const struct lt_tensor *t = &self->m.t[i];
		size_t n = (size_t)t->n * t->k;
		const struct lut_gguf_tensor *gt;
		float *x;

		ASSERT_EQ(0, lut_gguf_find_tensor(self->g, t->name, &gt));
		EXPECT_EQ(t->k, gt->ne[0]);
		EXPECT_EQ(n, gt->n_elems);
		x = values(self->g, gt);
		ASSERT_NE(NULL, x);
		if (t->kind == LT_PROJ) {
			ASSERT_EQ((uint32_t)LUT_GGML_TQ2_0, gt->type);
			for (j = 0; j < n; j++) {
				ASSERT_EQ((float)self->m.weff[t->off + j], x[j]);
				ASSERT_TRUE(x[j] == 0 || fabsf(x[j]) == self->m.scale[i]);
			}
			/* Each block's scale is the tensor's s. */
			for (j = 0; j < n / LUT_QK_K; j++) {
				const uint8_t *blk = (const uint8_t *)gt->data +
						     j * sizeof(struct lut_block_tq2_0);
				int8_t codes[LUT_QK_K];
				float d;
				bool any = false;

				ASSERT_EQ(0, lut_ggml_unpack_block(LUT_GGML_TQ2_0, blk, codes, &d));
				for (e = 0; e < LUT_QK_K; e++)
					any |= codes[e] != 0;
				if (any)
					EXPECT_EQ(self->m.scale[i], d);
			}
		} else if (t->kind == LT_NORM) {
			ASSERT_EQ((uint32_t)LUT_GGML_F32, gt->type);
			for (j = 0; j < n; j++)
				ASSERT_EQ((float)self->m.p[t->off + j], x[j]);
		} else {
			ASSERT_EQ((uint32_t)LUT_GGML_F16, gt->type);
			for (j = 0; j < n; j++)
				ASSERT_EQ(lut_ggml_f16_to_f32(lut_ggml_f32_to_f16(
						  (float)self->m.p[t->off + j])),
					  x[j]);
		}
		free(x);
	}
}

TEST_F(files, reading_back_gives_the_forward_weights)
{
	struct lt_model back;
	struct lt_acts *a1, *a2;
	char err[LT_ERR_SIZE];
	int32_t tok[16], tgt[16];
	double l1, l2;
	size_t i, j;

	ASSERT_EQ(0, lt_import(self->g, &back, err, sizeof(err)))
	{
		TH_LOG("%s", err);
	}
	EXPECT_FALSE(back.c.ternary);
	ASSERT_EQ(self->m.n_params, back.n_params);
	for (i = 0; i < back.n_tensors; i++)
		if (back.t[i].kind == LT_PROJ)
			for (j = back.t[i].off;
			     j < back.t[i].off + (size_t)back.t[i].n * back.t[i].k; j++)
				ASSERT_EQ(self->m.weff[j], back.weff[j]);
	for (i = 0; i < 16; i++) {
		tok[i] = (int32_t)(i * 37 % 290);
		tgt[i] = (int32_t)((i + 1) * 37 % 290);
	}
	ASSERT_EQ(0, lt_acts_new(&self->m, 1, 16, &a1));
	ASSERT_EQ(0, lt_acts_new(&back, 1, 16, &a2));
	l1 = lt_forward(&self->m, a1, NULL, tok, tgt, 1, 16);
	l2 = lt_forward(&back, a2, NULL, tok, tgt, 1, 16);
	/* Only the F16 rounding of token_embd and output differs. */
	EXPECT_LT(fabs(l1 - l2), 1e-3 * l1);
	lt_acts_free(a1);
	lt_acts_free(a2);
	lt_model_free(&back);
}

TEST_F(files, float_models_have_f16_projections)
{
	struct lt_export_info info = {"f", "float"};
	const struct lut_gguf_tensor *gt;
	struct lt_config c = shape;
	char err[LT_ERR_SIZE];
	struct lut_gguf *g;
	struct lt_model m;
	uint32_t u;
	float *x;
	size_t j;

	c.ternary = false;
	ASSERT_EQ(0, tt_model(&m, &c, 22, 0.05));
	lt_model_prepare(&m, NULL);
	ASSERT_EQ(0, lt_export(&m, self->v, &info, self->model, err, sizeof(err)));
	ASSERT_EQ(0, lut_gguf_open(self->model, &g, err, sizeof(err)));
	ASSERT_EQ(0, lut_gguf_get_u32(g, "general.file_type", &u));
	EXPECT_EQ(1u, u);
	ASSERT_EQ(0, lut_gguf_find_tensor(g, "blk.0.ffn_down.weight", &gt));
	EXPECT_EQ((uint32_t)LUT_GGML_F16, gt->type);
	EXPECT_EQ(512u, gt->ne[0]);
	EXPECT_EQ(256u, gt->ne[1]);
	x = values(g, gt);
	ASSERT_NE(NULL, x);
	for (j = 0; j < gt->n_elems; j++)
		ASSERT_EQ(lut_ggml_f16_to_f32(
				  lut_ggml_f32_to_f16((float)m.p[m.t[1 + LT_T_DOWN].off + j])),
			  x[j]);
	free(x);
	lut_gguf_close(g);
	lt_model_free(&m);
}

TEST_F(files, ternary_rows_must_fill_blocks)
{
	struct lt_export_info info = {"x", "x"};
	struct lt_config c = shape;
	char err[LT_ERR_SIZE], path[4300];
	struct lt_model m;

	c.ffn = 200;
	snprintf(path, sizeof(path), "%s/bad.gguf", self->dir);
	ASSERT_EQ(0, tt_model(&m, &c, 23, 0.05));
	lt_model_prepare(&m, NULL);
	EXPECT_EQ(-EINVAL, lt_export(&m, self->v, &info, path, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "ffn_down"))
	{
		TH_LOG("%s", err);
	}
	EXPECT_NE(0, access(path, F_OK));
	lt_model_free(&m);
}

TEST_HARNESS_MAIN
