/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: AVX2 LMMA lookup kernels (see lmma_int.h).
 *
 * Integer tables use one byte shuffle (vpshufb) per 32 lookups, as T-MAC
 * does: a 4-group's 16 table entries fill one 128-bit lane, and the 32
 * weight bytes of a (tile, group, plane) give the 64 nibble indices. Two
 * planes are interleaved byte by byte before the shuffle, so that one
 * vpmaddubsw both widens the lookups to 16 bits and weights the planes
 * (pw[b] * E_b + pw[b+1] * E_b+1). The 16-bit sums are widened into 32-bit
 * accumulators before they can overflow.
 *
 * Float tables use vpermps: the 8 entries are one register, the nibble's
 * low 3 bits pick an entry and bit 3 flips its sign.
 *
 * Only this file is compiled for AVX2 (function attributes, not -mavx2),
 * and the engine calls it only when the CPU has AVX2 and FMA.
 */
#include "lmma_int.h"

#if LUT_HOST_X86_64

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Unaligned loads from byte pointers (the intrinsics want vector types). */
static AVX2 __m128i load16(const void *p)
{
    return _mm_loadu_si128(p);
}

static AVX2 __m128i load8(const void *p)
{
    return _mm_loadl_epi64(p);
}

/* Byte weights of planes (q, q + 1); 0 for a missing odd plane. */
static AVX2 __m256i pair_weights(const uint8_t *pw, uint32_t planes,
                                 uint32_t q)
{
    uint8_t hi = q + 1 < planes ? pw[q + 1] : 0;

    return _mm256_set1_epi16((int16_t)(pw[q] | (hi << 8)));
}

/* 4-groups whose 16-bit partial sums stay below 2^15. */
static uint32_t flush_every(const uint8_t *pw, uint32_t planes, int32_t lim)
{
    int32_t sum = 0;
    uint32_t b;

    for (b = 0; b < planes; b++) {
        sum += pw[b];
    }
    return LUT_MAX(1, 32767 / (sum * lim));
}

/*
 * Add 16-bit accumulators into p[64] (32-bit, natural row order). After
 * the byte interleave, acc[0] holds rows 0-7 | 16-23, acc[1] rows 8-15 |
 * 24-31, acc[2] and acc[3] the same for rows 32-63; shift scales the
 * values first (8 for the high bytes of I16 entries).
 */
static AVX2 void widen_add(const __m256i acc[4], int32_t *p, int shift)
{
    uint32_t h;

    for (h = 0; h < 2; h++) {
        __m256i a = _mm256_permute2x128_si256(acc[2 * h], acc[2 * h + 1],
                                              0x20);
        __m256i b = _mm256_permute2x128_si256(acc[2 * h], acc[2 * h + 1],
                                              0x31);
        __m256i v[4] = {
            _mm256_cvtepi16_epi32(_mm256_castsi256_si128(a)),
            _mm256_cvtepi16_epi32(_mm256_extracti128_si256(a, 1)),
            _mm256_cvtepi16_epi32(_mm256_castsi256_si128(b)),
            _mm256_cvtepi16_epi32(_mm256_extracti128_si256(b, 1)),
        };
        uint32_t i;

        for (i = 0; i < 4; i++) {
            __m256i *dst = (__m256i *)(p + 32 * h + 8 * i);

            _mm256_storeu_si256(dst, _mm256_add_epi32(
                _mm256_loadu_si256(dst), _mm256_slli_epi32(v[i], shift)));
        }
    }
}

/*
 * The four interleaved index vectors of planes q and q + 1 (q itself again,
 * with weight 0, when the plane count is odd).
 */
