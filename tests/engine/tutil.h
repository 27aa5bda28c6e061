/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the engine tests: a flat device memory with a bump
 * allocator, one engine per test variant, stream execution and random
 * data. Checks themselves stay in the tests (kselftest harness).
 */
#ifndef LUTCORE_TEST_TUTIL_H
#define LUTCORE_TEST_TUTIL_H

#include <stdint.h>
#include "engine/lut_engine.h"

/* Device VAs start here, so that small addresses (and 0) fault. */
#define TDEV_VA 0x10000000ull

/*
 * Engine variants every instruction test runs under: the portable kernels,
 * the AVX2 kernels (skipped where the engine does not use them, see
 * tfixture.h), several threads, and memory split into 4 KiB runs so that
 * operands are bounced.
 */
struct tdev_variant {
	int portable;
	uint32_t threads;
	uint64_t max_run;
};

struct tdev {
	struct lut_engine *e;
	struct lut_flat_mem fm;
	struct lut_mem mem;
	uint8_t *base;
	uint64_t size, brk;
};

int tdev_init(struct tdev *d, uint64_t size, const struct tdev_variant *v);
void tdev_fini(struct tdev *d);
/* Allocate device memory filled with a 0xcd pattern; returns its VA. */
uint64_t tdev_alloc(struct tdev *d, uint64_t size, uint64_t align);
uint64_t tdev_put(struct tdev *d, const void *src, uint64_t size, uint64_t align);
void *tdev_ptr(struct tdev *d, uint64_t va);
/* Reset the allocator (all allocations are forgotten). */
void tdev_reset(struct tdev *d);
/* Copy count descriptors into device memory and run them as one stream. */
int tdev_run(struct tdev *d, const void *insns, uint32_t count, struct lut_exec_result *res);

/* ---- Random data (xorshift64*, seeded from LUTCORE_TEST_SEED) ---- */

void trand_seed(uint64_t seed);
uint64_t trand_seed_used(void);
uint32_t trand(void);
uint32_t trand_range(uint32_t lo, uint32_t hi); /* inclusive */
float trand_float(float lo, float hi);
float trand_normal(void);

#endif /* LUTCORE_TEST_TUTIL_H */
