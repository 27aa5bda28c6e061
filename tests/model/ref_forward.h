/* SPDX-License-Identifier: MIT */
/*
 * A deliberately naive reference forward pass of the llama and bitnet
 * graphs in double precision, for checking the model runtime: plain loops
 * for RMSNorm, RoPE (both pair orderings), grouped-query causal attention
 * over a double KV cache, the gated SiLU / ReLU^2 FFN, BitNet's sub-norms
 * and the output projection. It takes the weights as float matrices (the
 * caller dequantizes them) and calls nothing of the runtime or the engine.
 */
#ifndef LUTCORE_REF_FORWARD_H
#define LUTCORE_REF_FORWARD_H

#include <stdint.h>

/* One block's weights; matrices are [n][k] row-major (a GGUF [k, n]). */
struct ref_layer {
	const float *attn_norm, *attn_sub_norm; /* sub-norms: NULL for llama */
	const float *wq, *wk, *wv, *wo;
	const float *ffn_norm, *ffn_sub_norm;
	const float *gate, *up, *down;
};

struct ref_model {
	uint32_t n_layer, dim, ff, heads, kv_heads, head_dim, vocab, n_rot;
	double eps, rope_base;
	int neox;	       /* RoPE pairs (i, i + n_rot/2) rather than (2i, 2i+1) */
	int relu2;	       /* FFN activation relu(x)^2 rather than silu(x) */
	const float *embd;     /* [vocab][dim] */
	const float *out_norm; /* [dim] */
	const float *out;      /* [vocab][dim] */
	const struct ref_layer *layers;
};

/* The KV cache and the position of one sequence; opaque. */
struct ref_state;

/* A state for up to ctx positions; NULL when out of memory. */
struct ref_state *ref_state_new(const struct ref_model *rm, uint32_t ctx);
void ref_state_free(struct ref_state *s);

/* Forget positions from pos on. */
void ref_rewind(struct ref_state *s, uint32_t pos);

/*
 * Run token at the next position and write the vocab logits. Returns 0,
 * or -1 when the cache is full or the token is out of range.
 */
int ref_step(const struct ref_model *rm, struct ref_state *s, int32_t token, double *logits);

#endif /* LUTCORE_REF_FORWARD_H */
