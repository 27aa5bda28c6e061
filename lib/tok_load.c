// SPDX-License-Identifier: MIT
/*
 * A tokenizer from GGUF metadata (tokenizer.ggml.*): read and check the
 * keys, build the lookup tables (tok_maps.c); free it; its getters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_priv.h"

/* Put the message into err (when there is one) and return ret. */
static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t size, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- Loading from GGUF metadata --------------------------------------------------------- */

struct loader {
	struct lut_gguf *g;
	struct lut_tok *t;
	char *err;
	size_t err_size;
};

/* A gguf getter's failure, with the reader's message. */
static int gguf_fail(struct loader *l, int ret)
{
	return fail(l->err, l->err_size, ret, "%s", lut_gguf_error(l->g));
}

/* Element types an array may have: FLOAT32 stands for any float, INT32 any integer. */
static bool elem_ok(uint32_t have, int want)
{
	switch (want) {
	case LUT_GGUF_FLOAT32:
		return have == LUT_GGUF_FLOAT32 || have == LUT_GGUF_FLOAT64;
	case LUT_GGUF_INT32:
		return have <= LUT_GGUF_INT32 || have == LUT_GGUF_UINT64 || have == LUT_GGUF_INT64;
	}
	return have == (uint32_t)want;
}

/*
 * An optional array: 0 when present (of the vocabulary's length unless it
 * holds strings), 1 when absent, or a negative errno with a message.
 */
static int opt_arr(struct loader *l, const char *key, int want, struct lut_gguf_arr *a)
{
	int ret = lut_gguf_get_arr(l->g, key, a);

	if (ret == -ENOENT)
		return 1;
	if (ret)
		return gguf_fail(l, ret);
	if (!elem_ok(a->type, want) || (want == LUT_GGUF_INT32 && a->type == LUT_GGUF_FLOAT32))
		return fail(l->err, l->err_size, -EINVAL,
			    "key '%s': the elements have the wrong type", key);
	if (want != LUT_GGUF_STRING && a->count != (uint64_t)l->t->n)
		return fail(l->err, l->err_size, -EINVAL,
			    "key '%s': %" PRIu64 " entries for %" PRId32 " tokens", key, a->count,
			    l->t->n);
	return 0;
}

static int load_kind(struct loader *l)
{
	const char *model, *pre;
	int ret = lut_gguf_get_str(l->g, "tokenizer.ggml.model", &model, NULL);

	if (ret)
		return gguf_fail(l, ret);
	if (!strcmp(model, "llama")) {
		l->t->kind = LUT_TOK_SPM;
	} else if (!strcmp(model, "gpt2")) {
		l->t->kind = LUT_TOK_BPE;
	} else if (!strcmp(model, "no_vocab") || !strcmp(model, "none")) {
		return fail(l->err, l->err_size, -EOPNOTSUPP, "the model has no vocabulary");
	} else {
		return fail(l->err, l->err_size, -EOPNOTSUPP,
			    "tokenizer model '%.64s' is not supported (only llama and gpt2)",
			    model);
	}
	l->t->pre = PRE_GPT2;
	if (!lut_gguf_get_str(l->g, "tokenizer.ggml.pre", &pre, NULL) &&
	    (!strcmp(pre, "llama-bpe") || !strcmp(pre, "llama3") || !strcmp(pre, "llama-v3")))
		l->t->pre = PRE_LLAMA3;
	return 0;
}

/* "<0xNN>" with upper-case hex digits, as SentencePiece writes them. */
static int16_t byte_token(const char *s, size_t n)
{
	unsigned int v = 0, i;

	if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>')
		return -1;
	for (i = 3; i < 5; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned int)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	return (int16_t)v;
}

