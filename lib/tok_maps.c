// SPDX-License-Identifier: MIT
/*
 * The tokenizer's lookup tables, built once at load and read while
 * encoding: token text -> id (open addressing over a power-of-two table,
 * FNV-1a), merge pair -> rank, byte -> token, and the in-text special
 * tokens, longest first.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_priv.h"

/* ---- Lookups ------------------------------------------------------------- */

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
int32_t *tok_table_new(size_t n, size_t *mask)
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

/* The mergeable token spelled s[0..n), or -1. */
int32_t tok_map_find(const struct lut_tok *t, const char *s, size_t n)
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
int32_t tok_merge_find(const struct lut_tok *t, int32_t a, int32_t b)
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

/* Enter merges[m] under its pair (not in the table yet). */
void tok_pair_add(struct lut_tok *t, int32_t m)
{
	size_t h;

	for (h = hash_pair(t->merges[m].left, t->merges[m].right) & t->pair_mask;
	     t->pair_map[h] >= 0; h = (h + 1) & t->pair_mask)
		;
	t->pair_map[h] = m;
}

/* ---- Building them at load -------------------------------------------------- */

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
		id = tok_map_find(t, s, tok_encode_cp(tok_byte_to_cp(b), s));
		if (id >= 0)
			t->byte_tok[b] = id;
	}
}

/* The text map, the byte tokens and the list of in-text special tokens. */
int tok_build_maps(struct lut_tok *t)
{
	int32_t i, j, k;

	t->map = tok_table_new((size_t)t->n, &t->map_mask);
	t->special = malloc((size_t)t->n * sizeof(*t->special));
	if (!t->map || !t->special)
		return -ENOMEM;
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
	if (t->kind == LUT_TOK_BPE)
		byte_level_tokens(t);
	return 0;
}
