/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: weight quantization and packing for the LUTCore engine.
 *
 * Weights are an n x k row-major float matrix (n output features, k the
 * reduction dimension, like a GGUF tensor with ne = [k, n]). They are
 * quantized per group of `group` consecutive weights of a row (or per row)
 * to integer codes, and the codes are packed into the engine's bit-plane
 * layout with the offline sign inversion of the LUT Tensor Core paper
 * (Eq. 6); see docs/isa.md, "Packed weights".
 *
 * Scales and zero points come out in the engine's reinterpreted form: a
 * B-bit code q stands for q' = 2q - (2^B - 1) and the weight is
 * s' * (q' - z'), so they feed LMMA (LUTC_MM_WSCALE, LUTC_MM_WZERO) as
 * they are. Both are [ngroups][n] (group-major) float arrays.
 *
 * All functions return 0 or a negative errno value and never print.
 */
#ifndef LUTCORE_PACK_H
#define LUTCORE_PACK_H

#include <stddef.h>
#include <stdint.h>
#include "lutcore_isa.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How lutcore_quantize() chooses the grid of each group. */
enum lutcore_quant_mode {
	/*
	 * Symmetric: z' = 0, the grid is the odd integers q' in
	 * [-(2^B - 1), 2^B - 1] times s' = absmax / (2^B - 1), so no
	 * zero-point correction is needed at run time.
	 */
	LUTCORE_QUANT_SYMMETRIC = 0,
	/*
	 * Asymmetric: the grid spans the group's [min, max], w = s q + min,
	 * i.e. a fractional zero point z = -min / s (GGML Q4_1 style).
	 */
	LUTCORE_QUANT_ASYMMETRIC = 1,
};

/**
 * struct lutcore_pack_params - how to quantize a weight matrix
 * @wfmt:  LUTC_WF_INT1..LUTC_WF_INT4 or LUTC_WF_TERNARY
 * @group: weights per scale group along k, a multiple of 4; 0 = one
 *         group per row (per-channel scales)
 * @mode:  enum lutcore_quant_mode; ternary weights are always symmetric
 *         (absmean scale, codes 0/1/2 for -1/0/+1, as BitNet)
 */
struct lutcore_pack_params {
	uint32_t wfmt;
	uint32_t group;
	uint32_t mode;
};

/**
 * lutcore_packed_size() - bytes of packed weights for an n x k matrix
 *
 * Returns the size of the engine's packed layout for n rows of k weights
 * in format @wfmt (rows are padded to 64 and k to 4), or 0 if @wfmt is
 * not a weight format or a dimension is 0.
 */
size_t lutcore_packed_size(uint32_t n, uint32_t k, uint32_t wfmt);

/**
 * lutcore_pack_groups() - number of scale groups per row
 *
 * Returns ceil(k / group), or 1 when @group is 0 (per-channel scales).
 * The scale and zero-point arrays hold this many times n floats.
 */
uint32_t lutcore_pack_groups(uint32_t k, uint32_t group);

/**
 * lutcore_pack_codes() - pack integer codes into the engine's layout
 *
 * Packs the n x k row-major codes (B-bit unsigned values below 2^B, or for
 * ternary 0, 1, 2 meaning -1, 0, +1) into @dst, which must hold
 * lutcore_packed_size() bytes; padding is zero. Returns -EINVAL for a bad
 * format, a zero dimension or a code out of range (@dst is then
 * unspecified).
 */
int lutcore_pack_codes(void *dst, const uint8_t *codes, uint32_t n, uint32_t k, uint32_t wfmt);

/**
 * lutcore_unpack_codes() - recover integer codes from packed weights
 *
 * The inverse of lutcore_pack_codes(): writes the n x k codes of @src to
 * @codes. Returns -EINVAL for a bad format or dimension, and for a ternary
 * weight whose two planes encode a pattern no code produces.
 */
int lutcore_unpack_codes(uint8_t *codes, const void *src, uint32_t n, uint32_t k, uint32_t wfmt);

/**
 * lutcore_quantize() - quantize float weights to codes, scales and zeros
 *
 * Quantizes the n x k matrix @w group by group as @pp says, writing the
 * codes (n x k) and the engine-form scales s' and zero points z'
 * ([ngroups][n] each). @zeros may be NULL when every z' is 0 (symmetric
 * and ternary); asymmetric quantization without @zeros is -EINVAL, as
 * are bad parameters. Non-finite weights are -EDOM.
 */
int lutcore_quantize(const float *w, uint32_t n, uint32_t k, const struct lutcore_pack_params *pp,
		     uint8_t *codes, float *scales, float *zeros);

/**
 * lutcore_dequantize() - float weights from codes, scales and zeros
 *
 * Computes w = s' * (q' - z') for every weight, the value the engine's
 * lookups stand for. @zeros may be NULL (all zero). Returns -EINVAL for
 * bad parameters or a code out of range.
 */
int lutcore_dequantize(float *w, const uint8_t *codes, const float *scales, const float *zeros,
		       uint32_t n, uint32_t k, const struct lutcore_pack_params *pp);

/**
 * lutcore_pack_weights() - quantize and pack in one step
 *
 * lutcore_quantize() followed by lutcore_pack_codes() into @packed
 * (lutcore_packed_size() bytes). Returns what they return, or -ENOMEM.
 */
int lutcore_pack_weights(void *packed, float *scales, float *zeros, const float *w, uint32_t n,
			 uint32_t k, const struct lutcore_pack_params *pp);

/**
 * lutcore_unpack_weights() - dequantized floats from packed weights
 *
 * lutcore_unpack_codes() followed by lutcore_dequantize(), for tests and
 * for checking a packed model. Returns what they return, or -ENOMEM.
 */
int lutcore_unpack_weights(float *w, const void *packed, const float *scales, const float *zeros,
			   uint32_t n, uint32_t k, const struct lutcore_pack_params *pp);

#ifdef __cplusplus
}
#endif

#endif /* LUTCORE_PACK_H */
