// SPDX-License-Identifier: MIT
/*
 * LMMA tests: the lookup-accumulate against the naive reference, on its
 * own (tables given directly) for every weight format and table type.
 *
 * Integer tables must match exactly; float tables within the binary32
 * accumulation bound 8 sqrt(lookups) 2^-24 times the sum of the looked-up
 * magnitudes (docs/isa.md, "Numerics").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "lutcore/pack.h"
#include "ref.h"
#include "tfixture.h"

/* m = 1, odd m, n not a multiple of 64, k not a multiple of 4 or the group. */
static const struct {
	uint32_t m, n, k;
} shapes[] = {
	{1, 1, 1},    {1, 64, 4},    {1, 65, 7},     {3, 130, 36},
	{2, 64, 256}, {5, 100, 130}, {1, 200, 1000}, {9, 33, 68},
};

static const uint32_t wfmts[] = {LUTC_WF_INT1, LUTC_WF_INT2, LUTC_WF_INT3, LUTC_WF_INT4,
				 LUTC_WF_TERNARY};

static uint8_t *rand_codes(uint32_t n, uint32_t k, uint32_t wfmt)
{
	uint32_t hi = wfmt == LUTC_WF_TERNARY ? 2 : (1u << wfmt) - 1;
	uint8_t *c = malloc((size_t)n * k);
	size_t i;

	for (i = 0; i < (size_t)n * k; i++)
		c[i] = (uint8_t)trand_range(0, hi);
	return c;
}

/* Pack codes into device memory; returns the VA. */
static uint64_t put_weights(struct tdev *d, const uint8_t *codes, uint32_t n, uint32_t k,
			    uint32_t wfmt)
{
	size_t sz = lutcore_packed_size(n, k, wfmt);
	uint64_t va = tdev_alloc(d, sz, LUTC_WEIGHT_ALIGN);

	if (lutcore_pack_codes(tdev_ptr(d, va), codes, n, k, wfmt))
		abort();
	return va;
}

/*
 * Random table entries of type dt into device memory; val gets the values
 * the device holds. Integer entries stay inside the LMMA's saturation
 * range (tested separately).
 */
static uint64_t put_tables(struct tdev *d, uint32_t dt, size_t count, double *val)
{
	uint32_t sz = lutc_dtype_size(dt);
	uint64_t va = tdev_alloc(d, count * sz, sz);
	uint8_t *p = tdev_ptr(d, va);
	size_t i;

	for (i = 0; i < count; i++) {
		float f = trand_float(-4.0f, 4.0f);
		int16_t s16 = (int16_t)trand_range(0, 1024) - 512;
		int8_t s8 = (int8_t)((int)trand_range(0, 254) - 127);
		uint16_t h = ref_f16_bits(f);

		switch (dt) {
		case LUTC_DT_F32:
			memcpy(p + 4 * i, &f, 4);
			val[i] = f;
			break;
		case LUTC_DT_F16:
			memcpy(p + 2 * i, &h, 2);
			val[i] = ref_from_f16_bits(h);
			break;
		case LUTC_DT_I16:
			memcpy(p + 2 * i, &s16, 2);
			val[i] = s16;
			break;
		default:
			p[i] = (uint8_t)s8;
			val[i] = s8;
		}
	}
	return va;
}

/* The plane bits of every (row, 4-group, plane), computed once per case. */
static uint8_t *group_bits(const uint8_t *codes, uint32_t n, uint32_t k, uint32_t wfmt)
{
	uint32_t k4 = (k + 3) / 4, p = ref_planes(wfmt), r, j, b;
	uint8_t *bits = malloc((size_t)n * k4 * p);

	for (r = 0; r < n; r++)
		for (j = 0; j < k4; j++)
			for (b = 0; b < p; b++)
				bits[((size_t)r * k4 + j) * p + b] =
					(uint8_t)ref_group_bits(codes, k, r, j, b, wfmt);
	return bits;
}

