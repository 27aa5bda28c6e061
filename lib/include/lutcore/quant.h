/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: GGML tensor types and block formats, as stored in GGUF files.
 *
 * Quantized types store a row of n elements as n / B blocks of B elements;
 * each block is a few bytes of codes plus an fp16 scale d. The byte layout
 * of every block is documented next to its code in lib/quant.c and in the
 * struct lut_block_* declarations below (all little-endian, no padding).
 * Rows (ne[0] of a tensor, the K dimension) must be a multiple of B.
 *
 * The scalar halves (fp16, bf16) are converted with round-to-nearest-even;
 * NaN stays NaN and overflow becomes infinity, as in IEEE 754.
 */
#ifndef LUTCORE_QUANT_H
#define LUTCORE_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* ggml_type ids (the u32 in a GGUF tensor info); see docs of each below. */
enum lut_ggml_type {
	LUT_GGML_F32 = 0,
	LUT_GGML_F16 = 1,
	LUT_GGML_Q4_0 = 2,
	LUT_GGML_Q4_1 = 3,
	LUT_GGML_Q5_0 = 6,
	LUT_GGML_Q5_1 = 7,
	LUT_GGML_Q8_0 = 8,
	LUT_GGML_Q8_1 = 9,
	LUT_GGML_Q2_K = 10,
	LUT_GGML_Q3_K = 11,
	LUT_GGML_Q4_K = 12,
	LUT_GGML_Q5_K = 13,
	LUT_GGML_Q6_K = 14,
	LUT_GGML_Q8_K = 15,
	LUT_GGML_I8 = 24,
	LUT_GGML_I16 = 25,
	LUT_GGML_I32 = 26,
	LUT_GGML_I64 = 27,
	LUT_GGML_F64 = 28,
	LUT_GGML_BF16 = 30,
	LUT_GGML_TQ1_0 = 34,
	LUT_GGML_TQ2_0 = 35,
};

/*
 * Elements per block of the quantized types this library converts. The
 * block structs below document the layouts; data in a file image may sit
 * at any address, so read blocks with lut_ggml_unpack_block() rather than
 * through these types.
 */
#define LUT_QK4_0 32
#define LUT_QK8_0 32
#define LUT_QK_K  256 /* TQ1_0, TQ2_0 */

/* Q4_0, 18 bytes: value = (nibble - 8) * d; qs[j] = elem j | elem j+16 << 4. */
struct lut_block_q4_0 {
	uint16_t d;
	uint8_t qs[LUT_QK4_0 / 2];
};

/* Q8_0, 34 bytes: value = qs[i] * d. */
struct lut_block_q8_0 {
	uint16_t d;
	int8_t qs[LUT_QK8_0];
};

/* TQ1_0, 54 bytes: 5 trits per byte in qs, 4 per byte in qh (lib/quant.c). */
struct lut_block_tq1_0 {
	uint8_t qs[(LUT_QK_K - 4 * LUT_QK_K / 64) / 5];
	uint8_t qh[LUT_QK_K / 64];
	uint16_t d;
};

/* TQ2_0, 66 bytes: 2-bit codes 0/1/2 = -1/0/+1 times d (lib/quant.c). */
struct lut_block_tq2_0 {
	uint8_t qs[LUT_QK_K / 4];
	uint16_t d;
};

/*
 * What the library knows about a ggml type: its lower-case name as
 * llama.cpp prints it ("q4_0"), the block shape (elements and bytes per
 * block; 1 and the element size for plain types), and whether
 * lut_ggml_dequantize() and lut_ggml_quantize() handle it. Types whose
 * layout is known only by size (Q4_1, the K-quants, I8..F64) can still be
 * bounds-checked and copied, but not converted.
 */
struct lut_ggml_type_info {
	const char *name;
	uint32_t block_elems;
	uint32_t block_bytes;
	bool convert;
};

/*
 * The description of ggml type id type, or NULL when this library does not
 * know the type (an id from a newer ggml, or one a fork reuses, such as the
 * BitNet fork's I2_S = 36). The returned pointer is to static storage.
 */
const struct lut_ggml_type_info *lut_ggml_type_info(uint32_t type);

/*
 * The name of ggml type id type ("tq2_0"), or "unknown" when it is not
 * known; never NULL, so it can go straight into a message.
 */
const char *lut_ggml_type_name(uint32_t type);

/*
 * Store in *bytes the size of n consecutive elements of type type (a row of
 * a tensor). Returns 0, -EOPNOTSUPP for an unknown type, -EINVAL when n is
 * not a multiple of the type's block size, or -EOVERFLOW when the size does
 * not fit in 64 bits. *bytes is written only on success.
 */
int lut_ggml_row_size(uint32_t type, uint64_t n, uint64_t *bytes);

/*
 * Convert n elements of type type at src (src_size bytes available) to
 * float at dst. src needs no particular alignment. Returns 0, -EOPNOTSUPP
 * for a type without a converter (see lut_ggml_type_info()), -EINVAL when
 * n is not a multiple of the block size or a pointer is NULL with n > 0,
 * or -EOVERFLOW when n elements need more than src_size bytes.
 */
int lut_ggml_dequantize(uint32_t type, const void *src, size_t src_size, float *dst, uint64_t n);

/*
 * Convert n floats at src into type type at dst (dst_size bytes available)
 * with the reference quantizer documented in lib/quant.c for each format.
 * dst needs no particular alignment. Returns 0, -EOPNOTSUPP, -EINVAL or
 * -EOVERFLOW as lut_ggml_dequantize() does.
 */
int lut_ggml_quantize(uint32_t type, const float *src, uint64_t n, void *dst, size_t dst_size);

/*
 * Split one block of a quantized type (Q4_0, Q8_0, TQ1_0 or TQ2_0) into its
 * integer codes and its scale, so that element i is codes[i] * *scale:
 * Q4_0 gives -8..7, Q8_0 -128..127, TQ1_0 and TQ2_0 -1..1 (TQ2_0's unused
 * code 3 gives 2, as the reference decoder does). codes must hold the
 * type's block_elems entries. This is what a repacker into another layout
 * needs. Returns 0, or -EOPNOTSUPP for any other type, -EINVAL for NULL.
 */
int lut_ggml_unpack_block(uint32_t type, const void *block, int8_t *codes, float *scale);

/* IEEE half (binary16) to float; exact. */
float lut_ggml_f16_to_f32(uint16_t h);

/* Float to IEEE half, rounding to nearest even; NaN stays NaN. */
uint16_t lut_ggml_f32_to_f16(float f);

/* bfloat16 (the top half of a float) to float; exact. */
float lut_ggml_bf16_to_f32(uint16_t h);

/* Float to bfloat16, rounding to nearest even; NaN stays a quiet NaN. */
uint16_t lut_ggml_f32_to_bf16(float f);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_QUANT_H */
