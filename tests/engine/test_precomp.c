// SPDX-License-Identifier: MIT
/*
 * PRECOMP tests: tables, table scales and group sums against the naive
 * reference for every activation type, table type and option (fused
 * RMSNorm, per-token INT8 quantization, strides, k not a multiple of 4 or
 * of the group).
 *
 * Tolerances (docs/isa.md, "Numerics"): integer tables exactly; F32
 * entries within 8 ulp of the group's |a0|+|a1|+|a2|+|a3| (A); F16 entries
 * within 2^-11 A more; quantized I8 entries within 1 of the reference's
 * rounding, their scales within 1e-5 relative.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "ref.h"
#include "tfixture.h"

#define U32 (1.0 / 16777216.0) /* 2^-24 */

struct pc_case {
	uint32_t m, k, group, ld, act, table, flags;
};

/* What the reference computes for one case. */
struct pc_ref {
	double *a;	/* [m][kp] activations as used (normed, quantized) */
	double *ascale; /* [m] per-token scale (1 for float entries) */
	uint32_t kp, k4, ng, gk4;
};

/* Store float activations in the case's type; returns the values held. */
static uint64_t put_acts(struct tdev *d, const struct pc_case *c, double *held, float *ascale)
{
	uint32_t sz = lutc_dtype_size(c->act), ld = c->ld ? c->ld : c->k, i, j;
	uint64_t va = tdev_alloc(d, ((uint64_t)(c->m - 1) * ld + c->k) * sz, sz);
	uint8_t *p = tdev_ptr(d, va);

	for (i = 0; i < c->m; i++) {
		float amp = trand_float(0.1f, 10.0f);

		ascale[i] = trand_float(0.001f, 0.1f);
		for (j = 0; j < c->k; j++) {
			float f = amp * trand_normal();
			uint8_t *e = p + ((size_t)i * ld + j) * sz;
			int8_t q = (int8_t)((int)trand_range(0, 255) - 128);
			uint16_t h;

			if (c->act == LUTC_DT_I8) {
				*e = (uint8_t)q;
				f = q;
			} else if (c->act == LUTC_DT_F16) {
				h = ref_f16_bits(f);
				memcpy(e, &h, 2);
				f = ref_from_f16_bits(h);
			} else if (c->act == LUTC_DT_BF16) {
				h = ref_bf16_bits(f);
				memcpy(e, &h, 2);
				f = ref_from_bf16_bits(h);
			} else {
				memcpy(e, &f, 4);
			}
			held[(size_t)i * c->k + j] = f;
		}
	}
	return va;
}

/* The activations the tables are built from, per the reference. */
static void ref_prepare(const struct pc_case *c, const double *held, const float *ascale,
			const float *norm_w, float eps, struct pc_ref *r)
{
	uint32_t i, j;

	for (i = 0; i < c->m; i++) {
		double *a = r->a + (size_t)i * r->kp, w[c->k], amax = 0.0;

		memset(a, 0, sizeof(double) * r->kp);
		memcpy(a, held + (size_t)i * c->k, sizeof(double) * c->k);
		r->ascale[i] = c->act == LUTC_DT_I8 ? ascale[i] : 1.0;
		if (c->flags & LUTC_PRE_RMSNORM) {
			for (j = 0; j < c->k; j++)
				w[j] = norm_w[j];
			ref_rmsnorm(a, a, w, c->k, eps);
		}
		if (!(c->flags & LUTC_PRE_QUANT_ACT))
			continue;
		for (j = 0; j < c->k; j++)
			amax = fmax(amax, fabs(a[j]));
		for (j = 0; j < c->k; j++)
			a[j] = amax > 0 ? fmin(127.0, fmax(-127.0, rint(a[j] * 127.0 / amax)))
					: 0.0;
		r->ascale[i] = amax / 127.0;
	}
}

static double group_abs(const double *a)
{
	return fabs(a[0]) + fabs(a[1]) + fabs(a[2]) + fabs(a[3]);
}