/* Lookup sum of row mi against weight row ni over 4-groups [j0, j1). */
static double ref_psum(const double *tab, uint32_t k4, const uint8_t *bits, uint32_t wfmt,
		       uint32_t mi, uint32_t ni, uint32_t j0, uint32_t j1, double *mag)
{
	uint32_t p = ref_planes(wfmt), j, b;
	double s = 0.0, g = 0.0;

	for (j = j0; j < j1; j++) {
		for (b = 0; b < p; b++) {
			double v = ref_plane_weight(b, wfmt) *
				   ref_lookup(tab + ((size_t)mi * k4 + j) * 8,
					      bits[((size_t)ni * k4 + j) * p + b]);

			s += v;
			g += fabs(v);
		}
	}
	if (mag)
		*mag = g;
	return s;
}

static int run_one(struct tdev *d, const void *insn)
{
	struct lut_exec_result res;

	return tdev_run(d, insn, 1, &res);
}

TEST_F(engine, lmma_int_exact)
{
	static const uint32_t tabs[] = {LUTC_DT_I8, LUTC_DT_I16};
	uint32_t s, w, t, accum;

	for (s = 0; s < ARRAY_SIZE(shapes); s++)
		for (w = 0; w < ARRAY_SIZE(wfmts); w++)
			for (t = 0; t < 2; t++)
				for (accum = 0; accum < 2; accum++) {
					uint32_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
					uint32_t k4 = (k + 3) / 4, wf = wfmts[w], i, j;
					uint8_t *codes = rand_codes(n, k, wf), *bits;
					double *tab = malloc(sizeof(double) * m * k4 * 8);
					int32_t *acc, *init = malloc(4 * (size_t)m * n);
					struct lutc_lmma l = {
						.op = LUTC_OP_LMMA,
						.table_dtype = (uint8_t)tabs[t],
						.wfmt = (uint8_t)wf,
						.acc_dtype = LUTC_DT_I32,
						.flags = accum ? LUTC_MM_ACCUMULATE : 0,
						.m = m,
						.n = n,
						.k = k,
					};

					tdev_reset(&self->d);
					l.weights = put_weights(&self->d, codes, n, k, wf);
					l.table = put_tables(&self->d, tabs[t], (size_t)m * k4 * 8,
							     tab);
					for (i = 0; i < m * n; i++)
						init[i] = (int32_t)trand();
					l.acc = tdev_put(&self->d, init, 4 * (size_t)m * n, 4);
					ASSERT_EQ(0, run_one(&self->d, &l));
					acc = tdev_ptr(&self->d, l.acc);
					bits = group_bits(codes, n, k, wf);
					for (i = 0; i < m; i++)
						for (j = 0; j < n; j++) {
							int64_t r = (int64_t)ref_psum(tab, k4, bits,
										      wf, i, j, 0,
										      k4, NULL);
							uint32_t want =
								(uint32_t)r +
								(accum ? (uint32_t)init[i * n + j]
								       : 0);

							ASSERT_EQ((int32_t)want, acc[i * n + j])
							{
								TH_LOG("shape %u wfmt %u table %u "
								       "(%u,%u)",
								       s, wf, tabs[t], i, j);
							}
						}
					free(codes);
					free(bits);
					free(tab);
					free(init);
				}
}

/* Options of the group stage, cycled through by case number. */
struct gs_opts {
	uint32_t group, flags, scale_dtype;
	float zero_imm;
};

static struct gs_opts gs_pick(uint32_t i, int int_tab)
{
	static const uint32_t groups[] = {0, 4, 32, 128, 12};
	struct gs_opts o = {.group = groups[i % 5]};
	uint32_t zero = (i / 5) % 3;

	o.flags = LUTC_MM_WSCALE;
	if ((i / 15) % 2)
		o.flags |= LUTC_MM_PER_CHANNEL;
	if (zero == 1)
		o.flags |= LUTC_MM_WZERO;
	if (zero == 2) {
		o.flags |= LUTC_MM_WZERO_IMM;
		o.zero_imm = trand_float(-3.0f, 3.0f);
	}
	if (i % 2)
		o.flags |= LUTC_MM_ACCUMULATE;
	if (int_tab)
		o.flags |= LUTC_MM_TSCALE;
	o.scale_dtype = (i / 3) % 2 ? LUTC_DT_F16 : LUTC_DT_F32;
	return o;
}