/* Copy the token strings; returns 0 or a negative errno with a message. */
static int load_tokens(struct loader *l)
{
	struct lut_tok *t = l->t;
	struct lut_gguf_arr a;
	size_t total = 0, len, off = 0;
	const char *s;
	int32_t i;
	int ret = opt_arr(l, "tokenizer.ggml.tokens", LUT_GGUF_STRING, &a);

	if (ret > 0)
		return fail(l->err, l->err_size, -ENOENT, "key 'tokenizer.ggml.tokens' not found");
	if (ret)
		return ret;
	if (!a.count || a.count > INT32_MAX)
		return fail(l->err, l->err_size, -EINVAL,
			    "key 'tokenizer.ggml.tokens': %" PRIu64 " tokens", a.count);
	t->n = (int32_t)a.count;
	for (i = 0; i < t->n; i++) {
		lut_gguf_arr_str(&a, (uint64_t)i, &s, &len);
		if (len > LUT_TOK_MAX_TOKEN_LEN)
			return fail(l->err, l->err_size, -EINVAL,
				    "token %" PRId32 " is %zu bytes long, more than %d", i, len,
				    LUT_TOK_MAX_TOKEN_LEN);
		total += len + 1; /* the strings are in the file: no overflow */
	}
	if (total > UINT32_MAX)
		return fail(l->err, l->err_size, -EINVAL,
			    "key 'tokenizer.ggml.tokens': %zu bytes of text, more than 4 GiB",
			    total);
	t->tok = calloc((size_t)t->n, sizeof(*t->tok));
	t->text = malloc(total);
	if (!t->tok || !t->text)
		return fail(l->err, l->err_size, -ENOMEM, "out of memory for %zu bytes of tokens",
			    total);
	for (i = 0; i < t->n; i++, off += len + 1) {
		lut_gguf_arr_str(&a, (uint64_t)i, &s, &len);
		memcpy(t->text + off, s, len);
		t->text[off + len] = '\0';
		t->tok[i] =
			(struct tok_ent){(uint32_t)off, (uint32_t)len, 0.0f, LUT_TOKEN_NORMAL, -1};
	}
	return 0;
}

static int load_scores_types(struct loader *l)
{
	struct lut_tok *t = l->t;
	struct lut_gguf_arr sc, ty;
	int sc_ret = opt_arr(l, "tokenizer.ggml.scores", LUT_GGUF_FLOAT32, &sc), ty_ret;
	int32_t i;

	if (sc_ret < 0)
		return sc_ret;
	ty_ret = opt_arr(l, "tokenizer.ggml.token_type", LUT_GGUF_INT32, &ty);
	if (ty_ret < 0)
		return ty_ret;
	for (i = 0; i < t->n; i++) {
		struct tok_ent *e = &t->tok[i];
		double score;
		int64_t type;

		if (!sc_ret && !lut_gguf_arr_float(&sc, (uint64_t)i, &score))
			e->score = (float)score;
		if (!ty_ret) {
			if (lut_gguf_arr_int(&ty, (uint64_t)i, &type) || type < 0 ||
			    type > LUT_TOKEN_BYTE)
				return fail(l->err, l->err_size, -EINVAL,
					    "key 'tokenizer.ggml.token_type': entry %" PRId32
					    " is not a token type",
					    i);
			if (type)
				e->type = (uint8_t)type;
		}
		/* Byte tokens: by type, or by spelling when SPM gives no types. */
		if (e->type == LUT_TOKEN_BYTE || (ty_ret && t->kind == LUT_TOK_SPM))
			e->byte = byte_token(tok_str(t, i), e->len);
		if (e->byte >= 0)
			e->type = LUT_TOKEN_BYTE;
	}
	return 0;
}

/* One optional token id: -1 when absent, an error when out of range. */
static int load_id(struct loader *l, const char *key, int32_t *id)
{
	int64_t v;
	int ret = lut_gguf_get_int(l->g, key, &v);

	*id = -1;
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return gguf_fail(l, ret);
	if (v < 0 || v >= l->t->n)
		return fail(l->err, l->err_size, -EINVAL,
			    "key '%s': token id %" PRId64 " is out of range (%" PRId32 " tokens)",
			    key, v, l->t->n);
	*id = (int32_t)v;
	return 0;
}

static int load_bool(struct loader *l, const char *key, bool *v, bool dflt)
{
	int ret = lut_gguf_get_bool(l->g, key, v);

	if (ret == -ENOENT) {
		*v = dflt;
		return 0;
	}
	return ret ? gguf_fail(l, ret) : 0;
}

static int load_specials(struct loader *l)
{
	struct lut_tok *t = l->t;
	bool spm = t->kind == LUT_TOK_SPM;
	int ret = load_id(l, "tokenizer.ggml.bos_token_id", &t->bos);

	if (!ret)
		ret = load_id(l, "tokenizer.ggml.eos_token_id", &t->eos);
	if (!ret)
		ret = load_id(l, "tokenizer.ggml.eot_token_id", &t->eot);
	if (!ret)
		ret = load_id(l, "tokenizer.ggml.eom_token_id", &t->eom);
	if (!ret)
		ret = load_id(l, "tokenizer.ggml.unknown_token_id", &t->unk);
	if (!ret)
		ret = load_bool(l, "tokenizer.ggml.add_bos_token", &t->add_bos, spm);
	if (!ret)
		ret = load_bool(l, "tokenizer.ggml.add_eos_token", &t->add_eos, false);
	if (!ret)
		ret = load_bool(l, "tokenizer.ggml.add_space_prefix", &t->add_space, spm);
	return ret;
}