/* Compare the table entries of row i, group g; returns mismatches. */
static int check_entries(struct __test_metadata *_metadata, const struct pc_case *c,
			 const struct pc_ref *r, const uint8_t *tab, const float *ts, uint32_t i,
			 uint32_t g)
{
	uint32_t j0 = g * r->gk4, j1 = j0 + r->gk4 < r->k4 ? j0 + r->gk4 : r->k4, j, e;
	int quant = c->table == LUTC_DT_I8, bad = 0;
	double amax = 0.0, slack = c->flags & LUTC_PRE_QUANT_ACT ? 4.0 : 0.0;

	for (j = j0; j < j1; j++)
		amax = fmax(amax, group_abs(r->a + (size_t)i * r->kp + 4 * j));
	if (ts) {
		double want = r->ascale[i] * (quant ? amax / 127.0 : 1.0), got = ts[i * r->ng + g];

		if (fabs(got - want) > 1e-5 * fabs(want) + 1e-30 + (slack ? 1e-2 * want : 0))
			bad++;
	}
	for (j = j0; j < j1; j++) {
		const double *a = r->a + (size_t)i * r->kp + 4 * j;
		double A = group_abs(a);

		for (e = 0; e < 8; e++) {
			size_t at = ((size_t)i * r->k4 + j) * 8 + e;
			double want = ref_table_entry(a, e), got, tol;
			int16_t v16;

			if (c->table == LUTC_DT_F32) {
				got = ref_f32_at(tab, at);
				tol = 8 * U32 * A + 2e-6 * A * !!(c->flags & LUTC_PRE_RMSNORM);
			} else if (c->table == LUTC_DT_F16) {
				memcpy(&v16, tab + 2 * at, 2);
				got = ref_from_f16_bits((uint16_t)v16);
				tol = ldexp(A, -11) + 8 * U32 * A + 2e-6 * A;
			} else if (c->table == LUTC_DT_I16) {
				memcpy(&v16, tab + 2 * at, 2);
				got = v16;
				tol = slack;
			} else {
				got = (int8_t)tab[at];
				want = amax > 0 ? rint(want * 127.0 / amax) : 0.0;
				tol = 1.0 + slack;
			}
			if (fabs(got - want) > tol && bad++ < 3)
				TH_LOG("act %u table %u flags %#x m %u k %u group %u: row %u "
				       "group %u entry %u: got %g want %g",
				       c->act, c->table, c->flags, c->m, c->k, c->group, i, j, e,
				       got, want);
		}
	}
	return bad;
}

static int check_asum(struct __test_metadata *_metadata, const struct pc_case *c,
		      const struct pc_ref *r, const float *asum, uint32_t i, uint32_t g)
{
	uint32_t k0 = g * r->gk4 * 4, k1 = k0 + r->gk4 * 4 < r->kp ? k0 + r->gk4 * 4 : r->kp, t;
	double want = 0.0, mag = 0.0, got = asum[i * r->ng + g];

	for (t = k0; t < k1; t++) {
		want += r->a[(size_t)i * r->kp + t];
		mag += fabs(r->a[(size_t)i * r->kp + t]);
	}
	want *= r->ascale[i];
	mag *= r->ascale[i];
	if (fabs(got - want) <= 1e-6 * mag + 1e-30 ||
	    (c->flags & LUTC_PRE_QUANT_ACT && fabs(got - want) <= 0.02 * mag))
		return 0;
	TH_LOG("asum act %u row %u group %u: got %g want %g", c->act, i, g, got, want);
	return 1;
}

static int run_case(struct __test_metadata *_metadata, struct tdev *d, const struct pc_case *c)
{
	uint32_t kp = (c->k + 3) / 4 * 4, i, g;
	struct pc_ref r = {.kp = kp, .k4 = kp / 4};
	int int_tab = c->table == LUTC_DT_I8 || c->table == LUTC_DT_I16, bad = 0;
	double *held = malloc(sizeof(double) * c->m * c->k);
	float *ascale = malloc(4 * c->m), *norm_w = malloc(4 * c->k), eps = 1e-5f;
	struct lutc_precomp p = {
		.op = LUTC_OP_PRECOMP,
		.act_dtype = (uint8_t)c->act,
		.table_dtype = (uint8_t)c->table,
		.flags = c->flags,
		.m = c->m,
		.k = c->k,
		.group = c->group,
		.act_ld = c->ld,
	};
	struct lut_exec_result res;

	r.ng = lutc_ngroups(c->k, c->group);
	r.gk4 = c->group ? c->group / 4 : r.k4;
	r.a = malloc(sizeof(double) * c->m * kp);
	r.ascale = malloc(sizeof(double) * c->m);
	tdev_reset(d);
	p.act = put_acts(d, c, held, ascale);
	if (c->act == LUTC_DT_I8)
		p.act_scale = tdev_put(d, ascale, 4 * c->m, 4);
	if (c->flags & LUTC_PRE_RMSNORM) {
		for (i = 0; i < c->k; i++)
			norm_w[i] = trand_float(0.5f, 1.5f);
		p.norm_w = tdev_put(d, norm_w, 4 * c->k, 4);
		p.eps = eps;
	}
	p.table = tdev_alloc(d, lutc_table_bytes(c->m, c->k, c->table), 4);
	if (int_tab)
		p.tscale = tdev_alloc(d, 4ull * c->m * r.ng, 4);
	if (c->flags & LUTC_PRE_ASUM)
		p.asum = tdev_alloc(d, 4ull * c->m * r.ng, 4);
	EXPECT_EQ(0, tdev_run(d, &p, 1, &res));
	ref_prepare(c, held, ascale, norm_w, eps, &r);
	for (i = 0; i < c->m; i++) {
		for (g = 0; g < r.ng; g++) {
			bad += check_entries(_metadata, c, &r, tdev_ptr(d, p.table),
					     int_tab ? tdev_ptr(d, p.tscale) : NULL, i, g);
			if (c->flags & LUTC_PRE_ASUM)
				bad += check_asum(_metadata, c, &r, tdev_ptr(d, p.asum), i, g);
		}
	}
	free(held);
	free(ascale);
	free(norm_w);
	free(r.a);
	free(r.ascale);
	return bad;
}

