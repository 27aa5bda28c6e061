/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: the tokenizer stored in a GGUF file's metadata.
 *
 * Two vocabulary kinds (tokenizer.ggml.model):
 *  - "llama": SentencePiece-style. Spaces become U+2581 ("▁"), a "▁" is
 *    put in front of the text (tokenizer.ggml.add_space_prefix, default
 *    true), the text is split into UTF-8 characters and the adjacent pair
 *    whose concatenation is a token with the highest score
 *    (tokenizer.ggml.scores) is merged until none is left; pieces that are
 *    not tokens fall back to byte tokens "<0xNN>" (or to the unknown token).
 *  - "gpt2": byte-level BPE. The text is pre-split into words
 *    (tokenizer.ggml.pre: "llama-bpe"/"llama3" use LLaMA-3's rules, anything
 *    else GPT-2's; letters and digits are classified exactly for ASCII and
 *    approximately beyond), each byte becomes one of 256 printable
 *    characters, and tokenizer.ggml.merges are applied lowest rank first.
 *
 * Token types follow tokenizer.ggml.token_type (LUT_TOKEN_*). Control
 * tokens (BOS, EOS, ...) decode to nothing unless asked; user-defined
 * tokens are always recognised in the text, control tokens only with
 * LUT_TOK_PARSE_SPECIAL. A struct lut_tok is read-only after creation and
 * may be shared between threads.
 */
#ifndef LUTCORE_TOKENIZER_H
#define LUTCORE_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lutcore/gguf.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* The vocabulary kinds. */
enum lut_tok_kind {
	LUT_TOK_SPM = 1, /* tokenizer.ggml.model "llama" */
	LUT_TOK_BPE = 2, /* tokenizer.ggml.model "gpt2" */
};

/* tokenizer.ggml.token_type values (0 is read as normal). */
enum lut_token_type {
	LUT_TOKEN_NORMAL = 1,
	LUT_TOKEN_UNKNOWN = 2,
	LUT_TOKEN_CONTROL = 3,
	LUT_TOKEN_USER_DEFINED = 4,
	LUT_TOKEN_UNUSED = 5,
	LUT_TOKEN_BYTE = 6,
};

#define LUT_TOK_MAX_TOKEN_LEN 65535 /* bytes in one token's text */

/* lut_tok_encode() flags. */
#define LUT_TOK_ADD_SPECIAL   (1u << 0) /* BOS/EOS as add_bos_token/add_eos_token say */
#define LUT_TOK_PARSE_SPECIAL (1u << 1) /* control tokens spelled in the text are tokens */

/* lut_tok_piece(), lut_tok_decode() and stream flags. */
#define LUT_TOK_DECODE_SPECIAL	(1u << 0) /* control and unused tokens show their text */
#define LUT_TOK_DECODE_NO_STRIP (1u << 1) /* keep the space SPM put before the text */

/* A tokenizer; opaque. */
struct lut_tok;

/*
 * Build the tokenizer described by g's tokenizer.ggml.* metadata; it copies
 * what it needs, so g may be closed afterwards. Returns 0, or -ENOENT (no
 * tokenizer.ggml.model or tokens), -EOPNOTSUPP (another model kind, or
 * "no_vocab"), -EINVAL (a malformed or inconsistent entry: wrong type,
 * array lengths that differ, a special token id out of range, a merge
 * without a space, ...) or -ENOMEM; err (may be NULL) receives a one-line
 * message naming the key at fault.
 */
int lut_tok_from_gguf(struct lut_gguf *g, struct lut_tok **out, char *err, size_t err_size);

/* Free a tokenizer. NULL is accepted and ignored. */
void lut_tok_free(struct lut_tok *t);

/* The vocabulary kind. */
enum lut_tok_kind lut_tok_kind(const struct lut_tok *t);

/* Number of tokens. */
int32_t lut_tok_n_vocab(const struct lut_tok *t);

/* The BOS and EOS token ids, or -1 when the metadata names none. */
int32_t lut_tok_bos(const struct lut_tok *t);
int32_t lut_tok_eos(const struct lut_tok *t);

/*
 * Whether generation should stop at token id: EOS, and the end-of-turn and
 * end-of-message tokens when the metadata names them
 * (tokenizer.ggml.eot_token_id, eom_token_id).
 */
bool lut_tok_is_eog(const struct lut_tok *t, int32_t id);

/* The vocabulary text of token id (NUL-terminated), or NULL out of range. */
const char *lut_tok_text(const struct lut_tok *t, int32_t id);

/* The type (enum lut_token_type) of token id, or -EINVAL out of range. */
int lut_tok_type(const struct lut_tok *t, int32_t id);

/*
 * Tokenize len bytes of text (any bytes; invalid UTF-8 is carried by byte
 * tokens) into at most max_ids ids at ids. Returns the number of tokens
 * the text needs, which may be larger than max_ids (then only the first
 * max_ids were stored: call again with a larger array), or -EINVAL (NULL
 * text with len > 0, NULL ids with max_ids > 0), -EOVERFLOW (text of 256 MiB
 * or more), -EILSEQ (a byte with neither a byte token nor an unknown
 * token), -ENOMEM.
 */
int lut_tok_encode(const struct lut_tok *t, const char *text, size_t len, unsigned int flags,
		   int32_t *ids, size_t max_ids);

/*
 * The bytes token id stands for in text, written to buf like snprintf()
 * (NUL-terminated when size > 0; buf may be NULL when size is 0). Returns
 * the piece's length, or -EINVAL for an id out of range. The leading-space
 * rule of lut_tok_decode() does not apply to single pieces.
 */
int lut_tok_piece(const struct lut_tok *t, int32_t id, unsigned int flags, char *buf, size_t size);

/*
 * The text of n tokens, written like snprintf(): the pieces concatenated,
 * minus the space SPM put before the first piece (unless
 * LUT_TOK_DECODE_NO_STRIP), so that decoding what lut_tok_encode() made
 * gives back the text. Returns its length, or -EINVAL for an id out of
 * range, or -EOVERFLOW above INT_MAX bytes.
 */
int lut_tok_decode(const struct lut_tok *t, const int32_t *ids, size_t n, unsigned int flags,
		   char *buf, size_t size);

/* A streaming decoder; opaque. */
struct lut_tok_stream;

/*
 * A decoder for tokens that arrive one at a time, e.g. during generation.
 * With LUT_TOK_DECODE_NO_STRIP it continues a text (use it for generated
 * tokens that follow a prompt); without it the SPM space before the first
 * piece is dropped. Returns 0, -EINVAL or -ENOMEM.
 */
int lut_tok_stream_new(const struct lut_tok *t, unsigned int flags, struct lut_tok_stream **out);

/*
 * Feed one token. *text receives the complete UTF-8 characters that are now
 * known (*len bytes, NUL-terminated, valid until the next call on s); bytes
 * of a character split across tokens are held back until it is complete,
 * and a sequence that can never become valid UTF-8 comes out as U+FFFD, so
 * every chunk is valid UTF-8 on its own. Returns 0, -EINVAL for a bad id
 * (nothing consumed), or -ENOMEM.
 */
int lut_tok_stream_put(struct lut_tok_stream *s, int32_t id, const char **text, size_t *len);

/* End of input: an incomplete held-back character comes out as U+FFFD. */
int lut_tok_stream_flush(struct lut_tok_stream *s, const char **text, size_t *len);

/* Free a stream. NULL is accepted and ignored. */
void lut_tok_stream_free(struct lut_tok_stream *s);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_TOKENIZER_H */
