// SPDX-License-Identifier: MIT
/*
 * Tokenizer built from GGUF metadata: SentencePiece-style ("llama") and
 * byte-level BPE ("gpt2") vocabularies; see tokenizer.h for the rules.
 *
 * Both kinds share one merge engine: symbols are byte ranges of a work
 * buffer in a doubly linked list, and candidate pairs wait in a binary
 * heap ordered by priority (SPM: -score, BPE: merge rank), then by
 * position, so that equal candidates merge left to right. A popped
 * candidate is stale when either symbol changed length since it was
 * pushed (symbols only grow, and a merged-away one has length 0), which
 * makes the whole encode O(n log n) in the text length.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/tokenizer.h"

/* SPM may turn each byte into three byte tokens; keep counts below INT_MAX. */
#define MAX_TEXT (1u << 28)

struct tok_ent {
	uint32_t off; /* into text[] */
	uint32_t len;
	float score;
	uint8_t type;
	int16_t byte; /* the byte of a <0xNN> byte token, else -1 */
};

struct merge {
	int32_t left, right, result;
};

enum pre { PRE_GPT2, PRE_LLAMA3 };

struct lut_tok {
	enum lut_tok_kind kind;
	enum pre pre;
	int32_t n;
	struct tok_ent *tok;
	char *text;
	/* text -> id for the tokens merges may produce (normal, user-defined). */
	int32_t *map;
	size_t map_mask;
	size_t max_len; /* of those tokens: longer pairs need no lookup */
	/* BPE: (left, right) -> index into merges[], which is the rank. */
	struct merge *merges;
	int32_t n_merges;
	int32_t *pair_map;
	size_t pair_mask;
	/* Tokens recognised inside the text, longest first. */
	int32_t *special;
	size_t n_special;
	uint8_t special_first[32]; /* bitmap of their first bytes */
	int32_t byte_tok[256];
	int32_t bos, eos, eot, eom, unk;
	bool add_bos, add_eos, add_space;
};

/* ---- Small helpers ------------------------------------------------------ */

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

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	while (n--)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_pair(int32_t a, int32_t b)
{
	uint64_t z = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A power-of-two table of at least twice n slots, all -1. */
static int32_t *table_new(size_t n, size_t *mask)
{
	size_t cap = 16, i;
	int32_t *t;

	while (cap < 2 * n)
		cap *= 2;
	t = malloc(cap * sizeof(*t));
	if (!t)
		return NULL;
	for (i = 0; i < cap; i++)
		t[i] = -1;
	*mask = cap - 1;
	return t;
}

static const char *tok_str(const struct lut_tok *t, int32_t id)
{
	return t->text + t->tok[id].off;
}

/* The mergeable token spelled s[0..n), or -1. */
static int32_t map_find(const struct lut_tok *t, const char *s, size_t n)
{
	size_t i = hash_bytes(s, n) & t->map_mask;
	int32_t id;

	while ((id = t->map[i]) >= 0) {
		if (t->tok[id].len == n && !memcmp(tok_str(t, id), s, n))
			return id;
		i = (i + 1) & t->map_mask;
	}
	return -1;
}

/* Insert id unless its text is already there (the first id wins). */
static void map_add(struct lut_tok *t, int32_t id)
{
	const char *s = tok_str(t, id);
	size_t n = t->tok[id].len, i = hash_bytes(s, n) & t->map_mask;

	for (; t->map[i] >= 0; i = (i + 1) & t->map_mask)
		if (t->tok[t->map[i]].len == n && !memcmp(tok_str(t, t->map[i]), s, n))
			return;
	t->map[i] = id;
}

/* The rank of merge (a, b), or -1. */
static int32_t merge_find(const struct lut_tok *t, int32_t a, int32_t b)
{
	size_t i;
	int32_t m;

	if (!t->n_merges || a < 0 || b < 0)
		return -1;
	for (i = hash_pair(a, b) & t->pair_mask; (m = t->pair_map[i]) >= 0;
	     i = (i + 1) & t->pair_mask)
		if (t->merges[m].left == a && t->merges[m].right == b)
			return m;
	return -1;
}

/* ---- UTF-8 --------------------------------------------------------------- */

/*
 * Classify s[0..n) (n >= 1) as the start of one UTF-8 character: its length
 * when it is all there and valid, 0 when s is a valid but incomplete
 * prefix, -1 when it is invalid (overlong forms and surrogates included).
 */
static int utf8_check(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	int need, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return -1;
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if ((size_t)i >= n)
			return 0;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return -1;
	}
	return need;
}

