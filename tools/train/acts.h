/* SPDX-License-Identifier: MIT */
/*
 * lutcore-train: the activations one forward pass keeps for the backward
 * pass, and the backward pass's scratch. Private to forward.c and
 * backward.c. Rows are tokens: row b*t + i is token i of sequence b.
 */
#ifndef LUTCORE_TRAIN_ACTS_H
#define LUTCORE_TRAIN_ACTS_H

#include "train.h"

struct lt_layer_acts {
	real *x;	     /* [N][d] the layer's input (residual stream) */
	real *h1, *rs1;	     /* attn RMSNorm output [N][d] and 1/rms [N] */
	real *q, *k, *v;     /* after RoPE: [N][d], [N][kvd], [N][kvd] */
	real *att;	     /* softmax probabilities [b][heads][t][t] */
	real *ao;	     /* attention output before attn_output [N][d] */
	real *xm;	     /* residual after attention [N][d] */
	real *h2, *rs2;	     /* ffn RMSNorm output and 1/rms */
	real *gate, *up, *m; /* [N][ffn]: gate and up projections, silu(gate) * up */
};

struct lt_acts {
	uint32_t b_max, t_max; /* allocated for */
	uint32_t b, t;	       /* the last forward */
	uint32_t d, kvd, f, vocab, layers, heads, kv_heads, hd;
	int32_t *tokens, *targets;
	size_t n_scored;
	struct lt_layer_acts *l;
	real *xf;	/* final residual [N][d] */
	real *hf, *rsf; /* final RMSNorm output and 1/rms */
	real *logits;	/* [N][vocab] */
	real *lse;	/* log-sum-exp of each row's logits [N] */
	real *rope;	/* cos, sin of position i, pair j: [t][hd/2][2] */
	real *kt;	/* K transposed per (sequence, kv head): [b][kvh][hd][t] */
	/* Backward scratch. */
	real *dlogits;				  /* [N][vocab] */
	real *dx, *dxm, *dh, *dao, *dq, *dk, *dv; /* [N][d or kvd] */
	real *dgate, *dup, *dm;			  /* [N][ffn] */
	real *datt; /* per (sequence, kv head): [t][t] then V^T [hd][t] */
};

/* Attention works in blocks of this many query rows (the causal skip). */
#define LT_ATT_ROWS 32

/* Row-wise RMSNorm: y = x * rs * w, rs = 1/sqrt(mean(x^2) + eps). */
void lt_rmsnorm(struct lt_pool *pool, const struct lt_model *m, const real *x, const real *w,
		real *y, real *rs, size_t rows, size_t cols);

/* RoPE on the q and k rows of the last forward (inverse: turn back). */
void lt_rope(struct lt_pool *pool, const struct lt_acts *a, real *q, real *k, bool inverse);

/* Scale, then softmax each row r of p[t][t] over columns 0..r; 0 after. */
void lt_causal_softmax(real *p, size_t t, real scale);

#endif /* LUTCORE_TRAIN_ACTS_H */