/* Random positive scales (or zero points) of dtype dt; val the held values. */
static uint64_t put_side(struct tdev *d, uint32_t dt, size_t count, float lo, float hi, float *val)
{
	uint64_t va = tdev_alloc(d, count * lutc_dtype_size(dt), lutc_dtype_size(dt));
	uint8_t *p = tdev_ptr(d, va);
	size_t i;

	for (i = 0; i < count; i++) {
		float f = trand_float(lo, hi);

		if (dt == LUTC_DT_F16) {
			uint16_t h = ref_f16_bits(f);

			memcpy(p + 2 * i, &h, 2);
			f = ref_from_f16_bits(h);
		} else {
			memcpy(p + 4 * i, &f, 4);
		}
		val[i] = f;
	}
	return va;
}

struct gs_case {
	uint32_t m, n, k, wfmt, table;
	struct gs_opts o;
};

/* Run one F32-accumulating LMMA with a group stage; returns failures. */
static int check_group_stage(struct __test_metadata *_metadata, struct tdev *d,
			     const struct gs_case *c)
{
	uint32_t m = c->m, n = c->n, k = c->k, k4 = (k + 3) / 4, i, j, g, bad = 0;
	uint32_t ng = lutc_ngroups(k, c->o.group), gk4 = c->o.group ? c->o.group / 4 : k4;
	uint32_t nside = c->o.flags & LUTC_MM_PER_CHANNEL ? n : ng * n, f = c->o.flags;
	uint8_t *codes = rand_codes(n, k, c->wfmt), *bits = group_bits(codes, n, k, c->wfmt);
	double *tab = malloc(sizeof(double) * m * k4 * 8);
	float *ws = malloc(4 * nside), *wz = malloc(4 * nside), *init = malloc(4 * (size_t)m * n);
	float *ts = malloc(4 * (size_t)m * ng), *as = malloc(4 * (size_t)m * ng), *acc;
	struct lutc_lmma l = {
		.op = LUTC_OP_LMMA,
		.table_dtype = (uint8_t)c->table,
		.wfmt = (uint8_t)c->wfmt,
		.acc_dtype = LUTC_DT_F32,
		.flags = f,
		.m = m,
		.n = n,
		.k = k,
		.group = c->o.group,
		.scale_dtype = (uint8_t)c->o.scale_dtype,
		.zero_imm = c->o.zero_imm,
	};

	tdev_reset(d);
	l.weights = put_weights(d, codes, n, k, c->wfmt);
	l.table = put_tables(d, c->table, (size_t)m * k4 * 8, tab);
	l.wscale = put_side(d, c->o.scale_dtype, nside, 0.01f, 2.0f, ws);
	if (f & LUTC_MM_WZERO)
		l.wzero = put_side(d, c->o.scale_dtype, nside, -8.0f, 8.0f, wz);
	if (f & (LUTC_MM_WZERO | LUTC_MM_WZERO_IMM))
		l.asum = put_side(d, LUTC_DT_F32, (size_t)m * ng, -20.0f, 20.0f, as);
	if (f & LUTC_MM_TSCALE)
		l.tscale = put_side(d, LUTC_DT_F32, (size_t)m * ng, 0.001f, 0.1f, ts);
	for (i = 0; i < m * n; i++)
		init[i] = trand_float(-10.0f, 10.0f);
	l.acc = tdev_put(d, init, 4 * (size_t)m * n, 4);
	EXPECT_EQ(0, run_one(d, &l));
	acc = tdev_ptr(d, l.acc);
	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			double want = f & LUTC_MM_ACCUMULATE ? init[i * n + j] : 0.0;
			double mag = fabs(want), tol;

			for (g = 0; g < ng; g++) {
				uint32_t j1 = (g + 1) * gk4 < k4 ? (g + 1) * gk4 : k4, si;
				double pm, p = ref_psum(tab, k4, bits, c->wfmt, i, j, g * gk4, j1,
							&pm);
				double t = f & LUTC_MM_TSCALE ? ts[i * ng + g] : 1.0, z = 0.0;

				si = f & LUTC_MM_PER_CHANNEL ? j : g * n + j;
				if (f & (LUTC_MM_WZERO | LUTC_MM_WZERO_IMM))
					z = (f & LUTC_MM_WZERO ? wz[si] : c->o.zero_imm) *
					    as[i * ng + g];
				want += ws[si] * (t * p - z);
				mag += fabs(ws[si]) * (fabs(t) * pm + fabs(z));
			}
			tol = 8.0 * sqrt(k4 * 4.0 + 4.0 * ng) * ldexp(1.0, -24) * mag + 1e-30;
			if (fabs(acc[i * n + j] - want) > tol && bad++ < 4)
				TH_LOG("m %u n %u k %u wfmt %u table %u group %u flags %#x: "
				       "(%u,%u) got %.9g want %.9g tol %.3g",
				       m, n, k, c->wfmt, c->table, c->o.group, f, i, j,
				       acc[i * n + j], want, tol);
		}
	}
	free(codes);
	free(bits);
	free(tab);
	free(ws);
	free(wz);
	free(init);
	free(ts);
	free(as);
	return (int)bad;
}