/* Length of the character at s (1 for an invalid byte). */
static size_t char_len(const uint8_t *s, size_t n)
{
	int k = utf8_check(s, n);

	return k > 0 ? (size_t)k : 1;
}

/* The code point at s, and its length; invalid bytes give U+FFFD. */
static uint32_t decode_cp(const uint8_t *s, size_t n, size_t *len)
{
	int k = utf8_check(s, n);

	*len = k > 0 ? (size_t)k : 1;
	switch (k) {
	case 1:
		return s[0];
	case 2:
		return (s[0] & 0x1fu) << 6 | (s[1] & 0x3f);
	case 3:
		return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3f);
	case 4:
		return (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 |
		       (s[3] & 0x3f);
	}
	return 0xfffd;
}

static size_t encode_cp(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12); /* the byte-level map stays below 0x10000 */
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* ---- Byte-level BPE's byte <-> character map ----------------------------------- */
/*
 * GPT-2's scheme: bytes that are printable Latin-1 (! .. ~, ¡ .. ¬, ® .. ÿ)
 * stand for themselves; the other 68 bytes are given U+0100 .. U+0143 in
 * byte order, so that every token's text is printable.
 */
static bool byte_is_self(unsigned int b)
{
	return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
}

static uint32_t byte_to_cp(unsigned int b)
{
	unsigned int i, k = 0;

	if (byte_is_self(b))
		return b;
	for (i = 0; i < b; i++)
		k += !byte_is_self(i);
	return 0x100 + k;
}

/* The byte a code point stands for, or -1. */
static int cp_to_byte(uint32_t cp)
{
	unsigned int b, k = 0;

	if (cp < 0x100)
		return byte_is_self(cp) ? (int)cp : -1;
	for (b = 0; b < 0x100; b++)
		if (!byte_is_self(b) && 0x100 + k++ == cp)
			return (int)b;
	return -1;
}

/* ---- Character classes for pre-tokenization ------------------------------------ */
/*
 * Exact for ASCII. Beyond it, a small table of the blocks that hold
 * punctuation, symbols, spaces and digits; every other code point counts
 * as a letter, which keeps words of any script together.
 */
static bool is_space(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

static bool is_digit(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 0x660 && c <= 0x669) || (c >= 0x6f0 && c <= 0x6f9) ||
	       (c >= 0x966 && c <= 0x96f) || (c >= 0xff10 && c <= 0xff19);
}

static bool is_letter(uint32_t c)
{
	static const uint32_t not_letters[][2] = {
		{0x80, 0xa9},	  {0xab, 0xb4},	    {0xb6, 0xb9},	{0xbb, 0xbf},
		{0xd7, 0xd7},	  {0xf7, 0xf7},	    {0x2000, 0x2bff},	{0x2e00, 0x2e7f},
		{0x3000, 0x303f}, {0xfe30, 0xfe4f}, {0xff00, 0xff20},	{0xff3b, 0xff40},
		{0xff5b, 0xff65}, {0xfffd, 0xfffd}, {0x1f000, 0x1faff},
	};
	size_t i;

	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	if (is_digit(c) || is_space(c))
		return false;
	for (i = 0; i < sizeof(not_letters) / sizeof(not_letters[0]); i++)
		if (c >= not_letters[i][0] && c <= not_letters[i][1])
			return false;
	return true;
}

static bool is_other(uint32_t c)
{
	return !is_space(c) && !is_letter(c) && !is_digit(c);
}

/* ---- Pre-tokenizer (BPE) ----------------------------------------------------- */

struct scan {
	const uint8_t *s;
	size_t n;
};

static uint32_t cp_at(const struct scan *sc, size_t pos, size_t *len)
{
	if (pos >= sc->n) {
		*len = 0;
		return 0;
	}
	return decode_cp(sc->s + pos, sc->n - pos, len);
}

/* End of the run of characters of class cls from pos (at most max of them). */
static size_t run(const struct scan *sc, size_t pos, bool (*cls)(uint32_t), size_t max)
{
	size_t len;

	while (max-- && pos < sc->n && cls(cp_at(sc, pos, &len)))
		pos += len;
	return pos;
}