static const struct {
	uint32_t m, k, group, ld;
} pc_shapes[] = {
	{1, 4, 0, 0},	   {1, 7, 4, 0},      {3, 64, 32, 70}, {2, 130, 128, 0},
	{5, 257, 12, 300}, {1, 1000, 128, 0}, {4, 36, 0, 40},
};

static void sweep(struct __test_metadata *_metadata, struct tdev *d, const uint32_t *acts,
		  uint32_t nacts, const uint32_t *tabs, uint32_t ntabs, const uint32_t *flags,
		  uint32_t nflags)
{
	uint32_t s, a, t, f;

	for (s = 0; s < ARRAY_SIZE(pc_shapes); s++)
		for (a = 0; a < nacts; a++)
			for (t = 0; t < ntabs; t++)
				for (f = 0; f < nflags; f++) {
					struct pc_case c = {
						.m = pc_shapes[s].m,
						.k = pc_shapes[s].k,
						.group = pc_shapes[s].group,
						.ld = pc_shapes[s].ld,
						.act = acts[a],
						.table = tabs[t],
						.flags = flags[f],
					};

					ASSERT_EQ(0, run_case(_metadata, d, &c));
				}
}

TEST_F(engine, precomp_float_activations)
{
	static const uint32_t acts[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_BF16};
	static const uint32_t tabs[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_I8};
	static const uint32_t flags[] = {0, LUTC_PRE_ASUM, LUTC_PRE_RMSNORM | LUTC_PRE_ASUM};

	sweep(_metadata, &self->d, acts, 3, tabs, 3, flags, 3);
}

TEST_F(engine, precomp_int8_activations)
{
	static const uint32_t acts[] = {LUTC_DT_I8};
	static const uint32_t tabs[] = {LUTC_DT_I16, LUTC_DT_I8};
	static const uint32_t flags[] = {0, LUTC_PRE_ASUM};

	sweep(_metadata, &self->d, acts, 1, tabs, 2, flags, 2);
}

/* Per-token INT8 quantization of every float activation type. */
TEST_F(engine, precomp_quantize_activations)
{
	static const uint32_t acts[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_BF16};
	static const uint32_t tabs[] = {LUTC_DT_I16, LUTC_DT_I8};
	static const uint32_t flags[] = {LUTC_PRE_QUANT_ACT | LUTC_PRE_ASUM,
					 LUTC_PRE_QUANT_ACT | LUTC_PRE_RMSNORM,
					 LUTC_PRE_QUANT_ACT | LUTC_PRE_RMSNORM | LUTC_PRE_ASUM};

	sweep(_metadata, &self->d, acts, 3, tabs, 2, flags, 3);
}

/*
 * Quantization that must be exact: each row holds integers q in
 * [-127, 127] (one of them +-127) times a power of two, which every float
 * type stores exactly, so q = round(x 127 / amax) recovers them, the table
 * scale is the power of two, and I16 entries and group sums equal the
 * integer reference bit for bit.
 */
