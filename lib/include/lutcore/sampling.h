/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: choosing the next token from logits.
 *
 * Greedy decoding takes the arg-max. Otherwise the sampler applies, in this
 * order (the order of Hugging Face's generate()): temperature (logits /
 * temp), top-k (keep the k largest), top-p (keep the smallest set of most
 * likely tokens whose probability reaches p), then draws from what is left
 * with its own PRNG. Ties between equal logits always go to the lower token
 * id, and the PRNG is integer-only, so a seed gives the same tokens on every
 * platform for the same logits (the softmax uses exp(), whose last bit may
 * differ between C libraries; that can only matter for draws that land
 * within about 1e-15 of a boundary).
 */
#ifndef LUTCORE_SAMPLING_H
#define LUTCORE_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/*
 * The PRNG: xoshiro256** (Blackman and Vigna), seeded through SplitMix64 so
 * that any 64-bit seed, 0 included, gives a good state. Small, fast, and
 * the same sequence everywhere. Not for cryptography.
 */
struct lut_rng {
	uint64_t s[4];
};

/* Seed r; equal seeds give equal sequences. */
void lut_rng_seed(struct lut_rng *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t lut_rng_next(struct lut_rng *r);

/* A uniform integer in [0, n) without modulo bias; 0 when n is 0. */
uint32_t lut_rng_below(struct lut_rng *r, uint32_t n);

/* A uniform double in [0, 1) with 53 random bits. */
double lut_rng_uniform(struct lut_rng *r);

/* Sampling parameters; see lut_sampler_params_default() for the defaults. */
struct lut_sampler_params {
	float temp;	/* <= 0: greedy */
	uint32_t top_k; /* 0: off */
	float top_p;	/* >= 1: off */
	uint64_t seed;
};

/*
 * Fill p with llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95,
 * seed 0x5eed.
 */
void lut_sampler_params_default(struct lut_sampler_params *p);

/* A sampler; opaque. */
struct lut_sampler;

/*
 * Create a sampler with a copy of *p and its PRNG seeded from p->seed.
 * Returns 0, -EINVAL for a NULL argument, a NaN parameter or a top_p <= 0,
 * or -ENOMEM.
 */
int lut_sampler_new(const struct lut_sampler_params *p, struct lut_sampler **out);

/* Free a sampler. NULL is accepted and ignored. */
void lut_sampler_free(struct lut_sampler *s);

/* Re-seed the sampler's PRNG, e.g. to repeat a generation. */
void lut_sampler_reseed(struct lut_sampler *s, uint64_t seed);

/*
 * Choose a token id from n logits. NaN and -inf logits are never chosen.
 * Returns the id (0..n-1), or -EINVAL for a NULL argument, n of 0 or above
 * INT32_MAX, or no finite logit, or -ENOMEM (the sampler keeps a scratch
 * array of n entries between calls).
 */
int lut_sampler_sample(struct lut_sampler *s, const float *logits, size_t n);

/*
 * The index of the largest of n logits, the lowest one on ties; NaN
 * entries are skipped. Returns it, or -EINVAL for a NULL logits, n of 0 or
 * above INT32_MAX, or only NaN entries.
 */
int lut_sample_greedy(const float *logits, size_t n);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_SAMPLING_H */
