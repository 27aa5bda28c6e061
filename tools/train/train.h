/* SPDX-License-Identifier: MIT */
/*
 * lutcore-train internals: a small trainer for llama-architecture models,
 * shared by the tool and its host tests (tests/train/).
 *
 * The model is llama as llama.cpp and liblutcore's runtime run it: token
 * embedding; per layer RMSNorm, attention with RoPE on adjacent pairs
 * (2i, 2i+1) (GGUF "llama", LUTC_ROPE_NORM), causal softmax, output
 * projection and residual, RMSNorm, SwiGLU FFN (down(silu(gate) * up)) and
 * residual; final RMSNorm and a separate output head. With ternary set,
 * every projection (attn q/k/v/output, ffn gate/up/down) runs in the
 * forward pass as BitNet b1.58's absmean ternarization of a latent float
 * matrix, W_q = clamp(round(W / s), -1, 1) * s with s = mean|W| (rounded
 * to fp16, so that a TQ2_0 block stores exactly W_q), and the backward
 * pass hands W_q's gradient to W unchanged (straight-through estimator).
 *
 * Numbers are `real`: float, or double when built with -DLT_REAL_DOUBLE
 * (the gradient check). Work is split over a fixed pool of threads in
 * static partitions whose boundaries do not change any element's order of
 * operations, so results are bit-identical for every thread count.
 */
#ifndef LUTCORE_TRAIN_H
#define LUTCORE_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lutcore/gguf.h"
#include "lutcore/tokenizer.h"

#ifdef LT_REAL_DOUBLE
typedef double real;
#else
typedef float real;
#endif

#define LT_ERR_SIZE 256

/* ---- Thread pool (pool.c) --------------------------------------------- */

struct lt_pool;

/* fn(ctx, begin, end) processes items [begin, end). */
typedef void (*lt_task_fn)(void *ctx, size_t begin, size_t end);

/* A pool of n threads, the caller's included (n >= 1). */
int lt_pool_new(unsigned int n, struct lt_pool **out);
void lt_pool_free(struct lt_pool *p);
unsigned int lt_pool_threads(const struct lt_pool *p);

/*
 * Run fn over items 0..n: thread t gets the items from t*n/T to (t+1)*n/T,
 * rounded to multiples of grain (the last range takes the rest). Returns
 * when all are done. p may be NULL (everything on the caller's thread).
 */
void lt_parallel(struct lt_pool *p, size_t n, size_t grain, lt_task_fn fn, void *ctx);

/* ---- Kernels (gemm.c) --------------------------------------------------- */

/*
 * C[i][c] = (acc ? C[i][c] : 0) + sum over j of A[i*ai + j*aj] * B[j*ldb + c]
 * for i < m, c < n, j < k in ascending j, C's rows ldc apart. Every
 * element is computed the same way wherever it falls in the blocking, so
 * splitting the rows between threads changes no bit.
 */
void lt_gemm(real *c, size_t ldc, const real *a, size_t ai, size_t aj, const real *b, size_t ldb,
	     size_t m, size_t n, size_t k, bool acc);

/* lt_gemm() with the rows split over the pool. */
void lt_gemm_par(struct lt_pool *p, real *c, size_t ldc, const real *a, size_t ai, size_t aj,
		 const real *b, size_t ldb, size_t m, size_t n, size_t k, bool acc);

/* dst[c][r] = src[r][c] for an r x c matrix. */
void lt_transpose(real *dst, const real *src, size_t rows, size_t cols);

/* ---- Model (model.c) ------------------------------------------------------ */

struct lt_config {
	uint32_t dim, layers, heads, kv_heads, ffn, vocab, ctx;
	float eps, rope_base;
	bool ternary;
};

enum lt_kind {
	LT_EMBD,   /* token_embd: [vocab][dim], a row per token */
	LT_NORM,   /* RMSNorm weight [n] */
	LT_PROJ,   /* projection [n][k] (ternary when the model is) */
	LT_OUTPUT, /* output head [vocab][dim] */
};

/* One tensor in the flat parameter array: n rows of k (GGUF ne = {k, n}). */
struct lt_tensor {
	char name[LUT_GGUF_MAX_NAME + 1];
	enum lt_kind kind;
	uint32_t n, k;
	size_t off; /* into the parameter array */
};

