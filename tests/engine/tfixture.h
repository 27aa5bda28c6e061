/* SPDX-License-Identifier: MIT */
/*
 * The engine fixture of the instruction tests: every TEST_F runs once per
 * engine variant (portable kernels, AVX2 kernels, two threads, and three
 * threads over memory split into 4 KiB runs). Include after
 * kselftest_harness.h. The AVX2 variants report SKIP where the engine does
 * not use its AVX2 kernels (no AVX2 on the host, or
 * LUTCORE_ENGINE_PORTABLE=1): they would only repeat the portable ones.
 */
#ifndef LUTCORE_TEST_TFIXTURE_H
#define LUTCORE_TEST_TFIXTURE_H

#include "tutil.h"

#define TDEV_MEM (96u << 20)

FIXTURE(engine)
{
	struct tdev d;
};

FIXTURE_VARIANT(engine)
{
	int portable;
	uint32_t threads;
	uint64_t max_run;
};

FIXTURE_VARIANT_ADD(engine, portable){
	.portable = 1,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(engine, avx2){
	.portable = 0,
	.threads = 1,
};

FIXTURE_VARIANT_ADD(engine, avx2_2threads){
	.portable = 0,
	.threads = 2,
};

FIXTURE_VARIANT_ADD(engine, portable_3threads_paged){
	.portable = 1,
	.threads = 3,
	.max_run = 4096,
};

FIXTURE_SETUP(engine)
{
	struct tdev_variant v = {
		.portable = variant->portable,
		.threads = variant->threads,
		.max_run = variant->max_run,
	};

	trand_seed(0x5eed0000u + variant->threads * 7 + variant->portable);
	ASSERT_EQ(0, tdev_init(&self->d, TDEV_MEM, &v));
	if (!variant->portable && !lut_engine_uses_avx2(self->d.e)) {
		/* Teardown does not run after a skipped setup. */
		tdev_fini(&self->d);
		SKIP(return, "AVX2 kernels not in use (no AVX2, or LUTCORE_ENGINE_PORTABLE=1)");
	}
}

FIXTURE_TEARDOWN(engine)
{
	tdev_fini(&self->d);
}

#endif /* LUTCORE_TEST_TFIXTURE_H */
