// SPDX-License-Identifier: MIT
/*
 * Malformed streams and instructions: each gets its specific error code and
 * faulting address, and nothing crashes (these tests also run under ASan
 * and UBSan). Covers unknown opcodes, reserved bytes, unknown flags, unused
 * operand fields, bad types, zero and overflowing sizes, misaligned and
 * unmapped operands, operands at and past the top of the VA space, writes
 * to read-only memory, bad streams, random descriptors, and aborting a
 * running stream.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "lutcore/pack.h"
#include "ref.h"
#include "tfixture.h"

#define NOPS 14

/* A valid instruction of each opcode, with small operands in memory. */
static void make_valid(struct tdev *d, uint32_t which, union lutc_insn *in)
{
	memset(in, 0, sizeof(*in));
	switch (which) {
	case 0:
		in->hdr.op = LUTC_OP_NOP;
		break;
	case 1:
		in->hdr.op = LUTC_OP_FENCE;
		break;
	case 2:
		in->signal = (struct lutc_signal){
			.op = LUTC_OP_SIGNAL, .addr = tdev_alloc(d, 8, 8), .value = 1};
		break;
	case 3:
		in->copy = (struct lutc_copy){.op = LUTC_OP_COPY,
					      .src_dtype = LUTC_DT_F32,
					      .dst_dtype = LUTC_DT_F16,
					      .rows = 2,
					      .cols = 8,
					      .src = tdev_alloc(d, 64, 64),
					      .dst = tdev_alloc(d, 32, 64)};
		break;
	case 4:
		in->precomp = (struct lutc_precomp){.op = LUTC_OP_PRECOMP,
						    .act_dtype = LUTC_DT_F32,
						    .table_dtype = LUTC_DT_I8,
						    .flags = LUTC_PRE_ASUM,
						    .m = 2,
						    .k = 64,
						    .group = 32,
						    .act = tdev_alloc(d, 512, 64),
						    .table = tdev_alloc(d, 256, 64),
						    .tscale = tdev_alloc(d, 16, 64),
						    .asum = tdev_alloc(d, 16, 64)};
		break;
	case 5:
		in->lmma =
			(struct lutc_lmma){.op = LUTC_OP_LMMA,
					   .table_dtype = LUTC_DT_I8,
					   .wfmt = LUTC_WF_INT2,
					   .acc_dtype = LUTC_DT_F32,
					   .m = 2,
					   .n = 64,
					   .k = 64,
					   .group = 32,
					   .flags = LUTC_MM_WSCALE | LUTC_MM_WZERO | LUTC_MM_TSCALE,
					   .scale_dtype = LUTC_DT_F32,
					   .table = tdev_alloc(d, 256, 64),
					   .weights = tdev_alloc(d, 2048, 64),
					   .acc = tdev_alloc(d, 512, 64),
					   .wscale = tdev_alloc(d, 512, 64),
					   .wzero = tdev_alloc(d, 512, 64),
					   .tscale = tdev_alloc(d, 16, 64),
					   .asum = tdev_alloc(d, 16, 64)};
		memset(tdev_ptr(d, in->lmma.table), 1, 256);
		break;
	case 6:
		in->epi = (struct lutc_epilogue){.op = LUTC_OP_EPILOGUE,
						 .acc_dtype = LUTC_DT_I32,
						 .out_dtype = LUTC_DT_I8,
						 .m = 2,
						 .n = 16,
						 .flags = LUTC_EPI_RESIDUAL,
						 .res_dtype = LUTC_DT_F32,
						 .acc = tdev_alloc(d, 128, 64),
						 .residual = tdev_alloc(d, 128, 64),
						 .out = tdev_alloc(d, 32, 64),
						 .out_scale = tdev_alloc(d, 8, 64)};
		memset(tdev_ptr(d, in->epi.residual), 0, 128);
		break;
	case 7:
		in->embed = (struct lutc_embed){.op = LUTC_OP_EMBED,
						.src_dtype = LUTC_DT_F16,
						.out_dtype = LUTC_DT_F32,
						.rows = 2,
						.dim = 8,
						.vocab = 4,
						.ids = tdev_alloc(d, 8, 64),
						.src = tdev_alloc(d, 64, 64),
						.out = tdev_alloc(d, 64, 64)};
		memset(tdev_ptr(d, in->embed.ids), 0, 8);
		break;
	case 8:
		in->rmsnorm = (struct lutc_rmsnorm){.op = LUTC_OP_RMSNORM,
						    .in_dtype = LUTC_DT_F32,
						    .out_dtype = LUTC_DT_F32,
						    .rows = 2,
						    .n = 8,
						    .eps = 1e-5f,
						    .in = tdev_alloc(d, 64, 64),
						    .out = tdev_alloc(d, 64, 64)};
		break;
	case 9:
		in->rope = (struct lutc_rope){.op = LUTC_OP_ROPE,
					      .dtype = LUTC_DT_F32,
					      .rows = 2,
					      .heads = 2,
					      .head_dim = 4,
					      .theta = 1e4f,
					      .freq_scale = 1.0f,
					      .in = tdev_alloc(d, 64, 64),
					      .out = tdev_alloc(d, 64, 64)};
		break;
	case 10:
		in->attn = (struct lutc_attn){.op = LUTC_OP_ATTN,
					      .kv_dtype = LUTC_DT_F32,
					      .flags = LUTC_ATTN_APPEND,
					      .rows = 1,
					      .heads = 2,
					      .kv_heads = 1,
					      .head_dim = 4,
					      .ctx = 4,
					      .pos0 = 1,
					      .scale = 0.5f,
					      .q = tdev_alloc(d, 32, 64),
					      .k_new = tdev_alloc(d, 16, 64),
					      .v_new = tdev_alloc(d, 16, 64),
					      .k_cache = tdev_alloc(d, 64, 64),
					      .v_cache = tdev_alloc(d, 64, 64),
					      .out = tdev_alloc(d, 32, 64)};
		break;
	case 11:
		in->elt = (struct lutc_eltwise){.op = LUTC_OP_ELTWISE,
						.fn = LUTC_ELT_ADD,
						.dtype = LUTC_DT_F32,
						.rows = 2,
						.n = 8,
						.a = tdev_alloc(d, 64, 64),
						.b = tdev_alloc(d, 64, 64),
						.y = tdev_alloc(d, 64, 64)};
		break;
	case 12:
		in->argmax = (struct lutc_argmax){.op = LUTC_OP_ARGMAX,
						  .dtype = LUTC_DT_F32,
						  .rows = 2,
						  .n = 8,
						  .in = tdev_alloc(d, 64, 64),
						  .out = tdev_alloc(d, 8, 64)};
		break;
	default:
		in->softmax = (struct lutc_softmax){.op = LUTC_OP_SOFTMAX,
						    .dtype = LUTC_DT_F32,
						    .rows = 2,
						    .n = 8,
						    .scale = 1.0f,
						    .in = tdev_alloc(d, 64, 64),
						    .out = tdev_alloc(d, 64, 64)};
		break;
	}
}

