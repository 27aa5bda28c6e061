/* SPDX-License-Identifier: MIT */
/*
 * liblutcore internals of the model runtime (model.h), shared by its
 * source files and the host tests; not installed.
 *
 *   model.c         public API glue: load, free, getters, rewind, stats
 *   model_config.c  GGUF metadata -> struct lm_cfg, tensor names/shapes
 *   model_load.c    weights -> engine layout (weights.h) in device memory
 *   model_mem.c     memory pools: buffer objects or host memory at VAs
 *   model_graph.c   the instruction streams of one evaluation shape
 *   model_run.c     eval: write ids/positions, run the streams, stats
 *
 * Memory is planned before it is allocated: every tensor, cache and
 * scratch array gets a struct lm_loc (pool, chunk, offset) while the pools
 * only count bytes; lm_pool_commit() then creates each chunk with its
 * final size (a buffer object, or host memory mapped into lut_cpu), so no
 * memory is wasted on guesses and no chunk exceeds the driver's largest
 * buffer.
 */
#ifndef LUTCORE_MODEL_PRIV_H
#define LUTCORE_MODEL_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "lutcore/bo.h"
#include "lutcore/gguf.h"
#include "lutcore/model.h"
#include "lutcore/stream.h"
#include "lutcore/submit.h"
#include "lutcore/weights.h"

/*
 * The library is built with default visibility; the runtime's internal
 * helpers (lm_*) must not become part of liblutcore.so's ABI.
 */
#pragma GCC visibility push(hidden)

#define LM_ERR_SIZE 320

enum lm_arch { LM_ARCH_LLAMA, LM_ARCH_BITNET };

/* The model's shape and the constants its graph uses. */
struct lm_cfg {
	enum lm_arch arch;
	uint32_t n_layer, n_embd, n_ff, n_head, n_head_kv, head_dim, n_vocab;
	uint32_t n_rot;	    /* rotated dimensions of a head (even) */
	uint32_t ctx_train; /* {arch}.context_length */
	float eps;	    /* RMSNorm epsilon */
	float rope_base, freq_scale;
	uint32_t rope_mode; /* LUTC_ROPE_NORM (llama) or LUTC_ROPE_NEOX */
	uint32_t ffn_fn;    /* LUTC_ELT_SILU_MUL or LUTC_ELT_RELU2_MUL */
};

/* ---- Memory ---------------------------------------------------------------- */

enum lm_pool_id {
	LM_POOL_NONE = 0, /* a zero struct lm_loc is "absent" */
	LM_POOL_WEIGHTS,  /* read-only for the device */
	LM_POOL_KV,	  /* device only: the CPU never touches the caches */
	LM_POOL_ACT,	  /* scratch and I/O: ids, positions, logits */
	LM_POOL_STREAM,	  /* instruction streams, read-only for the device */
	LM_NPOOLS,
};

/* A place in a pool: chunk and byte offset. */
struct lm_loc {
	uint32_t pool; /* enum lm_pool_id */
	uint32_t chunk;
	uint64_t off;
};

/* One allocation of a pool: a buffer object or host memory. */
struct lm_chunk {
	uint8_t *host; /* CPU view; NULL for a device-only BO */
	uint64_t va, size;
	struct lut_bo *bo;
	bool committed;
};

struct lm_pool {
	const char *what; /* for messages: "weights", "KV cache", ... */
	struct lm_chunk *c;
	uint32_t n, cap;
	uint64_t used;	   /* bytes placed in the last chunk */
	uint64_t min_size; /* smallest chunk a commit makes */
};

/* ---- Weights --------------------------------------------------------------- */

/* One LMMA's part of a matrix in device memory (see weights.h). */
struct lm_part {
	uint32_t wfmt, group;
	float zero_imm;
	bool has_zeros;
	struct lm_loc packed, scales, zeros;
};

/* A projection matrix [n][k] (GGUF ne = [k, n]) in engine layout. */
struct lm_mat {
	char name[LUT_GGUF_MAX_NAME + 1];
	uint32_t n, k, type, nparts;
	bool via_q8;		     /* a float tensor run as Q8_0 (the output projection) */
	struct lut_weight_params wp; /* float tensors: the bit width */
	struct lm_part p[LUT_WEIGHT_MAX_PARTS];
};

struct lm_layer {
	struct lm_loc attn_norm, attn_sub_norm, ffn_norm, ffn_sub_norm; /* F32 */
	struct lm_mat q, k, v, o, gate, up, down;
	struct lm_loc k_cache, v_cache;
};

/* The token embedding: a dense float table or packed rows of a matrix. */
struct lm_embd {
	bool dense;
	uint32_t dtype; /* dense: LUTC_DT_F32/F16/BF16 */
	struct lm_loc table;
	struct lm_mat own;	  /* packed and not tied */
	const struct lm_mat *mat; /* packed: &own or the output matrix */
};

/* Scratch and I/O arrays, sized for max_m rows. */
struct lm_act {
	uint32_t max_m;
	struct lm_loc x[2];	    /* the residual stream, ping-pong [M][D] */
	struct lm_loc tab;	    /* lookup tables of one activation */
	struct lm_loc tscale, asum; /* [M][groups] F32 */
	struct lm_loc q, k, v, att; /* [M][heads * head_dim] */
	struct lm_loc acc;	    /* projection before the residual [M][D] */
	struct lm_loc gate, up;	    /* [M][F] */
	struct lm_loc logits;	    /* [V] of the last row */
	struct lm_loc logits_all;   /* [max_m][V] of every row; placed on first use */
	struct lm_loc argmax;	    /* I32 */
	struct lm_loc ids, pos;	    /* I32 [M] */
};

