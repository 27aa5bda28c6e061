// SPDX-License-Identifier: MIT
/*
 * The cycle model of docs/isa.md §6 for every instruction class besides
 * the LMMA array (test_cycles.c): PRECOMP, EPILOGUE, the LMMA scale stage,
 * ATTN and the other vector instructions. Each expected count is computed
 * here from the documented formula, never by the engine's helpers:
 *
 *     cycles = overhead + max(compute, (bytes read + written) / bytes per cycle)
 *
 * with compute, per core and over `lanes` vector lanes,
 *     PRECOMP   M ceil(K/4) (9 + 8 per option: I8 table, RMSNorm, quantization) / lanes
 *     EPILOGUE  8 M N / lanes
 *     LMMA      max(ceil(M/2) ceil(N/64) ceil(K/4) B / X, M N groups 3 / lanes)
 *     ATTN      4 heads head_dim (sum of attended positions) / lanes
 *     others    c elements / lanes, c per instruction as documented (the
 *               test measures it with one lane and checks the same c at
 *               every size)
 * Divisions round up, as the document says; the lane
 * counts 1, 48 and 64 make the rounding show. Every instruction runs
 * compute-bound (a memory so wide that it never binds) and memory-bound
 * (one byte per cycle, lanes so many that compute is one cycle), where the
 * bytes must be the operand bytes the instruction reads and writes.
 */
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "tutil.h"

#define WIDE (1u << 30) /* bytes per cycle, or lanes, that never bind */

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Bytes of a rows x cols matrix with row stride ld (0 = packed). */
static uint64_t mat(uint32_t rows, uint32_t cols, uint32_t ld, uint32_t esize)
{
	return ((uint64_t)(rows - 1) * (ld ? ld : cols) + cols) * esize;
}

/* Run one descriptor on an engine with the given lanes and bandwidth. */
static int exec_cfg(struct tdev *d, const void *insn, uint32_t lanes, uint32_t bw,
		    struct lut_exec_result *res, uint32_t *overhead)
{
	struct lut_engine_config c;
	struct lut_engine *e;
	int err;

	lut_engine_config_default(&c);
	c.flags |= LUT_ENGINE_PORTABLE;
	c.vector_lanes = lanes;
	c.mem_bytes_per_cycle = bw;
	*overhead = c.insn_overhead;
	err = lut_engine_init(&e, &c);
	if (err)
		return err;
	memset(res, 0, sizeof(*res));
	err = lut_engine_exec(e, &d->mem, insn, res);
	lut_engine_fini(e);
	return err;
}

/*
 * An instruction of `ops` documented vector operations whose operands
 * are `bytes` long: compute-bound at several lane counts, then
 * memory-bound, where the bytes moved must be exactly `bytes`.
 */
static void check_roofline(struct __test_metadata *_metadata, struct tdev *d, const void *insn,
			   uint64_t ops, uint64_t bytes, const char *what)
{
	uint64_t got;
	static const uint32_t lanes[] = {1, 48, 64};
	struct lut_exec_result res;
	uint32_t i, ovh;

	for (i = 0; i < ARRAY_SIZE(lanes); i++) {
		ASSERT_EQ(0, exec_cfg(d, insn, lanes[i], WIDE, &res, &ovh));
		ASSERT_EQ(ovh + max64(div_up(ops, lanes[i]), div_up(bytes, WIDE)), res.cycles)
		{
			TH_LOG("%s, %u lanes: %llu ops", what, lanes[i], (unsigned long long)ops);
		}
	}
	ASSERT_EQ(0, exec_cfg(d, insn, WIDE, 1, &res, &ovh));
	got = res.bytes_read + res.bytes_written;
	ASSERT_EQ(bytes, got)
	{
		TH_LOG("%s: read %llu written %llu", what, (unsigned long long)res.bytes_read,
		       (unsigned long long)res.bytes_written);
	}
	ASSERT_EQ(ovh + max64(div_up(ops, WIDE), got), res.cycles)
	{
		TH_LOG("%s, memory-bound", what);
	}
}

