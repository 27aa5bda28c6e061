// SPDX-License-Identifier: MIT
/*
 * Host tests of the block formats: fp16/bf16 conversion against the
 * compiler's own (where it has _Float16) and on hand-picked edge cases,
 * the exact bytes of Q4_0, Q8_0, TQ2_0 and TQ1_0 blocks for inputs worked
 * out by hand, every TQ1_0 byte value decoded, quantize/dequantize error
 * bounds on random data, and the argument checks.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "lutcore/quant.h"
#include "lutcore/sampling.h"

static uint32_t bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static float from_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

/* ---- Halves ------------------------------------------------------------------ */

TEST(f16_edge_cases)
{
	EXPECT_EQ(0x3c00, lut_ggml_f32_to_f16(1.0f));
	EXPECT_EQ(0xc000, lut_ggml_f32_to_f16(-2.0f));
	EXPECT_EQ(0x8000, lut_ggml_f32_to_f16(-0.0f));
	EXPECT_EQ(0x2e66, lut_ggml_f32_to_f16(0.1f));
	EXPECT_EQ(0x7bff, lut_ggml_f32_to_f16(65504.0f));
	EXPECT_EQ(0x7bff, lut_ggml_f32_to_f16(65519.99f)); /* below the halfway point */
	EXPECT_EQ(0x7c00, lut_ggml_f32_to_f16(65520.0f));  /* halfway: to even, i.e. inf */
	EXPECT_EQ(0xfc00, lut_ggml_f32_to_f16(-INFINITY));
	EXPECT_EQ(0x0001, lut_ggml_f32_to_f16(0x1p-24f)); /* smallest subnormal */
	EXPECT_EQ(0x0000, lut_ggml_f32_to_f16(0x1p-25f)); /* halfway: to even, i.e. 0 */
	EXPECT_EQ(0x0001, lut_ggml_f32_to_f16(0x1.8p-25f));
	EXPECT_EQ(0x0002, lut_ggml_f32_to_f16(0x1.4p-23f));   /* 2.5 units: to even */
	EXPECT_EQ(0x0004, lut_ggml_f32_to_f16(0x1.cp-23f));   /* 3.5 units: to even */
	EXPECT_EQ(0x03ff, lut_ggml_f32_to_f16(0x1.ff8p-15f)); /* largest subnormal */
	EXPECT_EQ(0x0400, lut_ggml_f32_to_f16(0x1.ffcp-15f)); /* rounds up to normal */
	EXPECT_EQ(0x7e00, lut_ggml_f32_to_f16(NAN) & 0x7e00);
	EXPECT_EQ(1.0f, lut_ggml_f16_to_f32(0x3c00));
	EXPECT_EQ(0x1p-24f, lut_ggml_f16_to_f32(0x0001));
	EXPECT_EQ(-65504.0f, lut_ggml_f16_to_f32(0xfbff));
	EXPECT_TRUE(isinf(lut_ggml_f16_to_f32(0x7c00)));
	EXPECT_TRUE(isnan(lut_ggml_f16_to_f32(0x7c01)));
}

TEST(f16_every_half_round_trips)
{
	uint32_t h, bad = 0;

	for (h = 0; h < 0x10000; h++) {
		float f = lut_ggml_f16_to_f32((uint16_t)h);
		uint16_t back = lut_ggml_f32_to_f16(f);

		if (isnan(f) ? (back & 0x7c00) != 0x7c00 || !(back & 0x3ff) : back != h)
			bad++;
	}
	EXPECT_EQ(0u, bad);
}