/* Byte ranges of each descriptor that are reserved (must be zero). */
struct rsvd {
	uint32_t which, off, len;
};

#define R(w, type, field)                                                          \
	{                                                                          \
		w, offsetof(struct type, field), sizeof(((struct type *)0)->field) \
	}

static const struct rsvd reserved[] = {
	{0, 1, 127},
	{1, 1, 127},
	R(2, lutc_signal, rsvd0),
	R(2, lutc_signal, rsvd1),
	R(3, lutc_copy, rsvd0),
	R(3, lutc_copy, rsvd1),
	R(4, lutc_precomp, rsvd0),
	R(4, lutc_precomp, rsvd1),
	R(4, lutc_precomp, rsvd2),
	R(5, lutc_lmma, rsvd0),
	R(5, lutc_lmma, rsvd1),
	R(6, lutc_epilogue, rsvd0),
	R(6, lutc_epilogue, rsvd1),
	R(7, lutc_embed, rsvd0),
	R(7, lutc_embed, rsvd1),
	R(8, lutc_rmsnorm, rsvd0),
	R(8, lutc_rmsnorm, rsvd1),
	R(8, lutc_rmsnorm, rsvd2),
	R(9, lutc_rope, rsvd0),
	R(9, lutc_rope, rsvd1),
	R(9, lutc_rope, rsvd2),
	R(10, lutc_attn, rsvd0),
	R(10, lutc_attn, rsvd1),
	R(11, lutc_eltwise, rsvd0),
	R(11, lutc_eltwise, rsvd1),
	R(11, lutc_eltwise, rsvd2),
	R(12, lutc_argmax, rsvd0),
	R(12, lutc_argmax, rsvd1),
	R(12, lutc_argmax, rsvd2),
	R(13, lutc_softmax, rsvd0),
	R(13, lutc_softmax, rsvd1),
	R(13, lutc_softmax, rsvd2),
};

