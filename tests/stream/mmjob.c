// SPDX-License-Identifier: MIT
/*
 * The LUT-mpGEMM test job (see mmjob.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/pack.h"
#include "lutcore/stream.h"
#include "../engine/ref.h"
#include "mmjob.h"

#define MMJ_ALIGN	 64
#define MMJ_STREAM_BYTES (4 * LUTC_INSN_SIZE)

uint64_t mmjob_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static float rand_float(uint64_t *st, float lo, float hi)
{
	return lo + (hi - lo) * (float)(mmjob_rand(st) >> 40) / (float)(1u << 24);
}

static uint32_t rand_below(uint64_t *st, uint32_t n)
{
	return (uint32_t)((mmjob_rand(st) >> 32) % n);
}

/* Operand sizes of a shape; returns the arena size with the layout. */
static uint64_t layout(const struct mmjob_shape *sh, uint64_t off[], uint64_t len[])
{
	uint32_t ng = sh->float_path ? lutc_ngroups(sh->k, sh->group) : 1;
	uint32_t tdt = sh->float_path ? LUTC_DT_I8 : LUTC_DT_I16;
	uint64_t mn = (uint64_t)sh->m * sh->n, at = MMJ_STREAM_BYTES;
	int i;

	len[MMJ_ACT] = (uint64_t)sh->m * sh->k * (sh->float_path ? 4 : 1);
	len[MMJ_ASCALE] = sh->float_path ? 0 : 4ull * sh->m;
	len[MMJ_TABLE] = lutc_table_bytes(sh->m, sh->k, tdt);
	len[MMJ_TSCALE] = 4ull * sh->m * ng;
	len[MMJ_ASUM] = 4ull * sh->m * ng;
	len[MMJ_WEIGHTS] = lutc_weight_bytes(sh->n, sh->k, sh->wfmt);
	len[MMJ_WSCALE] = sh->float_path ? 4ull * ng * sh->n : 0;
	len[MMJ_WZERO] = sh->float_path ? 4ull * ng * sh->n : 0;
	len[MMJ_ACC] = 4 * mn;
	len[MMJ_CSCALE] = sh->float_path ? 0 : 4ull * sh->n;
	len[MMJ_ZERO] = sh->float_path ? 0 : 4ull * sh->n;
	len[MMJ_BIAS] = sh->float_path ? 4ull * sh->n : 0;
	len[MMJ_OUT] = 4 * mn;
	for (i = 0; i < MMJ_NBUFS; i++) {
		off[i] = len[i] ? at : 0;
		at += (len[i] + MMJ_ALIGN - 1) / MMJ_ALIGN * MMJ_ALIGN;
	}
	return at;
}

uint64_t mmjob_arena_size(const struct mmjob_shape *sh)
{
	uint64_t off[MMJ_NBUFS], len[MMJ_NBUFS];

	return layout(sh, off, len);
}

static float *fbuf(struct mmjob *j, uint8_t *arena, enum mmjob_buf b)
{
	return (float *)(void *)(arena + j->off[b]);
}

static uint64_t bva(const struct mmjob *j, enum mmjob_buf b)
{
	return j->len[b] ? j->va + j->off[b] : 0;
}

/* Integer-path inputs: INT8 rows reaching +-127, scales, codes. */
static void gen_int(struct mmjob *j, uint8_t *arena, uint64_t *st)
{
	const struct mmjob_shape *sh = &j->sh;
	uint32_t i;

	for (i = 0; i < sh->m * sh->k; i++)
		j->q[i] = (int8_t)((int)rand_below(st, 255) - 127);
	for (i = 0; i < sh->m; i++) {
		j->q[i * sh->k + rand_below(st, sh->k)] = 127;
		fbuf(j, arena, MMJ_ASCALE)[i] = rand_float(st, 0.01f, 0.1f);
	}
	memcpy(arena + j->off[MMJ_ACT], j->q, (size_t)sh->m * sh->k);
	for (i = 0; i < sh->n; i++) {
		fbuf(j, arena, MMJ_CSCALE)[i] = rand_float(st, 0.01f, 0.1f);
		fbuf(j, arena, MMJ_ZERO)[i] =
			sh->wfmt == LUTC_WF_TERNARY ? 0.0f : rand_float(st, -3.0f, 3.0f);
	}
}

