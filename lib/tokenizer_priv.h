/* SPDX-License-Identifier: MIT */
/*
 * liblutcore internals of the tokenizer (tokenizer.h), shared by its source
 * files; not installed.
 *
 *   tok_load.c    GGUF metadata -> struct lut_tok, lut_tok_free(), getters
 *   tok_maps.c    the lookup tables: text -> id, merge pair -> rank, ...
 *   tok_text.c    UTF-8, and byte-level BPE's byte <-> character map
 *   tok_pretok.c  BPE's pre-tokenizer (GPT-2 and LLaMA 3 word rules)
 *   tok_encode.c  the merge engine and lut_tok_encode()
 *   tok_decode.c  pieces, lut_tok_piece()/_decode(), the streaming decoder
 *
 * The library is built with default visibility, so the shared helpers
 * below are marked hidden: they are no part of liblutcore.so's ABI.
 */
#ifndef LUTCORE_TOKENIZER_PRIV_H
#define LUTCORE_TOKENIZER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lutcore/tokenizer.h"

#define TOK_HIDDEN __attribute__((visibility("hidden")))

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

static inline const char *tok_str(const struct lut_tok *t, int32_t id)
{
	return t->text + t->tok[id].off;
}

/* ---- Lookup tables (tok_maps.c) ----------------------------------------- */

/* A power-of-two table of at least twice n slots, all -1. */
TOK_HIDDEN int32_t *tok_table_new(size_t n, size_t *mask);

/* The mergeable token spelled s[0..n), or -1. */
TOK_HIDDEN int32_t tok_map_find(const struct lut_tok *t, const char *s, size_t n);

/* The rank of merge (a, b), or -1. */
TOK_HIDDEN int32_t tok_merge_find(const struct lut_tok *t, int32_t a, int32_t b);

/* Enter merges[m] into the pair table (which must not hold its pair yet). */
TOK_HIDDEN void tok_pair_add(struct lut_tok *t, int32_t m);

/*
 * After the tokens' types are known: the text map, the byte tokens (BPE:
 * each byte's byte-level character first) and the list of in-text special
 * tokens. 0 or -ENOMEM.
 */
TOK_HIDDEN int tok_build_maps(struct lut_tok *t);

/* ---- UTF-8 and the byte-level map (tok_text.c) --------------------------- */

/*
 * Classify s[0..n) (n >= 1) as the start of one UTF-8 character: its length
 * when it is all there and valid, 0 when s is a valid but incomplete
 * prefix, -1 when it is invalid (overlong forms and surrogates included).
 */
TOK_HIDDEN int tok_utf8_check(const uint8_t *s, size_t n);

/* Length of the character at s (1 for an invalid byte). */
TOK_HIDDEN size_t tok_char_len(const uint8_t *s, size_t n);

/* The code point at s, and its length; invalid bytes give U+FFFD. */
TOK_HIDDEN uint32_t tok_decode_cp(const uint8_t *s, size_t n, size_t *len);

/* Write cp (below U+10000) as UTF-8; returns its length. */
TOK_HIDDEN size_t tok_encode_cp(uint32_t cp, char *out);

/* Byte-level BPE: the character byte b stands as, and back (-1: none). */
TOK_HIDDEN uint32_t tok_byte_to_cp(unsigned int b);
TOK_HIDDEN int tok_cp_to_byte(uint32_t cp);

/* ---- Pre-tokenizer (tok_pretok.c) ---------------------------------------- */

/* The end of the word that starts at s[pos] (pos < n), by pre's rules. */
TOK_HIDDEN size_t tok_pre_word(enum pre pre, const char *s, size_t n, size_t pos);

#endif /* LUTCORE_TOKENIZER_PRIV_H */
