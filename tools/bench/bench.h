/* SPDX-License-Identifier: MIT */
/*
 * lutcore-bench: shared declarations of the benchmark modes.
 */
#ifndef LUTCORE_BENCH_H
#define LUTCORE_BENCH_H

#include <stdint.h>

#define BENCH_MAX_LIST 16

/* A parsed --shape / --bits / --m / --threads selection. */
struct bench_opts {
	uint32_t nshapes, shape_n[BENCH_MAX_LIST], shape_k[BENCH_MAX_LIST];
	uint32_t nbits, bits[BENCH_MAX_LIST]; /* 1..4, or 5 for ternary */
	uint32_t nms, ms[BENCH_MAX_LIST];     /* activation rows */
	uint32_t nthreads, threads[BENCH_MAX_LIST];
	uint32_t table_dtype; /* LUTC_DT_* of the engine's tables */
	double min_time;      /* seconds per measurement */
	int check;	      /* compare engine and baseline results */
};

/* Weights in the baseline's plain layout: B-bit codes, LSB first. */
struct base_weights {
	uint32_t n, k, bits, group, ng;
	uint32_t row_bytes;
	uint8_t *codes;	       /* n rows of row_bytes (+1 pad byte) */
	float *scale, *offset; /* [n][ng]: w = scale * code + offset */
};

double bench_now(void);
/* y[m][n] = W x by dequantizing each row to floats, then FMA dot products. */
void baseline_gemm(const struct base_weights *w, const float *x, uint32_t m, float *y,
		   uint32_t threads);
int bench_engine(const struct bench_opts *o);

#endif /* LUTCORE_BENCH_H */
