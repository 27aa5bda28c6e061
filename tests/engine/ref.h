/* SPDX-License-Identifier: MIT */
/*
 * Naive reference for the LUTCore engine tests.
 *
 * Deliberately simple and independent of the engine's code: it never calls
 * an engine or library function. Weights are dequantized from their
 * integer codes and multiplied in double; the integer path is plain int64
 * arithmetic. Only the instruction encoding (lutcore_isa.h) is shared.
 */
#ifndef LUTCORE_TEST_REF_H
#define LUTCORE_TEST_REF_H

#include <stddef.h>
#include <stdint.h>
#include "lutcore_isa.h"

/* ---- Rounding to storage types ---- */

float ref_to_f16(float x);  /* round to binary16 and back */
float ref_to_bf16(float x); /* round to bfloat16 and back */
uint16_t ref_f16_bits(float x);
uint16_t ref_bf16_bits(float x);
float ref_from_f16_bits(uint16_t h);
float ref_from_bf16_bits(uint16_t h);

/* Element i of a byte buffer holding binary32 values. */
float ref_f32_at(const void *p, size_t i);

/* ---- Weights ---- */

/* q' of a code: 2q - (2^B - 1) for B-bit codes, 2t for ternary 0/1/2. */
int ref_code_value(uint32_t code, uint32_t wfmt);
/* Bit of plane b that a code sets (ternary: s0 = code >= 1, s1 = code == 2). */
int ref_code_bit(uint32_t code, uint32_t b, uint32_t wfmt);
/* Plane weight: 2^b, or 1 for both ternary planes. */
int ref_plane_weight(uint32_t b, uint32_t wfmt);
uint32_t ref_planes(uint32_t wfmt);

/*
 * W[n][k] = s * (q' - z) in double. scales/zeros are [groups][n] or, with
 * per_channel, [n]; zeros may be NULL (zero_imm used instead).
 */
void ref_dequant(double *w, const uint8_t *codes, const float *scales, const float *zeros,
		 float zero_imm, uint32_t n, uint32_t k, uint32_t group, int per_channel,
		 uint32_t wfmt);

/* y[m][n] = sum_k a[m][k] w[n][k] in double; mag = sum_k |a||w|. */
void ref_gemm(double *y, double *mag, const double *a, const double *w, uint32_t m, uint32_t n,
	      uint32_t k);

/* ---- Tables ---- */

/* Entry j of the table of a0..a3: -a3 + sum_{t<3} (2 j_t - 1) a_t. */
double ref_table_entry(const double a[4], uint32_t j);
/*
 * The value an LMMA looks up for plane bits w (bit t = weight 4g + t) in a
 * table t8 (Eq. 4-5): w3 = 0 -> T[w & 7], w3 = 1 -> -T[~w & 7].
 */
double ref_lookup(const double t8[8], uint32_t w);
/* The plane-b bits of weights (row, 4g..4g+3), zero past k. */
uint32_t ref_group_bits(const uint8_t *codes, uint32_t k, uint32_t row, uint32_t g, uint32_t b,
			uint32_t wfmt);

/* ---- Vector ops ---- */

double ref_silu(double x);
double ref_relu2(double x);
void ref_rmsnorm(double *y, const double *x, const double *w, uint32_t n, double eps);
/* Rotate one head in place; mode LUTC_ROPE_NORM or LUTC_ROPE_NEOX. */
void ref_rope(double *x, uint32_t head_dim, uint32_t rot, double pos, double theta,
	      double freq_scale, uint32_t mode);
/* A row whose every element is -inf gives zeros (docs/isa.md, SOFTMAX). */
void ref_softmax(double *y, const double *x, uint32_t n);
/*
 * One query of one head against positions 0..npos-1 of a cache laid out
 * [ctx][kv_heads][head_dim] (k and v in double), kv head kvh.
 */
void ref_attention(double *out, const double *q, const double *k, const double *v, uint32_t npos,
		   uint32_t kv_heads, uint32_t kvh, uint32_t hd, double scale);

/* ---- Epilogue ---- */

/*
 * The EPILOGUE steps of one I32 accumulator with F32 output, each one
 * binary32 operation (the documented rounding, so results compare bit for
 * bit): v = acc; v *= row_scale; v -= zero * asum; v *= col_scale. A NULL
 * pointer leaves its step out (the zero step needs zero and asum).
 */
struct ref_epi {
	const float *row_scale, *zero, *asum, *col_scale;
};

float ref_epilogue_f32(const struct ref_epi *e, int32_t acc);

#endif /* LUTCORE_TEST_REF_H */