static AVX2 inline __attribute__((always_inline))
void pair_indices(const uint8_t *w, uint32_t planes, uint32_t q, __m256i x[4])
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(w + q * 32));
    __m256i v1 = q + 1 < planes ?
                 _mm256_loadu_si256((const __m256i *)(w + q * 32 + 32)) : v0;
    __m256i l0 = _mm256_and_si256(v0, m4);
    __m256i l1 = _mm256_and_si256(v1, m4);
    __m256i h0 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), m4);
    __m256i h1 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), m4);

    x[0] = _mm256_unpacklo_epi8(l0, l1);
    x[1] = _mm256_unpackhi_epi8(l0, l1);
    x[2] = _mm256_unpacklo_epi8(h0, h1);
    x[3] = _mm256_unpackhi_epi8(h0, h1);
}

/* Lookups of 4-groups [j, j1) into 16-bit sums (small enough by caller). */
static AVX2 inline __attribute__((always_inline))
void run_i8(const int8_t *tab, const uint8_t *w, uint32_t j, uint32_t j1,
            uint32_t planes, const __m256i wq[2], __m256i acc[4])
{
    __m256i x[4];
    uint32_t q, i;

    for (; j < j1; j++, w += planes * LUTC_PLANE_BYTES) {
        __m256i t = _mm256_broadcastsi128_si256(load16(tab + 16 * j));

        for (q = 0; q < planes; q += 2) {
            pair_indices(w, planes, q, x);
#pragma GCC unroll 4
            for (i = 0; i < 4; i++) {
                acc[i] = _mm256_add_epi16(acc[i], _mm256_maddubs_epi16(
                    wq[q / 2], _mm256_shuffle_epi8(t, x[i])));
            }
        }
    }
}

static AVX2 void lookup_i8(const int8_t *tab, const uint8_t *w, uint32_t nk4,
                           uint32_t planes, const uint8_t *pw, int32_t *p)
{
    uint32_t every = flush_every(pw, planes, LMMA_I8_LIMIT + 1);
    __m256i wq[2] = { pair_weights(pw, planes, 0),
                      pair_weights(pw, planes, 2) };
    __m256i acc[4];
    uint32_t j, i;

    for (j = 0; j < nk4; j += every) {
        uint32_t j1 = LUT_MIN(nk4, j + every);

        for (i = 0; i < 4; i++) {
            acc[i] = _mm256_setzero_si256();
        }
        /* Constant plane counts let the compiler keep all in registers. */
        switch (planes) {
        case 1:
            run_i8(tab, w, j, j1, 1, wq, acc);
            break;
        case 2:
            run_i8(tab, w, j, j1, 2, wq, acc);
            break;
        case 3:
            run_i8(tab, w, j, j1, 3, wq, acc);
            break;
        default:
            run_i8(tab, w, j, j1, 4, wq, acc);
            break;
        }
        w += (uint64_t)(j1 - j) * planes * LUTC_PLANE_BYTES;
        widen_add(acc, p, 0);
    }
}

/*
 * Two activation rows against the same weights (the array's M = 2): the
 * index vectors are extracted once and shuffled with both rows' tables.
 */
static AVX2 inline __attribute__((always_inline))
void run_i8x2(const int8_t *tab0, const int8_t *tab1, const uint8_t *w,
              uint32_t j, uint32_t j1, uint32_t planes, const __m256i wq[2],
              __m256i acc0[4], __m256i acc1[4])
{
    __m256i x[4];
    uint32_t q, i;

    for (; j < j1; j++, w += planes * LUTC_PLANE_BYTES) {
        __m256i t0 = _mm256_broadcastsi128_si256(load16(tab0 + 16 * j));
        __m256i t1 = _mm256_broadcastsi128_si256(load16(tab1 + 16 * j));

        for (q = 0; q < planes; q += 2) {
            pair_indices(w, planes, q, x);
#pragma GCC unroll 4
            for (i = 0; i < 4; i++) {
                acc0[i] = _mm256_add_epi16(acc0[i], _mm256_maddubs_epi16(
                    wq[q / 2], _mm256_shuffle_epi8(t0, x[i])));
                acc1[i] = _mm256_add_epi16(acc1[i], _mm256_maddubs_epi16(
                    wq[q / 2], _mm256_shuffle_epi8(t1, x[i])));
            }
        }
    }
}

