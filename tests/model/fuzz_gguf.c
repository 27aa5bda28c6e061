// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the GGUF reader and what reads through it: every
 * input is parsed; when it parses, every key is read with every getter,
 * every array element accessor runs on the first and last elements, the
 * first blocks of every convertible tensor are dequantized, and a tokenizer
 * built from the metadata encodes and decodes a short text. A rejected
 * input must come with a message. Built with clang
 * -fsanitize=fuzzer,address,undefined (tests/model/rules.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/gguf.h"
#include "lutcore/quant.h"
#include "lutcore/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink; /* keeps the reads from being optimised away */

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;

	if (n)
		sink += b[0] + b[n - 1];
}

static void read_array(struct lut_gguf_arr *a)
{
	uint64_t idx[2] = {0, a->count ? a->count - 1 : 0};
	const char *s;
	size_t len;
	int64_t i;
	double f;
	int k;

	for (k = 0; k < 2; k++) {
		if (!lut_gguf_arr_int(a, idx[k], &i))
			sink += (uint64_t)i;
		if (!lut_gguf_arr_float(a, idx[k], &f))
			sink += f == f;
		if (!lut_gguf_arr_str(a, idx[k], &s, &len))
			touch(s, len);
	}
}

static void read_keys(struct lut_gguf *g)
{
	struct lut_gguf_arr a;
	const char *key, *s;
	size_t i, len;
	uint64_t u;
	uint32_t u32;
	int64_t v;
	double f;
	bool b;

	for (i = 0; i < lut_gguf_n_kv(g); i++) {
		key = lut_gguf_kv_key(g, i);
		if (lut_gguf_find_kv(g, key) != (int)i)
			abort(); /* keys are unique: each finds itself */
		sink += !lut_gguf_get_uint(g, key, &u) + !lut_gguf_get_u32(g, key, &u32);
		sink += !lut_gguf_get_int(g, key, &v) + !lut_gguf_get_float(g, key, &f);
		sink += !lut_gguf_get_bool(g, key, &b);
		if (!lut_gguf_get_str(g, key, &s, &len))
			touch(s, len + 1); /* the NUL too */
		if (!lut_gguf_get_arr(g, key, &a))
			read_array(&a);
	}
}

static void read_tensors(struct lut_gguf *g)
{
	static float out[4096];
	const struct lut_gguf_tensor *t, *found;
	const struct lut_ggml_type_info *ti;
	const void *d;
	uint64_t size, n;
	size_t i;

	for (i = 0; i < lut_gguf_n_tensors(g); i++) {
		t = lut_gguf_tensor(g, i);
		if (lut_gguf_find_tensor(g, t->name, &found) || found != t)
			abort();
		if (lut_gguf_tensor_data(g, t, &d, &size))
			continue;
		touch(d, (size_t)size);
		ti = lut_ggml_type_info(t->type);
		if (!ti || !ti->convert)
			continue;
		n = t->n_elems < 4096 ? t->n_elems : 4096;
		n -= n % ti->block_elems;
		if (lut_ggml_dequantize(t->type, d, (size_t)size, out, n))
			abort(); /* the reader checked the sizes */
	}
}

static void tokenize(struct lut_gguf *g)
{
	static const char text[] = "Hello, world! The café 😀 <s></s> 123 don't \xff";
	struct lut_tok_stream *st;
	struct lut_tok *t;
	int32_t ids[256];
	char out[1024];
	const char *chunk;
	size_t len;
	int n, i;

	if (lut_tok_from_gguf(g, &t, NULL, 0))
		return;
	n = lut_tok_encode(t, text, sizeof(text) - 1, LUT_TOK_ADD_SPECIAL | LUT_TOK_PARSE_SPECIAL,
			   ids, 256);
	if (n > 256)
		abort(); /* each byte is at most three tokens, plus BOS and EOS */
	if (n > 0 && lut_tok_decode(t, ids, (size_t)n, 0, out, sizeof(out)) < 0)
		abort();
	if (!lut_tok_stream_new(t, 0, &st)) {
		for (i = 0; i < 64 && i < lut_tok_n_vocab(t); i++)
			if (!lut_tok_stream_put(st, i, &chunk, &len))
				touch(chunk, len + 1);
		lut_tok_stream_flush(st, &chunk, &len);
		lut_tok_stream_free(st);
	}
	lut_tok_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[LUT_GGUF_ERR_SIZE];
	struct lut_gguf *g;

	if (lut_gguf_open_mem(data, size, &g, err, sizeof(err))) {
		if (!err[0])
			abort(); /* every rejection says why */
		return 0;
	}
	read_keys(g);
	read_tensors(g);
	tokenize(g);
	lut_gguf_close(g);
	return 0;
}