/* Device memory for one instruction, zeroed (any values are valid input). */
static uint64_t zalloc(struct tdev *d, uint64_t size)
{
	uint64_t va = tdev_alloc(d, size, 64);

	memset(tdev_ptr(d, va), 0, size);
	return va;
}

/* §6 defaults: 2x64x4 array, X 1, 64 lanes, 64 bytes per cycle, 16 cycles. */
TEST(documented_defaults)
{
	struct lut_engine_config c;

	lut_engine_config_default(&c);
	ASSERT_EQ(2u, c.array_m);
	ASSERT_EQ(64u, c.array_n);
	ASSERT_EQ(4u, c.array_k);
	ASSERT_EQ(1u, c.array_mult);
	ASSERT_EQ(1u, c.cores);
	ASSERT_EQ(1000u, c.clock_mhz);
	ASSERT_EQ(64u, c.vector_lanes);
	ASSERT_EQ(64u, c.mem_bytes_per_cycle);
	ASSERT_EQ(16u, c.insn_overhead);
}

TEST(precomp_cycles)
{
	static const struct {
		uint32_t act, table, flags;
	} cases[] = {
		{LUTC_DT_F32, LUTC_DT_F32, 0},
		{LUTC_DT_F16, LUTC_DT_F16, LUTC_PRE_ASUM},
		{LUTC_DT_BF16, LUTC_DT_F32, LUTC_PRE_RMSNORM},
		{LUTC_DT_F32, LUTC_DT_I8, 0},
		{LUTC_DT_F32, LUTC_DT_I8, LUTC_PRE_RMSNORM | LUTC_PRE_ASUM},
		{LUTC_DT_F16, LUTC_DT_I16, LUTC_PRE_QUANT_ACT},
		{LUTC_DT_F32, LUTC_DT_I8, LUTC_PRE_QUANT_ACT | LUTC_PRE_ASUM},
		{LUTC_DT_BF16, LUTC_DT_I8, LUTC_PRE_QUANT_ACT | LUTC_PRE_RMSNORM | LUTC_PRE_ASUM},
		{LUTC_DT_I8, LUTC_DT_I16, LUTC_PRE_ASUM},
		{LUTC_DT_I8, LUTC_DT_I8, 0},
	};
	static const struct {
		uint32_t m, k, group, ld;
	} shapes[] = {{3, 70, 32, 75}, {1, 4096, 128, 0}, {7, 5, 0, 0}};
	struct tdev_variant v = {.portable = 1, .threads = 1};
	struct tdev d;
	uint32_t c, s;

	ASSERT_EQ(0, tdev_init(&d, 8 << 20, &v));
	for (s = 0; s < ARRAY_SIZE(shapes); s++)
		for (c = 0; c < ARRAY_SIZE(cases); c++) {
			uint32_t m = shapes[s].m, k = shapes[s].k,
				 ng = lutc_ngroups(k, shapes[s].group);
			int itab = cases[c].table == LUTC_DT_I8 || cases[c].table == LUTC_DT_I16;
			uint32_t opts = (cases[c].table == LUTC_DT_I8) +
					!!(cases[c].flags & LUTC_PRE_RMSNORM) +
					!!(cases[c].flags & LUTC_PRE_QUANT_ACT);
			struct lutc_precomp p = {.op = LUTC_OP_PRECOMP,
						 .act_dtype = (uint8_t)cases[c].act,
						 .table_dtype = (uint8_t)cases[c].table,
						 .flags = cases[c].flags,
						 .m = m,
						 .k = k,
						 .group = shapes[s].group,
						 .act_ld = shapes[s].ld};
			uint64_t bytes = mat(m, k, shapes[s].ld, lutc_dtype_size(cases[c].act)) +
					 lutc_table_bytes(m, k, cases[c].table);

			tdev_reset(&d);
			p.act = zalloc(&d, mat(m, k, shapes[s].ld, lutc_dtype_size(cases[c].act)));
			p.table = zalloc(&d, lutc_table_bytes(m, k, cases[c].table));
			if (cases[c].act == LUTC_DT_I8) {
				p.act_scale = zalloc(&d, 4ull * m);
				bytes += 4ull * m;
			}
			if (cases[c].flags & LUTC_PRE_RMSNORM) {
				p.norm_w = zalloc(&d, 4ull * k);
				p.eps = 1e-5f;
				bytes += 4ull * k;
			}
			if (itab) {
				p.tscale = zalloc(&d, 4ull * m * ng);
				bytes += 4ull * m * ng;
			}
			if (cases[c].flags & LUTC_PRE_ASUM) {
				p.asum = zalloc(&d, 4ull * m * ng);
				bytes += 4ull * m * ng;
			}
			check_roofline(_metadata, &d, &p,
				       (uint64_t)m * div_up(k, 4) * (9 + 8 * opts), bytes,
				       "PRECOMP");
		}
	tdev_fini(&d);
}

