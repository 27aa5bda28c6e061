// SPDX-License-Identifier: MIT
/*
 * Host tests of sampling: the PRNG against SplitMix64's published first
 * outputs and pinned xoshiro256** values (so a change of platform or
 * compiler that changes a sequence fails here), greedy and its tie and NaN
 * rules, determinism per seed, and the distributions temperature, top-k
 * and top-p must produce.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "lutcore/sampling.h"

TEST(rng_sequences_are_pinned)
{
	static const uint64_t seeded[4] = {0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull,
					   0x06c45d188009454full, 0xf88bb8a8724c81ecull};
	static const uint64_t out[4] = {0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull,
					0x1a5f849d4933e6e0ull, 0x6aa594f1262d2d2cull};
	static const uint32_t below[8] = {83, 378, 680, 924, 991, 769, 719, 850};
	struct lut_rng r;
	int i;

	/* SplitMix64 from 0: its first four outputs are the state. */
	lut_rng_seed(&r, 0);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(seeded[i], r.s[i]);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(out[i], lut_rng_next(&r));
	lut_rng_seed(&r, 42);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(below[i], lut_rng_below(&r, 1000));
}

TEST(rng_ranges_and_uniformity)
{
	unsigned int count[10] = {0};
	struct lut_rng r;
	int i;

	lut_rng_seed(&r, 1);
	EXPECT_EQ(0u, lut_rng_below(&r, 0));
	EXPECT_EQ(0u, lut_rng_below(&r, 1));
	for (i = 0; i < 100000; i++) {
		double u = lut_rng_uniform(&r);
		uint32_t k = lut_rng_below(&r, 10);

		ASSERT_TRUE(u >= 0.0 && u < 1.0);
		ASSERT_LT(k, 10u);
		count[k]++;
	}
	for (i = 0; i < 10; i++) { /* 10000 expected; 5 % is over 15 sigma */
		EXPECT_GT(count[i], 9500u);
		EXPECT_LT(count[i], 10500u);
	}
}

TEST(greedy_takes_the_first_largest_and_skips_nan)
{
	const float a[] = {1, 3, 2, 3}, b[] = {NAN, -INFINITY, NAN}, c[] = {NAN, NAN};

	EXPECT_EQ(1, lut_sample_greedy(a, 4));
	EXPECT_EQ(1, lut_sample_greedy(b, 3));
	EXPECT_EQ(-EINVAL, lut_sample_greedy(c, 2));
	EXPECT_EQ(-EINVAL, lut_sample_greedy(a, 0));
	EXPECT_EQ(-EINVAL, lut_sample_greedy(NULL, 4));
}

static struct lut_sampler *sampler(float temp, uint32_t top_k, float top_p, uint64_t seed)
{
	struct lut_sampler_params p = {temp, top_k, top_p, seed};
	struct lut_sampler *s = NULL;

	lut_sampler_new(&p, &s);
	return s;
}

TEST(parameters_are_checked)
{
	struct lut_sampler_params p;
	struct lut_sampler *s;

	lut_sampler_params_default(&p);
	EXPECT_EQ(0.8f, p.temp);
	EXPECT_EQ(40u, p.top_k);
	EXPECT_EQ(0.95f, p.top_p);
	p.top_p = 0;
	EXPECT_EQ(-EINVAL, lut_sampler_new(&p, &s));
	EXPECT_EQ(NULL, s);
	p.top_p = 1;
	p.temp = NAN;
	EXPECT_EQ(-EINVAL, lut_sampler_new(&p, &s));
	EXPECT_EQ(-EINVAL, lut_sampler_new(NULL, &s));
	p.temp = 1;
	ASSERT_EQ(0, lut_sampler_new(&p, &s));
	EXPECT_EQ(-EINVAL, lut_sampler_sample(s, NULL, 3));
	EXPECT_EQ(-EINVAL, lut_sampler_sample(s, (const float[]){NAN, -INFINITY}, 2));
	lut_sampler_free(s);
	lut_sampler_free(NULL);
}

TEST(greedy_settings_and_infinities)
{
	const float l[] = {0.1f, 0.7f, 0.7f, -INFINITY, NAN};
	struct lut_sampler *s0 = sampler(0, 40, 1, 1), *k1 = sampler(1, 1, 1, 1);
	struct lut_sampler *hot = sampler(1, 0, 1, 1);
	int i;

	for (i = 0; i < 100; i++) {
		EXPECT_EQ(1, lut_sampler_sample(s0, l, 5));
		EXPECT_EQ(1, lut_sampler_sample(k1, l, 5));
		EXPECT_NE(3, lut_sampler_sample(hot, l, 5));
		EXPECT_NE(4, lut_sampler_sample(hot, l, 5));
		EXPECT_EQ(2, lut_sampler_sample(hot, (const float[]){0, 5, INFINITY}, 3));
	}
	lut_sampler_free(s0);
	lut_sampler_free(k1);
	lut_sampler_free(hot);
}