static void gen_float(struct mmjob *j, uint8_t *arena, uint64_t *st)
{
	const struct mmjob_shape *sh = &j->sh;
	uint32_t ng = lutc_ngroups(sh->k, sh->group), i;

	for (i = 0; i < sh->m * sh->k; i++)
		j->x[i] = rand_float(st, -2.0f, 2.0f);
	memcpy(arena + j->off[MMJ_ACT], j->x, 4ull * sh->m * sh->k);
	for (i = 0; i < ng * sh->n; i++) {
		fbuf(j, arena, MMJ_WSCALE)[i] = rand_float(st, 0.01f, 0.1f);
		fbuf(j, arena, MMJ_WZERO)[i] = rand_float(st, -2.0f, 2.0f);
	}
	for (i = 0; i < sh->n; i++)
		fbuf(j, arena, MMJ_BIAS)[i] = rand_float(st, -1.0f, 1.0f);
}

static void describe_int(const struct mmjob *j, struct lutc_precomp *p, struct lutc_lmma *l,
			 struct lutc_epilogue *e)
{
	*p = (struct lutc_precomp){.act_dtype = LUTC_DT_I8,
				   .table_dtype = LUTC_DT_I16,
				   .flags = LUTC_PRE_ASUM,
				   .act_scale = bva(j, MMJ_ASCALE)};
	*l = (struct lutc_lmma){.table_dtype = LUTC_DT_I16, .acc_dtype = LUTC_DT_I32};
	*e = (struct lutc_epilogue){
		.acc_dtype = LUTC_DT_I32,
		.out_dtype = LUTC_DT_F32,
		.flags = LUTC_EPI_ROW_SCALE | LUTC_EPI_ZERO | LUTC_EPI_COL_SCALE,
		.scale_dtype = LUTC_DT_F32,
		.row_scale = bva(j, MMJ_TSCALE),
		.asum = bva(j, MMJ_ASUM),
		.col_scale = bva(j, MMJ_CSCALE),
		.zero = bva(j, MMJ_ZERO),
	};
	p->tscale = bva(j, MMJ_TSCALE);
	p->asum = bva(j, MMJ_ASUM);
}

static void describe_float(const struct mmjob *j, struct lutc_precomp *p, struct lutc_lmma *l,
			   struct lutc_epilogue *e)
{
	*p = (struct lutc_precomp){.act_dtype = LUTC_DT_F32,
				   .table_dtype = LUTC_DT_I8,
				   .flags = LUTC_PRE_ASUM,
				   .group = j->sh.group};
	*l = (struct lutc_lmma){
		.table_dtype = LUTC_DT_I8,
		.acc_dtype = LUTC_DT_F32,
		.group = j->sh.group,
		.flags = LUTC_MM_WSCALE | LUTC_MM_WZERO | LUTC_MM_TSCALE,
		.scale_dtype = LUTC_DT_F32,
		.wscale = bva(j, MMJ_WSCALE),
		.wzero = bva(j, MMJ_WZERO),
		.tscale = bva(j, MMJ_TSCALE),
		.asum = bva(j, MMJ_ASUM),
	};
	*e = (struct lutc_epilogue){.acc_dtype = LUTC_DT_F32,
				    .out_dtype = LUTC_DT_F32,
				    .act_fn = LUTC_ACT_SILU,
				    .flags = LUTC_EPI_BIAS,
				    .bias = bva(j, MMJ_BIAS)};
	p->tscale = bva(j, MMJ_TSCALE);
	p->asum = bva(j, MMJ_ASUM);
}

/* The three instructions, with the library's builder. */
static int build_stream(struct mmjob *j, uint8_t *arena)
{
	const struct mmjob_shape *sh = &j->sh;
	struct lutc_precomp p;
	struct lutc_lmma l;
	struct lutc_epilogue e;
	struct lut_stream *s;
	int ret;

	if (sh->float_path)
		describe_float(j, &p, &l, &e);
	else
		describe_int(j, &p, &l, &e);
	p.m = l.m = e.m = sh->m;
	p.k = l.k = sh->k;
	l.n = e.n = sh->n;
	l.wfmt = (uint8_t)sh->wfmt;
	p.act = bva(j, MMJ_ACT);
	p.table = l.table = bva(j, MMJ_TABLE);
	l.weights = bva(j, MMJ_WEIGHTS);
	l.acc = e.acc = bva(j, MMJ_ACC);
	e.out = bva(j, MMJ_OUT);
	ret = lut_stream_new(&s, arena, MMJ_STREAM_BYTES, j->va);
	if (ret)
		return ret;
	lut_stream_precomp(s, &p);
	lut_stream_lmma(s, &l);
	lut_stream_epilogue(s, &e);
	ret = lut_stream_error(s);
	j->stream_size = lut_stream_size(s);
	lut_stream_free(s);
	return ret;
}

