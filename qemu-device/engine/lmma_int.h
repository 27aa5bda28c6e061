/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: LMMA lookup kernels (portable and AVX2).
 *
 * lmma.c stages each row's tables into a kernel-friendly form once per
 * instruction and then calls a kernel per (row tile, activation row,
 * chunk of 4-groups). A kernel adds nk4 consecutive 4-groups of one 64-row
 * weight tile against one activation row to P[64]:
 *     P[i] += sum_j sum_b pw[b] * E_j[nibble(i, j, b)]
 * where E_j is group j's table with the sign folded in. Both kernel sets
 * compute exactly the same values: integer sums are exact, and float
 * sums add pw[b] * E (exact: pw is a small power of two) in the same
 * order, row by row: groups ascending, planes ascending.
 *
 * stage() is the group stage of one 64-row tile, in this order of binary32
 * operations: v = p * t; v = v - z * as (if z); out += v * s (or v).
 *
 * Staged tables, per activation row, per 4-group:
 *   F32: the 8 entries T[0..7] (sign applied by the kernel);
 *   I8:  the 16 entries E[nibble], saturated to [-127, 127];
 *   I16: the low bytes of the 16 entries E[nibble], then their high bytes
 *        (entries saturated to [-512, 512]).
 */
#ifndef LUT_LMMA_INT_H
#define LUT_LMMA_INT_H

#include "lut_engine_int.h"

#define LMMA_STAGE_F32          32      /* bytes per staged 4-group */
#define LMMA_STAGE_I8           16
#define LMMA_STAGE_I16          32
#define LMMA_I8_LIMIT           127
#define LMMA_I16_LIMIT          512

struct lmma_kernels {
    void (*f32)(const float *tab, const uint8_t *w, uint32_t nk4,
                uint32_t planes, const uint8_t *pw, float *p);
    void (*i8)(const int8_t *tab, const uint8_t *w, uint32_t nk4,
               uint32_t planes, const uint8_t *pw, int32_t *p);
    /* i8 for two activation rows sharing the weights. */
    void (*i8x2)(const int8_t *tab0, const int8_t *tab1, const uint8_t *w,
                 uint32_t nk4, uint32_t planes, const uint8_t *pw,
                 int32_t *p0, int32_t *p1);
    void (*i16)(const uint8_t *tab, const uint8_t *w, uint32_t nk4,
                uint32_t planes, const uint8_t *pw, int32_t *p);
    void (*stage)(float *out, const float *p, float t, const float *s,
                  const float *z, float as);
    /* stage() of integer sums, converted to binary32 first. */
    void (*stage_i)(float *out, const int32_t *p, float t, const float *s,
                    const float *z, float as);
};

extern const struct lmma_kernels lmma_kernels_portable;
/* NULL where the host is not x86-64. */
extern const struct lmma_kernels *const lmma_kernels_avx2;
/* Whether this CPU runs lmma_kernels_avx2 (AVX2 and FMA). */
bool lmma_avx2_usable(void);

#endif /* LUT_LMMA_INT_H */
