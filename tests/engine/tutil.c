// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the engine tests (see tutil.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tutil.h"

int tdev_init(struct tdev *d, uint64_t size, const struct tdev_variant *v)
{
	struct lut_engine_config cfg;
	int err;

	memset(d, 0, sizeof(*d));
	lut_engine_config_default(&cfg);
	if (v->portable)
		cfg.flags |= LUT_ENGINE_PORTABLE;
	cfg.threads = v->threads;
	d->base = aligned_alloc(4096, size);
	if (!d->base)
		return -1;
	d->size = size;
	lut_flat_mem_init(&d->fm, d->base, TDEV_VA, size);
	d->fm.max_run = v->max_run;
	d->mem = lut_flat_mem(&d->fm);
	err = lut_engine_init(&d->e, &cfg);
	if (err) {
		free(d->base);
		return err;
	}
	return 0;
}

void tdev_fini(struct tdev *d)
{
	lut_engine_fini(d->e);
	free(d->base);
}

uint64_t tdev_alloc(struct tdev *d, uint64_t size, uint64_t align)
{
	uint64_t at = (d->brk + align - 1) / align * align;

	if (at + size > d->size)
		abort(); /* a test bug: give the device more memory */
	memset(d->base + at, 0xcd, size);
	d->brk = at + size;
	return TDEV_VA + at;
}

uint64_t tdev_put(struct tdev *d, const void *src, uint64_t size, uint64_t align)
{
	uint64_t va = tdev_alloc(d, size, align);

	memcpy(tdev_ptr(d, va), src, size);
	return va;
}

void *tdev_ptr(struct tdev *d, uint64_t va)
{
	return d->base + (va - TDEV_VA);
}

void tdev_reset(struct tdev *d)
{
	d->brk = 0;
}

int tdev_run(struct tdev *d, const void *insns, uint32_t count, struct lut_exec_result *res)
{
	uint64_t size = (uint64_t)count * LUTC_INSN_SIZE;
	uint64_t va = tdev_put(d, insns, size, LUTC_INSN_SIZE);

	return lut_engine_run(d->e, &d->mem, va, size, res);
}

static uint64_t trand_state, trand_first;

void trand_seed(uint64_t seed)
{
	const char *env = getenv("LUTCORE_TEST_SEED");

	if (env)
		seed = strtoull(env, NULL, 0);
	trand_first = seed;
	trand_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t trand_seed_used(void)
{
	return trand_first;
}

uint32_t trand(void)
{
	trand_state ^= trand_state >> 12;
	trand_state ^= trand_state << 25;
	trand_state ^= trand_state >> 27;
	return (uint32_t)((trand_state * 0x2545f4914f6cdd1dull) >> 32);
}

uint32_t trand_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(((uint64_t)trand() * (hi - lo + 1)) >> 32);
}

float trand_float(float lo, float hi)
{
	return lo + (hi - lo) * (float)(trand() >> 8) * (1.0f / 16777216.0f);
}

float trand_normal(void)
{
	float u = trand_float(1e-7f, 1.0f), v = trand_float(0.0f, 1.0f);

	return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}