static int run(struct tdev *d, const union lutc_insn *in, struct lut_exec_result *res)
{
	return tdev_run(d, in, 1, res);
}

TEST_F(engine, valid_templates_run)
{
	struct lut_exec_result res;
	union lutc_insn in;
	uint32_t w;

	for (w = 0; w < NOPS; w++) {
		make_valid(&self->d, w, &in);
		ASSERT_EQ(0, run(&self->d, &in, &res))
		{
			TH_LOG("template %u (opcode %#x)", w, in.hdr.op);
		}
	}
}

TEST_F(engine, unknown_opcodes)
{
	static const uint8_t ops[] = {0x00, 0x05, 0x0f, 0x13, 0x1f, 0x27, 0x80, 0xff};
	struct lut_exec_result res;
	union lutc_insn in[3];
	uint64_t va;
	uint32_t i;

	for (i = 0; i < sizeof(ops); i++) {
		memset(in, 0, sizeof(in));
		in[0].hdr.op = LUTC_OP_NOP;
		in[1].hdr.op = LUTC_OP_NOP;
		in[2].hdr.op = ops[i];
		va = tdev_put(&self->d, in, sizeof(in), LUTC_INSN_SIZE);
		ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE,
			  lut_engine_run(self->d.e, &self->d.mem, va, sizeof(in), &res));
		ASSERT_EQ(2u * LUTC_INSN_SIZE, res.fault_offset);
		ASSERT_EQ(va + 2 * LUTC_INSN_SIZE, res.fault_va);
		ASSERT_EQ(2u, res.insns);
	}
}

TEST_F(engine, reserved_bytes_and_flags)
{
	struct lut_exec_result res;
	union lutc_insn in;
	uint32_t r, b;

	for (r = 0; r < ARRAY_SIZE(reserved); r++) {
		for (b = 0; b < reserved[r].len; b++) {
			make_valid(&self->d, reserved[r].which, &in);
			in.bytes[reserved[r].off + b] = 0x40;
			ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res))
			{
				TH_LOG("template %u byte %u", reserved[r].which,
				       reserved[r].off + b);
			}
		}
	}
	/* An unknown flag bit (bit 31 is defined nowhere). */
	for (r = 2; r < NOPS; r++) {
		make_valid(&self->d, r, &in);
		in.hdr.flags |= 1u << 31;
		ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	}
}

/* Operand fields set without the flag that would use them. */
TEST_F(engine, unused_operands)
{
	struct lut_exec_result res;
	union lutc_insn in;

	make_valid(&self->d, 4, &in);
	in.precomp.norm_w = TDEV_VA;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 4, &in);
	in.precomp.eps = 1e-5f;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 4, &in);
	in.precomp.act_scale = TDEV_VA;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 5, &in);
	in.lmma.flags &= ~LUTC_MM_TSCALE;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 5, &in);
	in.lmma.zero_imm = 1.0f;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 6, &in);
	in.epi.out_dtype = LUTC_DT_F32; /* out_scale now unused */
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 11, &in);
	in.elt.fn = LUTC_ELT_SILU; /* unary: b must be 0 */
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
	make_valid(&self->d, 10, &in);
	in.attn.flags = 0; /* k_new and v_new unused */
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, run(&self->d, &in, &res));
}

