/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: element conversions and scalar functions.
 *
 * Conversions round to nearest even, like the device's converters, and
 * are written with integer operations so that the result does not depend
 * on the host's F16C support or rounding mode.
 */
#include <math.h>
#include "lut_engine_int.h"

static uint32_t f32_bits(float f)
{
    uint32_t x;

    memcpy(&x, &f, sizeof(x));
    return x;
}

static float bits_f32(uint32_t x)
{
    float f;

    memcpy(&f, &x, sizeof(f));
    return f;
}

float lut_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float sub;

    if (exp == 0x1f) {
        return bits_f32(sign | 0x7f800000 | (man << 13));
    }
    if (exp) {
        return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
    }
    /* Zero or subnormal: man * 2^-24 is exact in binary32. */
    sub = ldexpf((float)man, -24);
    return sign ? -sub : sub;
}

uint16_t lut_f32_to_f16(float f)
{
    uint32_t x = f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffff;

    if (ax > 0x7f800000) {
        return sign | 0x7e00 | ((ax >> 13) & 0x3ff);   /* quiet NaN */
    }
    if (ax >= 0x477ff000) {
        return sign | 0x7c00;   /* rounds to or beyond infinity */
    }
    if (ax < 0x38800000) {
        /*
         * Half subnormal: adding 0.5 puts the binary32 ulp at 2^-24, the
         * half subnormal step, so the FPU's own RNE does the rounding.
         */
        uint32_t r = f32_bits(bits_f32(ax) + 0.5f);

        return sign | (r - 0x3f000000);
    }
    /* Rebias the exponent (-112) and round to nearest even at bit 13. */
    ax += 0xc8000fffu + ((ax >> 13) & 1);
    return sign | (ax >> 13);
}

float lut_bf16_to_f32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t lut_f32_to_bf16(float f)
{
    uint32_t x = f32_bits(f);

    if ((x & 0x7fffffff) > 0x7f800000) {
        return (x >> 16) | 0x40;        /* keep NaN a (quiet) NaN */
    }
    x += 0x7fff + ((x >> 16) & 1);
    return x >> 16;
}

float lut_load_f(const void *p, uint32_t dtype, uint64_t i)
{
    uint16_t h;

    switch (dtype) {
    case LUTC_DT_F32: {
        float f;

        memcpy(&f, (const uint8_t *)p + i * 4, 4);
        return f;
    }
    case LUTC_DT_F16:
        memcpy(&h, (const uint8_t *)p + i * 2, 2);
        return lut_f16_to_f32(h);
    case LUTC_DT_BF16:
        memcpy(&h, (const uint8_t *)p + i * 2, 2);
        return lut_bf16_to_f32(h);
    default:
        return 0.0f;            /* callers validated the dtype */
    }
}

void lut_store_f(void *p, uint32_t dtype, uint64_t i, float v)
{
    uint16_t h;

    switch (dtype) {
    case LUTC_DT_F32:
        memcpy((uint8_t *)p + i * 4, &v, 4);
        break;
    case LUTC_DT_F16:
        h = lut_f32_to_f16(v);
        memcpy((uint8_t *)p + i * 2, &h, 2);
        break;
    case LUTC_DT_BF16:
        h = lut_f32_to_bf16(v);
        memcpy((uint8_t *)p + i * 2, &h, 2);
        break;
    default:
        break;
    }
}

float lut_silu(float x)
{
    return x / (1.0f + expf(-x));
}

float lut_relu2(float x)
{
    return x > 0.0f ? x * x : 0.0f;
}

float lut_rms_scale(const float *x, uint32_t n, float eps)
{
    double ss = 0.0;
    uint32_t i;

    for (i = 0; i < n; i++) {
        ss += (double)x[i] * x[i];
    }
    return (float)(1.0 / sqrt(ss / n + eps));
}
