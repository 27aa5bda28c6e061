// SPDX-License-Identifier: MIT
/*
 * liblutcore: weight quantization and packing (see lutcore/pack.h).
 *
 * The layout written here is the engine's: [tile of 64 rows][4-group]
 * [plane][32 bytes], byte i holding row i of the tile in its low nibble and
 * row i + 32 in its high nibble. A nibble is the plane's bits of the four
 * weights k = 4g..4g+3 with the paper's offline sign inversion (Eq. 6):
 * bit 3 is the bit of k = 4g+3, and when it is set the other three bits are
 * stored inverted, so that the engine looks up entry (bits & 7) and negates
 * it when bit 3 is set.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lutcore/pack.h"
static uint32_t planes_of(uint32_t wfmt)
{
	return lutc_wfmt_planes(wfmt);
}

/* Largest valid code: 2^B - 1, or 2 for ternary (-1, 0, +1). */
static uint32_t max_code(uint32_t wfmt)
{
	return wfmt == LUTC_WF_TERNARY ? 2 : (1u << wfmt) - 1;
}

/* Bit of plane b for a code. Ternary w = (s0 + s1) / 2 with s = 2 bit - 1. */
static uint32_t code_bit(uint32_t code, uint32_t b, uint32_t wfmt)
{
	if (wfmt == LUTC_WF_TERNARY)
		return b == 0 ? code >= 1 : code == 2;
	return (code >> b) & 1;
}

size_t lutcore_packed_size(uint32_t n, uint32_t k, uint32_t wfmt)
{
	if (!n || !k || !planes_of(wfmt))
		return 0;
	return lutc_weight_bytes(n, k, wfmt);
}

uint32_t lutcore_pack_groups(uint32_t k, uint32_t group)
{
	return lutc_ngroups(k, group);
}

/*
 * Eq. 6 on a nibble (bit t = the plane bit of weight 4g + t): when bit 3 is
 * set, the other three are stored inverted.
 */
static const uint8_t eq6[16] = {0, 1, 2, 3, 4, 5, 6, 7, 15, 14, 13, 12, 11, 10, 9, 8};

/* Every plane's bit of each code (bit b = plane b), for table lookups. */
static void plane_bits_of(uint32_t wfmt, uint8_t bits[16])
{
	uint32_t c, b;

	for (c = 0; c < 16; c++) {
		bits[c] = 0;
		for (b = 0; b < planes_of(wfmt); b++)
			bits[c] |= (uint8_t)(code_bit(c, b, wfmt) << b);
	}
}

/*
 * The plane-b nibbles of one 4-group of a row, all planes at once: x holds
 * the plane bits of weight t in bits 4t..4t+3 (missing weights are 0).
 */
static void pack_group(uint8_t *dst, const uint8_t *q, uint32_t count, const uint8_t *pbits,
		       uint32_t planes, uint32_t shift)
{
	uint32_t x = 0, t, b;

	for (t = 0; t < count; t++)
		x |= (uint32_t)pbits[q[t]] << (4 * t);
	for (b = 0; b < planes; b++) {
		uint32_t nib = ((x >> b) & 1) | ((x >> (3 + b)) & 2) | ((x >> (6 + b)) & 4) |
			       ((x >> (9 + b)) & 8);

		dst[(size_t)b * LUTC_PLANE_BYTES] |= (uint8_t)(eq6[nib] << shift);
	}
}

static int codes_valid(const uint8_t *codes, size_t count, uint32_t wfmt)
{
	uint32_t lim = max_code(wfmt);
	size_t i;

	for (i = 0; i < count; i++) {
		if (codes[i] > lim)
			return 0;
	}
	return 1;
}

int lutcore_pack_codes(void *dst, const uint8_t *codes, uint32_t n, uint32_t k, uint32_t wfmt)
{
	uint32_t planes = planes_of(wfmt), k4, r, g;
	uint8_t *out = dst, pbits[16];

	if (!lutcore_packed_size(n, k, wfmt) || !codes_valid(codes, (size_t)n * k, wfmt))
		return -EINVAL;
	k4 = (k + LUTC_GROUP_K - 1) / LUTC_GROUP_K;
	plane_bits_of(wfmt, pbits);
	memset(out, 0, lutcore_packed_size(n, k, wfmt));
	for (r = 0; r < n; r++) {
		const uint8_t *row = codes + (size_t)r * k;
		uint8_t *tile = out + (size_t)(r / LUTC_TILE_N) * k4 * planes * LUTC_PLANE_BYTES;
		uint32_t lane = r % LUTC_TILE_N, shift = lane < 32 ? 0 : 4;

		for (g = 0; g < k4; g++) {
			uint32_t count = k - g * LUTC_GROUP_K < LUTC_GROUP_K ? k - g * LUTC_GROUP_K
									     : LUTC_GROUP_K;

			pack_group(tile + (size_t)g * planes * LUTC_PLANE_BYTES + lane % 32,
				   row + g * LUTC_GROUP_K, count, pbits, planes, shift);
		}
	}
	return 0;
}

