// SPDX-License-Identifier: MIT
/*
 * EPILOGUE tests: every combination of row scale, zero point (array or
 * immediate), column scale, bias, activation, residual and output type
 * against the naive reference in double. Tolerances: F32 output 1e-5 of the
 * magnitude of the terms, F16 output one more half ulp of F16, I8 output
 * within 1 of the reference's rounding. Gaps between strided output rows
 * must stay untouched.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "ref.h"
#include "tfixture.h"

struct epi_case {
	uint32_t m, n, acc, out, act, flags, sdt, rdt, out_ld, res_ld;
};

struct epi_in {
	float *acc_f, *rs, *as, *cs, *z, *bias, *res, zimm;
	int32_t *acc_i;
};

/* Values of dtype dt in device memory; vals gets what the device holds. */
static uint64_t put_vals(struct tdev *d, uint32_t dt, size_t count, float lo, float hi, float *vals)
{
	uint32_t sz = lutc_dtype_size(dt);
	uint64_t va = tdev_alloc(d, count * sz, sz);
	uint8_t *p = tdev_ptr(d, va);
	size_t i;

	for (i = 0; i < count; i++) {
		float f = trand_float(lo, hi);
		uint16_t h = ref_f16_bits(f);

		if (dt == LUTC_DT_F16) {
			memcpy(p + 2 * i, &h, 2);
			f = ref_from_f16_bits(h);
		} else {
			memcpy(p + 4 * i, &f, 4);
		}
		vals[i] = f;
	}
	return va;
}

static double ref_value(const struct epi_case *c, const struct epi_in *v, uint32_t i, uint32_t j,
			double *mag)
{
	uint32_t rl = c->res_ld ? c->res_ld : c->n;
	double x = c->acc == LUTC_DT_I32 ? v->acc_i[i * c->n + j] : v->acc_f[i * c->n + j];

	if (c->flags & LUTC_EPI_ROW_SCALE)
		x *= v->rs[i];
	*mag = fabs(x);
	if (c->flags & (LUTC_EPI_ZERO | LUTC_EPI_ZERO_IMM)) {
		double zt = (c->flags & LUTC_EPI_ZERO ? v->z[j] : v->zimm) * v->as[i];

		x -= zt;
		*mag += fabs(zt);
	}
	if (c->flags & LUTC_EPI_COL_SCALE) {
		x *= v->cs[j];
		*mag *= fabs(v->cs[j]);
	}
	if (c->flags & LUTC_EPI_BIAS) {
		x += v->bias[j];
		*mag += fabs(v->bias[j]);
	}
	if (c->act == LUTC_ACT_SILU) {
		x = ref_silu(x);
		*mag = *mag * 1.1 + 1e-6;
	} else if (c->act == LUTC_ACT_RELU2) {
		x = ref_relu2(x);
		*mag = *mag * *mag * 2 + 1e-6;
	}
	if (c->flags & LUTC_EPI_RESIDUAL) {
		x += v->res[i * rl + j];
		*mag += fabs(v->res[i * rl + j]);
	}
	return x;
}

static void setup(struct tdev *d, const struct epi_case *c, struct epi_in *v,
		  struct lutc_epilogue *e)
{
	uint32_t rl = c->res_ld ? c->res_ld : c->n, ol = c->out_ld ? c->out_ld : c->n, i;
	size_t mn = (size_t)c->m * c->n;