TEST(epilogue_cycles)
{
	static const struct {
		uint32_t acc, out, act, flags, sdt, rdt, out_ld, res_ld;
	} cases[] = {
		{LUTC_DT_F32, LUTC_DT_F32, LUTC_ACT_NONE, 0, 0, 0, 0, 0},
		{LUTC_DT_I32, LUTC_DT_F32, LUTC_ACT_NONE,
		 LUTC_EPI_ROW_SCALE | LUTC_EPI_ZERO | LUTC_EPI_COL_SCALE, LUTC_DT_F32, 0, 0, 0},
		{LUTC_DT_I32, LUTC_DT_F16, LUTC_ACT_SILU,
		 LUTC_EPI_ROW_SCALE | LUTC_EPI_ZERO_IMM | LUTC_EPI_COL_SCALE | LUTC_EPI_BIAS,
		 LUTC_DT_F16, 0, 130, 0},
		{LUTC_DT_F32, LUTC_DT_I8, LUTC_ACT_RELU2, LUTC_EPI_BIAS | LUTC_EPI_RESIDUAL, 0,
		 LUTC_DT_F16, 0, 120},
		{LUTC_DT_F32, LUTC_DT_F32, LUTC_ACT_NONE, LUTC_EPI_RESIDUAL, 0, LUTC_DT_F32, 101,
		 0},
	};
	static const struct {
		uint32_t m, n;
	} shapes[] = {{3, 100}, {1, 4096}, {5, 7}};
	struct tdev_variant v = {.portable = 1, .threads = 1};
	struct tdev d;
	uint32_t c, s;

	ASSERT_EQ(0, tdev_init(&d, 8 << 20, &v));
	for (s = 0; s < ARRAY_SIZE(shapes); s++)
		for (c = 0; c < ARRAY_SIZE(cases); c++) {
			uint32_t m = shapes[s].m, n = shapes[s].n, f = cases[c].flags;
			uint32_t ssz = lutc_dtype_size(cases[c].sdt),
				 osz = lutc_dtype_size(cases[c].out);
			uint32_t ol = cases[c].out_ld > n ? cases[c].out_ld : 0;
			uint32_t rl = cases[c].res_ld > n ? cases[c].res_ld : 0;
			struct lutc_epilogue e = {.op = LUTC_OP_EPILOGUE,
						  .acc_dtype = (uint8_t)cases[c].acc,
						  .out_dtype = (uint8_t)cases[c].out,
						  .act_fn = (uint8_t)cases[c].act,
						  .flags = f,
						  .m = m,
						  .n = n,
						  .out_ld = ol,
						  .res_ld = rl,
						  .scale_dtype = (uint8_t)cases[c].sdt,
						  .res_dtype = (uint8_t)cases[c].rdt};
			uint64_t bytes = 4ull * m * n + mat(m, n, ol, osz);

			tdev_reset(&d);
			e.acc = zalloc(&d, 4ull * m * n);
			e.out = zalloc(&d, mat(m, n, ol, osz));
			if (f & LUTC_EPI_ROW_SCALE) {
				e.row_scale = zalloc(&d, 4ull * m);
				bytes += 4ull * m;
			}
			if (f & (LUTC_EPI_ZERO | LUTC_EPI_ZERO_IMM)) {
				e.asum = zalloc(&d, 4ull * m);
				bytes += 4ull * m;
			}
			if (f & LUTC_EPI_ZERO_IMM)
				e.zero_imm = 0.5f;
			if (f & LUTC_EPI_ZERO) {
				e.zero = zalloc(&d, (uint64_t)n * ssz);
				bytes += (uint64_t)n * ssz;
			}
			if (f & LUTC_EPI_COL_SCALE) {
				e.col_scale = zalloc(&d, (uint64_t)n * ssz);
				bytes += (uint64_t)n * ssz;
			}
			if (f & LUTC_EPI_BIAS) {
				e.bias = zalloc(&d, 4ull * n);
				bytes += 4ull * n;
			}
			if (f & LUTC_EPI_RESIDUAL) {
				uint64_t rb = mat(m, n, rl, lutc_dtype_size(cases[c].rdt));

				e.residual = zalloc(&d, rb);
				bytes += rb;
			}
			if (cases[c].out == LUTC_DT_I8) {
				e.out_scale = zalloc(&d, 4ull * m);
				bytes += 4ull * m;
			}
			check_roofline(_metadata, &d, &e, 8ull * m * n, bytes, "EPILOGUE");
		}
	tdev_fini(&d);
}

