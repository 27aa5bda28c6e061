// SPDX-License-Identifier: MIT
/*
 * Host tests of the model generator (tools/mkmodel): every weight type
 * makes a file the reader accepts with the tensors and metadata of its
 * architecture; output is deterministic per seed; ternary weights hold
 * exactly the same values in every format; bad shapes get their message.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "lutcore/gguf.h"
#include "lutcore/quant.h"
#include "lutcore/tokenizer.h"
#include "model_test.h"

struct model {
	struct img m;
	struct lut_gguf *g;
};

static int model_open(struct model *md, const struct mk_opts *o)
{
	char err[256];
	int ret = img_model(&md->m, o, err, sizeof(err));

	return ret ?: lut_gguf_open_mem(md->m.p, md->m.n, &md->g, err, sizeof(err));
}

static void model_close(struct model *md)
{
	lut_gguf_close(md->g);
	img_free(&md->m);
}

/* The tensor as floats (malloc()ed), or NULL. */
static float *floats(struct model *md, const char *name, uint64_t *n)
{
	const struct lut_gguf_tensor *t;
	const void *d;
	uint64_t size;
	float *x;

	if (lut_gguf_find_tensor(md->g, name, &t) || lut_gguf_tensor_data(md->g, t, &d, &size))
		return NULL;
	*n = t->n_elems;
	x = malloc(*n * sizeof(float));
	if (x && lut_ggml_dequantize(t->type, d, size, x, *n)) {
		free(x);
		return NULL;
	}
	return x;
}

static void expect_shape(struct __test_metadata *_metadata, struct model *md, const char *name,
			 uint64_t ne0, uint64_t ne1, uint32_t type)
{
	const struct lut_gguf_tensor *t;

	ASSERT_EQ(0, lut_gguf_find_tensor(md->g, name, &t));
	EXPECT_EQ(ne0, t->ne[0]);
	EXPECT_EQ(ne1, t->ne[1]);
	EXPECT_EQ(type, t->type);
}

TEST(every_weight_type_makes_a_readable_llama)
{
	static const uint32_t types[] = {LUT_GGML_F32,	LUT_GGML_F16,  LUT_GGML_BF16,
					 LUT_GGML_Q8_0, LUT_GGML_Q4_0, LUT_GGML_TQ2_0,
					 LUT_GGML_TQ1_0};
	struct mk_opts o;
	size_t i;

	mk_opts_default(&o, MK_ARCH_LLAMA);
	o.layers = 1;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct model md = {0};
		struct lut_tok *tok;
		const char *s;
		uint32_t u;

		o.type = types[i];
		ASSERT_EQ(0, model_open(&md, &o));
		EXPECT_EQ(2u + 9u + 1u, lut_gguf_n_tensors(md.g));
		expect_shape(_metadata, &md, "token_embd.weight", 256, 512, LUT_GGML_F16);
		expect_shape(_metadata, &md, "output.weight", 256, 512, LUT_GGML_F16);
		expect_shape(_metadata, &md, "output_norm.weight", 256, 1, LUT_GGML_F32);
		expect_shape(_metadata, &md, "blk.0.attn_norm.weight", 256, 1, LUT_GGML_F32);
		expect_shape(_metadata, &md, "blk.0.attn_q.weight", 256, 256, types[i]);
		expect_shape(_metadata, &md, "blk.0.attn_k.weight", 256, 128, types[i]);
		expect_shape(_metadata, &md, "blk.0.attn_v.weight", 256, 128, types[i]);
		expect_shape(_metadata, &md, "blk.0.attn_output.weight", 256, 256, types[i]);
		expect_shape(_metadata, &md, "blk.0.ffn_gate.weight", 256, 512, types[i]);
		expect_shape(_metadata, &md, "blk.0.ffn_up.weight", 256, 512, types[i]);
		expect_shape(_metadata, &md, "blk.0.ffn_down.weight", 512, 256, types[i]);
		EXPECT_EQ(0, lut_gguf_get_str(md.g, "general.architecture", &s, NULL));
		EXPECT_STREQ("llama", s);
		EXPECT_EQ(0, lut_gguf_get_u32(md.g, "llama.attention.head_count_kv", &u));
		EXPECT_EQ(2u, u);
		EXPECT_EQ(0, lut_gguf_get_u32(md.g, "llama.rope.dimension_count", &u));
		EXPECT_EQ(64u, u);
		EXPECT_EQ(0, lut_tok_from_gguf(md.g, &tok, NULL, 0));
		EXPECT_EQ((int)LUT_TOK_SPM, (int)lut_tok_kind(tok));
		lut_tok_free(tok);
		model_close(&md);
	}
}