static AVX2 void lookup_i8x2(const int8_t *tab0, const int8_t *tab1,
                             const uint8_t *w, uint32_t nk4, uint32_t planes,
                             const uint8_t *pw, int32_t *p0, int32_t *p1)
{
    uint32_t every = flush_every(pw, planes, LMMA_I8_LIMIT + 1);
    __m256i wq[2] = { pair_weights(pw, planes, 0),
                      pair_weights(pw, planes, 2) };
    __m256i acc0[4], acc1[4];
    uint32_t j, i;

    for (j = 0; j < nk4; j += every) {
        uint32_t j1 = LUT_MIN(nk4, j + every);

        for (i = 0; i < 4; i++) {
            acc0[i] = acc1[i] = _mm256_setzero_si256();
        }
        switch (planes) {
        case 1:
            run_i8x2(tab0, tab1, w, j, j1, 1, wq, acc0, acc1);
            break;
        case 2:
            run_i8x2(tab0, tab1, w, j, j1, 2, wq, acc0, acc1);
            break;
        case 3:
            run_i8x2(tab0, tab1, w, j, j1, 3, wq, acc0, acc1);
            break;
        default:
            run_i8x2(tab0, tab1, w, j, j1, 4, wq, acc0, acc1);
            break;
        }
        w += (uint64_t)(j1 - j) * planes * LUTC_PLANE_BYTES;
        widen_add(acc0, p0, 0);
        widen_add(acc1, p1, 0);
    }
}

/* As run_i8 for I16 entries: unsigned low bytes, signed high bytes. */
static AVX2 inline __attribute__((always_inline))
void run_i16(const uint8_t *tab, const uint8_t *w, uint32_t j, uint32_t j1,
             uint32_t planes, const __m256i wq[2], __m256i lo[4],
             __m256i hi[4])
{
    __m256i x[4];
    uint32_t q, i;

    for (; j < j1; j++, w += planes * LUTC_PLANE_BYTES) {
        const uint8_t *tj = tab + LMMA_STAGE_I16 * j;
        __m256i tl = _mm256_broadcastsi128_si256(load16(tj));
        __m256i th = _mm256_broadcastsi128_si256(load16(tj + 16));

        for (q = 0; q < planes; q += 2) {
            pair_indices(w, planes, q, x);
#pragma GCC unroll 4
            for (i = 0; i < 4; i++) {
                lo[i] = _mm256_add_epi16(lo[i], _mm256_maddubs_epi16(
                    _mm256_shuffle_epi8(tl, x[i]), wq[q / 2]));
                hi[i] = _mm256_add_epi16(hi[i], _mm256_maddubs_epi16(
                    wq[q / 2], _mm256_shuffle_epi8(th, x[i])));
            }
        }
    }
}

/*
 * I16 entries are split into an unsigned low byte and a signed high byte,
 * looked up with one shuffle each and summed separately: p = lo + 256 hi.
 */
static AVX2 void lookup_i16(const uint8_t *tab, const uint8_t *w,
                            uint32_t nk4, uint32_t planes,
                            const uint8_t *pw, int32_t *p)
{
    uint32_t every = flush_every(pw, planes, 255);
    __m256i wq[2] = { pair_weights(pw, planes, 0),
                      pair_weights(pw, planes, 2) };
    __m256i lo[4], hi[4];
    uint32_t j, i;

    for (j = 0; j < nk4; j += every) {
        uint32_t j1 = LUT_MIN(nk4, j + every);

        for (i = 0; i < 4; i++) {
            lo[i] = hi[i] = _mm256_setzero_si256();
        }
        switch (planes) {
        case 1:
            run_i16(tab, w, j, j1, 1, wq, lo, hi);
            break;
        case 2:
            run_i16(tab, w, j, j1, 2, wq, lo, hi);
            break;
        case 3:
            run_i16(tab, w, j, j1, 3, wq, lo, hi);
            break;
        default:
            run_i16(tab, w, j, j1, 4, wq, lo, hi);
            break;
        }
        w += (uint64_t)(j1 - j) * planes * LUTC_PLANE_BYTES;
        widen_add(lo, p, 0);
        widen_add(hi, p, 8);
    }
}