/* Indexes of a layer's tensors in lt_model.t, from lt_layer_base(). */
enum {
	LT_T_ATTN_NORM,
	LT_T_Q,
	LT_T_K,
	LT_T_V,
	LT_T_O,
	LT_T_FFN_NORM,
	LT_T_GATE,
	LT_T_UP,
	LT_T_DOWN,
	LT_T_PER_LAYER,
};

struct lt_model {
	struct lt_config c;
	struct lt_tensor *t;
	size_t n_tensors;
	size_t n_params;
	real *p;      /* parameters (latent weights when ternary) */
	real *weff;   /* projections as the forward pass uses them, same layout */
	real *wt;     /* the same transposed, [k][n] per projection */
	float *scale; /* per tensor: the ternary scale s (0 for others) */
};

/* Check c; on failure -EINVAL and a one-line message. */
int lt_config_check(const struct lt_config *c, char *err, size_t size);

/* Lay out the tensors of c and allocate (zeroed). 0 or -ENOMEM. */
int lt_model_new(const struct lt_config *c, struct lt_model *m);
void lt_model_free(struct lt_model *m);

/* Index of the first tensor of layer l; token_embd is 0. */
size_t lt_layer_base(uint32_t l);
size_t lt_output_norm_index(const struct lt_model *m);
size_t lt_output_index(const struct lt_model *m);

/*
 * Initial values from seed: norms 1, matrices uniform with standard
 * deviation 0.02 (embeddings, output) or 1/sqrt(k) scaled down for the
 * layer outputs (attn_output, ffn_down: / sqrt(2 * layers)).
 */
void lt_model_init(struct lt_model *m, uint64_t seed);

/*
 * Recompute weff and wt from p: ternarized projections when the model is
 * ternary, copies otherwise. Call after every change of p.
 */
void lt_model_prepare(struct lt_model *m, struct lt_pool *pool);

/* The ternary scale of n values: mean |w| rounded to fp16, never 0. */
float lt_absmean_scale(const real *w, size_t n);

/* ---- Forward and backward (forward.c, backward.c) ------------------------- */

/* Activations of one batch, kept for the backward pass. */
struct lt_acts;

/* Space for batches of b sequences of t <= ctx tokens. */
int lt_acts_new(const struct lt_model *m, uint32_t b, uint32_t t, struct lt_acts **out);
void lt_acts_free(struct lt_acts *a);

/*
 * Run b x t tokens (b <= the allocation's, t <= its length) through the
 * model; sequence s holds tokens[s*t .. s*t+t), at positions 0..t-1.
 * With targets (same shape; a negative target is not scored), returns
 * the mean cross-entropy in nats over the scored tokens and keeps what
 * the backward pass needs; the logits of every token stay in the acts.
 * NaN when b or t is 0 or more than the acts were made for.
 */
double lt_forward(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool,
		  const int32_t *tokens, const int32_t *targets, uint32_t b, uint32_t t);

/* Logits of token i (row of the last forward), vocab entries. */
const real *lt_logits(const struct lt_acts *a, size_t i);

/*
 * Gradient of the last forward's mean loss with respect to every
 * parameter into g (n_params, overwritten). For ternary projections this
 * is the gradient of W_q, passed to the latent W (straight-through).
 */
void lt_backward(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool, real *g);

/* ---- Optimizer (optim.c) --------------------------------------------------- */

struct lt_hparams {
	uint32_t steps, warmup, batch;
	float lr, min_lr, wd, beta1, beta2, adam_eps, clip;
	uint64_t seed;
};

void lt_hparams_default(struct lt_hparams *h);

/* The learning rate of step (0-based): linear warmup, then cosine. */
double lt_lr(const struct lt_hparams *h, uint32_t step);

/*
 * Clip g to global norm h->clip (0: no clipping) and apply one AdamW step
 * number step (0-based) to p with moments mo and ve; weight decay on the
 * matrices only. Returns the gradient norm before clipping, or NaN when
 * out of memory (then nothing changed).
 */
double lt_adamw(const struct lt_model *m, const struct lt_hparams *h, uint32_t step, real *p,
		real *g, real *mo, real *ve, struct lt_pool *pool);

/* ---- One training step (step.c) ---------------------------------------------------- */

struct lt_text;

/* What a step works on; the caller owns every buffer. */
struct lt_trainer {
	struct lt_model *m;
	struct lt_acts *acts; /* for h->batch x m->c.ctx tokens */
	struct lt_pool *pool;
	const struct lt_text *text;
	int32_t bos;
	const struct lt_hparams *h;
	real *grad, *mo, *ve;	   /* n_params each */
	int32_t *tokens, *targets; /* batch x ctx each */
};