/* Types, dimensions and combinations the instruction does not define. */
TEST_F(engine, bad_types_and_sizes)
{
	struct lut_exec_result res;
	union lutc_insn in;
	uint32_t i;
	static const struct {
		uint32_t which, off, size;
		uint64_t value;
	} cases[] = {
		{3, offsetof(struct lutc_copy, src_dtype), 1, LUTC_DT_I32},
		{3, offsetof(struct lutc_copy, rows), 4, 0},
		{3, offsetof(struct lutc_copy, src_ld), 4, 3},
		{4, offsetof(struct lutc_precomp, act_dtype), 1, LUTC_DT_I32},
		{4, offsetof(struct lutc_precomp, table_dtype), 1, LUTC_DT_I16},
		{4, offsetof(struct lutc_precomp, group), 4, 6},
		{4, offsetof(struct lutc_precomp, k), 4, LUTC_MAX_DIM + 1},
		{4, offsetof(struct lutc_precomp, m), 4, 0},
		{5, offsetof(struct lutc_lmma, wfmt), 1, 6},
		{5, offsetof(struct lutc_lmma, wfmt), 1, 0},
		{5, offsetof(struct lutc_lmma, acc_dtype), 1, LUTC_DT_I32},
		{5, offsetof(struct lutc_lmma, table_dtype), 1, 9},
		{5, offsetof(struct lutc_lmma, scale_dtype), 1, LUTC_DT_I8},
		{5, offsetof(struct lutc_lmma, n), 4, 0xffffffff},
		{5, offsetof(struct lutc_lmma, group), 4, 2},
		{6, offsetof(struct lutc_epilogue, act_fn), 1, 3},
		{6, offsetof(struct lutc_epilogue, acc_dtype), 1, LUTC_DT_F16},
		{6, offsetof(struct lutc_epilogue, res_dtype), 1, LUTC_DT_I8},
		{6, offsetof(struct lutc_epilogue, out_ld), 4, 3},
		{7, offsetof(struct lutc_embed, src_dtype), 1, LUTC_DT_I8},
		{8, offsetof(struct lutc_rmsnorm, in_dtype), 1, LUTC_DT_I32},
		{9, offsetof(struct lutc_rope, mode), 1, 2},
		{9, offsetof(struct lutc_rope, rot_dim), 4, 3},
		{9, offsetof(struct lutc_rope, head_dim), 4, 2000},
		{10, offsetof(struct lutc_attn, kv_heads), 4, 3},
		{10, offsetof(struct lutc_attn, heads), 4, 0},
		{11, offsetof(struct lutc_eltwise, fn), 1, 6},
		{11, offsetof(struct lutc_eltwise, dtype), 1, LUTC_DT_F16},
		{12, offsetof(struct lutc_argmax, dtype), 1, LUTC_DT_I32},
		{13, offsetof(struct lutc_softmax, n), 4, 0},
	};

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		make_valid(&self->d, cases[i].which, &in);
		memcpy(in.bytes + cases[i].off, &cases[i].value, cases[i].size);
		ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res))
		{
			TH_LOG("case %u", i);
		}
	}
	/* Float fields: NaN epsilon, infinite theta and scale. */
	make_valid(&self->d, 8, &in);
	in.rmsnorm.eps = NAN;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	make_valid(&self->d, 9, &in);
	in.rope.theta = INFINITY;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	make_valid(&self->d, 13, &in);
	in.softmax.scale = NAN;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
}

/* Sizes within the dimension limits whose operands exceed the VA space. */
TEST_F(engine, overflowing_sizes)
{
	struct lut_exec_result res;
	union lutc_insn in;

	make_valid(&self->d, 4, &in);
	in.precomp.m = LUTC_MAX_DIM;
	in.precomp.k = LUTC_MAX_DIM;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	make_valid(&self->d, 3, &in);
	in.copy.rows = LUTC_MAX_DIM;
	in.copy.cols = LUTC_MAX_DIM;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	/* A range that wraps around the end of the address space. */
	make_valid(&self->d, 8, &in);
	in.rmsnorm.in = 0xffffffffffffffc0ull;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
}

TEST_F(engine, misaligned_operands)
{
	struct lut_exec_result res;
	union lutc_insn in;

	make_valid(&self->d, 5, &in);
	in.lmma.weights += 16;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	ASSERT_EQ(in.lmma.weights, res.fault_va);
	make_valid(&self->d, 5, &in);
	in.lmma.acc += 2;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	ASSERT_EQ(in.lmma.acc, res.fault_va);
	make_valid(&self->d, 2, &in);
	in.signal.addr += 4;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
	make_valid(&self->d, 8, &in);
	in.rmsnorm.out += 1;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPERAND, run(&self->d, &in, &res));
}

TEST_F(engine, unmapped_and_read_only)
{
	struct lut_exec_result res;
	union lutc_insn in;
	uint64_t end = TDEV_VA + self->d.size;

	make_valid(&self->d, 4, &in);
	in.precomp.act = 0x1000;
	ASSERT_EQ(LUTCORE_ERR_PAGE_FAULT, run(&self->d, &in, &res));
	ASSERT_EQ(0x1000u, res.fault_va);
	/* Straddling the end: the fault is the first byte past memory. */
	make_valid(&self->d, 4, &in);
	in.precomp.table = end - 128;
	ASSERT_EQ(LUTCORE_ERR_PAGE_FAULT, run(&self->d, &in, &res));
	ASSERT_EQ(end, res.fault_va);
	/* Writes into a read-only window, also when it starts mid-operand. */
	make_valid(&self->d, 8, &in);
	self->d.fm.ro_start = in.rmsnorm.out + 32;
	self->d.fm.ro_end = in.rmsnorm.out + 64;
	ASSERT_EQ(LUTCORE_ERR_WRITE_FAULT, run(&self->d, &in, &res));
	ASSERT_EQ(in.rmsnorm.out + 32, res.fault_va);
	/* Reading it is fine. */
	in.rmsnorm.in = in.rmsnorm.out;
	in.rmsnorm.out = tdev_alloc(&self->d, 64, 64);
	ASSERT_EQ(0, run(&self->d, &in, &res));
	/* Every mapping was released. */
	ASSERT_EQ(self->d.fm.maps, self->d.fm.unmaps);
}

