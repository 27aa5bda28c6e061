/* SPDX-License-Identifier: MIT */
/*
 * lutcore-mkmodel internals, shared by the tool and the host tests that
 * build models in memory: options, the vocabulary learner, the writer.
 */
#ifndef LUTCORE_MKMODEL_H
#define LUTCORE_MKMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lutcore/gguf.h"

enum mk_arch { MK_ARCH_LLAMA, MK_ARCH_BITNET };
enum mk_tok { MK_TOK_SPM, MK_TOK_BPE };
enum mk_weights { MK_W_UNIFORM, MK_W_TERNARY };
enum mk_act { MK_ACT_SILU, MK_ACT_RELU2 };

struct mk_opts {
	enum mk_arch arch;
	uint32_t dim, layers, heads, kv_heads, ffn, vocab, ctx;
	uint32_t type;	    /* ggml type of the layer matrices */
	uint32_t embd_type; /* token_embd and output */
	enum mk_tok tok;
	enum mk_weights weights;
	enum mk_act act; /* bitnet only; llama is always SiLU */
	bool tied;	 /* no output.weight: logits use token_embd */
	bool vocab_only; /* metadata only, no tensors */
	uint64_t seed;
	float rope_base, eps;
};

/* The defaults of an architecture (the "tiny" shape). */
void mk_opts_default(struct mk_opts *o, enum mk_arch arch);

/*
 * Apply preset name ("tiny", "bitnet-2b") to o. Returns 0 or -EINVAL for an
 * unknown name.
 */
int mk_preset(struct mk_opts *o, const char *name);

/* Check o; on failure returns -EINVAL with a one-line message in err. */
int mk_check(const struct mk_opts *o, char *err, size_t size);

/* The learned vocabulary, ready for the tokenizer.ggml.* keys. */
struct mk_vocab {
	uint32_t n;
	char **tokens;
	float *scores;
	int32_t *types;
	char **merges; /* BPE only: "left right", in rank order */
	uint32_t n_merges;
	int32_t bos, eos, eot, unk; /* -1 when the kind has none */
};

/* The merges the built-in text allows, at most (for messages). */
#define MK_MAX_MERGES 4000

/*
 * Learn the vocabulary o asks for (kind and size) from the built-in text:
 * byte-pair merges counted over its words, most frequent pair first, ties
 * to the lower symbol ids; deterministic. Returns 0, -EINVAL (vocabulary
 * too small, with a message) or -ENOMEM.
 */
int mk_vocab_build(const struct mk_opts *o, struct mk_vocab *v, char *err, size_t size);

/*
 * Learn the vocabulary from len bytes of text instead of the built-in one
 * (lutcore-train learns it from its training corpus); otherwise as
 * mk_vocab_build(), which is this function on mk_corpus.
 */
int mk_vocab_learn(const struct mk_opts *o, const char *text, size_t len, struct mk_vocab *v,
		   char *err, size_t size);

void mk_vocab_free(struct mk_vocab *v);

/* Add the tokenizer.ggml.* keys of v to w. Returns 0 or a negative errno. */
int mk_vocab_add(struct lut_gguf_writer *w, const struct mk_opts *o, const struct mk_vocab *v);

/* Progress: done of total bytes of tensor data written. */
typedef void (*mk_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/*
 * Write the whole model to f. Returns 0 or a negative errno with a
 * message in err; progress (may be NULL) is called as data is written.
 */
int mk_write(const struct mk_opts *o, FILE *f, mk_progress_fn progress, void *ctx, char *err,
	     size_t size);

/* The built-in text the vocabulary is learned from (NUL-terminated). */
extern const char mk_corpus[];

#endif /* LUTCORE_MKMODEL_H */