/* Plane bit of weight (row, col) from the packed bytes, Eq. 6 undone. */
static uint32_t unpack_bit(const uint8_t *src, uint32_t k4, uint32_t planes, uint32_t row,
			   uint32_t col, uint32_t b)
{
	uint32_t lane = row % LUTC_TILE_N, t = col % LUTC_GROUP_K;
	size_t off = (((size_t)(row / LUTC_TILE_N) * k4 + col / LUTC_GROUP_K) * planes + b) *
		     LUTC_PLANE_BYTES;
	uint8_t byte = src[off + lane % 32];
	uint32_t nib = lane < 32 ? byte & 15 : byte >> 4;

	if (t == 3)
		return nib >> 3;
	return ((nib >> t) ^ (nib >> 3)) & 1;
}

int lutcore_unpack_codes(uint8_t *codes, const void *src, uint32_t n, uint32_t k, uint32_t wfmt)
{
	uint32_t planes = planes_of(wfmt), k4, r, c, b;

	if (!lutcore_packed_size(n, k, wfmt))
		return -EINVAL;
	k4 = (k + LUTC_GROUP_K - 1) / LUTC_GROUP_K;
	for (r = 0; r < n; r++) {
		for (c = 0; c < k; c++) {
			uint32_t bits = 0;

			for (b = 0; b < planes; b++)
				bits |= unpack_bit(src, k4, planes, r, c, b) << b;
			/* Ternary planes (s0, s1) = (0, 1) encode nothing. */
			if (wfmt == LUTC_WF_TERNARY && bits == 2)
				return -EINVAL;
			codes[(size_t)r * k + c] = wfmt == LUTC_WF_TERNARY
							   ? (uint8_t)(bits == 3 ? 2 : bits)
							   : (uint8_t)bits;
		}
	}
	return 0;
}

static int params_ok(uint32_t n, uint32_t k, const struct lutcore_pack_params *pp)
{
	return pp && n && k && planes_of(pp->wfmt) && pp->group % LUTC_GROUP_K == 0 &&
	       pp->mode <= LUTCORE_QUANT_ASYMMETRIC;
}

/* Round to nearest (even) and clamp to [0, hi]. */
static uint8_t code_round(float v, uint32_t hi)
{
	float r = rintf(v);

	if (!(r >= 0.0f))
		return 0;
	return r > (float)hi ? (uint8_t)hi : (uint8_t)r;
}

/* One group of one row: w[0..len) -> codes, engine-form scale and zero. */
static void quant_group(const float *w, uint32_t len, uint32_t wfmt, uint32_t mode, uint8_t *q,
			float *sp, float *zp)
{
	uint32_t hi = max_code(wfmt), i;
	float mn = w[0], mx = w[0], amax = 0.0f, s, z = 0.0f;
	double asum = 0.0;

	for (i = 0; i < len; i++) {
		mn = fminf(mn, w[i]);
		mx = fmaxf(mx, w[i]);
		amax = fmaxf(amax, fabsf(w[i]));
		asum += fabsf(w[i]);
	}
	if (wfmt == LUTC_WF_TERNARY) {
		/* BitNet's absmean: w ~ s t, t in {-1, 0, 1}; q' = 2t, s' = s / 2. */
		s = (float)(asum / len);
		for (i = 0; i < len; i++)
			q[i] = s > 0.0f ? code_round(w[i] / s + 1.0f, 2) : 1;
		*sp = s / 2.0f;
		*zp = 0.0f;
		return;
	}
	if (mode == LUTCORE_QUANT_SYMMETRIC) {
		/* w ~ s' q' with q' = 2q - hi odd: q = (w / s' + hi) / 2. */
		s = amax / (float)hi;
		for (i = 0; i < len; i++)
			q[i] = s > 0.0f ? code_round((w[i] / s + (float)hi) / 2.0f, hi)
					: (uint8_t)((hi + 1) / 2);
		*sp = s;
		*zp = 0.0f;
		return;
	}
	/*
	 * w ~ s (q - z) = s q + min: the grid spans [min, max] exactly, with a
	 * fractional zero point (like the min of GGML's Q4_1); a constant
	 * group is represented exactly.
	 */
	s = mx > mn ? (mx - mn) / (float)hi : (mx != 0.0f ? fabsf(mx) : 1.0f);
	z = -mn / s;
	for (i = 0; i < len; i++)
		q[i] = code_round((w[i] - mn) / s, hi);
	*sp = s / 2.0f;
	*zp = 2.0f * z + 1.0f - (float)(1u << wfmt);
}