/*
 * LMMA's compute is the slower of the array and the scale stage on the
 * vector unit: M N groups 3 / lanes. Small groups and one plane make the
 * stage the bound; one group makes the array the bound.
 */
TEST(lmma_scale_stage_cycles)
{
	static const struct {
		uint32_t m, n, k, group, wfmt, table, acc, mult;
	} cases[] = {
		{64, 64, 256, 4, LUTC_WF_INT1, LUTC_DT_F32, LUTC_DT_F32, 1},
		{64, 64, 256, 0, LUTC_WF_INT1, LUTC_DT_F32, LUTC_DT_F32, 1},
		{3, 130, 1000, 32, LUTC_WF_INT2, LUTC_DT_I8, LUTC_DT_F32, 4},
		{17, 200, 36, 12, LUTC_WF_TERNARY, LUTC_DT_F16, LUTC_DT_F32, 2},
		{9, 65, 68, 0, LUTC_WF_INT4, LUTC_DT_I16, LUTC_DT_I32, 1},
		{1, 4096, 4096, 128, LUTC_WF_INT2, LUTC_DT_I8, LUTC_DT_F32, 4},
	};
	static const uint32_t lanes[] = {1, 48, 64};
	struct tdev_variant v = {.portable = 1, .threads = 1};
	struct tdev d;
	uint32_t c, i;

	ASSERT_EQ(0, tdev_init(&d, 16 << 20, &v));
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		uint32_t m = cases[c].m, n = cases[c].n, k = cases[c].k, g = cases[c].group;
		uint32_t ng = lutc_ngroups(k, g), planes = lutc_wfmt_planes(cases[c].wfmt);
		int itab = cases[c].table == LUTC_DT_I8 || cases[c].table == LUTC_DT_I16;
		int scaled = cases[c].acc == LUTC_DT_F32;
		struct lutc_lmma l = {.op = LUTC_OP_LMMA,
				      .table_dtype = (uint8_t)cases[c].table,
				      .wfmt = (uint8_t)cases[c].wfmt,
				      .acc_dtype = (uint8_t)cases[c].acc,
				      .m = m,
				      .n = n,
				      .k = k,
				      .group = g};
		uint64_t array =
			div_up((uint64_t)div_up(m, 2) * div_up(n, 64) * div_up(k, 4) * planes,
			       cases[c].mult);

		tdev_reset(&d);
		l.table = zalloc(&d, lutc_table_bytes(m, k, cases[c].table));
		l.weights = zalloc(&d, lutc_weight_bytes(n, k, cases[c].wfmt));
		l.acc = zalloc(&d, 4ull * m * n);
		if (scaled) {
			l.flags = LUTC_MM_WSCALE;
			l.scale_dtype = LUTC_DT_F32;
			l.wscale = zalloc(&d, 4ull * n * ng);
		}
		if (scaled && itab) {
			l.flags |= LUTC_MM_TSCALE;
			l.tscale = zalloc(&d, 4ull * m * ng);
		}
		for (i = 0; i < ARRAY_SIZE(lanes); i++) {
			struct lut_engine_config cfg;
			struct lut_engine *e;
			struct lut_exec_result res = {0};
			uint64_t stage = div_up((uint64_t)m * n * ng * 3, lanes[i]);

			lut_engine_config_default(&cfg);
			cfg.flags |= LUT_ENGINE_PORTABLE;
			cfg.array_mult = cases[c].mult;
			cfg.vector_lanes = lanes[i];
			cfg.mem_bytes_per_cycle = WIDE;
			ASSERT_EQ(0, lut_engine_init(&e, &cfg));
			ASSERT_EQ(0, lut_engine_exec(e, &d.mem, &l, &res));
			lut_engine_fini(e);
			ASSERT_EQ(cfg.insn_overhead + max64(array, stage), res.cycles)
			{
				TH_LOG("case %u, %u lanes: array %llu stage %llu", c, lanes[i],
				       (unsigned long long)array, (unsigned long long)stage);
			}
		}
	}
	tdev_fini(&d);
}

