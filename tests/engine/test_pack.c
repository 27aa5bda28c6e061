// SPDX-License-Identifier: MIT
/*
 * Weight packing tests (lib/pack.c): the byte layout by hand, pack/unpack
 * round trips, quantization error bounds, exact grids, and bad arguments.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "lutcore/pack.h"
#include "ref.h"
#include "tutil.h"

/*
 * Row 0 of a 2-bit matrix holds codes 1, 2, 3, 0 and row 32 codes 3, 3, 3,
 * 3. Plane 0 of row 0 has bits (w0..w3) = 1,0,1,0: nibble 0101. Plane 1:
 * 0,1,1,0: 0110. Row 32 has all bits set, so w3 = 1 and the index bits are
 * stored inverted (Eq. 6): nibble 1000 in both planes.
 */
TEST(layout_by_hand_int2)
{
	uint8_t codes[64 * 4] = {0}, packed[64];

	memcpy(codes, (uint8_t[]){1, 2, 3, 0}, 4);
	memset(codes + 32 * 4, 3, 4);
	ASSERT_EQ(64u, lutcore_packed_size(64, 4, LUTC_WF_INT2));
	ASSERT_EQ(0, lutcore_pack_codes(packed, codes, 64, 4, LUTC_WF_INT2));
	ASSERT_EQ(0x85, packed[0]);  /* plane 0: row 0 low, row 32 high */
	ASSERT_EQ(0x86, packed[32]); /* plane 1 */
	ASSERT_EQ(0x00, packed[1]);  /* row 1: codes 0 -> 0000; row 33: 0000 */
}

/*
 * Ternary codes 2, 0, 1, 2 (+1, -1, 0, +1): plane 0 (s0 = code >= 1) has
 * bits 1,0,1,1 -> w3 = 1, stored 1 010; plane 1 (s1 = code == 2) has bits
 * 1,0,0,1 -> stored 1 110.
 */
TEST(layout_by_hand_ternary)
{
	uint8_t codes[4] = {2, 0, 1, 2}, packed[64], back[4];

	ASSERT_EQ(0, lutcore_pack_codes(packed, codes, 1, 4, LUTC_WF_TERNARY));
	ASSERT_EQ(0x0a, packed[0]);
	ASSERT_EQ(0x0e, packed[32]);
	ASSERT_EQ(0, lutcore_unpack_codes(back, packed, 1, 4, LUTC_WF_TERNARY));
	ASSERT_EQ(0, memcmp(codes, back, 4));
	packed[32] = 0x02; /* k = 1: plane 1 set where plane 0 is not */
	ASSERT_EQ(-EINVAL, lutcore_unpack_codes(back, packed, 1, 4, LUTC_WF_TERNARY));
}

TEST(round_trip_all_formats)
{
	static const struct {
		uint32_t n, k;
	} sh[] = {{1, 1}, {64, 4}, {65, 7}, {130, 33}, {200, 128}};
	uint32_t s, w, i;

	trand_seed(7);
	for (s = 0; s < ARRAY_SIZE(sh); s++)
		for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++) {
			uint32_t n = sh[s].n, k = sh[s].k, hi = w == 5 ? 2 : (1u << w) - 1;
			size_t sz = lutcore_packed_size(n, k, w);
			uint8_t *c = malloc((size_t)n * k), *b = malloc((size_t)n * k);
			uint8_t *p = malloc(sz);

			ASSERT_EQ((size_t)(n + 63) / 64 * ((k + 3) / 4) * ref_planes(w) * 32, sz);
			for (i = 0; i < n * k; i++)
				c[i] = (uint8_t)trand_range(0, hi);
			ASSERT_EQ(0, lutcore_pack_codes(p, c, n, k, w));
			ASSERT_EQ(0, lutcore_unpack_codes(b, p, n, k, w));
			ASSERT_EQ(0, memcmp(c, b, (size_t)n * k));
			free(c);
			free(b);
			free(p);
		}
}