TEST_F(engine, precomp_quantize_exact_grid)
{
	static const uint32_t acts[] = {LUTC_DT_F16, LUTC_DT_BF16, LUTC_DT_F32};
	uint32_t m = 3, k = 70, group = 32, ng = lutc_ngroups(k, group), k4 = (k + 3) / 4;
	uint32_t a, i, j, e;

	for (a = 0; a < ARRAY_SIZE(acts); a++) {
		uint32_t sz = lutc_dtype_size(acts[a]);
		int16_t q[3][72];
		float unit[3];
		struct lutc_precomp p = {.op = LUTC_OP_PRECOMP,
					 .act_dtype = (uint8_t)acts[a],
					 .table_dtype = LUTC_DT_I16,
					 .flags = LUTC_PRE_QUANT_ACT | LUTC_PRE_ASUM,
					 .m = m,
					 .k = k,
					 .group = group};
		struct lut_exec_result res;
		const int16_t *tab;
		const float *ts, *as;
		uint8_t *x;

		tdev_reset(&self->d);
		p.act = tdev_alloc(&self->d, (size_t)m * k * sz, sz);
		x = tdev_ptr(&self->d, p.act);
		memset(q, 0, sizeof(q));
		for (i = 0; i < m; i++) {
			unit[i] = ldexpf(1.0f, (int)trand_range(0, 6) - 5);
			for (j = 0; j < k; j++)
				q[i][j] = (int16_t)((int)trand_range(0, 254) - 127);
			q[i][trand_range(0, k - 1)] = trand() & 1 ? 127 : -127;
			for (j = 0; j < k; j++) {
				float f = q[i][j] * unit[i];
				uint16_t h =
					acts[a] == LUTC_DT_F16 ? ref_f16_bits(f) : ref_bf16_bits(f);

				if (acts[a] == LUTC_DT_F32)
					memcpy(x + 4 * ((size_t)i * k + j), &f, 4);
				else
					memcpy(x + 2 * ((size_t)i * k + j), &h, 2);
			}
		}
		p.table = tdev_alloc(&self->d, lutc_table_bytes(m, k, LUTC_DT_I16), 2);
		p.tscale = tdev_alloc(&self->d, 4ull * m * ng, 4);
		p.asum = tdev_alloc(&self->d, 4ull * m * ng, 4);
		ASSERT_EQ(0, tdev_run(&self->d, &p, 1, &res));
		tab = tdev_ptr(&self->d, p.table);
		ts = tdev_ptr(&self->d, p.tscale);
		as = tdev_ptr(&self->d, p.asum);
		for (i = 0; i < m; i++) {
			for (j = 0; j < k4; j++) {
				double g4[4] = {q[i][4 * j], q[i][4 * j + 1], q[i][4 * j + 2],
						q[i][4 * j + 3]};

				for (e = 0; e < 8; e++)
					ASSERT_EQ(ref_table_entry(g4, e),
						  tab[((size_t)i * k4 + j) * 8 + e])
					{
						TH_LOG("act %u row %u group %u entry %u", acts[a],
						       i, j, e);
					}
			}
			for (j = 0; j < ng; j++) {
				int32_t sum = 0;
				uint32_t t;

				for (t = j * group; t < (j + 1) * group && t < k; t++)
					sum += q[i][t];
				ASSERT_EQ(unit[i], ts[i * ng + j]);
				ASSERT_EQ((float)sum * unit[i], as[i * ng + j]);
			}
		}
	}
}

/* The table layout by hand: one group, a = (1, 2, 4, 8), F32 entries. */
TEST_F(engine, precomp_known_table)
{
	static const float a[4] = {1, 2, 4, 8};
	/* T[j] = -8 + (+-1) + (+-2) + (+-4), j = (j2 j1 j0) picks the + signs. */
	static const float want[8] = {-15, -13, -11, -9, -7, -5, -3, -1};
	struct lutc_precomp p = {
		.op = LUTC_OP_PRECOMP,
		.act_dtype = LUTC_DT_F32,
		.table_dtype = LUTC_DT_F32,
		.flags = LUTC_PRE_ASUM,
		.m = 1,
		.k = 4,
	};
	struct lut_exec_result res;
	float *t;

	p.act = tdev_put(&self->d, a, sizeof(a), 4);
	p.table = tdev_alloc(&self->d, 32, 4);
	p.asum = tdev_alloc(&self->d, 4, 4);
	ASSERT_EQ(0, tdev_run(&self->d, &p, 1, &res));
	t = tdev_ptr(&self->d, p.table);
	ASSERT_EQ(0, memcmp(t, want, sizeof(want)));
	ASSERT_EQ(15.0f, *(float *)tdev_ptr(&self->d, p.asum));
}

TEST_HARNESS_MAIN