/* Flat memory that aborts the engine when it has mapped abort_at runs. */
struct abort_mem {
	struct lut_flat_mem fm;
	struct lut_engine *e;
	uint64_t abort_at;
};

static int abort_map(void *opaque, uint64_t va, uint64_t len, enum lut_access acc, void **host,
		     uint64_t *host_len, uint64_t *fault_va)
{
	struct abort_mem *a = opaque;

	if (a->fm.maps == a->abort_at)
		lut_engine_abort(a->e);
	return lut_flat_mem_ops.map(&a->fm, va, len, acc, host, host_len, fault_va);
}

static void abort_unmap(void *opaque, void *host, uint64_t host_len, enum lut_access acc,
			uint64_t written)
{
	struct abort_mem *a = opaque;

	lut_flat_mem_ops.unmap(&a->fm, host, host_len, acc, written);
}

/*
 * An abort (device reset or removal) while an operand of many scattered
 * pages is being mapped stops the mapping within a bounded number of
 * runs, not only at the next instruction; every mapping is released.
 */
TEST(abort_within_a_scattered_operand)
{
	static const struct lut_mem_ops ops = {.map = abort_map, .unmap = abort_unmap};
	const uint64_t half = 32ull << 20, va = 1ull << 30;
	struct abort_mem a = {.abort_at = 10};
	struct lut_mem mem = {.ops = &ops, .opaque = &a};
	struct lut_engine_config cfg;
	struct lut_exec_result res;
	struct lutc_copy cp = {.op = LUTC_OP_COPY,
			       .src_dtype = LUTC_DT_F32,
			       .dst_dtype = LUTC_DT_F32,
			       .rows = 8190, /* 8190 pages of 1024 floats */
			       .cols = 1024,
			       .src = va + 4096,
			       .dst = va + half};
	uint8_t *base = aligned_alloc(4096, 2 * half);

	ASSERT_NE(NULL, base);
	memcpy(base, &cp, sizeof(cp));
	lut_flat_mem_init(&a.fm, base, va, 2 * half);
	a.fm.max_run = 4096; /* one run per page */
	lut_engine_config_default(&cfg);
	ASSERT_EQ(0, lut_engine_init(&a.e, &cfg));
	lut_engine_run(a.e, &mem, va, LUTC_INSN_SIZE, &res);
	/* Stopped in the source's mapping, the destination never mapped. */
	EXPECT_EQ((uint32_t)LUTCORE_ERR_BUS, res.error);
	EXPECT_LT(a.fm.maps, (uint64_t)4200)
	TH_LOG("%llu runs mapped after the abort", (unsigned long long)a.fm.maps);
	EXPECT_EQ(a.fm.maps, a.fm.unmaps);
	lut_engine_fini(a.e);
	free(base);
}

/* Every device page is the same 4 KiB host page (aliased page tables). */
struct alias_mem {
	uint8_t page[4096];
	uint64_t maps, unmaps;
};

static int alias_map(void *opaque, uint64_t va, uint64_t len, enum lut_access acc, void **host,
		     uint64_t *host_len, uint64_t *fault_va)
{
	struct alias_mem *a = opaque;
	uint64_t off = va % sizeof(a->page);

	(void)acc;
	(void)fault_va;
	a->maps++;
	*host = a->page + off;
	*host_len = len < sizeof(a->page) - off ? len : sizeof(a->page) - off;
	return 0;
}

static void alias_unmap(void *opaque, void *host, uint64_t host_len, enum lut_access acc,
			uint64_t written)
{
	struct alias_mem *a = opaque;

	(void)host;
	(void)host_len;
	(void)acc;
	(void)written;
	a->unmaps++;
}

/*
 * A guest cannot make the device copy an operand of scattered pages
 * larger than 1 GiB (docs/isa.md §1): a 1025 MiB COPY over aliased pages
 * is BAD_OPERAND at its source, found at its first run, before anything
 * is allocated or copied.
 */