/* Quantize random weights and bound the error of every weight. */
TEST(quantize_error_bounds)
{
	uint32_t n = 70, k = 260, w, mode, gi, i;
	static const uint32_t groups[] = {0, 32, 12};
	float *x = malloc(4 * n * k), *y = malloc(4 * n * k);
	float *s = malloc(4 * n * k), *z = malloc(4 * n * k);
	uint8_t *c = malloc(n * k);

	trand_seed(11);
	for (i = 0; i < n * k; i++)
		x[i] = trand_normal() * (1 + i % 7);
	for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++)
		for (mode = 0; mode < 2; mode++)
			for (gi = 0; gi < 3; gi++) {
				struct lutcore_pack_params pp = {w, groups[gi], mode};
				uint32_t gk = pp.group ? pp.group : k;

				ASSERT_EQ(0, lutcore_quantize(x, n, k, &pp, c, s, z));
				ASSERT_EQ(0, lutcore_dequantize(y, c, s, z, n, k, &pp));
				for (i = 0; i < n * k; i++) {
					float sp = s[(i % k) / gk * n + i / k];
					/* Grid step 2 s': half of it, or clamping for ternary. */
					float bound = w == LUTC_WF_TERNARY
							      ? fmaxf(sp, fabsf(x[i]) - 2 * sp)
							      : sp;

					ASSERT_LE(fabsf(y[i] - x[i]), bound * 1.0001f + 1e-6f)
					{
						TH_LOG("wfmt %u mode %u group %u weight %u: %g -> "
						       "%g",
						       w, mode, pp.group, i, x[i], y[i]);
					}
				}
			}
	free(x);
	free(y);
	free(s);
	free(z);
	free(c);
}

/* Weights on a symmetric grid with a power-of-two step come back exactly,
 * and pack_weights/unpack_weights agree with quantize/dequantize. */
TEST(exact_grid_and_one_step_api)
{
	struct lutcore_pack_params pp = {LUTC_WF_INT3, 8, LUTCORE_QUANT_SYMMETRIC};
	uint32_t n = 65, k = 16, i;
	float x[65 * 16], y[65 * 16], s[65 * 2], s2[65 * 2];
	uint8_t packed[2 * 4 * 3 * 32], c[65 * 16];

	for (i = 0; i < n * k; i++)
		x[i] = 0.25f * (float)(2 * (int)((i * 5) % 8) - 7);
	for (i = 0; i < n; i++) {
		x[i * k] = 0.25f * 7; /* every group reaches absmax 7 steps */
		x[i * k + 8] = -0.25f * 7;
	}
	ASSERT_EQ(0, lutcore_pack_weights(packed, s, NULL, x, n, k, &pp));
	ASSERT_EQ(0, lutcore_unpack_weights(y, packed, s, NULL, n, k, &pp));
	ASSERT_EQ(0, memcmp(x, y, sizeof(x)));
	ASSERT_EQ(0, lutcore_quantize(x, n, k, &pp, c, s2, NULL));
	ASSERT_EQ(0, memcmp(s, s2, sizeof(s)));
	for (i = 0; i < n * 2; i++)
		ASSERT_EQ(0.25f, s[i]);
}

TEST(bad_arguments)
{
	struct lutcore_pack_params pp = {LUTC_WF_INT4, 32, LUTCORE_QUANT_ASYMMETRIC};
	float x[64] = {0}, s[64], z[64];
	uint8_t c[64] = {0}, p[1024];

	ASSERT_EQ(0u, lutcore_packed_size(0, 4, LUTC_WF_INT2));
	ASSERT_EQ(0u, lutcore_packed_size(4, 4, 6));
	ASSERT_EQ(-EINVAL, lutcore_quantize(x, 2, 32, &pp, c, s, NULL));
	pp.group = 6;
	ASSERT_EQ(-EINVAL, lutcore_quantize(x, 2, 32, &pp, c, s, z));
	pp.group = 32;
	pp.wfmt = 0;
	ASSERT_EQ(-EINVAL, lutcore_quantize(x, 2, 32, &pp, c, s, z));
	pp.wfmt = LUTC_WF_INT4;
	x[5] = NAN;
	ASSERT_EQ(-EDOM, lutcore_quantize(x, 2, 32, &pp, c, s, z));
	c[3] = 16;
	ASSERT_EQ(-EINVAL, lutcore_pack_codes(p, c, 2, 32, LUTC_WF_INT4));
	ASSERT_EQ(-EINVAL, lutcore_dequantize(x, c, s, z, 2, 32, &pp));
	c[3] = 3;
	ASSERT_EQ(-EINVAL, lutcore_pack_codes(p, c, 2, 32, LUTC_WF_TERNARY));
}

TEST_HARNESS_MAIN