TEST(f16_matches_the_compiler_on_random_floats)
{
#ifdef __FLT16_MAX__
	struct lut_rng r;
	uint32_t i, bad = 0;

	lut_rng_seed(&r, 16);
	for (i = 0; i < 2000000; i++) {
		/* Exponents around the half range, plus anything at all. */
		uint32_t u = (uint32_t)lut_rng_next(&r);
		float f = from_bits(i & 1 ? u : (u & 0x807fffff) | (96 + u % 48) << 23);
		_Float16 ref = (_Float16)f;
		uint16_t want;

		memcpy(&want, &ref, 2);
		if (!isnan(f) && lut_ggml_f32_to_f16(f) != want && bad++ < 5)
			TH_LOG("%a: %04x, compiler %04x", f, lut_ggml_f32_to_f16(f), want);
	}
	EXPECT_EQ(0u, bad);
#else
	SKIP(return, "no _Float16 in this compiler");
#endif
}

TEST(bf16_rounds_to_nearest_even)
{
	EXPECT_EQ(0x3f80, lut_ggml_f32_to_bf16(1.0f));
	EXPECT_EQ(0x3f80, lut_ggml_f32_to_bf16(from_bits(0x3f808000))); /* tie, even below */
	EXPECT_EQ(0x3f82, lut_ggml_f32_to_bf16(from_bits(0x3f818000))); /* tie, even above */
	EXPECT_EQ(0x3f81, lut_ggml_f32_to_bf16(from_bits(0x3f808001)));
	EXPECT_EQ(0x7f80, lut_ggml_f32_to_bf16(from_bits(0x7f7fffff))); /* overflows to inf */
	EXPECT_EQ(0xff80, lut_ggml_f32_to_bf16(-INFINITY));
	EXPECT_TRUE(isnan(lut_ggml_bf16_to_f32(lut_ggml_f32_to_bf16(NAN))));
	EXPECT_TRUE(isnan(lut_ggml_bf16_to_f32(lut_ggml_f32_to_bf16(from_bits(0x7f800001)))));
	EXPECT_EQ(bits(-3.0f), bits(lut_ggml_bf16_to_f32(0xc040)));
}

/* ---- Exact blocks ---------------------------------------------------------------- */

TEST(q4_0_block_by_hand)
{
	uint8_t b[18];
	float x[32], y[32];
	int j;

	/*
	 * x = j - 8: the largest magnitude is x[31] = 23, so d = 23 / -8 =
	 * -2.875 (fp16 0xc1c0) and nibble = min(15, floor(-8 x / 23 + 8.5)):
	 * x = -8 -> 11, 8 -> 5, 0 -> 8, 23 -> 0, -7 -> 10, 9 -> 5.
	 */
	for (j = 0; j < 32; j++)
		x[j] = (float)(j - 8);
	ASSERT_EQ(0, lut_ggml_quantize(LUT_GGML_Q4_0, x, 32, b, sizeof(b)));
	EXPECT_EQ(0xc0, b[0]);
	EXPECT_EQ(0xc1, b[1]);
	EXPECT_EQ(0x5b, b[2]);	       /* j = 0 (-8 -> 11) | j = 16 (8 -> 5) << 4 */
	EXPECT_EQ(0x5a, b[3]);	       /* j = 1 (-7 -> 10) | j = 17 (9 -> 5) << 4 */
	EXPECT_EQ(0x08, b[10] & 0x0f); /* j = 8 (0 -> 8) */
	EXPECT_EQ(0x00, b[17] >> 4);   /* j = 31 (23 -> 0) */
	ASSERT_EQ(0, lut_ggml_dequantize(LUT_GGML_Q4_0, b, sizeof(b), y, 32));
	EXPECT_EQ(23.0f, y[31]);  /* (0 - 8) * -2.875 */
	EXPECT_EQ(-8.625f, y[0]); /* (11 - 8) * -2.875 */
	EXPECT_EQ(0.0f, y[8]);
}

