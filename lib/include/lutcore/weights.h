/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: GGUF weight tensors in the engine's layout.
 *
 * A model's projection matrices reach the device as LMMA operands: packed
 * bit planes (pack.h) plus per-group scales and zero points. Quantized
 * GGML blocks are repacked directly, code for code and scale for scale, so
 * the device computes with exactly the values in the file:
 *
 *   Q4_0   one INT4 part, group 32: s' = d/2, zero point 1 (immediate)
 *   Q8_0   two INT4 parts accumulated, group 32: the high nibble (signed,
 *          c >> 4) with s' = 8d and zero point 1, the low nibble (c & 15)
 *          with s' = d/2 and zero point -15: bit-serial over all eight
 *          planes of the INT8 code, in two LMMAs
 *   TQ1_0, TQ2_0  one TERNARY part, group 256, s' = d/2 (a ternary code
 *          stands for q' = 2t, so s' q' = d t)
 *
 * Float tensors (F32, F16, BF16) are quantized at load to the bit width
 * the caller chooses, symmetric per group (lutcore_quantize()).
 * A weight whose value an engine code cannot stand for (TQ2_0's unused
 * code 3) is an error, never silently changed.
 */
#ifndef LUTCORE_WEIGHTS_H
#define LUTCORE_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "lutcore_isa.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define LUT_WEIGHT_MAX_PARTS 2 /* Q8_0 needs two INT4 parts */

/* lut_weight_params.wbits for ternary weights (BitNet b1.58 absmean). */
#define LUT_WBITS_TERNARY 5
/* Default bit width for float tensors, and their default scale group. */
#define LUT_WBITS_DEFAULT  4
#define LUT_WGROUP_DEFAULT 32

/**
 * struct lut_weight_part - one LMMA's worth of a weight matrix
 * @wfmt:     LUTC_WF_INT1..LUTC_WF_INT4 or LUTC_WF_TERNARY
 * @group:    weights per scale group along k (multiple of 4)
 * @zero_imm: zero point for every group (LUTC_MM_WZERO_IMM) when
 *            @zeros is NULL; 0 means no zero-point correction
 * @packed:   lutcore_packed_size(n, k, wfmt) bytes
 * @scales:   F32 [ngroups][n], engine form s'
 * @zeros:    F32 [ngroups][n] engine-form z', or NULL
 *
 * The matrix is the sum of its parts: y = sum over parts of LMMA(part),
 * the second one with LUTC_MM_ACCUMULATE.
 */
struct lut_weight_part {
	uint32_t wfmt;
	uint32_t group;
	float zero_imm;
	void *packed;
	size_t packed_size;
	float *scales;
	float *zeros;
};

/**
 * struct lut_weight - a GGUF matrix [k, n] (ne[0] = k) in engine layout
 * @n:       output features (rows)
 * @k:       reduction length (columns)
 * @type:    the ggml type it was read from (enum lut_ggml_type)
 * @nparts:  1 or 2
 * @parts:   the parts; memory owned by the weight
 */
struct lut_weight {
	uint32_t n, k;
	uint32_t type;
	uint32_t nparts;
	struct lut_weight_part parts[LUT_WEIGHT_MAX_PARTS];
};

/**
 * struct lut_weight_params - how to convert float tensors
 * @wbits: 1..4 or LUT_WBITS_TERNARY; 0 = LUT_WBITS_DEFAULT
 * @group: scale group along k, multiple of 4; 0 = LUT_WGROUP_DEFAULT
 */
struct lut_weight_params {
	uint32_t wbits;
	uint32_t group;
};

/*
 * Convert a 2-D tensor of ggml type type with k = ne0 and n = ne1 whose
 * data (size bytes, any alignment) starts at data into *out. p may be
 * NULL (the defaults). Returns 0, or
 * -EOPNOTSUPP for a type that cannot be repacked (message names it),
 * -EINVAL for bad dimensions or parameters, -EOVERFLOW when size is short,
 * -EDOM for a value no engine code stands for (TQ2_0 code 3, a weight or
 * block scale that is not finite), -ENOMEM. On error *out
 * holds nothing to free and err (if not NULL) says what is wrong.
 */
int lut_weight_from_ggml(uint32_t type, const void *data, size_t size, uint32_t k, uint32_t n,
			 const struct lut_weight_params *p, struct lut_weight *out, char *err,
			 size_t err_size);

/*
 * The name of engine weight format wfmt as the tools print it: "int1" ..
 * "int4", "ternary"; "none" for LUTC_WF_NONE, "unknown" otherwise. Never
 * NULL; static storage.
 */
const char *lut_wfmt_name(uint32_t wfmt);

/* Free the arrays of a weight (not the struct); NULL is ignored. */
void lut_weight_release(struct lut_weight *w);

/*
 * The float matrix [n][k] the engine's lookups stand for: the sum of the
 * parts' dequantized values. For tests and for checking a model.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int lut_weight_dequantize(const struct lut_weight *w, float *out);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_WEIGHTS_H */