TEST(scattered_operand_over_copy_limit)
{
	static const struct lut_mem_ops ops = {.map = alias_map, .unmap = alias_unmap};
	static struct alias_mem a;
	const uint64_t va = 1ull << 32;
	struct lut_mem mem = {.ops = &ops, .opaque = &a};
	struct lut_engine_config cfg;
	struct lut_exec_result res;
	struct lut_engine *e;
	struct lutc_copy cp = {.op = LUTC_OP_COPY,
			       .src_dtype = LUTC_DT_F32,
			       .dst_dtype = LUTC_DT_F32,
			       .rows = 1025,
			       .cols = 1u << 18, /* 1 MiB rows */
			       .src = va,
			       .dst = va + (2ull << 30)};

	memset(&a, 0, sizeof(a));
	lut_engine_config_default(&cfg);
	ASSERT_EQ(0, lut_engine_init(&e, &cfg));
	/* The stream is the aliased page too: its first bytes hold the COPY. */
	memcpy(a.page, &cp, sizeof(cp));
	lut_engine_run(e, &mem, va, LUTC_INSN_SIZE, &res);
	EXPECT_EQ((uint32_t)LUTCORE_ERR_BAD_OPERAND, res.error);
	EXPECT_EQ(va, res.fault_va);
	EXPECT_LT(a.maps, (uint64_t)8) TH_LOG("%llu runs mapped", (unsigned long long)a.maps);
	EXPECT_EQ(a.maps, a.unmaps);
	lut_engine_fini(e);
}

/* Device memory straddling the top of the VA space, 32 KiB each side. */
#define VA_TOP	 (1ull << LUTCORE_VA_BITS)
#define TOP_HALF 0x8000u

/* One RMSNORM (2 rows of 8) at the given VAs, run from memory below the top. */
static int run_at_top(struct lut_engine *e, struct lut_flat_mem *fm, uint64_t src, uint64_t dst,
		      struct lut_exec_result *res)
{
	struct lut_mem mem = lut_flat_mem(fm);
	struct lutc_rmsnorm p = {.op = LUTC_OP_RMSNORM,
				 .in_dtype = LUTC_DT_F32,
				 .out_dtype = LUTC_DT_F32,
				 .rows = 2,
				 .n = 8,
				 .eps = 1e-5f,
				 .in = src,
				 .out = dst};
	uint64_t va = VA_TOP - TOP_HALF;

	memcpy(fm->base, &p, sizeof(p));
	return lut_engine_run(e, &mem, va, LUTC_INSN_SIZE, res);
}

/*
 * The VA space is 2^LUTCORE_VA_BITS bytes (docs/isa.md §1). An operand
 * whose last byte is the last byte of the space is valid and is neither
 * rejected nor wrapped; one that reaches past it, or starts past it, is
 * BAD_OPERAND at the operand's VA before anything is written, even though
 * this accessor would map the bytes there.
 */
TEST_F(engine, operands_at_top_of_va_space)
{
	struct lut_flat_mem fm;
	struct lut_exec_result res;
	uint8_t *mem = aligned_alloc(4096, 2 * TOP_HALF), before[2 * TOP_HALF];
	uint64_t src = VA_TOP - 128, dst = VA_TOP - 64;
	float x[16];
	uint32_t r, i;

	ASSERT_NE(NULL, mem);
	memset(mem, 0xcd, 2 * TOP_HALF);
	lut_flat_mem_init(&fm, mem, VA_TOP - TOP_HALF, 2 * TOP_HALF);
	fm.max_run = self->d.fm.max_run;
	for (i = 0; i < 16; i++)
		x[i] = (float)i - 7.5f;
	memcpy(mem + (src - fm.va_base), x, sizeof(x));
	/* The last 64 bytes of the space: valid, the result lands there. */
	ASSERT_EQ(0, run_at_top(self->d.e, &fm, src, dst, &res));
	for (r = 0; r < 2; r++) {
		double xd[8], y[8];

		for (i = 0; i < 8; i++)
			xd[i] = x[r * 8 + i];
		ref_rmsnorm(y, xd, NULL, 8, 1e-5);
		for (i = 0; i < 8; i++)
			ASSERT_TRUE(fabs(ref_f32_at(mem + (dst - fm.va_base), r * 8 + i) - y[i]) <=
				    1e-5 * fabs(y[i]) + 1e-6);
	}
	memcpy(before, mem, sizeof(before));
	/* Output straddling the top: half inside, half beyond. */
	EXPECT_EQ(LUTCORE_ERR_BAD_OPERAND, run_at_top(self->d.e, &fm, src, VA_TOP - 32, &res));
	EXPECT_EQ(VA_TOP - 32, res.fault_va);
	/* Output starting exactly at the top. */
	EXPECT_EQ(LUTCORE_ERR_BAD_OPERAND, run_at_top(self->d.e, &fm, src, VA_TOP, &res));
	EXPECT_EQ(VA_TOP, res.fault_va);
	/* An input straddling the top, the output valid. */
	EXPECT_EQ(LUTCORE_ERR_BAD_OPERAND, run_at_top(self->d.e, &fm, VA_TOP - 16, dst, &res));
	EXPECT_EQ(VA_TOP - 16, res.fault_va);
	/* Nothing was written by the rejected instructions (but for the stream). */
	ASSERT_EQ(0, memcmp(before + LUTC_INSN_SIZE, mem + LUTC_INSN_SIZE,
			    sizeof(before) - LUTC_INSN_SIZE));
	ASSERT_EQ(fm.maps, fm.unmaps);
	free(mem);
}