/* 's 't 're 've 'm 'll 'd; returns the end, or pos when none matches. */
static size_t contraction(const struct scan *sc, size_t pos, bool fold)
{
	static const char *const forms[] = {"s", "t", "re", "ve", "m", "ll", "d"};
	size_t i, k;

	if (sc->s[pos] != '\'')
		return pos;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		for (k = 0; forms[i][k] && pos + 1 + k < sc->n; k++) {
			uint8_t c = sc->s[pos + 1 + k];

			if ((fold && c >= 'A' && c <= 'Z' ? c | 0x20 : c) != (uint8_t)forms[i][k])
				break;
		}
		if (!forms[i][k])
			return pos + 1 + k;
	}
	return pos;
}

static bool is_newline(uint32_t c)
{
	return c == '\r' || c == '\n';
}

/* Whitespace: \s+(?!\S) then \s+ (all but the last space before a word). */
static size_t spaces(const struct scan *sc, size_t pos)
{
	size_t end = pos, last = pos, len;

	while (end < sc->n && is_space(cp_at(sc, end, &len))) {
		last = end;
		end += len;
	}
	if (end < sc->n && last > pos)
		return last;
	return end;
}

/* GPT-2: 's|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t word_gpt2(const struct scan *sc, size_t pos)
{
	size_t k = contraction(sc, pos, false), len, p = pos;
	uint32_t c;

	if (k > pos)
		return k;
	c = cp_at(sc, p, &len);
	if (c == ' ' && pos + 1 < sc->n && !is_space(cp_at(sc, pos + 1, &len)))
		c = cp_at(sc, ++p, &len);
	if (is_letter(c))
		return run(sc, p, is_letter, SIZE_MAX);
	if (is_digit(c))
		return run(sc, p, is_digit, SIZE_MAX);
	if (!is_space(c))
		return run(sc, p, is_other, SIZE_MAX);
	return spaces(sc, pos);
}

static bool not_newline_letter_digit(uint32_t c)
{
	return !is_newline(c) && !is_letter(c) && !is_digit(c);
}

/*
 * LLaMA 3: (?i:'s|'t|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
static size_t word_llama3(const struct scan *sc, size_t pos)
{
	size_t k = contraction(sc, pos, true), len, len2, p, end, nl = 0;
	uint32_t c = cp_at(sc, pos, &len), c2 = cp_at(sc, pos + len, &len2);

	if (k > pos)
		return k;
	if (is_letter(c) || (not_newline_letter_digit(c) && is_letter(c2)))
		return run(sc, is_letter(c) ? pos : pos + len, is_letter, SIZE_MAX);
	if (is_digit(c))
		return run(sc, pos, is_digit, 3);
	p = c == ' ' ? pos + 1 : pos;
	if (p < sc->n && is_other(cp_at(sc, p, &len)))
		return run(sc, run(sc, p, is_other, SIZE_MAX), is_newline, SIZE_MAX);
	for (end = pos; end < sc->n && is_space(c = cp_at(sc, end, &len)); end += len)
		if (is_newline(c))
			nl = end + len;
	return nl ? nl : spaces(sc, pos);
}

/* ---- Merge engine ------------------------------------------------------------ */

struct sym {
	int32_t start, len, prev, next, id;
};

struct cand {
	double prio;
	int32_t left, right, llen, rlen;
};

struct work {
	const struct lut_tok *t;
	const char *buf; /* the text the symbols index */
	struct sym *sym;
	int32_t n_sym;
	struct cand *heap;
	size_t n_heap;
};

static bool cand_before(const struct cand *a, const struct cand *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->left < b->left);
}