TEST(bitnet_has_sub_norms_and_a_tied_output)
{
	struct model md = {0};
	struct lut_tok *tok;
	struct mk_opts o;
	const struct lut_gguf_tensor *t;
	const char *s;

	mk_opts_default(&o, MK_ARCH_BITNET);
	ASSERT_EQ(0, model_open(&md, &o));
	EXPECT_EQ(2u + 2 * 11u, lut_gguf_n_tensors(md.g));
	expect_shape(_metadata, &md, "blk.1.attn_sub_norm.weight", 256, 1, LUT_GGML_F32);
	expect_shape(_metadata, &md, "blk.1.ffn_sub_norm.weight", 512, 1, LUT_GGML_F32);
	expect_shape(_metadata, &md, "blk.1.ffn_down.weight", 512, 256, LUT_GGML_TQ2_0);
	EXPECT_EQ(-ENOENT, lut_gguf_find_tensor(md.g, "output.weight", &t));
	EXPECT_EQ(0, lut_gguf_get_str(md.g, "bitnet.hidden_activation", &s, NULL));
	EXPECT_STREQ("relu2", s);
	EXPECT_EQ(0, lut_tok_from_gguf(md.g, &tok, NULL, 0));
	EXPECT_EQ((int)LUT_TOK_BPE, (int)lut_tok_kind(tok));
	lut_tok_free(tok);
	model_close(&md);

	o.act = MK_ACT_SILU;
	ASSERT_EQ(0, model_open(&md, &o));
	EXPECT_EQ(0, lut_gguf_get_str(md.g, "bitnet.hidden_activation", &s, NULL));
	EXPECT_STREQ("silu", s);
	model_close(&md);
}

TEST(output_is_deterministic_per_seed)
{
	struct model a = {0}, b = {0}, c = {0};
	struct mk_opts o;
	float *x, *y;
	uint64_t n;

	mk_opts_default(&o, MK_ARCH_LLAMA);
	ASSERT_EQ(0, model_open(&a, &o));
	ASSERT_EQ(0, model_open(&b, &o));
	ASSERT_EQ(a.m.n, b.m.n);
	EXPECT_EQ(0, memcmp(a.m.p, b.m.p, a.m.n));
	o.seed = 2;
	ASSERT_EQ(0, model_open(&c, &o));
	EXPECT_EQ(a.m.n, c.m.n);
	x = floats(&a, "blk.1.ffn_up.weight", &n);
	y = floats(&c, "blk.1.ffn_up.weight", &n);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y);
	EXPECT_NE(0, memcmp(x, y, n * sizeof(float)));
	free(x);
	free(y);
	model_close(&a);
	model_close(&b);
	model_close(&c);
}

TEST(ternary_weights_are_identical_in_every_format)
{
	static const uint32_t types[] = {LUT_GGML_TQ1_0, LUT_GGML_F16, LUT_GGML_BF16, LUT_GGML_F32};
	struct model ref = {0}, md;
	struct mk_opts o;
	float *x, *y;
	uint64_t n, m;
	size_t i;
	int zeros = 0, ones = 0;

	mk_opts_default(&o, MK_ARCH_BITNET);
	o.layers = 1;
	ASSERT_EQ(0, model_open(&ref, &o));
	x = floats(&ref, "blk.0.attn_v.weight", &n);
	ASSERT_NE(NULL, x);
	for (i = 0; i < n; i++) { /* t * s, with one s per tensor */
		zeros += x[i] == 0;
		ones += x[i] == fabsf(x[0]) || x[i] == -fabsf(x[0]);
	}
	EXPECT_EQ((int)n, zeros + ones);
	EXPECT_GT(zeros, (int)n / 4);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&md, 0, sizeof(md));
		o.type = types[i];
		ASSERT_EQ(0, model_open(&md, &o));
		y = floats(&md, "blk.0.attn_v.weight", &m);
		ASSERT_NE(NULL, y);
		ASSERT_EQ(n, m);
		EXPECT_EQ(0, memcmp(x, y, n * sizeof(float)));
		free(y);
		model_close(&md);
	}
	free(x);
	model_close(&ref);
}