TEST_F(engine, bad_streams)
{
	struct lut_exec_result res;
	union lutc_insn in[3];
	uint64_t va;

	memset(in, 0, sizeof(in));
	in[0].hdr.op = in[1].hdr.op = in[2].hdr.op = LUTC_OP_NOP;
	va = tdev_put(&self->d, in, sizeof(in), LUTC_INSN_SIZE);
	ASSERT_EQ(LUTCORE_ERR_BAD_STREAM, lut_engine_run(self->d.e, &self->d.mem, va, 0, &res));
	ASSERT_EQ(LUTCORE_ERR_BAD_STREAM, lut_engine_run(self->d.e, &self->d.mem, va, 100, &res));
	ASSERT_EQ(LUTCORE_ERR_BAD_STREAM,
		  lut_engine_run(self->d.e, &self->d.mem, va + 4, LUTC_INSN_SIZE, &res));
	ASSERT_EQ(LUTCORE_ERR_BAD_STREAM, lut_engine_run(self->d.e, &self->d.mem, va,
							 LUTC_STREAM_MAX + LUTC_INSN_SIZE, &res));
	ASSERT_EQ(LUTCORE_ERR_BAD_STREAM,
		  lut_engine_run(self->d.e, &self->d.mem, ~0ull - 127, LUTC_INSN_SIZE * 2, &res));
	/* A stream running off the end of memory faults at that instruction. */
	va = TDEV_VA + self->d.size - 2 * LUTC_INSN_SIZE;
	memcpy(tdev_ptr(&self->d, va), in, 2 * LUTC_INSN_SIZE);
	ASSERT_EQ(LUTCORE_ERR_PAGE_FAULT,
		  lut_engine_run(self->d.e, &self->d.mem, va, sizeof(in), &res));
	ASSERT_EQ(2u * LUTC_INSN_SIZE, res.fault_offset);
	ASSERT_EQ(TDEV_VA + self->d.size, res.fault_va);
	ASSERT_EQ(2u, res.insns);
}

/* The per-instruction entry point runs a host-memory descriptor. */
TEST_F(engine, exec_single_instruction)
{
	struct lut_exec_result res = {0};
	union lutc_insn in;

	make_valid(&self->d, 11, &in);
	ASSERT_EQ(0, lut_engine_exec(self->d.e, &self->d.mem, &in, &res));
	ASSERT_EQ(1u, res.insns);
	ASSERT_EQ(128u, res.bytes_read);
	ASSERT_EQ(64u, res.bytes_written);
	in.hdr.op = 0x77;
	ASSERT_EQ(LUTCORE_ERR_BAD_OPCODE, lut_engine_exec(self->d.e, &self->d.mem, &in, &res));
}

/*
 * Random descriptors: a valid template with random type bytes, flags,
 * reserved bytes and address offsets, and random small dimensions. The
 * result must be a defined code; ASan and UBSan watch for the rest.
 */