int lutcore_quantize(const float *w, uint32_t n, uint32_t k, const struct lutcore_pack_params *pp,
		     uint8_t *codes, float *scales, float *zeros)
{
	uint32_t gk, ng, r, g;
	size_t i;

	if (!params_ok(n, k, pp) ||
	    (!zeros && pp->mode == LUTCORE_QUANT_ASYMMETRIC && pp->wfmt != LUTC_WF_TERNARY))
		return -EINVAL;
	for (i = 0; i < (size_t)n * k; i++) {
		if (!isfinite(w[i]))
			return -EDOM;
	}
	gk = pp->group ? pp->group : k;
	ng = lutcore_pack_groups(k, pp->group);
	for (r = 0; r < n; r++) {
		for (g = 0; g < ng; g++) {
			uint32_t c0 = g * gk, len = k - c0 < gk ? k - c0 : gk;
			size_t at = (size_t)r * k + c0;
			float z;

			quant_group(w + at, len, pp->wfmt, pp->mode, codes + at,
				    &scales[(size_t)g * n + r], &z);
			if (zeros)
				zeros[(size_t)g * n + r] = z;
		}
	}
	return 0;
}

/* q' of a code: 2q - (2^B - 1), or 2t for ternary. */
static int32_t code_value(uint32_t code, uint32_t wfmt)
{
	if (wfmt == LUTC_WF_TERNARY)
		return 2 * ((int32_t)code - 1);
	return 2 * (int32_t)code - (int32_t)max_code(wfmt);
}

int lutcore_dequantize(float *w, const uint8_t *codes, const float *scales, const float *zeros,
		       uint32_t n, uint32_t k, const struct lutcore_pack_params *pp)
{
	uint32_t gk, r, c;

	if (!params_ok(n, k, pp) || !codes_valid(codes, (size_t)n * k, pp->wfmt))
		return -EINVAL;
	gk = pp->group ? pp->group : k;
	for (r = 0; r < n; r++) {
		for (c = 0; c < k; c++) {
			size_t si = (size_t)(c / gk) * n + r, at = (size_t)r * k + c;
			float z = zeros ? zeros[si] : 0.0f;

			w[at] = scales[si] * ((float)code_value(codes[at], pp->wfmt) - z);
		}
	}
	return 0;
}

int lutcore_pack_weights(void *packed, float *scales, float *zeros, const float *w, uint32_t n,
			 uint32_t k, const struct lutcore_pack_params *pp)
{
	uint8_t *codes;
	int err;

	if (!params_ok(n, k, pp))
		return -EINVAL;
	codes = malloc((size_t)n * k);
	if (!codes)
		return -ENOMEM;
	err = lutcore_quantize(w, n, k, pp, codes, scales, zeros);
	if (!err)
		err = lutcore_pack_codes(packed, codes, n, k, pp->wfmt);
	free(codes);
	return err;
}

int lutcore_unpack_weights(float *w, const void *packed, const float *scales, const float *zeros,
			   uint32_t n, uint32_t k, const struct lutcore_pack_params *pp)
{
	uint8_t *codes;
	int err;

	if (!params_ok(n, k, pp))
		return -EINVAL;
	codes = malloc((size_t)n * k);
	if (!codes)
		return -ENOMEM;
	err = lutcore_unpack_codes(codes, packed, n, k, pp->wfmt);
	if (!err)
		err = lutcore_dequantize(w, codes, scales, zeros, n, k, pp);
	free(codes);
	return err;
}