TEST(q8_0_block_by_hand)
{
	uint8_t b[34];
	float x[32], y[32];
	int8_t q[32];
	float d;
	int j;

	/* x = j - 16: amax 16, d = 16/127, q = round((j - 16) * 127/16). */
	for (j = 0; j < 32; j++)
		x[j] = (float)(j - 16);
	ASSERT_EQ(0, lut_ggml_quantize(LUT_GGML_Q8_0, x, 32, b, sizeof(b)));
	EXPECT_EQ(lut_ggml_f32_to_f16(16.0f / 127.0f), b[0] | b[1] << 8);
	EXPECT_EQ(-127, (int8_t)b[2]);	  /* -16 */
	EXPECT_EQ(-8, (int8_t)b[2 + 15]); /* -1 * 7.9375 = -7.94 */
	EXPECT_EQ(0, (int8_t)b[2 + 16]);
	EXPECT_EQ(119, (int8_t)b[2 + 31]); /* 15 * 7.9375 = 119.06 */
	ASSERT_EQ(0, lut_ggml_unpack_block(LUT_GGML_Q8_0, b, q, &d));
	EXPECT_EQ(lut_ggml_f16_to_f32(lut_ggml_f32_to_f16(16.0f / 127.0f)), d);
	ASSERT_EQ(0, lut_ggml_dequantize(LUT_GGML_Q8_0, b, sizeof(b), y, 32));
	for (j = 0; j < 32; j++)
		EXPECT_EQ((float)q[j] * d, y[j]);
}

TEST(tq2_0_block_by_hand)
{
	uint8_t b[66];
	float x[256], y[256];
	int e;

	/* x = e % 3 - 1, d = 1: code(e) = e % 3, four codes per byte, 32 apart. */
	for (e = 0; e < 256; e++)
		x[e] = (float)(e % 3 - 1);
	ASSERT_EQ(0, lut_ggml_quantize(LUT_GGML_TQ2_0, x, 256, b, sizeof(b)));
	EXPECT_EQ(0x18, b[0]);	/* e 0, 32, 64, 96: codes 0, 2, 1, 0 at bits 0, 2, 4, 6 */
	EXPECT_EQ(0x61, b[1]);	/* e 1, 33, 65, 97: 1, 0, 2, 1 */
	EXPECT_EQ(0x86, b[32]); /* e 128, 160, 192, 224: 2, 1, 0, 2 */
	EXPECT_EQ(0x00, b[64]);
	EXPECT_EQ(0x3c, b[65]); /* d = 1.0 */
	ASSERT_EQ(0, lut_ggml_dequantize(LUT_GGML_TQ2_0, b, sizeof(b), y, 256));
	EXPECT_EQ(0, memcmp(x, y, sizeof(x)));
}

TEST(tq1_0_block_by_hand)
{
	uint8_t b[54];
	float x[256], y[256];
	int e;

	/*
	 * +1 for e < 128, else 0, so d = 1. qs[m] (m < 32) holds trits of
	 * e = m, m+32, m+64, m+96 (all 2) and m+128 (1): 2*81 + 2*27 + 2*9 +
	 * 2*3 + 1 = 241, stored as ceil(241 * 256 / 243) = 254. The rest are
	 * all 1: 121 -> 128, and qh's four trits 120 -> 127.
	 */
	for (e = 0; e < 256; e++)
		x[e] = e < 128 ? 1.0f : 0.0f;
	ASSERT_EQ(0, lut_ggml_quantize(LUT_GGML_TQ1_0, x, 256, b, sizeof(b)));
	for (e = 0; e < 32; e++)
		EXPECT_EQ(254, b[e]);
	for (e = 32; e < 48; e++)
		EXPECT_EQ(128, b[e]);
	for (e = 48; e < 52; e++)
		EXPECT_EQ(127, b[e]);
	EXPECT_EQ(0x00, b[52]);
	EXPECT_EQ(0x3c, b[53]);
	ASSERT_EQ(0, lut_ggml_dequantize(LUT_GGML_TQ1_0, b, sizeof(b), y, 256));
	EXPECT_EQ(0, memcmp(x, y, sizeof(x)));
}