/* ATTN: 4 heads head_dim per attended position; row r attends pos0 + r + 1. */
TEST(attention_cycles)
{
	static const struct {
		uint32_t rows, heads, kvh, hd, ctx, pos0, kvdt, flags;
	} cases[] = {
		{1, 4, 2, 16, 32, 0, LUTC_DT_F32, 0},
		{1, 8, 8, 64, 300, 250, LUTC_DT_F16, LUTC_ATTN_APPEND},
		{5, 4, 1, 8, 20, 3, LUTC_DT_F32, LUTC_ATTN_APPEND},
		{3, 2, 2, 32, 16, 7, LUTC_DT_F16, LUTC_ATTN_POS_INDIRECT},
	};
	struct tdev_variant v = {.portable = 1, .threads = 1};
	struct tdev d;
	uint32_t c, r;

	ASSERT_EQ(0, tdev_init(&d, 8 << 20, &v));
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		uint32_t rows = cases[c].rows, qw = cases[c].heads * cases[c].hd;
		uint32_t kw = cases[c].kvh * cases[c].hd, sz = lutc_dtype_size(cases[c].kvdt);
		int32_t pos0 = (int32_t)cases[c].pos0;
		uint64_t cache = (uint64_t)cases[c].ctx * kw * sz, live, positions = 0, bytes;
		struct lutc_attn a = {.op = LUTC_OP_ATTN,
				      .kv_dtype = (uint8_t)cases[c].kvdt,
				      .flags = cases[c].flags,
				      .rows = rows,
				      .heads = cases[c].heads,
				      .kv_heads = cases[c].kvh,
				      .head_dim = cases[c].hd,
				      .ctx = cases[c].ctx,
				      .scale = 0.25f};

		tdev_reset(&d);
		a.q = zalloc(&d, 4ull * rows * qw);
		a.out = zalloc(&d, 4ull * rows * qw);
		a.k_cache = zalloc(&d, cache);
		a.v_cache = zalloc(&d, cache);
		live = (uint64_t)(cases[c].pos0 + rows) * kw * sz;
		/* q and out; the live prefix of both caches is read. */
		bytes = 2 * 4ull * rows * qw + 2 * live;
		if (a.flags & LUTC_ATTN_POS_INDIRECT) {
			a.pos = tdev_put(&d, &pos0, 4, 4);
			bytes += 4;
		} else {
			a.pos0 = cases[c].pos0;
		}
		if (a.flags & LUTC_ATTN_APPEND) {
			a.k_new = zalloc(&d, 4ull * rows * kw);
			a.v_new = zalloc(&d, 4ull * rows * kw);
			/* The new rows are read, then written into both caches. */
			bytes += 2 * 4ull * rows * kw + 2ull * rows * kw * sz;
		}
		for (r = 0; r < rows; r++)
			positions += cases[c].pos0 + r + 1;
		check_roofline(_metadata, &d, &a, 4ull * cases[c].heads * cases[c].hd * positions,
			       bytes, "ATTN");
	}
	tdev_fini(&d);
}