static void heap_push(struct work *w, struct cand c)
{
	size_t i = w->n_heap++;

	while (i && cand_before(&c, &w->heap[(i - 1) / 2])) {
		w->heap[i] = w->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->heap[i] = c;
}

static struct cand heap_pop(struct work *w)
{
	struct cand top = w->heap[0], last = w->heap[--w->n_heap];
	size_t i = 0, n = w->n_heap;

	for (;;) {
		size_t l = 2 * i + 1, m = l;

		if (l >= n)
			break;
		if (l + 1 < n && cand_before(&w->heap[l + 1], &w->heap[l]))
			m = l + 1;
		if (!cand_before(&w->heap[m], &last))
			break;
		w->heap[i] = w->heap[m];
		i = m;
	}
	if (n)
		w->heap[i] = last;
	return top;
}

/* Queue the pair (left, left's next) if it can merge. */
static void try_pair(struct work *w, int32_t left)
{
	const struct lut_tok *t = w->t;
	const struct sym *a = &w->sym[left], *b;
	int32_t id;
	double prio;

	if (left < 0 || a->next < 0)
		return;
	b = &w->sym[a->next];
	if (t->kind == LUT_TOK_SPM) {
		if ((size_t)a->len + b->len > t->max_len)
			return;
		id = map_find(t, w->buf + a->start, (size_t)a->len + b->len);
		if (id < 0)
			return;
		prio = -(double)t->tok[id].score;
	} else {
		id = merge_find(t, a->id, b->id);
		if (id < 0)
			return;
		prio = id;
	}
	heap_push(w, (struct cand){prio, left, a->next, a->len, b->len});
}

static void merge_all(struct work *w)
{
	int32_t i;

	for (i = 0; i + 1 < w->n_sym; i++)
		try_pair(w, i);
	while (w->n_heap) {
		struct cand c = heap_pop(w);
		struct sym *a = &w->sym[c.left], *b = &w->sym[c.right];

		if (a->len != c.llen || b->len != c.rlen || a->next != c.right)
			continue; /* stale */
		if (w->t->kind == LUT_TOK_BPE)
			a->id = w->t->merges[merge_find(w->t, a->id, b->id)].result;
		a->len += b->len;
		a->next = b->next;
		if (b->next >= 0)
			w->sym[b->next].prev = c.left;
		b->len = 0;
		try_pair(w, a->prev);
		try_pair(w, c.left);
	}
}

/* Split buf[0..n) into symbols: characters (SPM) or bytes (BPE). */
static int work_init(struct work *w, const struct lut_tok *t, const char *buf, size_t n)
{
	size_t pos, len;

	memset(w, 0, sizeof(*w));
	w->t = t;
	w->buf = buf;
	w->sym = malloc((n ? n : 1) * sizeof(*w->sym));
	w->heap = malloc((3 * n + 1) * sizeof(*w->heap)); /* n pairs + 2 per merge */
	if (!w->sym || !w->heap)
		return -ENOMEM;
	for (pos = 0; pos < n; pos += len) {
		const uint8_t *p = (const uint8_t *)buf + pos;
		struct sym *s = &w->sym[w->n_sym];

		len = t->kind == LUT_TOK_SPM ? char_len(p, n - pos) : 1;
		*s = (struct sym){(int32_t)pos, (int32_t)len, w->n_sym - 1, w->n_sym + 1, -1};
		if (t->kind == LUT_TOK_BPE)
			s->id = t->byte_tok[*p];
		w->n_sym++;
	}
	if (w->n_sym)
		w->sym[w->n_sym - 1].next = -1;
	return 0;
}

static void work_free(struct work *w)
{
	free(w->sym);
	free(w->heap);
}

/* ---- Encoding ------------------------------------------------------------------ */

struct out {
	int32_t *ids;
	size_t max, n;
};

static void emit(struct out *o, int32_t id)
{
	if (o->n < o->max)
		o->ids[o->n] = id;
	o->n++;
}

/* A piece that is no token: its byte tokens, else one unknown token. */
static int emit_bytes(const struct lut_tok *t, struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t->byte_tok[(uint8_t)s[i]] < 0)
			break;
	if (i < n) {
		if (t->unk < 0)
			return -EILSEQ;
		emit(o, t->unk);
		return 0;
	}
	for (i = 0; i < n; i++)
		emit(o, t->byte_tok[(uint8_t)s[i]]);
	return 0;
}

/* Symbol 0 always heads the list: merges absorb the right symbol. */
static int emit_symbols(const struct work *w, struct out *o)
{
	int32_t i;
	int ret = 0;

	for (i = w->n_sym ? 0 : -1; i >= 0 && !ret; i = w->sym[i].next) {
		const struct sym *s = &w->sym[i];
		int32_t id = s->id;

		if (w->t->kind == LUT_TOK_SPM)
			id = map_find(w->t, w->buf + s->start, (size_t)s->len);
		if (id >= 0)
			emit(o, id);
		else
			ret = emit_bytes(w->t, o, w->buf + s->start, (size_t)s->len);
	}
	return ret;
}

