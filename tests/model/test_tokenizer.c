// SPDX-License-Identifier: MIT
/*
 * Host tests of the tokenizer. On the vocabularies lutcore-mkmodel makes
 * (SentencePiece-style and byte-level BPE, small and LLaMA-3-sized):
 * encode/decode round trips on ASCII, multi-byte UTF-8, byte fallback,
 * invalid UTF-8 and the empty string, BOS/EOS handling, special tokens,
 * and streaming decode one token at a time. On tiny hand-made vocabularies:
 * the exact tokens the SPM score order and the BPE merge ranks must give,
 * and every metadata error the loader reports.
 */
#include "kselftest_harness.h"

#include "lutcore/tokenizer.h"
#include "model_test.h"

#define EXPECT_MSG(want, have)                                             \
	do {                                                               \
		if (!strstr(have, want)) {                                 \
			TH_LOG("message \"%s\" lacks \"%s\"", have, want); \
			EXPECT_TRUE(0);                                    \
		}                                                          \
	} while (0)

/* A whole UTF-8 check, independent of the library's. */
static bool valid_utf8(const char *s, size_t n)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000}; /* no overlong forms */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;

	while (i < n) {
		uint32_t cp;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : p[i] >= 0xc0 ? 2 : 0;
		if (!len || i + len > n || p[i] > 0xf4)
			return false;
		cp = p[i] & (0x7f >> len);
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* ---- The generator's vocabularies -------------------------------------------------- */

FIXTURE(gen)
{
	struct img m;
	struct lut_gguf *g;
	struct lut_tok *t;
	int32_t ids[16384];
	char out[65536];
};

FIXTURE_VARIANT(gen)
{
	enum mk_tok tok;
	uint32_t vocab;
};

FIXTURE_VARIANT_ADD(gen, spm){
	.tok = MK_TOK_SPM,
	.vocab = 512,
};

FIXTURE_VARIANT_ADD(gen, bpe){
	.tok = MK_TOK_BPE,
	.vocab = 512,
};

FIXTURE_VARIANT_ADD(gen, bpe_llama3_size){
	.tok = MK_TOK_BPE,
	.vocab = 128256,
};

FIXTURE_SETUP(gen)
{
	struct mk_opts o;
	char err[256];

	mk_opts_default(&o, MK_ARCH_LLAMA);
	o.tok = variant->tok;
	o.vocab = variant->vocab;
	o.vocab_only = true;
	ASSERT_EQ(0, img_model(&self->m, &o, err, sizeof(err)));
	ASSERT_EQ(0, lut_gguf_open_mem(self->m.p, self->m.n, &self->g, err, sizeof(err)));
	ASSERT_EQ(0, lut_tok_from_gguf(self->g, &self->t, err, sizeof(err)));
	ASSERT_EQ((int32_t)variant->vocab, lut_tok_n_vocab(self->t));
}

FIXTURE_TEARDOWN(gen)
{
	lut_tok_free(self->t);
	lut_gguf_close(self->g);
	img_free(&self->m);
}

/* Encode and decode text; expect the same bytes back. */
static int round_trip(struct __test_metadata *_metadata, FIXTURE_DATA(gen) * self, const char *text,
		      size_t len, unsigned int flags)
{
	int n = lut_tok_encode(self->t, text, len, flags, self->ids, 16384);
	int k;

	EXPECT_GE(n, 0);
	EXPECT_LE(n, 16384);
	if (n < 0 || n > 16384)
		return n;
	k = lut_tok_decode(self->t, self->ids, (size_t)n, 0, self->out, sizeof(self->out));
	EXPECT_EQ((int)len, k);
	if (k != (int)len || memcmp(self->out, text, len))
		TH_LOG("\"%.*s\" came back as \"%.*s\"", (int)len, text, k, self->out);
	EXPECT_EQ(0, memcmp(self->out, text, len));
	return n;
}

TEST_F(gen, ascii_round_trips_and_compresses)
{
	static const char *const texts[] = {
		"The keeper of the lighthouse.",
		" leading space",
		"trailing space ",
		"  two  spaces  ",
		"tabs\tand\nnew\r\nlines",
		"UPPER lower MiXeD 0123456789",
		"punctuation!?;:()[]{}<>@#$%^&*~`|\\/\"'",
		"don't it's we'll THEY'RE",
		"a",
		" ",
		"\n",
	};
	size_t i, len = strlen(mk_corpus);
	int n;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		round_trip(_metadata, self, texts[i], strlen(texts[i]), 0);
	n = round_trip(_metadata, self, mk_corpus, len, 0);
	/* The merges were learned on this text: far fewer tokens than bytes. */
	EXPECT_LT((size_t)n, len / 2);
}

TEST_F(gen, utf8_and_byte_fallback_round_trip)
{
	static const char text[] = "café naïve Ωμέγα 中文 😀 \xef\xbf\xbd end";
	int n, i, bytes = 0;

	n = round_trip(_metadata, self, text, strlen(text), 0);
	for (i = 0; i < n; i++)
		bytes += lut_tok_type(self->t, self->ids[i]) == LUT_TOKEN_BYTE;
	/* SPM spells the characters missing from its pieces with <0xNN> tokens. */
	if (variant->tok == MK_TOK_SPM) {
		EXPECT_GE(bytes, 4 + 3 + 3);
	} else {
		EXPECT_EQ(0, bytes);
	}
}

TEST_F(gen, invalid_utf8_round_trips_byte_exact)
{
	static const char text[] =
		"ok \xff\xfe \xc3 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf end";

	round_trip(_metadata, self, text, sizeof(text) - 1, 0);
	round_trip(_metadata, self, "\0nul\0", 5, 0);
}

TEST_F(gen, empty_text_and_bos_eos)
{
	int32_t bos = lut_tok_bos(self->t), eos = lut_tok_eos(self->t);
	int n;

	ASSERT_GE(bos, 0);
	ASSERT_GE(eos, 0);
	EXPECT_EQ(0, lut_tok_encode(self->t, "", 0, 0, self->ids, 16));
	EXPECT_EQ(0, lut_tok_encode(self->t, NULL, 0, 0, NULL, 0));
	ASSERT_EQ(1, lut_tok_encode(self->t, "", 0, LUT_TOK_ADD_SPECIAL, self->ids, 16));
	EXPECT_EQ(bos, self->ids[0]);
	EXPECT_EQ(0, lut_tok_decode(self->t, self->ids, 1, 0, self->out, sizeof(self->out)));
	EXPECT_STREQ("", self->out);
	n = lut_tok_encode(self->t, "hi", 2, LUT_TOK_ADD_SPECIAL, self->ids, 16);
	ASSERT_GE(n, 2);
	EXPECT_EQ(bos, self->ids[0]);
	EXPECT_NE(eos, self->ids[n - 1]); /* add_eos_token is false */
	EXPECT_EQ(2, lut_tok_decode(self->t, self->ids, (size_t)n, 0, self->out, 16));
	EXPECT_STREQ("hi", self->out);
	/* Control tokens show only when asked. */
	EXPECT_EQ(0, lut_tok_piece(self->t, bos, 0, self->out, 64));
	EXPECT_GT(lut_tok_piece(self->t, bos, LUT_TOK_DECODE_SPECIAL, self->out, 64), 2);
	EXPECT_STREQ(lut_tok_text(self->t, bos), self->out);
	EXPECT_TRUE(lut_tok_is_eog(self->t, eos));
	EXPECT_FALSE(lut_tok_is_eog(self->t, bos));
	EXPECT_FALSE(lut_tok_is_eog(self->t, -1));
}

TEST_F(gen, special_tokens_only_when_parsed)
{
	int32_t eos = lut_tok_eos(self->t);
	const char *name = lut_tok_text(self->t, eos);
	char text[64];
	int n;

	snprintf(text, sizeof(text), "a%sb", name);
	n = lut_tok_encode(self->t, text, strlen(text), LUT_TOK_PARSE_SPECIAL, self->ids, 16);
	ASSERT_GE(n, 3);
	EXPECT_EQ(eos, self->ids[n - 2]);
	EXPECT_TRUE(lut_tok_is_eog(self->t, self->ids[n - 2]));
	n = lut_tok_encode(self->t, text, strlen(text), 0, self->ids, 64);
	ASSERT_GT(n, 3);
	for (int i = 0; i < n; i++)
		EXPECT_NE(eos, self->ids[i]);
	round_trip(_metadata, self, text, strlen(text), 0);
}

TEST_F(gen, common_words_are_single_tokens)
{
	/* SPM puts the space in front itself; BPE keeps it on the word. */
	const char *text = variant->tok == MK_TOK_SPM ? "the keeper" : " the keeper";

	EXPECT_EQ(2, lut_tok_encode(self->t, text, strlen(text), 0, self->ids, 16));
}

TEST_F(gen, short_output_arrays_report_the_needed_count)
{
	int32_t few[3] = {-7, -7, -7};
	int n = lut_tok_encode(self->t, mk_corpus, 200, LUT_TOK_ADD_SPECIAL, self->ids, 16384);
	int m = lut_tok_encode(self->t, mk_corpus, 200, LUT_TOK_ADD_SPECIAL, few, 2);

	EXPECT_EQ(n, m);
	EXPECT_EQ(self->ids[0], few[0]);
	EXPECT_EQ(self->ids[1], few[1]);
	EXPECT_EQ(-7, few[2]);
	EXPECT_EQ(-EINVAL, lut_tok_encode(self->t, NULL, 1, 0, few, 3));
	EXPECT_EQ(-EINVAL, lut_tok_encode(self->t, "x", 1, 0, NULL, 3));
	EXPECT_EQ(-EINVAL, lut_tok_decode(self->t, (int32_t[]){-1}, 1, 0, self->out, 8));
	EXPECT_EQ(-EINVAL, lut_tok_piece(self->t, lut_tok_n_vocab(self->t), 0, self->out, 8));
	/* snprintf-like truncation */
	EXPECT_GT(lut_tok_decode(self->t, self->ids, (size_t)n, 0, self->out, 5), 4);
	EXPECT_EQ(4u, strlen(self->out));
}

/* Decode text token by token; every chunk must be valid UTF-8 on its own. */
static void stream_text(struct __test_metadata *_metadata, FIXTURE_DATA(gen) * self,
			const char *text, unsigned int flags, const char *want)
{
	struct lut_tok_stream *s;
	const char *chunk;
	size_t len, pos = 0;
	int n = lut_tok_encode(self->t, text, strlen(text), LUT_TOK_ADD_SPECIAL, self->ids, 1024);
	int i;

	ASSERT_GT(n, 0);
	ASSERT_EQ(0, lut_tok_stream_new(self->t, flags, &s));
	for (i = 0; i <= n; i++) {
		if (i < n) {
			ASSERT_EQ(0, lut_tok_stream_put(s, self->ids[i], &chunk, &len));
		} else {
			ASSERT_EQ(0, lut_tok_stream_flush(s, &chunk, &len));
		}
		EXPECT_TRUE(valid_utf8(chunk, len));
		EXPECT_EQ(len, strlen(chunk));
		memcpy(self->out + pos, chunk, len);
		pos += len;
	}
	self->out[pos] = '\0';
	EXPECT_STREQ(want, self->out);
	EXPECT_EQ(-EINVAL, lut_tok_stream_put(s, -1, &chunk, &len));
	lut_tok_stream_free(s);
}

TEST_F(gen, streaming_decode_holds_back_split_characters)
{
	static const char text[] = "The café 😀 and 中文, one token at a time.";

	stream_text(_metadata, self, text, 0, text);
	/* Invalid bytes come out as U+FFFD, each chunk still valid. */
	stream_text(_metadata, self, "a\377b\342\202", 0, "a\357\277\275b\357\277\275");
}

TEST_F(gen, streaming_continuation_keeps_the_leading_space)
{
	const char *chunk;
	struct lut_tok_stream *s;
	size_t len;
	int n = lut_tok_encode(self->t, " x", 2, 0, self->ids, 16);

	ASSERT_GT(n, 0);
	ASSERT_EQ(0, lut_tok_stream_new(self->t, LUT_TOK_DECODE_NO_STRIP, &s));
	ASSERT_EQ(0, lut_tok_stream_put(s, self->ids[0], &chunk, &len));
	EXPECT_EQ(' ', chunk[0]);
	lut_tok_stream_free(s);
}

/* ---- Hand-made vocabularies ------------------------------------------------------- */

struct hand {
	struct lut_gguf_writer *w;
	struct img m;
	struct lut_gguf *g;
	struct lut_tok *t;
	char err[256];
};

/* Serialize h->w and load a tokenizer from it; returns the loader's result. */
static int hand_load(struct hand *h)
{
	FILE *f = open_memstream(&h->m.p, &h->m.n);
	int ret = lut_gguf_writer_begin(h->w, f);

	ret = ret ?: lut_gguf_writer_finish(h->w);
	fclose(f);
	lut_gguf_writer_free(h->w);
	h->w = NULL;
	ret = ret ?: lut_gguf_open_mem(h->m.p, h->m.n, &h->g, h->err, sizeof(h->err));
	return ret ?: lut_tok_from_gguf(h->g, &h->t, h->err, sizeof(h->err));
}

static void hand_free(struct hand *h)
{
	lut_gguf_writer_free(h->w);
	lut_tok_free(h->t);
	lut_gguf_close(h->g);
	img_free(&h->m);
	memset(h, 0, sizeof(*h));
}

#define SP "\xe2\x96\x81"

/* <unk> <s> </s> ▁ a b c ab bc ▁a abc, with the scores below. */
static void spm_vocab(struct hand *h, int n_scores)
{
	static const char *const tok[] = {"<unk>", "<s>", "</s>", SP,	  "a",	"b",
					  "c",	   "ab",  "bc",	  SP "a", "abc"};
	static const float score[] = {0, 0, 0, -5, -5, -5, -5, -1, -0.5f, -2, -0.1f};
	static const int32_t type[] = {2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};

	lut_gguf_writer_new(0, &h->w);
	lut_gguf_writer_add_str(h->w, "tokenizer.ggml.model", "llama");
	lut_gguf_writer_add_arr_str(h->w, "tokenizer.ggml.tokens", tok, NULL, 11);
	lut_gguf_writer_add_arr(h->w, "tokenizer.ggml.scores", LUT_GGUF_FLOAT32, score, n_scores);
	lut_gguf_writer_add_arr(h->w, "tokenizer.ggml.token_type", LUT_GGUF_INT32, type, 11);
	lut_gguf_writer_add_u32(h->w, "tokenizer.ggml.unknown_token_id", 0);
}

TEST(spm_merges_the_best_scored_pair_first)
{
	struct hand h = {0};
	int32_t ids[8];

	spm_vocab(&h, 11);
	lut_gguf_writer_add_u32(h.w, "tokenizer.ggml.bos_token_id", 1);
	lut_gguf_writer_add_u32(h.w, "tokenizer.ggml.eos_token_id", 2);
	lut_gguf_writer_add_bool(h.w, "tokenizer.ggml.add_eos_token", true);
	ASSERT_EQ(0, hand_load(&h));
	EXPECT_EQ((int)LUT_TOK_SPM, (int)lut_tok_kind(h.t));
	/* ▁ a b c: bc (-0.5) beats ab (-1) and ▁a (-2); then abc (-0.1) wins. */
	ASSERT_EQ(2, lut_tok_encode(h.t, "abc", 3, 0, ids, 8));
	EXPECT_EQ(3, ids[0]);
	EXPECT_EQ(10, ids[1]);
	/* ▁ a b: ab (-1) beats ▁a (-2). */
	ASSERT_EQ(2, lut_tok_encode(h.t, "ab", 2, 0, ids, 8));
	EXPECT_EQ(3, ids[0]);
	EXPECT_EQ(7, ids[1]);
	/* add_bos_token defaults to true for SPM; add_eos_token was set. */
	ASSERT_EQ(3, lut_tok_encode(h.t, "a", 1, LUT_TOK_ADD_SPECIAL, ids, 8));
	EXPECT_EQ(1, ids[0]);
	EXPECT_EQ(9, ids[1]); /* ▁a */
	EXPECT_EQ(2, ids[2]);
	/* No byte tokens: an unknown character becomes one <unk>. */
	ASSERT_EQ(2, lut_tok_encode(h.t, "a\xc3\xa9", 3, 0, ids, 8));
	EXPECT_EQ(9, ids[0]);
	EXPECT_EQ(0, ids[1]);
	hand_free(&h);
}

/* Byte-level characters h e l o w r d Ġ, and merges by rank. */
TEST(bpe_applies_merges_by_rank)
{
	static const char *const tok[] = {
		"h",  "e",  "l",    "o",     "w",	  "r",	"d",	       "\xc4\xa0",
		"he", "ll", "hell", "hello", "\xc4\xa0w", "or", "\xc4\xa0wor", "<eos>"};
	static const char *const merges[] = {"h e",	   "l l", "he ll",	  "hell o",
					     "\xc4\xa0 w", "o r", "\xc4\xa0w or", "zz top"};
	static const int32_t type[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3};
	struct hand h = {0};
	int32_t ids[8];

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "gpt2");
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.tokens", tok, NULL, 16);
	lut_gguf_writer_add_arr(h.w, "tokenizer.ggml.token_type", LUT_GGUF_INT32, type, 16);
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.merges", merges, NULL, 8);
	lut_gguf_writer_add_u32(h.w, "tokenizer.ggml.eos_token_id", 15);
	ASSERT_EQ(0, hand_load(&h));
	EXPECT_EQ((int)LUT_TOK_BPE, (int)lut_tok_kind(h.t));
	/* GPT-2 pre-tokenizer: "hello" and " world". */
	ASSERT_EQ(4, lut_tok_encode(h.t, "hello world", 11, LUT_TOK_ADD_SPECIAL, ids, 8));
	EXPECT_EQ(11, ids[0]); /* hello: he, ll, hell, hello */
	EXPECT_EQ(14, ids[1]); /* Ġw, or, Ġwor */
	EXPECT_EQ(2, ids[2]);
	EXPECT_EQ(6, ids[3]);
	EXPECT_EQ(11, lut_tok_decode(h.t, ids, 4, 0, h.err, sizeof(h.err)));
	EXPECT_STREQ("hello world", h.err);
	/* No token for 'x' and no unknown token. */
	EXPECT_EQ(-EILSEQ, lut_tok_encode(h.t, "hex", 3, 0, ids, 8));
	hand_free(&h);
}