/*
 * Training step number step (0-based): weights prepared from the
 * parameters, batch lt_batch(step), forward, backward, AdamW. Returns the
 * batch's loss; *gnorm gets the gradient norm (NaN when out of memory).
 */
double lt_step(struct lt_trainer *t, uint32_t step, double *gnorm);

/* ---- Data (data.c) ------------------------------------------------------------ */

/* A tokenized text. */
struct lt_text {
	int32_t *ids;
	size_t n;
};

/* Read a whole file; NUL-terminated, *len without it. NULL with errno. */
char *lt_read_file(const char *path, size_t *len);

/* Tokenize len bytes of text (no BOS). 0 or a negative errno. */
int lt_tokenize(const struct lut_tok *tok, const char *text, size_t len, struct lt_text *out);
void lt_text_free(struct lt_text *t);

/*
 * Training batch number step: b windows of t tokens, each BOS followed by
 * t-1 tokens of the text from a start drawn from (seed, step), targets the
 * next tokens. Depends on nothing else, so a resumed run sees the same.
 */
void lt_batch(const struct lt_text *x, int32_t bos, uint64_t seed, uint32_t step, uint32_t b,
	      uint32_t t, int32_t *tokens, int32_t *targets);

/*
 * Held-out evaluation: the text cut into consecutive windows of t-1
 * tokens, each run as BOS + window, every token of the text scored once
 * (the first of each window with only BOS before it). Returns the mean
 * loss in nats per token and the count in *n_scored; at most max_windows
 * windows (0: all).
 */
double lt_eval_text(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool,
		    const struct lt_text *x, int32_t bos, uint32_t b, uint32_t t,
		    size_t max_windows, size_t *n_scored);

/* ---- Vocabulary and tokenizer (vocab.c) ------------------------------------ */

/*
 * Learn a byte-level BPE vocabulary (tokenizer.ggml.model "gpt2", LLaMA 3
 * pre-tokenizer, BOS/EOS/EOT at the end) of n tokens from text and write
 * it as a tensor-free GGUF file to path. 0 or a negative errno with a
 * message in err.
 */
int lt_vocab_learn(const char *text, size_t len, uint32_t n, const char *path, char *err,
		   size_t size);

/*
 * Copy the tokenizer.ggml.* pairs of g to w (a vocabulary file's, or a
 * model's), so that a trained model carries exactly the vocabulary it
 * was trained with. 0 or a negative errno.
 */
int lt_vocab_copy(struct lut_gguf *g, struct lut_gguf_writer *w);

/* ---- GGUF (export.c) ------------------------------------------------------------ */

struct lt_export_info {
	const char *name, *description;
};

/*
 * Write m as a GGUF llama model to path with the vocabulary of vocab:
 * ternary projections as TQ2_0 (exactly W_q: codes and the scale s),
 * float ones as F16, token_embd and output F16, norms F32. Written under
 * a temporary name and renamed. 0 or a negative errno with a message.
 */
int lt_export(const struct lt_model *m, struct lut_gguf *vocab, const struct lt_export_info *info,
	      const char *path, char *err, size_t size);

/*
 * Load a GGUF llama model (as lt_export() writes it, or any llama file
 * of the types liblutcore converts) into a float model for evaluation:
 * every tensor dequantized, projections used as stored (ternary = 0). 0
 * or a negative errno with a message.
 */
int lt_import(struct lut_gguf *g, struct lt_model *m, char *err, size_t size);

/* ---- Checkpoints (ckpt.c) ------------------------------------------------------- */

/* What a checkpoint holds besides the model's shape and parameters. */
struct lt_ckpt {
	struct lt_hparams h;
	uint32_t step; /* steps done */
	real *mo, *ve; /* Adam moments, n_params each */
};

/* Write atomically (temporary file and rename). 0 or a negative errno. */
int lt_ckpt_save(const char *path, const struct lt_model *m, const struct lt_ckpt *k, char *err,
		 size_t size);

/*
 * Read a checkpoint into a new model (m) and moments (k, allocated).
 * 0, or -EINVAL for a file that is not a checkpoint of this build (real
 * size, version), or an errno of reading; with a message.
 */
int lt_ckpt_load(const char *path, struct lt_model *m, struct lt_ckpt *k, char *err, size_t size);

#endif /* LUTCORE_TRAIN_H */