TEST(tq1_0_decodes_every_byte_value)
{
	uint8_t b[54] = {0};
	int8_t q[256];
	float d;
	int v, n, bad = 0;

	/* Each five-trit value 0..242, stored rounded up, decodes to its digits. */
	for (v = 0; v < 243; v++) {
		int rest = v;

		b[0] = (uint8_t)((v * 256 + 242) / 243);
		ASSERT_EQ(0, lut_ggml_unpack_block(LUT_GGML_TQ1_0, b, q, &d));
		for (n = 4; n >= 0; n--, rest /= 3)
			bad += q[32 * n] != rest % 3 - 1;
	}
	EXPECT_EQ(0, bad);
}

/* ---- Round trips --------------------------------------------------------------- */

static void random_floats(float *x, int n, uint64_t seed)
{
	struct lut_rng r;
	int i;

	lut_rng_seed(&r, seed);
	for (i = 0; i < n; i++)
		x[i] = (float)(lut_rng_uniform(&r) * 2 - 1) * (float)(1 + i % 7);
}

/* The largest |x - y| over a block, relative to the block's max |x|. */
static double worst(const float *x, const float *y, int n, int block)
{
	double w = 0, amax = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (i % block == 0) {
			int k;

			for (amax = 0, k = i; k < i + block; k++)
				amax = fmax(amax, fabs(x[k]));
		}
		w = fmax(w, fabs(x[i] - y[i]) / amax);
	}
	return w;
}

TEST(round_trip_error_bounds)
{
	static const struct {
		uint32_t type;
		int block;
		double bound; /* of the error over the block's max |x| */
	} cases[] = {
		/* half a step (1/127) plus the fp16 scale's rounding */
		{LUT_GGML_Q8_0, 32, 0.5 / 127 + 1.0 / 2048},
		/* a full step (1/8) for the clamped end, plus fp16 rounding */
		{LUT_GGML_Q4_0, 32, 1.0 / 8 + 1.0 / 2048},
		{LUT_GGML_F16, 1, 1.0 / 2048},
		{LUT_GGML_BF16, 1, 1.0 / 256},
		{LUT_GGML_F32, 1, 0},
	};
	float x[1024], y[1024];
	uint8_t q[4097]; /* + 1: the blocks start unaligned */
	size_t c;

	random_floats(x, 1024, 5);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ASSERT_EQ(0, lut_ggml_quantize(cases[c].type, x, 1024, q + 1, sizeof(q) - 1));
		ASSERT_EQ(0, lut_ggml_dequantize(cases[c].type, q + 1, sizeof(q) - 1, y, 1024));
		if (worst(x, y, 1024, cases[c].block) > cases[c].bound)
			TH_LOG("%s: error %g > %g", lut_ggml_type_name(cases[c].type),
			       worst(x, y, 1024, cases[c].block), cases[c].bound);
		EXPECT_LE(worst(x, y, 1024, cases[c].block), cases[c].bound);
	}
}

TEST(ternary_types_are_exact_on_ternary_data)
{
	static const uint32_t types[] = {LUT_GGML_TQ2_0, LUT_GGML_TQ1_0};
	float x[1024], y[1024];
	uint8_t q[1024];
	struct lut_rng r;
	size_t t;
	int i;

	lut_rng_seed(&r, 3);
	for (i = 0; i < 1024; i++) /* d = 0.375 is exact in fp16 */
		x[i] = 0.375f * (float)((int)lut_rng_below(&r, 3) - 1);
	x[0] = 0.375f; /* every block needs its amax: blocks of 256 all have one */
	for (t = 0; t < 2; t++) {
		ASSERT_EQ(0, lut_ggml_quantize(types[t], x, 1024, q, sizeof(q)));
		ASSERT_EQ(0, lut_ggml_dequantize(types[t], q, sizeof(q), y, 1024));
		EXPECT_EQ(0, memcmp(x, y, sizeof(x)));
	}
	/* Off-grid values round to the nearest of -d, 0, +d. */
	x[1] = 0.2f;
	x[2] = -0.18f;
	ASSERT_EQ(0, lut_ggml_quantize(LUT_GGML_TQ2_0, x, 256, q, sizeof(q)));
	ASSERT_EQ(0, lut_ggml_dequantize(LUT_GGML_TQ2_0, q, sizeof(q), y, 256));
	EXPECT_EQ(0.375f, y[1]);
	EXPECT_EQ(0.0f, y[2]);
}

