// SPDX-License-Identifier: MIT
/*
 * Cycle model tests: the LMMA formula, the per-instruction roofline, and
 * the Peak and Density columns of Table 1 of the LUT Tensor Core paper for
 * A100-LUT-4X, A100-LUT-8X and H100-LUT-8X (W_INT2, 4 tensor cores per
 * SM, all normalized to 1.41 GHz).
 *
 * How "exactly" is meant: the paper's printed inputs are rounded, so the
 * test reproduces each printed figure to the digits the paper prints, from
 * the cycle model alone.
 *  - Per-core MACs per cycle are exact integers.
 *  - Peak: the paper derives the A100 rows from the A100 INT8 tensor-core
 *    peak it prints (624 TOPs) times the MAC ratio of the LUT array to the
 *    INT8 array. The test computes both from the model: the INT8 array
 *    (512 MACs/cycle/TC, i.e. X = B) gives 623.7 TOPs, printed 624, and
 *    the ratio is 2 (4X) or 4 (8X): 1248 and 2496. The clock alone gives
 *    1247.5 and 2495.0. The H100 row is the model's absolute peak rounded
 *    to TOPs (3049.4 -> 3049).
 *  - Density = Peak / (area per SM x SMs). Area and density are printed
 *    with three and two decimals, so the test checks that some area that
 *    rounds to the printed one and the reproduced peak give a density that
 *    rounds to the printed one: the intervals must overlap.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "tutil.h"

static struct lut_engine_config paper_cfg(uint32_t sms, uint32_t mult)
{
	struct lut_engine_config c;

	lut_engine_config_default(&c);
	c.cores = sms * 4; /* one LUT array per tensor core, 4 per SM */
	c.array_mult = mult;
	c.clock_mhz = 1410;
	return c;
}

TEST(lmma_cycle_formula)
{
	struct lut_engine_config c;
	static const struct {
		uint32_t m, n, k, planes, mult;
		uint64_t want;
	} cases[] = {
		{1, 64, 4, 1, 1, 1},
		{2, 64, 4, 1, 1, 1},
		{3, 64, 4, 1, 1, 2},
		{1, 65, 4, 1, 1, 2},
		{1, 64, 5, 1, 1, 2},
		{1, 4096, 4096, 2, 1, 131072},
		{64, 4096, 4096, 2, 1, 4194304},
		{1, 4096, 4096, 2, 4, 32768},
		{1, 64, 4, 3, 4, 1},
		{2048, 27648, 5120, 2, 4, 1024ull * 432 * 1280 * 2 / 4},
	};
	uint32_t i;

	lut_engine_config_default(&c);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		c.array_mult = cases[i].mult;
		ASSERT_EQ(cases[i].want,
			  lut_cycles_lmma(&c, cases[i].m, cases[i].n, cases[i].k, cases[i].planes))
		{
			TH_LOG("case %u", i);
		}
	}
}

/* The cycles an instruction reports: issue + max(compute, bytes / bw). */
TEST(instruction_roofline)
{
	struct lut_engine_config c;
	struct lut_engine *e;
	struct tdev_variant v = {.portable = 1, .threads = 1};
	struct tdev d;
	struct lut_exec_result res;
	struct lutc_lmma l = {.op = LUTC_OP_LMMA,
			      .table_dtype = LUTC_DT_I16,
			      .wfmt = LUTC_WF_INT4,
			      .acc_dtype = LUTC_DT_I32,
			      .m = 8,
			      .n = 256,
			      .k = 1024};
	uint64_t bytes, array;

	ASSERT_EQ(0, tdev_init(&d, 8 << 20, &v));
	l.table = tdev_alloc(&d, lutc_table_bytes(8, 1024, LUTC_DT_I16), 64);
	memset(tdev_ptr(&d, l.table), 0, lutc_table_bytes(8, 1024, LUTC_DT_I16));
	l.weights = tdev_alloc(&d, lutc_weight_bytes(256, 1024, LUTC_WF_INT4), 64);
	l.acc = tdev_alloc(&d, 8 * 256 * 4, 64);
	bytes = lutc_table_bytes(8, 1024, LUTC_DT_I16) + lutc_weight_bytes(256, 1024, 4) +
		8 * 256 * 4;
	array = 4 * 4 * 256 * 4; /* ceil(8/2) ceil(256/64) ceil(1024/4) 4 */
	/* Compute-bound: a wide memory. */
	lut_engine_config_default(&c);
	c.mem_bytes_per_cycle = 1 << 20;
	ASSERT_EQ(0, lut_engine_init(&e, &c));
	memset(&res, 0, sizeof(res));
	ASSERT_EQ(0, lut_engine_exec(e, &d.mem, &l, &res));
	ASSERT_EQ(c.insn_overhead + array, res.cycles);
	ASSERT_EQ(bytes, res.bytes_read + res.bytes_written);
	lut_engine_fini(e);
	/* Memory-bound: one byte per cycle. */
	c.mem_bytes_per_cycle = 1;
	ASSERT_EQ(0, lut_engine_init(&e, &c));
	memset(&res, 0, sizeof(res));
	ASSERT_EQ(0, lut_engine_exec(e, &d.mem, &l, &res));
	ASSERT_EQ(c.insn_overhead + bytes, res.cycles);
	lut_engine_fini(e);
	tdev_fini(&d);
}

