/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: the model runtime. Loads a GGUF llama or bitnet model,
 * converts its weights into the engine's layout (weights.h), and runs it
 * as instruction streams: one stream per decode step covering every layer
 * (RMSNorm fused into the table precompute, LMMA and epilogues, RoPE,
 * attention over the KV cache, residuals, final norm, output projection,
 * argmax), and streams with M > 1 rows for the prompt. Streams are built
 * once per shape and reused; the token ids and the position are operands
 * in memory, so a step only writes them and submits.
 *
 * Two backends run the same streams: the device (buffer objects, submit
 * and wait through the driver) and the CPU (the same engine on host
 * memory, lut_cpu), so every device result can be compared with the CPU.
 * Functions return 0 or a negative errno and never print; on failure the
 * err buffer or lut_model_error() says what went wrong in one line.
 */
#ifndef LUTCORE_MODEL_H
#define LUTCORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lutcore.h"
#include "tokenizer.h"

#if defined(__cplusplus)
extern "C" {
#endif

enum lut_backend {
	LUT_BACKEND_DEVICE = 0, /* /dev/lutcore through the driver */
	LUT_BACKEND_CPU = 1,	/* the engine on host memory */
};

/* Called while weights load; done grows to total (bytes of tensors). */
typedef void (*lut_model_progress_fn)(void *arg, uint64_t done, uint64_t total);

/**
 * struct lut_model_params - how to load and run a model
 * @backend:       enum lut_backend
 * @dev:           LUT_BACKEND_DEVICE: an open device the caller keeps
 *                 open until lut_model_free()
 * @threads:       LUT_BACKEND_CPU: engine threads; 0 = online CPUs
 * @wbits:         F32/F16/BF16 weights: 1..4 or LUT_WBITS_TERNARY;
 *                 0 = LUT_WBITS_DEFAULT (quantized types keep theirs)
 * @wgroup:        their scale group; 0 = LUT_WGROUP_DEFAULT
 * @ctx:           KV-cache positions; 0 = the model's context length,
 *                 at most LUT_MODEL_CTX_DEFAULT
 * @prefill_chunk: most prompt tokens per stream; 0 = LUT_PREFILL_DEFAULT
 * @table_dtype:   lookup tables: LUTC_DT_F16 or LUTC_DT_I8 (INT8 tables
 *                 with a scale per token and weight-scale group);
 *                 0 = LUTC_DT_F16
 * @progress:      optional load progress callback, and its @progress_arg
 */
struct lut_model_params {
	enum lut_backend backend;
	struct lut_dev *dev;
	unsigned int threads;
	uint32_t wbits;
	uint32_t wgroup;
	uint32_t ctx;
	uint32_t prefill_chunk;
	uint32_t table_dtype;
	lut_model_progress_fn progress;
	void *progress_arg;
};

#define LUT_MODEL_CTX_DEFAULT 2048
#define LUT_PREFILL_DEFAULT   64

/* Fill *p with the defaults: device backend, every size 0 (= default). */
void lut_model_params_default(struct lut_model_params *p);

/**
 * struct lut_model_info - what was loaded
 * @arch:        "llama" or "bitnet"
 * @name:        general.name, or "" when absent
 * @n_layer, @n_embd, @n_ff, @n_head, @n_head_kv, @head_dim, @n_vocab
 * @ctx:         KV-cache positions allocated
 * @weight_type: ggml type of most projection weights
 * @wfmt:        LUTC_WF_* they run in on the engine
 * @weight_bytes: engine-layout bytes of all weights (packed + scales)
 * @kv_bytes:    bytes of the KV cache
 * @tied_output: logits use token_embd (no output.weight)
 */
struct lut_model_info {
	const char *arch;
	const char *name;
	uint32_t n_layer, n_embd, n_ff, n_head, n_head_kv, head_dim, n_vocab;
	uint32_t ctx;
	uint32_t weight_type;
	uint32_t wfmt;
	uint64_t weight_bytes;
	uint64_t kv_bytes;
	int tied_output;
};

/**
 * struct lut_model_stats - counters since load (or the last reset)
 * @prompt_tokens, @prompt_ns:  tokens and wall time of M > 1 evaluations
 * @decode_tokens, @decode_ns:  the same for single-token steps
 * @prompt_cycles, @decode_cycles: modeled device cycles of those streams
 *                 (CPU backend: the engine's count; device backend: the
 *                 device's cycle counters, DRM_LUTCORE_PARAM_CYCLES)
 * @clock_mhz:     the device clock the cycles are at
 * @streams_built: streams built so far (once per shape)
 */
struct lut_model_stats {
	uint64_t prompt_tokens, prompt_ns, prompt_cycles;
	uint64_t decode_tokens, decode_ns, decode_cycles;
	uint32_t clock_mhz;
	uint32_t streams_built;
};

struct lut_model;

/*
 * Load the GGUF file at path for the backend p describes (start from
 * lut_model_params_default(); the device backend needs p->dev, so a NULL
 * p, meaning the defaults, fails with -EINVAL and a message).
 * Returns 0; -ENOENT/-EACCES and friends for the file, -EINVAL for a file
 * that is not a usable model (err names the key or tensor), -EOPNOTSUPP
 * for an architecture or tensor type the runtime does not run, -ENOMEM,
 * or the device's error.
 */
int lut_model_load(const char *path, const struct lut_model_params *p, struct lut_model **out,
		   char *err, size_t err_size);

/* Free everything of the model, device buffers included. NULL is ok. */
void lut_model_free(struct lut_model *m);

const struct lut_model_info *lut_model_info(const struct lut_model *m);

/*
 * The tokenizer from the model's metadata; owned by the model. NULL when
 * the file has none (no tokenizer.ggml.model, or "no_vocab").
 */
const struct lut_tok *lut_model_tok(const struct lut_model *m);

/* Tokens in the KV cache (the position the next token gets). */
uint32_t lut_model_pos(const struct lut_model *m);

/*
 * Forget the KV cache from position pos on (0: start a new sequence).
 * Returns 0 or -EINVAL for pos beyond lut_model_pos().
 */
int lut_model_rewind(struct lut_model *m, uint32_t pos);

/**
 * struct lut_eval - what one evaluation produced
 * @logits: n_vocab floats of the last token (valid until the next call)
 * @argmax: the greedy token, computed on the backend
 */
struct lut_eval {
	const float *logits;
	int32_t argmax;
};

/*
 * Run n tokens (1 <= n, pos + n <= ctx) at positions lut_model_pos()..
 * through the model: decode streams for n == 1, prompt streams otherwise,
 * in chunks of at most prefill_chunk tokens. Returns 0; -EINVAL for bad
 * arguments or a token id out of range; -ENOSPC when the context is full;
 * -EIO when a stream failed (lut_model_error() says where); the driver's
 * errno for a failed submit or wait.
 */
int lut_model_eval(struct lut_model *m, const int32_t *tokens, uint32_t n, struct lut_eval *out);

/*
 * Like lut_model_eval(), but write the logits of every one of the n
 * tokens: logits[i * n_vocab + v] is token i's (the prediction for the
 * token after it), n * n_vocab floats. It runs prompt streams whose output
 * projection covers every row (a second stream shape per chunk size, built
 * on first use; the first call also allocates prefill_chunk * n_vocab
 * floats of activation memory). Row i equals, bit for bit, the logits a
 * decode step of token i alone at its position gives. No argmax is
 * computed. On an error after some chunks completed, the position and the
 * rows of those chunks are kept. Returns as lut_model_eval(); -EINVAL
 * also for a NULL logits.
 */
int lut_model_eval_all(struct lut_model *m, const int32_t *tokens, uint32_t n, float *logits);

/* The last error's message (empty when none). Never NULL. */
const char *lut_model_error(const struct lut_model *m);

void lut_model_stats(const struct lut_model *m, struct lut_model_stats *st);
void lut_model_stats_reset(struct lut_model *m);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_MODEL_H */