static int merge_and_emit(const struct lut_tok *t, struct out *o, const char *buf, size_t n)
{
	struct work w;
	int ret = work_init(&w, t, buf, n);

	if (!ret) {
		merge_all(&w);
		ret = emit_symbols(&w, o);
	}
	work_free(&w);
	return ret;
}

/* SPM: spaces to U+2581, optionally one in front, then merge. */
static int encode_spm(const struct lut_tok *t, struct out *o, const char *s, size_t n, bool first)
{
	static const char sp[] = "\xe2\x96\x81";
	char *buf = malloc(3 * n + 3), *p = buf;
	size_t i;
	int ret;

	if (!buf)
		return -ENOMEM;
	if (first && t->add_space) {
		memcpy(p, sp, 3);
		p += 3;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == ' ') {
			memcpy(p, sp, 3);
			p += 3;
		} else {
			*p++ = s[i];
		}
	}
	ret = merge_and_emit(t, o, buf, (size_t)(p - buf));
	free(buf);
	return ret;
}

/* LLaMA 3 first looks the whole word up ("ignore merges"). */
static int32_t whole_word(const struct lut_tok *t, const char *s, size_t n, char *tmp)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += encode_cp(byte_to_cp((uint8_t)s[i]), tmp + k);
	return map_find(t, tmp, k);
}

static int encode_bpe(const struct lut_tok *t, struct out *o, const char *s, size_t n)
{
	struct scan sc = {(const uint8_t *)s, n};
	char *tmp = malloc(2 * n + 1);
	size_t pos, end;
	int ret = 0;

	if (!tmp)
		return -ENOMEM;
	for (pos = 0; pos < n && !ret; pos = end) {
		int32_t id = -1;

		end = t->pre == PRE_LLAMA3 ? word_llama3(&sc, pos) : word_gpt2(&sc, pos);
		if (end <= pos)
			end = pos + 1; /* cannot happen; never loop forever */
		if (t->pre == PRE_LLAMA3)
			id = whole_word(t, s + pos, end - pos, tmp);
		if (id >= 0)
			emit(o, id);
		else
			ret = merge_and_emit(t, o, s + pos, end - pos);
	}
	free(tmp);
	return ret;
}

/* The special token spelled at s[0..n), longest first, or -1. */
static int32_t special_at(const struct lut_tok *t, const char *s, size_t n, unsigned int flags)
{
	uint8_t c = (uint8_t)s[0];
	size_t i;

	if (!(t->special_first[c / 8] & (1u << (c % 8))))
		return -1;
	for (i = 0; i < t->n_special; i++) {
		int32_t id = t->special[i];
		size_t len = t->tok[id].len;

		if (t->tok[id].type == LUT_TOKEN_CONTROL && !(flags & LUT_TOK_PARSE_SPECIAL))
			continue;
		if (len <= n && !memcmp(s, tok_str(t, id), len))
			return id;
	}
	return -1;
}

static int encode_fragment(const struct lut_tok *t, struct out *o, const char *s, size_t n,
			   bool first)
{
	if (!n)
		return 0;
	return t->kind == LUT_TOK_SPM ? encode_spm(t, o, s, n, first) : encode_bpe(t, o, s, n);
}

/* Cut the text at special tokens and encode the pieces between them. */
static int encode_text(const struct lut_tok *t, struct out *o, const char *s, size_t n,
		       unsigned int flags)
{
	size_t pos, from = 0;
	int ret = 0;

	for (pos = 0; pos < n && !ret; pos++) {
		int32_t id = special_at(t, s + pos, n - pos, flags);

		if (id < 0)
			continue;
		ret = encode_fragment(t, o, s + from, pos - from, from == 0);
		emit(o, id);
		from = pos + t->tok[id].len;
		pos = from - 1;
	}
	return ret ?: encode_fragment(t, o, s + from, n - from, from == 0);
}

int lut_tok_encode(const struct lut_tok *t, const char *text, size_t len, unsigned int flags,
		   int32_t *ids, size_t max_ids)
{
	struct out o = {ids, max_ids, 0};
	bool special = flags & LUT_TOK_ADD_SPECIAL;
	int ret;

	if (!t || (!text && len) || (!ids && max_ids))
		return -EINVAL;
	if (len >= MAX_TEXT)
		return -EOVERFLOW;
	if (special && t->add_bos && t->bos >= 0)
		emit(&o, t->bos);
	ret = encode_text(t, &o, text, len, flags);
	if (ret)
		return ret;
	if (special && t->add_eos && t->eos >= 0)
		emit(&o, t->eos);
	return (int)o.n; /* at most len + 2 < INT_MAX */
}

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
		int b = cp_to_byte(decode_cp(s + i, n - i, &len));
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
	r = utf8_check(s->pend, s->n_pend);
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

