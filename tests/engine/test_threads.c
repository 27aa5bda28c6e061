// SPDX-License-Identifier: MIT
/*
 * The engine's worker pool (threads.c, an internal interface): every item
 * runs exactly once, all workers take part, an abort drains the rest, and
 * back-to-back jobs (a decode stream's pattern) keep working.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "engine/lut_engine_int.h"

struct job {
	atomic_uint *runs;
	atomic_uint by_worker[8];
	atomic_bool *abort;
	uint32_t abort_at, sleep_us;
};

static void work(void *arg, uint32_t item, uint32_t worker)
{
	struct job *j = arg;

	atomic_fetch_add(&j->runs[item], 1);
	atomic_fetch_add(&j->by_worker[worker], 1);
	if (j->sleep_us)
		usleep(j->sleep_us);
	if (j->abort && item == j->abort_at)
		atomic_store(j->abort, true);
}

TEST(every_item_once)
{
	static const uint32_t counts[] = {0, 1, 2, 7, 1000};
	atomic_bool abort = false;
	uint32_t t, c, i, round;

	for (t = 1; t <= 3; t++) {
		struct lut_pool *p;

		ASSERT_EQ(0, lut_pool_init(&p, t, &abort));
		ASSERT_EQ(t, lut_pool_threads(p));
		for (round = 0; round < 50; round++) {
			for (c = 0; c < ARRAY_SIZE(counts); c++) {
				struct job j = {.runs = calloc(counts[c] + 1, sizeof(atomic_uint))};

				lut_pool_run(p, counts[c], work, &j);
				for (i = 0; i < counts[c]; i++)
					ASSERT_EQ(1u, atomic_load(&j.runs[i]));
				free(j.runs);
			}
		}
		lut_pool_fini(p);
	}
}

TEST(all_workers_take_part)
{
	atomic_bool abort = false;
	struct job j = {.sleep_us = 200};
	struct lut_pool *p;
	uint32_t w;

	j.runs = calloc(200, sizeof(atomic_uint));
	ASSERT_EQ(0, lut_pool_init(&p, 3, &abort));
	lut_pool_run(p, 200, work, &j);
	for (w = 0; w < 3; w++)
		ASSERT_GT(atomic_load(&j.by_worker[w]), 0u);
	lut_pool_fini(p);
	free(j.runs);
}

TEST(abort_drains_the_rest)
{
	atomic_bool abort = false;
	struct job j = {.abort = &abort, .abort_at = 10};
	struct lut_pool *p;
	uint32_t i, ran = 0;

	j.runs = calloc(1000, sizeof(atomic_uint));
	ASSERT_EQ(0, lut_pool_init(&p, 2, &abort));
	lut_pool_run(p, 1000, work, &j);
	for (i = 0; i < 1000; i++)
		ran += atomic_load(&j.runs[i]);
	ASSERT_LT(ran, 1000u);
	ASSERT_GT(ran, 10u);
	lut_pool_fini(p);
	free(j.runs);
}

TEST_HARNESS_MAIN
