// SPDX-License-Identifier: MIT
/*
 * Token ids -> text: one token's piece, a whole sequence, and the streaming
 * decoder, which holds back an incomplete UTF-8 character until the
 * tokens that complete it arrive.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_priv.h"

/* ---- Decoding ------------------------------------------------------------------ */

/* Where pieces go: what fits of them, after dropping skip leading bytes. */
struct sink {
	char *buf;
	size_t cap, pos, skip;
};

static void put(struct sink *k, const char *s, size_t n)
{
	size_t d = k->skip < n ? k->skip : n;

	s += d;
	n -= d;
	k->skip -= d;
	if (k->pos < k->cap)
		memcpy(k->buf + k->pos, s, n < k->cap - k->pos ? n : k->cap - k->pos);
	k->pos += n;
}

static void piece_spm(const struct lut_tok *t, int32_t id, struct sink *k)
{
	const char *s = tok_str(t, id);
	size_t i, n = t->tok[id].len;

	for (i = 0; i < n; i++) {
		if (i + 2 < n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
			put(k, " ", 1);
			i += 2;
		} else {
			put(k, s + i, 1);
		}
	}
}

static void piece_bpe(const struct lut_tok *t, int32_t id, struct sink *k)
{
	const uint8_t *s = (const uint8_t *)tok_str(t, id);
	size_t i, len, n = t->tok[id].len;

	for (i = 0; i < n; i += len) {
		int b = tok_cp_to_byte(tok_decode_cp(s + i, n - i, &len));
		char c = (char)b;

		if (b >= 0)
			put(k, &c, 1);
		else /* not byte-level text: pass it through */
			put(k, (const char *)s + i, len);
	}
}

static void piece(const struct lut_tok *t, int32_t id, unsigned int flags, struct sink *k)
{
	const struct tok_ent *e = &t->tok[id];
	char b = (char)e->byte;

	switch (e->type) {
	case LUT_TOKEN_CONTROL:
	case LUT_TOKEN_UNUSED:
		if (flags & LUT_TOK_DECODE_SPECIAL)
			put(k, tok_str(t, id), e->len);
		return;
	case LUT_TOKEN_BYTE:
		if (e->byte < 0)
			break; /* not spelled <0xNN>: decode its text */
		put(k, &b, 1);
		return;
	case LUT_TOKEN_UNKNOWN:
	case LUT_TOKEN_USER_DEFINED:
		put(k, tok_str(t, id), e->len);
		return;
	}
	if (t->kind == LUT_TOK_SPM)
		piece_spm(t, id, k);
	else
		piece_bpe(t, id, k);
}

/* The piece's length, and its first byte in *first when it has one. */
static size_t probe(const struct lut_tok *t, int32_t id, unsigned int flags, char *first)
{
	struct sink k = {first, 1, 0, 0};

	piece(t, id, flags, &k);
	return k.pos;
}

static bool strips_space(const struct lut_tok *t, unsigned int flags)
{
	return t->kind == LUT_TOK_SPM && t->add_space && !(flags & LUT_TOK_DECODE_NO_STRIP);
}

int lut_tok_piece(const struct lut_tok *t, int32_t id, unsigned int flags, char *buf, size_t size)
{
	struct sink k = {buf, size ? size - 1 : 0, 0, 0};

	if (!t || id < 0 || id >= t->n || (!buf && size))
		return -EINVAL;
	piece(t, id, flags, &k);
	if (size)
		buf[k.pos < k.cap ? k.pos : k.cap] = '\0';
	return (int)k.pos; /* a token is at most LUT_TOK_MAX_TOKEN_LEN bytes */
}