TEST_F(engine, lmma_group_stage)
{
	static const uint32_t tabs[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_I8, LUTC_DT_I16};
	uint32_t s, w, t, i = 0;

	for (s = 0; s < ARRAY_SIZE(shapes); s++)
		for (w = 0; w < ARRAY_SIZE(wfmts); w++)
			for (t = 0; t < ARRAY_SIZE(tabs); t++, i++) {
				struct gs_case c = {
					.m = shapes[s].m,
					.n = shapes[s].n,
					.k = shapes[s].k,
					.wfmt = wfmts[w],
					.table = tabs[t],
					.o = gs_pick(i * 7 + s, tabs[t] >= LUTC_DT_I8),
				};

				ASSERT_EQ(0, check_group_stage(_metadata, &self->d, &c));
			}
}

/* Every option of the group stage on one shape. */
TEST_F(engine, lmma_group_stage_options)
{
	uint32_t i;

	for (i = 0; i < 60; i++) {
		struct gs_case c = {
			.m = 3,
			.n = 70,
			.k = 260,
			.wfmt = wfmts[i % 5],
			.table = i % 4 < 2 ? LUTC_DT_F32 : LUTC_DT_I8,
			.o = gs_pick(i, i % 4 >= 2),
		};

		ASSERT_EQ(0, check_group_stage(_metadata, &self->d, &c));
	}
}

/*
 * Extreme tables: every entry at the saturation limit, 4-bit weights and a
 * long k, so that a 16-bit partial sum would overflow without widening.
 * Out-of-range entries saturate (I8: -128 reads as -127; I16: +-512).
 */