int mmjob_build(struct mmjob *j, const struct mmjob_shape *sh, void *arena, uint64_t size,
		uint64_t va, uint64_t seed)
{
	uint32_t hi = sh->wfmt == LUTC_WF_TERNARY ? 2 : (1u << sh->wfmt) - 1, i;
	uint8_t *a = arena;
	uint64_t st = seed;
	int ret;

	memset(j, 0, sizeof(*j));
	j->sh = *sh;
	j->va = va;
	j->size = layout(sh, j->off, j->len);
	if (j->size > size)
		return -ENOSPC;
	memset(a, 0xa5, j->size);
	j->codes = malloc((size_t)sh->n * sh->k);
	j->q = sh->float_path ? NULL : malloc((size_t)sh->m * sh->k);
	j->x = sh->float_path ? malloc(4ull * sh->m * sh->k) : NULL;
	if (!j->codes || (!j->q && !j->x)) {
		mmjob_free(j);
		return -ENOMEM;
	}
	for (i = 0; i < sh->n * sh->k; i++)
		j->codes[i] = (uint8_t)rand_below(&st, hi + 1);
	ret = lutcore_pack_codes(a + j->off[MMJ_WEIGHTS], j->codes, sh->n, sh->k, sh->wfmt);
	if (!ret) {
		if (sh->float_path)
			gen_float(j, a, &st);
		else
			gen_int(j, a, &st);
		ret = build_stream(j, a);
	}
	if (ret)
		mmjob_free(j);
	return ret;
}

void mmjob_free(struct mmjob *j)
{
	free(j->q);
	free(j->x);
	free(j->codes);
	j->q = NULL;
	j->x = NULL;
	j->codes = NULL;
}

uint64_t mmjob_check_acc(const struct mmjob *j, const void *arena, char *why, size_t len)
{
	const int32_t *acc = (const int32_t *)((const uint8_t *)arena + j->off[MMJ_ACC]);
	const struct mmjob_shape *sh = &j->sh;
	uint64_t bad = 0;
	uint32_t i, c, r;

	for (i = 0; i < sh->m; i++) {
		for (c = 0; c < sh->n; c++) {
			int64_t want = 0;

			for (r = 0; r < sh->k; r++)
				want += (int64_t)j->q[i * sh->k + r] *
					ref_code_value(j->codes[c * sh->k + r], sh->wfmt);
			if (acc[i * sh->n + c] != want && !bad++)
				snprintf(why, len, "acc[%u][%u] = %d, want %lld", i, c,
					 acc[i * sh->n + c], (long long)want);
		}
	}
	return bad;
}

static uint64_t compare_bytes(const struct mmjob *j, const uint8_t *a, const uint8_t *b, char *why,
			      size_t len)
{
	static const enum mmjob_buf outs[] = {MMJ_TABLE, MMJ_TSCALE, MMJ_ASUM, MMJ_ACC, MMJ_OUT};
	static const char *const names[] = {"table", "tscale", "asum", "acc", "out"};
	uint64_t bad = 0, i;
	size_t o;

	for (o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
		uint64_t off = j->off[outs[o]];

		for (i = 0; i < j->len[outs[o]]; i++) {
			if (a[off + i] != b[off + i] && !bad++)
				snprintf(why, len, "%s byte %llu: %#x vs %#x", names[o],
					 (unsigned long long)i, a[off + i], b[off + i]);
		}
	}
	return bad;
}

static uint64_t compare_floats(const struct mmjob *j, const uint8_t *a, const uint8_t *b, char *why,
			       size_t len)
{
	const float *x = (const void *)(a + j->off[MMJ_OUT]);
	const float *y = (const void *)(b + j->off[MMJ_OUT]);
	uint64_t n = j->len[MMJ_OUT] / 4, i, bad = 0;
	double mag = 0.0;

	for (i = 0; i < n; i++)
		mag = fmax(mag, fabs(y[i]));
	for (i = 0; i < n; i++) {
		if (!(fabs((double)x[i] - y[i]) <= 1e-5 * mag + 1e-30) && !bad++)
			snprintf(why, len, "out[%llu] = %.9g vs %.9g", (unsigned long long)i, x[i],
				 y[i]);
	}
	return bad;
}

uint64_t mmjob_compare(const struct mmjob *j, const void *a, const void *b, char *why, size_t len)
{
	if (j->sh.float_path)
		return compare_floats(j, a, b, why, len);
	return compare_bytes(j, a, b, why, len);
}