/* ---- Streams --------------------------------------------------------------- */

/* Instruction tags: the layer, or these for the parts around the layers. */
#define LM_TAG_EMBED -1
#define LM_TAG_HEAD  -2

/* One stream (one job) of a graph. */
struct lm_seg {
	struct lut_stream *s;
	struct lm_loc loc;
	uint32_t n_insns;
	int16_t *tag; /* per instruction: layer or LM_TAG_* */
};

/*
 * The streams that evaluate m rows, run back to back; all: the output
 * projection covers every row (logits_all), not only the last one.
 */
struct lm_graph {
	uint32_t m;
	bool all;
	uint32_t nseg;
	struct lm_seg *seg;
	struct lm_graph *next;
};

struct lut_model {
	struct lut_model_params p;
	struct lut_model_info info;
	struct lm_cfg cfg;
	char arch[16];
	char *name;
	struct lut_tok *tok;

	struct lm_layer *layers;
	struct lm_loc output_norm;
	struct lm_mat output;
	struct lm_embd embd;
	struct lm_act act;
	uint64_t load_bytes; /* tensor bytes the load converts */

	/* Backend. */
	struct lut_cpu *cpu;
	struct lut_dev *dev;
	struct lut_caps caps;
	uint64_t next_va;    /* CPU backend: the next free device VA */
	struct lut_bo **bos; /* device backend: every BO a job uses */
	uint32_t nbos;
	uint32_t seg_insns;  /* most instructions per stream */
	uint32_t seg_layers; /* most layers per stream; 0 = no limit */
	uint64_t seg_work;   /* most estimated work per stream; 0 = no limit */
	struct lm_pool pool[LM_NPOOLS];

	struct lm_graph *graphs;
	uint32_t pos;
	float *logits;
	int32_t argmax;
	struct lut_model_stats st;
	char err[LM_ERR_SIZE];
};

/* ---- Helpers (model.c) ------------------------------------------------------ */

/* Format the model's error message; returns ret (a negative errno). */
int lm_fail(struct lut_model *m, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- model_config.c ------------------------------------------------------- */

/* Read the architecture and hyperparameters from g's metadata. */
int lm_read_config(struct lut_model *m, struct lut_gguf *g);

/*
 * Find tensor name of g and check its shape (ne1 == 0: a vector of ne0
 * elements). Returns 0; -EINVAL for a missing or misshapen tensor; with
 * optional, a missing tensor gives -ENOENT and no message.
 */
int lm_tensor(struct lut_model *m, struct lut_gguf *g, const char *name, uint64_t ne0, uint64_t ne1,
	      bool optional, const struct lut_gguf_tensor **t);

/* Refuse tensors that would change the math the runtime does not do. */
int lm_check_extra_tensors(struct lut_model *m, struct lut_gguf *g);

/* ---- model_load.c --------------------------------------------------------- */

/* Check every tensor, decide each one's layout and place it in the pools. */
int lm_plan_weights(struct lut_model *m, struct lut_gguf *g);

/* Convert and copy every tensor into the committed pools. */
int lm_fill_weights(struct lut_model *m, struct lut_gguf *g);

/* ---- model_mem.c ---------------------------------------------------------- */

/* Set up the backend (CPU executor or the device's limits) and the pools. */
int lm_mem_init(struct lut_model *m);
void lm_mem_free(struct lut_model *m);

/* The largest piece of memory one location can have, page aligned. */
uint64_t lm_chunk_max(const struct lut_model *m);

/* Place size bytes (alignment align, a power of two) in pool id. */
int lm_reserve(struct lut_model *m, enum lm_pool_id id, uint64_t size, uint64_t align,
	       struct lm_loc *loc);

/* Allocate every chunk of pool id that was planned but not created yet. */
int lm_commit(struct lut_model *m, enum lm_pool_id id);

/*
 * Device backend: drop the CPU mappings of pool id once the CPU is done
 * writing it (the weights), to give back the address space.
 */
void lm_drop_host_view(struct lut_model *m, enum lm_pool_id id);

/* The device VA and the host pointer of a location (0/NULL when absent). */
uint64_t lm_va(const struct lut_model *m, struct lm_loc loc);
void *lm_host(const struct lut_model *m, struct lm_loc loc);

/* ---- model_graph.c -------------------------------------------------------- */

/* Place the scratch arrays for up to max_m rows and the KV caches. */
int lm_plan_act(struct lut_model *m, uint32_t max_m);

/*
 * The streams for m rows (all: with the logits of every row): cached, or
 * built now.
 */
int lm_graph_get(struct lut_model *m, uint32_t rows, bool all, struct lm_graph **out);

/* Place and allocate act.logits_all (once; the shape with every row's logits). */
int lm_plan_logits_all(struct lut_model *m);
void lm_graphs_free(struct lut_model *m);

/* ---- model_run.c ---------------------------------------------------------- */

/* Run a graph's streams on the backend; fills *cycles (0 when unknown). */
int lm_graph_run(struct lut_model *m, const struct lm_graph *gr, uint64_t *cycles);

/*
 * Testing hook: split every stream built from now on after at most
 * max_insns instructions and max_layers layers (0: no limit), as a model
 * too large for one stream would be.
 */
void lm_set_stream_limits(struct lut_model *m, uint32_t max_insns, uint32_t max_layers);

#pragma GCC visibility pop

#endif /* LUTCORE_MODEL_PRIV_H */