int lut_tok_decode(const struct lut_tok *t, const int32_t *ids, size_t n, unsigned int flags,
		   char *buf, size_t size)
{
	struct sink k = {buf, size ? size - 1 : 0, 0, 0};
	bool strip;
	size_t i;
	char c = 0;

	if (!t || (!ids && n) || (!buf && size))
		return -EINVAL;
	strip = strips_space(t, flags);
	for (i = 0; i < n; i++) {
		if (ids[i] < 0 || ids[i] >= t->n)
			return -EINVAL;
		if (strip && probe(t, ids[i], flags, &c)) {
			k.skip = c == ' '; /* the first non-empty piece's leading space */
			strip = false;
		}
		piece(t, ids[i], flags, &k);
		if (k.pos > INT_MAX)
			return -EOVERFLOW;
	}
	if (size)
		buf[k.pos < k.cap ? k.pos : k.cap] = '\0';
	return (int)k.pos;
}

/* ---- Streaming decoder ------------------------------------------------------------ */

struct lut_tok_stream {
	const struct lut_tok *t;
	unsigned int flags;
	bool strip;
	uint8_t pend[4]; /* a valid but incomplete UTF-8 prefix */
	size_t n_pend;
	char *out, *piece;
	size_t out_cap, piece_cap;
};

int lut_tok_stream_new(const struct lut_tok *t, unsigned int flags, struct lut_tok_stream **out)
{
	struct lut_tok_stream *s;

	if (!t || !out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->t = t;
	s->flags = flags;
	s->strip = strips_space(t, flags);
	*out = s;
	return 0;
}

void lut_tok_stream_free(struct lut_tok_stream *s)
{
	if (!s)
		return;
	free(s->out);
	free(s->piece);
	free(s);
}

static int grow(char **p, size_t *cap, size_t need)
{
	char *q;

	if (need <= *cap)
		return 0;
	q = realloc(*p, need);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = need;
	return 0;
}

/* Move one byte through the UTF-8 checker into s->out at *pos. */
static void stream_byte(struct lut_tok_stream *s, uint8_t c, size_t *pos)
{
	static const char repl[] = "\xef\xbf\xbd";
	int r;

	s->pend[s->n_pend++] = c;
	r = tok_utf8_check(s->pend, s->n_pend);
	if (r > 0) {
		memcpy(s->out + *pos, s->pend, s->n_pend);
		*pos += s->n_pend;
		s->n_pend = 0;
	} else if (r < 0) {
		memcpy(s->out + *pos, repl, 3);
		*pos += 3;
		if (s->n_pend > 1) { /* the prefix was fine; retry c on its own */
			s->n_pend = 0;
			stream_byte(s, c, pos);
		} else {
			s->n_pend = 0;
		}
	}
}

int lut_tok_stream_put(struct lut_tok_stream *s, int32_t id, const char **text, size_t *len)
{
	struct sink k = {NULL, 0, 0, 0};
	size_t n, i, pos = 0;
	char c = 0;

	if (!s || !text || !len || id < 0 || id >= s->t->n)
		return -EINVAL;
	n = probe(s->t, id, s->flags, &c);
	/* Each byte may become U+FFFD (3 bytes) plus one held-back character. */
	if (grow(&s->piece, &s->piece_cap, n + 1) || grow(&s->out, &s->out_cap, 3 * (n + 4) + 1))
		return -ENOMEM;
	if (s->strip && n) {
		k.skip = c == ' ';
		s->strip = false;
	}
	k.buf = s->piece;
	k.cap = n;
	piece(s->t, id, s->flags, &k);
	for (i = 0; i < k.pos; i++)
		stream_byte(s, (uint8_t)s->piece[i], &pos);
	s->out[pos] = '\0';
	*text = s->out;
	*len = pos;
	return 0;
}

int lut_tok_stream_flush(struct lut_tok_stream *s, const char **text, size_t *len)
{
	size_t pos = 0;

	if (!s || !text || !len)
		return -EINVAL;
	if (grow(&s->out, &s->out_cap, 4))
		return -ENOMEM;
	if (s->n_pend) {
		memcpy(s->out, "\xef\xbf\xbd", 3);
		pos = 3;
		s->n_pend = 0;
	}
	s->out[pos] = '\0';
	*text = s->out;
	*len = pos;
	return 0;
}