/*
 * The other vector instructions: c operations per element, c found with
 * one lane on the first shape, then every shape and lane count must agree.
 */
struct vec_insn {
	union lutc_insn in;
	uint64_t elements, bytes;
};

static void build_vec(struct tdev *d, uint32_t op, uint32_t rows, uint32_t n, struct vec_insn *v)
{
	union lutc_insn *in = &v->in;
	uint32_t i;

	memset(v, 0, sizeof(*v));
	tdev_reset(d);
	v->elements = (uint64_t)rows * n;
	switch (op) {
	case LUTC_OP_COPY:
		in->copy = (struct lutc_copy){.op = LUTC_OP_COPY,
					      .src_dtype = LUTC_DT_F32,
					      .dst_dtype = LUTC_DT_F16,
					      .rows = rows,
					      .cols = n,
					      .src_ld = n + 3};
		in->copy.src = zalloc(d, mat(rows, n, n + 3, 4));
		in->copy.dst = zalloc(d, 2ull * rows * n);
		v->bytes = mat(rows, n, n + 3, 4) + 2ull * rows * n;
		break;
	case LUTC_OP_EMBED:
		/* Dense rows: the ids, the named rows (all distinct), the output. */
		in->embed = (struct lutc_embed){.op = LUTC_OP_EMBED,
						.src_dtype = LUTC_DT_BF16,
						.out_dtype = LUTC_DT_F32,
						.rows = rows,
						.dim = n,
						.vocab = 2 * rows};
		in->embed.ids = zalloc(d, 4ull * rows);
		for (i = 0; i < rows; i++)
			((int32_t *)tdev_ptr(d, in->embed.ids))[i] = (int32_t)(2 * rows - 1 - i);
		in->embed.src = zalloc(d, 2ull * 2 * rows * n);
		in->embed.out = zalloc(d, 4ull * rows * n);
		v->bytes = 4ull * rows + 2ull * rows * n + 4ull * rows * n;
		break;
	case LUTC_OP_RMSNORM:
		in->rmsnorm = (struct lutc_rmsnorm){.op = LUTC_OP_RMSNORM,
						    .in_dtype = LUTC_DT_F16,
						    .out_dtype = LUTC_DT_F32,
						    .flags = LUTC_NORM_WEIGHT,
						    .rows = rows,
						    .n = n,
						    .eps = 1e-5f};
		in->rmsnorm.in = zalloc(d, 2ull * rows * n);
		in->rmsnorm.weight = zalloc(d, 4ull * n);
		in->rmsnorm.out = zalloc(d, 4ull * rows * n);
		v->bytes = 2ull * rows * n + 4ull * n + 4ull * rows * n;
		break;
	case LUTC_OP_ROPE:
		/* n = heads x head_dim with head_dim 8: elements are rows x n. */
		in->rope = (struct lutc_rope){.op = LUTC_OP_ROPE,
					      .dtype = LUTC_DT_F32,
					      .flags = LUTC_ROPE_POS_ARRAY,
					      .rows = rows,
					      .heads = n / 8,
					      .head_dim = 8,
					      .theta = 1e4f,
					      .freq_scale = 1.0f};
		in->rope.in = zalloc(d, 4ull * rows * n);
		in->rope.pos = zalloc(d, 4ull * rows);
		in->rope.out = zalloc(d, 4ull * rows * n);
		v->bytes = 2 * 4ull * rows * n + 4ull * rows;
		break;
	case LUTC_OP_ELTWISE:
		in->elt = (struct lutc_eltwise){.op = LUTC_OP_ELTWISE,
						.fn = LUTC_ELT_SILU_MUL,
						.dtype = LUTC_DT_F32,
						.rows = rows,
						.n = n};
		in->elt.a = zalloc(d, 4ull * rows * n);
		in->elt.b = zalloc(d, 4ull * rows * n);
		in->elt.y = zalloc(d, 4ull * rows * n);
		v->bytes = 3 * 4ull * rows * n;
		break;
	case LUTC_OP_ARGMAX:
		in->argmax = (struct lutc_argmax){.op = LUTC_OP_ARGMAX,
						  .dtype = LUTC_DT_F32,
						  .flags = LUTC_ARGMAX_VALUE,
						  .rows = rows,
						  .n = n};
		in->argmax.in = zalloc(d, 4ull * rows * n);
		in->argmax.out = zalloc(d, 4ull * rows);
		in->argmax.out_val = zalloc(d, 4ull * rows);
		v->bytes = 4ull * rows * n + 8ull * rows;
		break;
	default:
		in->softmax = (struct lutc_softmax){.op = LUTC_OP_SOFTMAX,
						    .dtype = LUTC_DT_F32,
						    .rows = rows,
						    .n = n,
						    .scale = 1.0f};
		in->softmax.in = zalloc(d, 4ull * rows * n);
		in->softmax.out = zalloc(d, 4ull * rows * n);
		v->bytes = 2 * 4ull * rows * n;
		break;
	}
}