struct table1_row {
	const char *name;
	uint32_t sms, mult;
	double peak_tops; /* printed Peak */
	double area_mm2;  /* printed TC area per SM, three decimals */
	double density;	  /* printed TOPs/mm^2, two decimals */
	int a100;	  /* Peak derived from the A100 INT8 row */
};

static const struct table1_row table1[] = {
	{"A100-LUT-4X", 108, 4, 1248, 0.187, 61.84, 1},
	{"A100-LUT-8X", 108, 8, 2496, 0.373, 61.95, 1},
	{"H100-LUT-8X", 132, 8, 3049, 0.909, 25.40, 0},
};

/* Table 1's A100 INT8 tensor core: 512 MACs/cycle, the model with X = B. */
#define A100_INT8_PEAK_TOPS 624.0

/* The paper's Peak for a row, computed from the model as the paper does. */
static double table1_peak(const struct table1_row *r)
{
	struct lut_engine_config c = paper_cfg(r->sms, r->mult);
	struct lut_engine_config int8 = paper_cfg(r->sms, 2);

	if (!r->a100)
		return round(lut_peak_ops(&c, 2) / 1e12);
	return round(lut_peak_ops(&int8, 2) / 1e12) *
	       (lut_macs_per_cycle(&c, 2) / lut_macs_per_cycle(&int8, 2));
}

/* Whether a density and an area, both rounded, fit one unrounded pair. */
static int density_consistent(double peak, const struct table1_row *r)
{
	double lo = peak / ((r->area_mm2 + 0.0005) * r->sms);
	double hi = peak / ((r->area_mm2 - 0.0005) * r->sms);

	return lo <= r->density + 0.005 && hi >= r->density - 0.005;
}

TEST(paper_table1_peak_and_density)
{
	struct lut_engine_config int8 = paper_cfg(108, 2);
	uint32_t i;

	/* The baseline the A100 rows scale: 623.7 TOPs, printed 624. */
	ASSERT_EQ(A100_INT8_PEAK_TOPS, round(lut_peak_ops(&int8, 2) / 1e12));
	for (i = 0; i < ARRAY_SIZE(table1); i++) {
		const struct table1_row *r = &table1[i];
		struct lut_engine_config c = paper_cfg(r->sms, r->mult);
		double peak = table1_peak(r);

		/* M2N64K4 = 512 MACs per plane step, X arrays, 2 planes. */
		ASSERT_EQ(512.0 * r->mult / 2, lut_macs_per_cycle(&c, 2));
		ASSERT_EQ(r->peak_tops, peak)
		{
			TH_LOG("%s: model peak %.2f TOPs", r->name, lut_peak_ops(&c, 2) / 1e12);
		}
		ASSERT_TRUE(density_consistent(peak, r))
		{
			TH_LOG("%s: %.0f TOPs over %.3f mm^2 x %u SMs is %.3f, printed %.2f",
			       r->name, peak, r->area_mm2, r->sms, peak / (r->area_mm2 * r->sms),
			       r->density);
		}
	}
}

/* The density check rejects a peak 1 % off, so it is not vacuous. */
TEST(paper_table1_density_check_discriminates)
{
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(table1); i++) {
		ASSERT_FALSE(density_consistent(table1[i].peak_tops * 1.01, &table1[i]));
		ASSERT_FALSE(density_consistent(table1[i].peak_tops * 0.99, &table1[i]));
	}
}

TEST_HARNESS_MAIN
