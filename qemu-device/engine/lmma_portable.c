/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: portable LMMA lookup kernels (see lmma_int.h).
 *
 * Plain C, one lookup per weight nibble. They define the results the AVX2
 * kernels must reproduce and run wherever AVX2 is missing or disabled.
 */
#include "lmma_int.h"

static void lookup_f32(const float *tab, const uint8_t *w, uint32_t nk4,
                       uint32_t planes, const uint8_t *pw, float *p)
{
    uint32_t j, b, i;

    for (j = 0; j < nk4; j++, tab += 8) {
        for (b = 0; b < planes; b++, w += LUTC_PLANE_BYTES) {
            float c = pw[b];

            for (i = 0; i < LUTC_TILE_N / 2; i++) {
                uint8_t lo = w[i] & 15, hi = w[i] >> 4;
                float vl = lo & 8 ? -tab[lo & 7] : tab[lo];
                float vh = hi & 8 ? -tab[hi & 7] : tab[hi];

                p[i] += c * vl;
                p[i + 32] += c * vh;
            }
        }
    }
}

static void lookup_i8(const int8_t *tab, const uint8_t *w, uint32_t nk4,
                      uint32_t planes, const uint8_t *pw, int32_t *p)
{
    uint32_t j, b, i;

    for (j = 0; j < nk4; j++, tab += LMMA_STAGE_I8) {
        for (b = 0; b < planes; b++, w += LUTC_PLANE_BYTES) {
            for (i = 0; i < LUTC_TILE_N / 2; i++) {
                p[i] += pw[b] * tab[w[i] & 15];
                p[i + 32] += pw[b] * tab[w[i] >> 4];
            }
        }
    }
}

static void lookup_i8x2(const int8_t *tab0, const int8_t *tab1,
                        const uint8_t *w, uint32_t nk4, uint32_t planes,
                        const uint8_t *pw, int32_t *p0, int32_t *p1)
{
    lookup_i8(tab0, w, nk4, planes, pw, p0);
    lookup_i8(tab1, w, nk4, planes, pw, p1);
}

static void lookup_i16(const uint8_t *tab, const uint8_t *w, uint32_t nk4,
                       uint32_t planes, const uint8_t *pw, int32_t *p)
{
    uint32_t j, b, i;
    int32_t e[16];

    for (j = 0; j < nk4; j++, tab += LMMA_STAGE_I16) {
        for (i = 0; i < 16; i++) {
            e[i] = (int16_t)(tab[i] | (tab[16 + i] << 8));
        }
        for (b = 0; b < planes; b++, w += LUTC_PLANE_BYTES) {
            for (i = 0; i < LUTC_TILE_N / 2; i++) {
                p[i] += pw[b] * e[w[i] & 15];
                p[i + 32] += pw[b] * e[w[i] >> 4];
            }
        }
    }
}

static void stage(float *out, const float *p, float t, const float *s,
                  const float *z, float as)
{
    uint32_t i;

    for (i = 0; i < LUTC_TILE_N; i++) {
        float v = p[i] * t;

        if (z) {
            float zs = z[i] * as;

            v = v - zs;
        }
        out[i] += s ? v * s[i] : v;
    }
}

static void stage_i(float *out, const int32_t *p, float t, const float *s,
                    const float *z, float as)
{
    float f[LUTC_TILE_N];
    uint32_t i;

    for (i = 0; i < LUTC_TILE_N; i++) {
        f[i] = (float)p[i];
    }
    stage(out, f, t, s, z, as);
}

const struct lmma_kernels lmma_kernels_portable = {
    .f32 = lookup_f32,
    .i8 = lookup_i8,
    .i8x2 = lookup_i8x2,
    .i16 = lookup_i16,
    .stage = stage,
    .stage_i = stage_i,
};