TEST(other_vector_cycles)
{
	static const uint32_t ops[] = {LUTC_OP_COPY,   LUTC_OP_EMBED,	LUTC_OP_RMSNORM,
				       LUTC_OP_ROPE,   LUTC_OP_ELTWISE, LUTC_OP_ARGMAX,
				       LUTC_OP_SOFTMAX};
	static const char *const names[] = {"COPY",    "EMBED",	 "RMSNORM", "ROPE",
					    "ELTWISE", "ARGMAX", "SOFTMAX"};
	/* Operations per element, docs/isa.md §6. */
	static const uint64_t ops_per_elem[] = {1, 2, 4, 3, 4, 1, 4};
	static const struct {
		uint32_t rows, n;
	} shapes[] = {{3, 40}, {1, 4096}, {7, 8}};
	struct tdev_variant v = {.portable = 1, .threads = 1};
	struct tdev d;
	struct vec_insn vi;
	uint32_t o, s;

	ASSERT_EQ(0, tdev_init(&d, 8 << 20, &v));
	for (o = 0; o < ARRAY_SIZE(ops); o++) {
		struct lut_exec_result res;
		uint64_t per;
		uint32_t ovh;

		/* One lane, unbounded memory: compute is c x elements exactly. */
		build_vec(&d, ops[o], shapes[0].rows, shapes[0].n, &vi);
		ASSERT_EQ(0, exec_cfg(&d, &vi.in, 1, WIDE, &res, &ovh));
		per = (res.cycles - ovh) / vi.elements;
		ASSERT_EQ(per * vi.elements, res.cycles - ovh)
		{
			TH_LOG("%s: %llu cycles for %llu elements", names[o],
			       (unsigned long long)(res.cycles - ovh),
			       (unsigned long long)vi.elements);
		}
		ASSERT_EQ(ops_per_elem[o], per)
		{
			TH_LOG("%s: %llu operations per element", names[o],
			       (unsigned long long)per);
		}
		for (s = 0; s < ARRAY_SIZE(shapes); s++) {
			build_vec(&d, ops[o], shapes[s].rows, shapes[s].n, &vi);
			check_roofline(_metadata, &d, &vi.in, per * vi.elements, vi.bytes,
				       names[o]);
		}
	}
	tdev_fini(&d);
}

TEST_HARNESS_MAIN