/* Add merge "left right" (split at the first space after the first byte). */
static int add_merge(struct loader *l, uint64_t i, const char *s, size_t len, char *tmp)
{
	struct lut_tok *t = l->t;
	const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
	struct merge m;
	size_t ln, rn;

	if (!sp)
		return fail(l->err, l->err_size, -EINVAL,
			    "key 'tokenizer.ggml.merges': entry %" PRIu64 " has no space", i);
	ln = (size_t)(sp - s);
	rn = len - ln - 1;
	if (ln > LUT_TOK_MAX_TOKEN_LEN || rn > LUT_TOK_MAX_TOKEN_LEN)
		return 0; /* no token is that long */
	m.left = tok_map_find(t, s, ln);
	m.right = tok_map_find(t, sp + 1, rn);
	memcpy(tmp, s, ln);
	memcpy(tmp + ln, sp + 1, rn);
	m.result = tok_map_find(t, tmp, ln + rn);
	if (m.left < 0 || m.right < 0 || m.result < 0 || tok_merge_find(t, m.left, m.right) >= 0)
		return 0; /* a merge that cannot apply to this vocabulary; skip it */
	t->merges[t->n_merges] = m;
	tok_pair_add(t, t->n_merges++);
	return 0;
}

static int load_merges(struct loader *l)
{
	struct lut_tok *t = l->t;
	struct lut_gguf_arr a;
	const char *s;
	char *tmp;
	size_t len;
	uint64_t i;
	int ret = opt_arr(l, "tokenizer.ggml.merges", LUT_GGUF_STRING, &a);

	if (ret > 0 || t->kind != LUT_TOK_BPE)
		return ret < 0 ? ret : 0;
	if (ret)
		return ret;
	if (a.count > INT32_MAX)
		return fail(l->err, l->err_size, -EINVAL, "key 'tokenizer.ggml.merges': too many");
	t->merges = malloc((a.count ? a.count : 1) * sizeof(*t->merges));
	t->pair_map = tok_table_new((size_t)a.count, &t->pair_mask);
	if (!t->merges || !t->pair_map)
		return fail(l->err, l->err_size, -ENOMEM, "out of memory");
	tmp = malloc(2 * LUT_TOK_MAX_TOKEN_LEN);
	if (!tmp)
		return fail(l->err, l->err_size, -ENOMEM, "out of memory");
	for (i = 0; i < a.count && !ret; i++) {
		lut_gguf_arr_str(&a, i, &s, &len);
		ret = add_merge(l, i, s, len, tmp);
	}
	free(tmp);
	return ret;
}

int lut_tok_from_gguf(struct lut_gguf *g, struct lut_tok **out, char *err, size_t err_size)
{
	struct loader l = {g, NULL, err, err_size};
	int ret;

	if (!g || !out)
		return -EINVAL;
	*out = NULL;
	l.t = calloc(1, sizeof(*l.t));
	if (!l.t)
		return fail(err, err_size, -ENOMEM, "out of memory");
	ret = load_kind(&l);
	if (!ret)
		ret = load_tokens(&l);
	if (!ret)
		ret = load_scores_types(&l);
	if (!ret)
		ret = load_specials(&l);
	if (!ret && tok_build_maps(l.t))
		ret = fail(err, err_size, -ENOMEM, "out of memory");
	if (!ret)
		ret = load_merges(&l);
	if (ret) {
		lut_tok_free(l.t);
		return ret;
	}
	if (err && err_size)
		err[0] = '\0';
	*out = l.t;
	return 0;
}

void lut_tok_free(struct lut_tok *t)
{
	if (!t)
		return;
	free(t->tok);
	free(t->text);
	free(t->map);
	free(t->merges);
	free(t->pair_map);
	free(t->special);
	free(t);
}

/* ---- Accessors ------------------------------------------------------------------- */

enum lut_tok_kind lut_tok_kind(const struct lut_tok *t)
{
	return t->kind;
}

int32_t lut_tok_n_vocab(const struct lut_tok *t)
{
	return t->n;
}

int32_t lut_tok_bos(const struct lut_tok *t)
{
	return t->bos;
}

int32_t lut_tok_eos(const struct lut_tok *t)
{
	return t->eos;
}

bool lut_tok_is_eog(const struct lut_tok *t, int32_t id)
{
	return id >= 0 && (id == t->eos || id == t->eot || id == t->eom);
}

const char *lut_tok_text(const struct lut_tok *t, int32_t id)
{
	return id >= 0 && id < t->n ? tok_str(t, id) : NULL;
}

int lut_tok_type(const struct lut_tok *t, int32_t id)
{
	return id >= 0 && id < t->n ? t->tok[id].type : -EINVAL;
}