TEST(uniform_weights_do_not_depend_on_other_tensors_types)
{
	struct model a = {0}, b = {0};
	struct mk_opts o;
	float *x, *y;
	uint64_t n, i;
	double err = 0, amax = 0;

	mk_opts_default(&o, MK_ARCH_LLAMA);
	o.type = LUT_GGML_F32;
	ASSERT_EQ(0, model_open(&a, &o));
	o.type = LUT_GGML_Q8_0;
	ASSERT_EQ(0, model_open(&b, &o));
	x = floats(&a, "blk.0.attn_q.weight", &n);
	y = floats(&b, "blk.0.attn_q.weight", &n);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y);
	for (i = 0; i < n; i++) {
		err = fmax(err, fabs(x[i] - y[i]));
		amax = fmax(amax, fabs(x[i]));
	}
	EXPECT_LT(err, amax / 127); /* the same values, quantized */
	EXPECT_GT(amax, 0.05);	    /* about sqrt(3/256) */
	free(x);
	free(y);
	x = floats(&a, "token_embd.weight", &n);
	y = floats(&b, "token_embd.weight", &n);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y);
	EXPECT_EQ(0, memcmp(x, y, n * sizeof(float)));
	free(x);
	free(y);
	model_close(&a);
	model_close(&b);
}

TEST(vocab_only_and_tied_llama)
{
	struct model md = {0};
	const struct lut_gguf_tensor *t;
	struct mk_opts o;

	mk_opts_default(&o, MK_ARCH_LLAMA);
	o.vocab_only = true;
	ASSERT_EQ(0, model_open(&md, &o));
	EXPECT_EQ(0u, lut_gguf_n_tensors(md.g));
	model_close(&md);
	o.vocab_only = false;
	o.tied = true;
	ASSERT_EQ(0, model_open(&md, &o));
	EXPECT_EQ(-ENOENT, lut_gguf_find_tensor(md.g, "output.weight", &t));
	model_close(&md);
}

TEST(bitnet_2b_preset_has_the_published_shape)
{
	struct mk_opts o;
	char err[256];

	mk_opts_default(&o, MK_ARCH_LLAMA);
	ASSERT_EQ(0, mk_preset(&o, "bitnet-2b"));
	EXPECT_EQ((int)MK_ARCH_BITNET, (int)o.arch);
	EXPECT_EQ(2560u, o.dim);
	EXPECT_EQ(30u, o.layers);
	EXPECT_EQ(20u, o.heads);
	EXPECT_EQ(5u, o.kv_heads);
	EXPECT_EQ(6912u, o.ffn);
	EXPECT_EQ(128256u, o.vocab);
	EXPECT_EQ(4096u, o.ctx);
	EXPECT_EQ(500000.0f, o.rope_base);
	EXPECT_EQ((int)MK_ACT_RELU2, (int)o.act);
	EXPECT_EQ((int)MK_TOK_BPE, (int)o.tok);
	EXPECT_EQ(0, mk_check(&o, err, sizeof(err)));
	EXPECT_EQ(-EINVAL, mk_preset(&o, "bitnet-3b"));
}

TEST(bad_shapes_get_their_message)
{
	struct img m = {0};
	struct mk_opts o;
	char err[256];

	mk_opts_default(&o, MK_ARCH_BITNET);
	o.dim = 320;
	o.heads = 5;
	o.kv_heads = 5;
	EXPECT_EQ(-EINVAL, mk_check(&o, err, sizeof(err)));
	EXPECT_STREQ("--dim 320 is not a multiple of 256, which tq2_0 needs", err);
	o.type = LUT_GGML_Q8_0;
	o.ffn = 500;
	EXPECT_EQ(-EINVAL, mk_check(&o, err, sizeof(err)));
	EXPECT_STREQ("--ffn 500 is not a multiple of 32, which q8_0 needs", err);
	mk_opts_default(&o, MK_ARCH_LLAMA);
	o.heads = 3;
	EXPECT_EQ(-EINVAL, mk_check(&o, err, sizeof(err)));
	EXPECT_STREQ("--heads 3 must divide --dim 256 into an even head size", err);
	o.heads = 4;
	o.kv_heads = 3;
	EXPECT_EQ(-EINVAL, mk_check(&o, err, sizeof(err)));
	EXPECT_STREQ("--kv-heads 3 must divide --heads 4", err);
	o.kv_heads = 4;
	o.vocab = 300;
	EXPECT_EQ(-EINVAL, img_model(&m, &o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--vocab 300 is too small for this spm vocabulary"));
	img_free(&m);
}

TEST_HARNESS_MAIN