/* The text map, the byte tokens and the list of in-text special tokens. */
static int build_maps(struct loader *l)
{
	struct lut_tok *t = l->t;
	int32_t i, j, k;

	t->map = table_new((size_t)t->n, &t->map_mask);
	t->special = malloc((size_t)t->n * sizeof(*t->special));
	if (!t->map || !t->special)
		return fail(l->err, l->err_size, -ENOMEM, "out of memory");
	for (i = 0; i < 256; i++)
		t->byte_tok[i] = -1;
	for (i = 0; i < t->n; i++) {
		uint8_t type = t->tok[i].type;

		if (type == LUT_TOKEN_NORMAL || type == LUT_TOKEN_USER_DEFINED) {
			map_add(t, i);
			if (t->tok[i].len > t->max_len)
				t->max_len = t->tok[i].len;
		}
		if (type == LUT_TOKEN_BYTE && t->tok[i].byte >= 0 &&
		    t->byte_tok[t->tok[i].byte] < 0)
			t->byte_tok[t->tok[i].byte] = i;
		if ((type == LUT_TOKEN_CONTROL || type == LUT_TOKEN_USER_DEFINED) && t->tok[i].len)
			t->special[t->n_special++] = i;
	}
	/* Longest first (insertion sort by length; a stable, short list). */
	for (i = 1; i < (int32_t)t->n_special; i++) {
		k = t->special[i];
		for (j = i; j > 0 && t->tok[t->special[j - 1]].len < t->tok[k].len; j--)
			t->special[j] = t->special[j - 1];
		t->special[j] = k;
	}
	for (i = 0; i < (int32_t)t->n_special; i++) {
		uint8_t c = (uint8_t)tok_str(t, t->special[i])[0];

		t->special_first[c / 8] |= (uint8_t)(1u << (c % 8));
	}
	return 0;
}

/*
 * BPE: each byte's byte-level character is its first symbol; a byte whose
 * character is no token keeps its <0xNN> byte token, if the vocabulary has
 * one.
 */
static void byte_level_tokens(struct lut_tok *t)
{
	unsigned int b;
	int32_t id;
	char s[4];

	for (b = 0; b < 256; b++) {
		id = map_find(t, s, encode_cp(byte_to_cp(b), s));
		if (id >= 0)
			t->byte_tok[b] = id;
	}
}

/* Add merge "left right" (split at the first space after the first byte). */
static int add_merge(struct loader *l, uint64_t i, const char *s, size_t len, char *tmp)
{
	struct lut_tok *t = l->t;
	const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
	struct merge m;
	size_t ln, rn, h;

	if (!sp)
		return fail(l->err, l->err_size, -EINVAL,
			    "key 'tokenizer.ggml.merges': entry %" PRIu64 " has no space", i);
	ln = (size_t)(sp - s);
	rn = len - ln - 1;
	if (ln > LUT_TOK_MAX_TOKEN_LEN || rn > LUT_TOK_MAX_TOKEN_LEN)
		return 0; /* no token is that long */
	m.left = map_find(t, s, ln);
	m.right = map_find(t, sp + 1, rn);
	memcpy(tmp, s, ln);
	memcpy(tmp + ln, sp + 1, rn);
	m.result = map_find(t, tmp, ln + rn);
	if (m.left < 0 || m.right < 0 || m.result < 0 || merge_find(t, m.left, m.right) >= 0)
		return 0; /* a merge that cannot apply to this vocabulary; skip it */
	t->merges[t->n_merges] = m;
	for (h = hash_pair(m.left, m.right) & t->pair_mask; t->pair_map[h] >= 0;
	     h = (h + 1) & t->pair_mask)
		;
	t->pair_map[h] = t->n_merges++;
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
	t->pair_map = table_new((size_t)a.count, &t->pair_mask);
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
	if (!ret)
		ret = build_maps(&l);
	if (!ret && l.t->kind == LUT_TOK_BPE)
		byte_level_tokens(l.t);
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