TEST(same_seed_same_tokens)
{
	static const int pinned[16] = {5, 3, 5, 7, 7, 5, 1, 1, 3, 1, 3, 5, 7, 5, 3, 3};
	const float l[] = {1, 2, 0.5f, 3, -1, 2.5f, 0, 1.5f};
	struct lut_sampler *a = sampler(1, 0, 1, 7), *b = sampler(1, 0, 1, 7);
	struct lut_sampler *c = sampler(1, 0, 1, 8);
	int i, first[64], differ = 0;

	for (i = 0; i < 16; i++)
		EXPECT_EQ(pinned[i], lut_sampler_sample(a, l, 8));
	lut_sampler_reseed(a, 7);
	for (i = 0; i < 64; i++) {
		first[i] = lut_sampler_sample(a, l, 8);
		EXPECT_EQ(first[i], lut_sampler_sample(b, l, 8));
		differ += first[i] != lut_sampler_sample(c, l, 8);
	}
	EXPECT_GT(differ, 10);
	lut_sampler_free(a);
	lut_sampler_free(b);
	lut_sampler_free(c);
}

/* Frequencies of 40000 draws from probabilities 0.5, 0.3, 0.15, 0.05. */
static void histogram(struct lut_sampler *s, double *freq)
{
	const float l[] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
	int i, k;

	for (k = 0; k < 4; k++)
		freq[k] = 0;
	for (i = 0; i < 40000; i++) {
		k = lut_sampler_sample(s, l, 4);
		if (k >= 0 && k < 4)
			freq[k] += 1.0 / 40000;
	}
	lut_sampler_free(s);
}

/* Within 0.015 (more than 6 sigma at these sizes). */
#define EXPECT_NEAR(want, have) EXPECT_LT(fabs((want) - (have)), 0.015)

TEST(distributions_follow_the_parameters)
{
	double f[4];

	histogram(sampler(1, 0, 1, 11), f);
	EXPECT_NEAR(0.5, f[0]);
	EXPECT_NEAR(0.3, f[1]);
	EXPECT_NEAR(0.15, f[2]);
	EXPECT_NEAR(0.05, f[3]);
	/* top-k 2 renormalises 0.5 : 0.3. */
	histogram(sampler(1, 2, 1, 12), f);
	EXPECT_NEAR(0.625, f[0]);
	EXPECT_NEAR(0.375, f[1]);
	EXPECT_EQ(0.0, f[2] + f[3]);
	/* top-p 0.9 keeps 0.5 + 0.3 + 0.15 (0.8 is not enough). */
	histogram(sampler(1, 0, 0.9f, 13), f);
	EXPECT_NEAR(0.5 / 0.95, f[0]);
	EXPECT_NEAR(0.15 / 0.95, f[2]);
	EXPECT_EQ(0.0, f[3]);
	/* top-p 0.45 keeps the first alone. */
	histogram(sampler(1, 0, 0.45f, 14), f);
	EXPECT_EQ(1.0, round(f[0] * 1e6) / 1e6);
	/* A high temperature flattens, a low one sharpens. */
	histogram(sampler(100, 0, 1, 15), f);
	EXPECT_NEAR(0.25, f[3]);
	histogram(sampler(0.05f, 0, 1, 16), f);
	EXPECT_GT(f[0], 0.99);
}

TEST(large_vocabulary_is_quick_and_in_range)
{
	struct lut_sampler *s = sampler(0.8f, 40, 0.95f, 3), *p = sampler(0.8f, 0, 0.95f, 3);
	static float l[128256];
	struct lut_rng r;
	int i, k;

	lut_rng_seed(&r, 9);
	for (i = 0; i < 128256; i++)
		l[i] = (float)(lut_rng_uniform(&r) * 20 - 10);
	for (i = 0; i < 50; i++) {
		k = lut_sampler_sample(s, l, 128256);
		ASSERT_GE(k, 0);
		EXPECT_GT(l[k], 9.0f); /* one of the 40 largest of 128256 uniform(-10, 10) */
	}
	for (i = 0; i < 5; i++) { /* top-p alone sorts the whole vocabulary */
		k = lut_sampler_sample(p, l, 128256);
		ASSERT_GE(k, 0);
		ASSERT_LT(k, 128256);
	}
	lut_sampler_free(s);
	lut_sampler_free(p);
}

TEST_HARNESS_MAIN
