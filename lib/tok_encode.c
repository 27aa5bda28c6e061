// SPDX-License-Identifier: MIT
/*
 * Text -> token ids, for both vocabulary kinds (see tokenizer.h).
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
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_priv.h"

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
		id = tok_map_find(t, w->buf + a->start, (size_t)a->len + b->len);
		if (id < 0)
			return;
		prio = -(double)t->tok[id].score;
	} else {
		id = tok_merge_find(t, a->id, b->id);
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
			a->id = w->t->merges[tok_merge_find(w->t, a->id, b->id)].result;
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

		len = t->kind == LUT_TOK_SPM ? tok_char_len(p, n - pos) : 1;
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
			id = tok_map_find(w->t, w->buf + s->start, (size_t)s->len);
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
		k += tok_encode_cp(tok_byte_to_cp((uint8_t)s[i]), tmp + k);
	return tok_map_find(t, tmp, k);
}

static int encode_bpe(const struct lut_tok *t, struct out *o, const char *s, size_t n)
{
	char *tmp = malloc(2 * n + 1);
	size_t pos, end;
	int ret = 0;

	if (!tmp)
		return -ENOMEM;
	for (pos = 0; pos < n && !ret; pos = end) {
		int32_t id = -1;

		end = tok_pre_word(t->pre, s, n, pos);
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