TEST_F(engine, random_descriptors)
{
	struct lut_exec_result res;
	union lutc_insn in;
	uint32_t it, ok = 0, codes[8] = {0};

	for (it = 0; it < 3000; it++) {
		uint32_t n = trand_range(1, 4), j;
		int err;

		tdev_reset(&self->d);
		make_valid(&self->d, trand_range(0, NOPS - 1), &in);
		for (j = 0; j < n; j++) {
			uint32_t at = trand_range(1, 127), kind = trand_range(0, 3);

			if (kind == 0 && at < 8) /* type bytes and flags */
				in.bytes[at] = (uint8_t)trand();
			else if (kind == 1 && at >= 8 && at + 4 <= 32) /* dims, small */
				memcpy(in.bytes + (at & ~3u), &(uint32_t){trand_range(0, 300)}, 4);
			else if (kind == 2 && at >= 32) /* addresses: nearby or anywhere */
				in.bytes[at] ^= (uint8_t)(1u << trand_range(0, 7));
			else
				in.bytes[at] = (uint8_t)trand();
		}
		err = run(&self->d, &in, &res);
		ASSERT_TRUE(err >= 0 && err <= LUTCORE_ERR_BAD_STREAM);
		codes[err]++;
		ok += !err;
	}
	/* The mutations reach both sides: some still run, most are refused. */
	ASSERT_GT(ok, 0u);
	ASSERT_GT(codes[LUTCORE_ERR_BAD_OPCODE], 0u);
	ASSERT_GT(codes[LUTCORE_ERR_BAD_OPERAND], 0u);
	ASSERT_EQ(self->d.fm.maps, self->d.fm.unmaps);
}

static struct lut_engine *abort_target;

static void abort_on_notify(void *opaque, uint64_t va, uint64_t value, uint32_t flags)
{
	lut_engine_abort(abort_target);
}

/* A soft reset between instructions stops the stream after the current one. */
TEST_F(engine, abort_between_instructions)
{
	struct lut_mem_ops ops = lut_flat_mem_ops;
	struct lut_mem mem = {.ops = &ops, .opaque = &self->d.fm};
	struct lut_exec_result res;
	union lutc_insn in[4];
	uint64_t va;

	ops.signal = abort_on_notify;
	abort_target = self->d.e;
	memset(in, 0, sizeof(in));
	in[0].hdr.op = in[2].hdr.op = in[3].hdr.op = LUTC_OP_NOP;
	make_valid(&self->d, 2, &in[1]);
	va = tdev_put(&self->d, in, sizeof(in), LUTC_INSN_SIZE);
	ASSERT_EQ(0, lut_engine_run(self->d.e, &mem, va, sizeof(in), &res));
	ASSERT_TRUE(res.aborted);
	ASSERT_EQ(2u, res.insns);
	ASSERT_EQ(2u * LUTC_INSN_SIZE, res.fault_offset);
	/* Still set: the next stream does not start. */
	ASSERT_EQ(0, lut_engine_run(self->d.e, &self->d.mem, va, sizeof(in), &res));
	ASSERT_TRUE(res.aborted);
	ASSERT_EQ(0u, res.insns);
	lut_engine_clear_abort(self->d.e);
	ASSERT_EQ(0, lut_engine_run(self->d.e, &self->d.mem, va, LUTC_INSN_SIZE, &res));
	ASSERT_FALSE(res.aborted);
	ASSERT_EQ(1u, res.insns);
}

static void *abort_later(void *arg)
{
	usleep(2000);
	lut_engine_abort(arg);
	return NULL;
}

/* An abort from another thread stops a long stream part way. */
TEST_F(engine, abort_from_another_thread)
{
	uint32_t count = 3000, i;
	union lutc_insn *in = calloc(count, sizeof(*in));
	struct lut_exec_result res;
	pthread_t t;

	/* Each LMMA takes tens of microseconds or more: 3000 take far over 2 ms. */
	in[0].lmma = (struct lutc_lmma){.op = LUTC_OP_LMMA,
					.table_dtype = LUTC_DT_I8,
					.wfmt = LUTC_WF_INT4,
					.acc_dtype = LUTC_DT_I32,
					.m = 1,
					.n = 512,
					.k = 1024};
	in[0].lmma.table = tdev_alloc(&self->d, lutc_table_bytes(1, 1024, LUTC_DT_I8), 64);
	in[0].lmma.weights = tdev_alloc(&self->d, lutc_weight_bytes(512, 1024, 4), 64);
	in[0].lmma.acc = tdev_alloc(&self->d, 512 * 4, 64);
	memset(tdev_ptr(&self->d, in[0].lmma.table), 0, lutc_table_bytes(1, 1024, LUTC_DT_I8));
	for (i = 1; i < count; i++)
		in[i] = in[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, abort_later, self->d.e));
	ASSERT_EQ(0, tdev_run(&self->d, in, count, &res));
	pthread_join(t, NULL);
	free(in);
	ASSERT_TRUE(res.aborted);
	ASSERT_LT(res.insns, count);
	ASSERT_GE(res.fault_offset, (res.insns - 1) * LUTC_INSN_SIZE);
	ASSERT_LE(res.fault_offset, res.insns * LUTC_INSN_SIZE);
}

TEST_HARNESS_MAIN