TEST(non_finite_inputs_stay_defined)
{
	static const uint32_t types[] = {LUT_GGML_Q4_0, LUT_GGML_Q8_0, LUT_GGML_TQ2_0,
					 LUT_GGML_TQ1_0};
	float x[256], y[256];
	uint8_t q[512];
	size_t t;
	int i;

	for (i = 0; i < 256; i++)
		x[i] = i % 3 ? NAN : (i % 2 ? INFINITY : 1.0f);
	for (t = 0; t < 4; t++) { /* UBSan checks the conversions */
		EXPECT_EQ(0, lut_ggml_quantize(types[t], x, 256, q, sizeof(q)));
		EXPECT_EQ(0, lut_ggml_dequantize(types[t], q, sizeof(q), y, 256));
	}
}

/* ---- Arguments ------------------------------------------------------------------- */

TEST(type_table_and_argument_checks)
{
	uint64_t bytes;
	float x[64] = {0};
	uint8_t q[64];
	int8_t codes[256];
	float d;

	EXPECT_STREQ("q4_0", lut_ggml_type_name(LUT_GGML_Q4_0));
	EXPECT_STREQ("tq1_0", lut_ggml_type_name(LUT_GGML_TQ1_0));
	EXPECT_STREQ("unknown", lut_ggml_type_name(36));
	EXPECT_EQ(NULL, lut_ggml_type_info(4));
	EXPECT_EQ(NULL, lut_ggml_type_info(1000));
	EXPECT_EQ(54u, lut_ggml_type_info(LUT_GGML_TQ1_0)->block_bytes);
	EXPECT_EQ(0, lut_ggml_row_size(LUT_GGML_Q4_0, 64, &bytes));
	EXPECT_EQ(36u, bytes);
	EXPECT_EQ(0, lut_ggml_row_size(LUT_GGML_TQ2_0, 2560, &bytes));
	EXPECT_EQ(660u, bytes);
	EXPECT_EQ(-EINVAL, lut_ggml_row_size(LUT_GGML_Q4_0, 48, &bytes));
	EXPECT_EQ(-EOPNOTSUPP, lut_ggml_row_size(99, 32, &bytes));
	EXPECT_EQ(-EOVERFLOW, lut_ggml_row_size(LUT_GGML_F32, 1ull << 62, &bytes));
	EXPECT_EQ(-EINVAL, lut_ggml_quantize(LUT_GGML_Q8_0, x, 33, q, sizeof(q)));
	EXPECT_EQ(-EOVERFLOW, lut_ggml_quantize(LUT_GGML_Q8_0, x, 64, q, sizeof(q)));
	EXPECT_EQ(-EOPNOTSUPP, lut_ggml_quantize(LUT_GGML_Q6_K, x, 256, q, sizeof(q)));
	EXPECT_EQ(-EINVAL, lut_ggml_quantize(LUT_GGML_F32, NULL, 1, q, sizeof(q)));
	EXPECT_EQ(0, lut_ggml_quantize(LUT_GGML_F32, NULL, 0, NULL, 0));
	EXPECT_EQ(-EOVERFLOW, lut_ggml_dequantize(LUT_GGML_F16, q, 63, x, 32));
	EXPECT_EQ(-EOPNOTSUPP, lut_ggml_unpack_block(LUT_GGML_F16, q, codes, &d));
	EXPECT_EQ(-EINVAL, lut_ggml_unpack_block(LUT_GGML_Q4_0, NULL, codes, &d));
}

TEST_HARNESS_MAIN