/* Look up 8 rows: entry idx & 7 of t, negated where idx & 8. */
static AVX2 __m256 lookup8(__m256 t, __m256i idx)
{
    const __m256i sign = _mm256_set1_epi32((int32_t)0x80000000u);
    __m256 v = _mm256_permutevar8x32_ps(t, idx);
    __m256i s = _mm256_and_si256(_mm256_slli_epi32(idx, 28), sign);

    return _mm256_xor_ps(v, _mm256_castsi256_ps(s));
}

static AVX2 void lookup_f32(const float *tab, const uint8_t *w, uint32_t nk4,
                            uint32_t planes, const uint8_t *pw, float *p)
{
    const __m256i m4 = _mm256_set1_epi32(15);
    __m256 acc[8];
    uint32_t j, b, i;

    for (i = 0; i < 8; i++) {
        acc[i] = _mm256_loadu_ps(p + 8 * i);
    }
    for (j = 0; j < nk4; j++) {
        __m256 t = _mm256_loadu_ps(tab + 8 * j);

        for (b = 0; b < planes; b++, w += LUTC_PLANE_BYTES) {
            __m256 c = _mm256_set1_ps(pw[b]);

#pragma GCC unroll 4
            for (i = 0; i < 4; i++) {
                __m256i x = _mm256_cvtepu8_epi32(
                    load8(w + 8 * i));
                __m256 vl = lookup8(t, _mm256_and_si256(x, m4));
                __m256 vh = lookup8(t, _mm256_srli_epi32(x, 4));

                acc[i] = _mm256_fmadd_ps(c, vl, acc[i]);
                acc[4 + i] = _mm256_fmadd_ps(c, vh, acc[4 + i]);
            }
        }
    }
    for (i = 0; i < 8; i++) {
        _mm256_storeu_ps(p + 8 * i, acc[i]);
    }
}

/* One vector of the group stage (see lmma_int.h). */
static AVX2 inline __attribute__((always_inline))
void stage8(float *out, __m256 v, __m256 t, const float *s, const float *z,
            __m256 as)
{
    v = _mm256_mul_ps(v, t);
    if (z) {
        v = _mm256_sub_ps(v, _mm256_mul_ps(_mm256_loadu_ps(z), as));
    }
    if (s) {
        v = _mm256_mul_ps(v, _mm256_loadu_ps(s));
    }
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), v));
}

/*
 * The group stage with separate multiplies and adds (no FMA), so that it
 * rounds exactly like the portable one.
 */
static AVX2 void stage(float *out, const float *p, float t, const float *s,
                       const float *z, float as)
{
    __m256 vt = _mm256_set1_ps(t), va = _mm256_set1_ps(as);
    uint32_t i;

    for (i = 0; i < LUTC_TILE_N; i += 8) {
        stage8(out + i, _mm256_loadu_ps(p + i), vt, s ? s + i : NULL,
               z ? z + i : NULL, va);
    }
}

static AVX2 void stage_i(float *out, const int32_t *p, float t,
                         const float *s, const float *z, float as)
{
    __m256 vt = _mm256_set1_ps(t), va = _mm256_set1_ps(as);
    uint32_t i;

    for (i = 0; i < LUTC_TILE_N; i += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + i));

        stage8(out + i, _mm256_cvtepi32_ps(v), vt, s ? s + i : NULL,
               z ? z + i : NULL, va);
    }
}

static const struct lmma_kernels avx2_kernels = {
    .f32 = lookup_f32,
    .i8 = lookup_i8,
    .i8x2 = lookup_i8x2,
    .i16 = lookup_i16,
    .stage = stage,
    .stage_i = stage_i,
};

const struct lmma_kernels *const lmma_kernels_avx2 = &avx2_kernels;

bool lmma_avx2_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#else

const struct lmma_kernels *const lmma_kernels_avx2;

bool lmma_avx2_usable(void)
{
    return false;
}

#endif