TEST_F(engine, lmma_extremes_and_saturation)
{
	static const struct {
		uint32_t dt;
		int32_t stored, limit;
	} cases[] = {
		{LUTC_DT_I8, 127, 127},	    {LUTC_DT_I8, -127, 127},  {LUTC_DT_I8, -128, 127},
		{LUTC_DT_I16, 512, 512},    {LUTC_DT_I16, -512, 512}, {LUTC_DT_I16, 30000, 512},
		{LUTC_DT_I16, -32768, 512},
	};
	uint32_t c, n = 64, k = 4096, k4 = k / 4, i, j;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		uint32_t sz = lutc_dtype_size(cases[c].dt);
		uint8_t *codes = malloc((size_t)n * k), *tp, *bits;
		double *tab = malloc(sizeof(double) * k4 * 8);
		int32_t v = cases[c].stored, *acc;
		struct lutc_lmma l = {
			.op = LUTC_OP_LMMA,
			.table_dtype = (uint8_t)cases[c].dt,
			.wfmt = LUTC_WF_INT4,
			.acc_dtype = LUTC_DT_I32,
			.m = 1,
			.n = n,
			.k = k,
		};

		tdev_reset(&self->d);
		/* All-ones or all-zeros codes make every plane hit the same entry. */
		for (i = 0; i < n * k; i++)
			codes[i] = (i / k) % 2 ? 15 : 0;
		l.weights = put_weights(&self->d, codes, n, k, LUTC_WF_INT4);
		l.table = tdev_alloc(&self->d, (size_t)k4 * 8 * sz, sz);
		tp = tdev_ptr(&self->d, l.table);
		for (i = 0; i < k4 * 8; i++) {
			if (sz == 1)
				tp[i] = (uint8_t)(int8_t)v;
			else
				memcpy(tp + 2 * i, &(int16_t){(int16_t)v}, 2);
			tab[i] = v < -cases[c].limit ? -cases[c].limit
						     : (v > cases[c].limit ? cases[c].limit : v);
		}
		l.acc = tdev_alloc(&self->d, 4 * n, 4);
		ASSERT_EQ(0, run_one(&self->d, &l));
		acc = tdev_ptr(&self->d, l.acc);
		bits = group_bits(codes, n, k, LUTC_WF_INT4);
		for (j = 0; j < n; j++)
			ASSERT_EQ((int32_t)ref_psum(tab, k4, bits, LUTC_WF_INT4, 0, j, 0, k4, NULL),
				  acc[j])
			{
				TH_LOG("case %u row %u", c, j);
			}
		free(bits);
		free(codes);
		free(tab);
	}
}

TEST_HARNESS_MAIN

/*
 * The portable and AVX2 kernels compute bit-identical results, also on the
 * float paths (same accumulation order, no fused multiply-adds), so the
 * device's results do not depend on the host CPU.
 */
TEST(portable_and_avx2_bit_identical)
{
	static const uint32_t tabs[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_I8, LUTC_DT_I16};
	struct tdev_variant vp = {.portable = 1, .threads = 1}, va = {.threads = 2};
	struct tdev dp, da;
	uint32_t t, w;

	ASSERT_EQ(0, tdev_init(&dp, 8 << 20, &vp));
	ASSERT_EQ(0, tdev_init(&da, 8 << 20, &va));
	if (!lut_engine_uses_avx2(da.e)) {
		tdev_fini(&dp);
		tdev_fini(&da);
		SKIP(return, "no AVX2 on this host (or LUTCORE_ENGINE_PORTABLE=1)");
	}
	trand_seed(99);
	for (t = 0; t < ARRAY_SIZE(tabs); t++)
		for (w = LUTC_WF_INT1; w <= LUTC_WF_TERNARY; w++) {
			struct gs_case c = {.m = 3,
					    .n = 130,
					    .k = 1000,
					    .wfmt = w,
					    .table = tabs[t],
					    .o = gs_pick(t * 5 + w, tabs[t] >= LUTC_DT_I8)};
			struct lut_exec_result res;
			union lutc_insn in;
			uint64_t acc;

			/*
			 * Build and check the case on the portable engine; its
			 * descriptor is the last thing in memory. Then run it
			 * again on two identical copies of that memory.
			 */
			tdev_reset(&dp);
			ASSERT_EQ(0, check_group_stage(_metadata, &dp, &c));
			memcpy(&in, tdev_ptr(&dp, TDEV_VA + dp.brk - LUTC_INSN_SIZE), sizeof(in));
			memcpy(da.base, dp.base, dp.brk);
			da.brk = dp.brk;
			acc = in.lmma.acc;
			ASSERT_EQ(0, tdev_run(&da, &in, 1, &res));
			ASSERT_EQ(0, tdev_run(&dp, &in, 1, &res));
			ASSERT_EQ(0,
				  memcmp(tdev_ptr(&dp, acc), tdev_ptr(&da, acc), 4ull * c.m * c.n))
			{
				TH_LOG("table %u wfmt %u", tabs[t], w);
			}
		}
	tdev_fini(&dp);
	tdev_fini(&da);
}
