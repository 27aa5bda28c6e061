// SPDX-License-Identifier: MIT
/*
 * lutcore-train's vocabulary: learned from the training text with
 * lutcore-mkmodel's byte-pair learner (tools/mkmodel/vocab.c), stored in
 * a tensor-free GGUF file, and copied from there into every model the
 * trainer writes. Training reads the tokenizer back from that file with
 * liblutcore's lut_tok_from_gguf(), as the runtime does from the model,
 * so both split text the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../mkmodel/mkmodel.h"
#include "train.h"

int lt_vocab_learn(const char *text, size_t len, uint32_t n, const char *path, char *err,
		   size_t size)
{
	struct lut_gguf_writer *w = NULL;
	struct mk_opts o;
	struct mk_vocab v;
	char tmp[4096];
	FILE *f = NULL;
	int ret;

	mk_opts_default(&o, MK_ARCH_LLAMA);
	o.tok = MK_TOK_BPE;
	o.vocab = n;
	ret = mk_vocab_learn(&o, text, len, &v, err, size);
	if (ret)
		return ret;
	ret = lut_gguf_writer_new(0, &w);
	ret = ret ?: lut_gguf_writer_add_str(w, "general.name", "lutcore-train vocabulary");
	ret = ret ?: mk_vocab_add(w, &o, &v);
	mk_vocab_free(&v);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!ret) {
		f = fopen(tmp, "wb");
		if (!f)
			ret = -errno;
	}
	ret = ret ?: lut_gguf_writer_begin(w, f);
	ret = ret ?: lut_gguf_writer_finish(w);
	if (f && fclose(f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		if (f)
			remove(tmp);
		snprintf(err, size, "%s: %s", path, strerror(-ret));
	}
	lut_gguf_writer_free(w);
	return ret;
}

/* Copy one array pair; string, integer and float elements. */
static int copy_arr(struct lut_gguf *g, struct lut_gguf_writer *w, const char *key)
{
	struct lut_gguf_arr a;
	uint64_t i;
	void *buf = NULL;
	size_t *lens = NULL;
	int ret = lut_gguf_get_arr(g, key, &a);

	if (ret)
		return ret;
	if (a.type == LUT_GGUF_STRING) {
		const char **s = calloc(a.count + 1, sizeof(*s));

		lens = calloc(a.count + 1, sizeof(*lens));
		buf = s;
		if (!s || !lens)
			ret = -ENOMEM;
		for (i = 0; !ret && i < a.count; i++)
			ret = lut_gguf_arr_str(&a, i, &s[i], &lens[i]);
		ret = ret ?: lut_gguf_writer_add_arr_str(w, key, s, lens, a.count);
	} else if (a.type == LUT_GGUF_INT32 || a.type == LUT_GGUF_UINT32) {
		int32_t *v = calloc(a.count + 1, sizeof(*v));
		int64_t x;

		buf = v;
		if (!v)
			ret = -ENOMEM;
		for (i = 0; !ret && i < a.count; i++) {
			ret = lut_gguf_arr_int(&a, i, &x);
			v[i] = (int32_t)x;
		}
		ret = ret ?: lut_gguf_writer_add_arr(w, key, a.type, v, a.count);
	} else if (a.type == LUT_GGUF_FLOAT32) {
		float *v = calloc(a.count + 1, sizeof(*v));
		double x;

		buf = v;
		if (!v)
			ret = -ENOMEM;
		for (i = 0; !ret && i < a.count; i++) {
			ret = lut_gguf_arr_float(&a, i, &x);
			v[i] = (float)x;
		}
		ret = ret ?: lut_gguf_writer_add_arr(w, key, a.type, v, a.count);
	} else {
		ret = -EOPNOTSUPP;
	}
	free(buf);
	free(lens);
	return ret;
}

static int copy_pair(struct lut_gguf *g, struct lut_gguf_writer *w, size_t i)
{
	const char *key = lut_gguf_kv_key(g, i), *s;
	int type = lut_gguf_kv_type(g, i);
	uint64_t u;
	int64_t x;
	double d;
	bool b;
	int ret;

	switch (type) {
	case LUT_GGUF_UINT32:
		ret = lut_gguf_get_uint(g, key, &u);
		return ret ?: lut_gguf_writer_add_u32(w, key, (uint32_t)u);
	case LUT_GGUF_INT32:
		ret = lut_gguf_get_int(g, key, &x);
		return ret ?: lut_gguf_writer_add(w, key, LUT_GGUF_INT32, &(int32_t){(int32_t)x});
	case LUT_GGUF_FLOAT32:
		ret = lut_gguf_get_float(g, key, &d);
		return ret ?: lut_gguf_writer_add_f32(w, key, (float)d);
	case LUT_GGUF_BOOL:
		ret = lut_gguf_get_bool(g, key, &b);
		return ret ?: lut_gguf_writer_add_bool(w, key, b);
	case LUT_GGUF_STRING:
		ret = lut_gguf_get_str(g, key, &s, NULL);
		return ret ?: lut_gguf_writer_add_str(w, key, s);
	case LUT_GGUF_ARRAY:
		return copy_arr(g, w, key);
	}
	return -EOPNOTSUPP;
}

int lt_vocab_copy(struct lut_gguf *g, struct lut_gguf_writer *w)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < lut_gguf_n_kv(g) && !ret; i++)
		if (!strncmp(lut_gguf_kv_key(g, i), "tokenizer.", 10))
			ret = copy_pair(g, w, i);
	return ret;
}