	*e = (struct lutc_epilogue){.op = LUTC_OP_EPILOGUE,
				    .acc_dtype = (uint8_t)c->acc,
				    .out_dtype = (uint8_t)c->out,
				    .act_fn = (uint8_t)c->act,
				    .flags = c->flags,
				    .m = c->m,
				    .n = c->n,
				    .out_ld = c->out_ld,
				    .res_ld = c->res_ld};
	v->acc_f = malloc(4 * mn);
	v->acc_i = malloc(4 * mn);
	for (i = 0; i < mn; i++) {
		v->acc_i[i] = (int32_t)trand_range(0, 200000) - 100000;
		v->acc_f[i] = trand_float(-50.0f, 50.0f);
	}
	e->acc =
		tdev_put(d, c->acc == LUTC_DT_I32 ? (void *)v->acc_i : (void *)v->acc_f, 4 * mn, 4);
	v->rs = malloc(4 * c->m);
	v->as = malloc(4 * c->m);
	v->cs = malloc(4 * c->n);
	v->z = malloc(4 * c->n);
	v->bias = malloc(4 * c->n);
	v->res = malloc(4 * (size_t)c->m * rl);
	v->zimm = c->flags & LUTC_EPI_ZERO_IMM ? trand_float(-2.0f, 2.0f) : 0.0f;
	e->zero_imm = v->zimm;
	if (c->flags & LUTC_EPI_ROW_SCALE)
		e->row_scale = put_vals(d, LUTC_DT_F32, c->m, c->acc == LUTC_DT_I32 ? 1e-4f : 0.1f,
					c->acc == LUTC_DT_I32 ? 1e-3f : 1.0f, v->rs);
	if (c->flags & (LUTC_EPI_ZERO | LUTC_EPI_ZERO_IMM))
		e->asum = put_vals(d, LUTC_DT_F32, c->m, -5.0f, 5.0f, v->as);
	if (c->flags & (LUTC_EPI_ZERO | LUTC_EPI_COL_SCALE))
		e->scale_dtype = (uint8_t)c->sdt;
	if (c->flags & LUTC_EPI_ZERO)
		e->zero = put_vals(d, c->sdt, c->n, -3.0f, 3.0f, v->z);
	if (c->flags & LUTC_EPI_COL_SCALE)
		e->col_scale = put_vals(d, c->sdt, c->n, 0.01f, 1.0f, v->cs);
	if (c->flags & LUTC_EPI_BIAS)
		e->bias = put_vals(d, LUTC_DT_F32, c->n, -1.0f, 1.0f, v->bias);
	if (c->flags & LUTC_EPI_RESIDUAL) {
		e->res_dtype = (uint8_t)c->rdt;
		e->residual = put_vals(d, c->rdt, (size_t)c->m * rl, -2.0f, 2.0f, v->res);
	} else {
		e->res_ld = 0;
	}
	e->out = tdev_alloc(d, (size_t)c->m * ol * lutc_dtype_size(c->out), 4);
	if (c->out == LUTC_DT_I8)
		e->out_scale = tdev_alloc(d, 4 * c->m, 4);
}

static void free_in(struct epi_in *v)
{
	free(v->acc_f);
	free(v->acc_i);
	free(v->rs);
	free(v->as);
	free(v->cs);
	free(v->z);
	free(v->bias);
	free(v->res);
}

/* Check one output row; returns mismatches. */
static int check_row(struct __test_metadata *_metadata, struct tdev *d, const struct epi_case *c,
		     const struct epi_in *v, const struct lutc_epilogue *e, uint32_t i)
{
	uint32_t ol = c->out_ld ? c->out_ld : c->n, sz = lutc_dtype_size(c->out), j;
	const uint8_t *row = (const uint8_t *)tdev_ptr(d, e->out) + (size_t)i * ol * sz;
	double want[c->n], mag[c->n], amax = 0.0;
	int bad = 0;

	for (j = 0; j < c->n; j++) {
		want[j] = ref_value(c, v, i, j, &mag[j]);
		amax = fmax(amax, fabs(want[j]));
	}
	for (j = 0; j < c->n; j++) {
		double got, tol = 1e-5 * mag[j] + 1e-6;

		if (c->out == LUTC_DT_F32) {
			got = ref_f32_at(row, j);
		} else if (c->out == LUTC_DT_F16) {
			uint16_t h;

			memcpy(&h, row + 2 * j, 2);
			got = ref_from_f16_bits(h);
			tol += ldexp(fabs(want[j]), -10);
			/* Beyond the F16 range the result is an infinity of that sign. */
			if (fabs(want[j]) >= 65504.0 && isinf(got) && (got > 0) == (want[j] > 0))
				got = want[j];
		} else {
			got = (int8_t)row[j];
			want[j] = amax > 0 ? rint(want[j] * 127.0 / amax) : 0.0;
			tol = 1.0;
		}
		if (!(fabs(got - want[j]) <= tol) && bad++ < 3)
			TH_LOG("acc %u out %u act %u flags %#x: (%u,%u) got %g want %g", c->acc,
			       c->out, c->act, c->flags, i, j, got, want[j]);
	}
	/* The gap after the row (ld > n) is never written. */
	for (j = c->n * sz; i + 1 < c->m && j < ol * sz; j++)
		bad += row[j] != 0xcd;
	if (c->out == LUTC_DT_I8) {
		float s = ((const float *)tdev_ptr(d, e->out_scale))[i];

		bad += fabs(s - amax / 127.0) > 1e-5 * amax / 127.0 + 1e-30;
	}
	return bad;
}