TEST(loader_errors_name_the_key)
{
	static const char *const two[] = {"a", "b"};
	static const int32_t bad_type[] = {1, 9};
	struct hand h = {0};

	ASSERT_EQ(0, lut_gguf_writer_new(0, &h.w));
	EXPECT_EQ(-ENOENT, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.model' not found", h.err);
	hand_free(&h);

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "bert");
	EXPECT_EQ(-EOPNOTSUPP, hand_load(&h));
	EXPECT_STREQ("tokenizer model 'bert' is not supported (only llama and gpt2)", h.err);
	hand_free(&h);

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "no_vocab");
	EXPECT_EQ(-EOPNOTSUPP, hand_load(&h));
	EXPECT_STREQ("the model has no vocabulary", h.err);
	hand_free(&h);

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "gpt2");
	EXPECT_EQ(-ENOENT, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.tokens' not found", h.err);
	hand_free(&h);

	spm_vocab(&h, 10);
	EXPECT_EQ(-EINVAL, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.scores': 10 entries for 11 tokens", h.err);
	hand_free(&h);

	spm_vocab(&h, 11);
	lut_gguf_writer_add_u32(h.w, "tokenizer.ggml.bos_token_id", 11);
	EXPECT_EQ(-EINVAL, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.bos_token_id': token id 11 is out of range (11 tokens)",
		     h.err);
	hand_free(&h);

	spm_vocab(&h, 11);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.add_bos_token", "yes");
	EXPECT_EQ(-EINVAL, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.add_bos_token': type string, expected bool", h.err);
	hand_free(&h);

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "gpt2");
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.tokens", two, NULL, 2);
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.token_type", two, NULL, 2);
	EXPECT_EQ(-EINVAL, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.token_type': the elements have the wrong type", h.err);
	hand_free(&h);

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "gpt2");
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.tokens", two, NULL, 2);
	lut_gguf_writer_add_arr(h.w, "tokenizer.ggml.token_type", LUT_GGUF_INT32, bad_type, 2);
	EXPECT_EQ(-EINVAL, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.token_type': entry 1 is not a token type", h.err);
	hand_free(&h);

	lut_gguf_writer_new(0, &h.w);
	lut_gguf_writer_add_str(h.w, "tokenizer.ggml.model", "gpt2");
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.tokens", two, NULL, 2);
	lut_gguf_writer_add_arr_str(h.w, "tokenizer.ggml.merges", two, NULL, 2);
	EXPECT_EQ(-EINVAL, hand_load(&h));
	EXPECT_STREQ("key 'tokenizer.ggml.merges': entry 0 has no space", h.err);
	hand_free(&h);
}

TEST_HARNESS_MAIN
