// SPDX-License-Identifier: MIT
/*
 * Token sampling: greedy, temperature, top-k, top-p, with a seeded PRNG.
 * Candidates are ordered by (logit descending, id ascending), a total
 * order, so that every step is deterministic whatever the sort algorithm.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lutcore/sampling.h"

/* ---- PRNG -------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void lut_rng_seed(struct lut_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t lut_rng_next(struct lut_rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint32_t lut_rng_below(struct lut_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift, retrying the few biased low products. */
	uint64_t m;
	uint32_t threshold;

	if (!n)
		return 0;
	threshold = (uint32_t)-n % n;
	do
		m = (lut_rng_next(r) >> 32) * n;
	while ((uint32_t)m < threshold);
	return (uint32_t)(m >> 32);
}

double lut_rng_uniform(struct lut_rng *r)
{
	return (double)(lut_rng_next(r) >> 11) * 0x1p-53;
}

/* ---- Greedy ------------------------------------------------------------ */

int lut_sample_greedy(const float *logits, size_t n)
{
	size_t i;
	int best = -1;

	if (!logits || !n || n > INT32_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isnan(logits[i]) && (best < 0 || logits[i] > logits[best]))
			best = (int)i;
	return best < 0 ? -EINVAL : best;
}

/* ---- Sampler ------------------------------------------------------------ */

struct cand {
	double logit; /* scaled by 1/temp, which may overflow a float */
	int32_t id;
};

struct lut_sampler {
	struct lut_sampler_params p;
	struct lut_rng rng;
	struct cand *c;
	size_t cap;
};

void lut_sampler_params_default(struct lut_sampler_params *p)
{
	p->temp = 0.8f;
	p->top_k = 40;
	p->top_p = 0.95f;
	p->seed = 0x5eed;
}

int lut_sampler_new(const struct lut_sampler_params *p, struct lut_sampler **out)
{
	struct lut_sampler *s;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p || isnan(p->temp) || isnan(p->top_p) || p->top_p <= 0.0f)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->p = *p;
	lut_rng_seed(&s->rng, p->seed);
	*out = s;
	return 0;
}

void lut_sampler_free(struct lut_sampler *s)
{
	if (!s)
		return;
	free(s->c);
	free(s);
}

void lut_sampler_reseed(struct lut_sampler *s, uint64_t seed)
{
	lut_rng_seed(&s->rng, seed);
}

/* a ranks before b: larger logit, then lower id. */
static bool before(const struct cand *a, const struct cand *b)
{
	return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int cmp_cand(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

/* Min-heap (by rank) of the k best candidates seen so far. */
static void heap_down(struct cand *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cand t;

		if (l < n && before(&h[m], &h[l]))
			m = l;
		if (r < n && before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Keep the k best of c[0..n) in c[0..k), unordered; returns the count. */
static size_t top_k(struct cand *c, size_t n, size_t k)
{
	size_t i;

	if (!k || k >= n)
		return n;
	for (i = k / 2; i-- > 0;)
		heap_down(c, k, i);
	for (i = k; i < n; i++) {
		if (before(&c[i], &c[0])) {
			c[0] = c[i];
			heap_down(c, k, 0);
		}
	}
	return k;
}

/* Gather the finite logits, scaled by 1/temp; returns how many. */
static size_t gather(struct lut_sampler *s, const float *logits, size_t n)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (isfinite(logits[i]))
			s->c[m++] = (struct cand){(double)logits[i] / s->p.temp, (int32_t)i};
	return m;
}

/* Draw from c[0..m) (sorted when top-p is on) with softmax weights. */
static int draw(struct lut_sampler *s, size_t m)
{
	struct cand *c = s->c;
	double max = c[0].logit, sum = 0, acc = 0, u;
	size_t i, keep = m;

	for (i = 1; i < m; i++)
		if (c[i].logit > max)
			max = c[i].logit;
	for (i = 0; i < m; i++)
		sum += exp(c[i].logit - max);
	if (s->p.top_p < 1.0f) {
		for (i = 0, acc = 0; i < m; i++) {
			acc += exp(c[i].logit - max);
			if (acc >= s->p.top_p * sum)
				break;
		}
		keep = i < m ? i + 1 : m;
		sum = acc < sum ? acc : sum;
	}
	u = lut_rng_uniform(&s->rng) * sum;
	for (i = 0, acc = 0; i < keep; i++) {
		acc += exp(c[i].logit - max);
		if (u < acc)
			return c[i].id;
	}
	return c[keep - 1].id; /* rounding left u at the very top */
}

int lut_sampler_sample(struct lut_sampler *s, const float *logits, size_t n)
{
	size_t m;
	int best;

	if (!s || !logits || !n || n > INT32_MAX)
		return -EINVAL;
	best = lut_sample_greedy(logits, n);
	if (best < 0 || (isinf(logits[best]) && logits[best] < 0))
		return -EINVAL; /* nothing but NaN and -inf */
	/* Greedy, or a +inf logit that takes all the probability. */
	if (s->p.temp <= 0.0f || s->p.top_k == 1 || isinf(logits[best]))
		return best;
	if (n > s->cap) {
		struct cand *c = realloc(s->c, n * sizeof(*c));

		if (!c)
			return -ENOMEM;
		s->c = c;
		s->cap = n;
	}
	m = gather(s, logits, n);
	if (!m)
		return -EINVAL;
	m = top_k(s->c, m, s->p.top_k);
	if (s->p.top_p < 1.0f)
		qsort(s->c, m, sizeof(*s->c), cmp_cand);
	return draw(s, m);
}