static int run_case(struct __test_metadata *_metadata, struct tdev *d, const struct epi_case *c)
{
	struct lutc_epilogue e;
	struct lut_exec_result res;
	struct epi_in v;
	uint32_t i;
	int bad = 0;

	tdev_reset(d);
	setup(d, c, &v, &e);
	EXPECT_EQ(0, tdev_run(d, &e, 1, &res));
	for (i = 0; i < c->m; i++)
		bad += check_row(_metadata, d, c, &v, &e, i);
	free_in(&v);
	return bad;
}

TEST_F(engine, epilogue_combinations)
{
	static const uint32_t zeros[] = {0, LUTC_EPI_ZERO, LUTC_EPI_ZERO_IMM};
	static const uint32_t outs[] = {LUTC_DT_F32, LUTC_DT_F16, LUTC_DT_I8};
	uint32_t f, z, o, act, n = 0;

	for (f = 0; f < 16; f++)
		for (z = 0; z < 3; z++)
			for (o = 0; o < 3; o++)
				for (act = 0; act <= LUTC_ACT_RELU2; act++, n++) {
					struct epi_case c = {
						.m = 1 + n % 4,
						.n = 1 + (n * 37) % 90,
						.acc = n % 2 ? LUTC_DT_I32 : LUTC_DT_F32,
						.out = outs[o],
						.act = act,
						.sdt = (n / 2) % 2 ? LUTC_DT_F16 : LUTC_DT_F32,
						.rdt = (n / 4) % 2 ? LUTC_DT_F16 : LUTC_DT_F32,
						.flags = zeros[z] |
							 (f & 1 ? LUTC_EPI_ROW_SCALE : 0) |
							 (f & 2 ? LUTC_EPI_COL_SCALE : 0) |
							 (f & 4 ? LUTC_EPI_BIAS : 0) |
							 (f & 8 ? LUTC_EPI_RESIDUAL : 0),
					};

					c.out_ld = n % 3 ? 0 : c.n + 5;
					c.res_ld = n % 5 ? 0 : c.n + 2;
					ASSERT_EQ(0, run_case(_metadata, &self->d, &c));
				}
}

/* A zero row quantizes to zeros with scale 0 rather than dividing by 0. */
TEST_F(engine, epilogue_int8_zero_row)
{
	float acc[8] = {0};
	struct lutc_epilogue e = {.op = LUTC_OP_EPILOGUE,
				  .acc_dtype = LUTC_DT_F32,
				  .out_dtype = LUTC_DT_I8,
				  .m = 1,
				  .n = 8};
	struct lut_exec_result res;
	uint32_t j;

	e.acc = tdev_put(&self->d, acc, sizeof(acc), 4);
	e.out = tdev_alloc(&self->d, 8, 1);
	e.out_scale = tdev_alloc(&self->d, 4, 4);
	ASSERT_EQ(0, tdev_run(&self->d, &e, 1, &res));
	for (j = 0; j < 8; j++)
		ASSERT_EQ(0, ((int8_t *)tdev_ptr(&self->d, e.out))[j]);
	ASSERT_EQ(0.0f, *(float *)tdev_ptr(&self->d, e.out_scale));
}

TEST_HARNESS_MAIN
