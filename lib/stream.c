// SPDX-License-Identifier: MIT
/*
 * The instruction-stream builder.
 *
 * Descriptors are checked by the engine itself rather than by a second
 * copy of the ISA's rules: each one is executed once by a private engine
 * against a memory in which every address faults. The engine decodes and
 * validates an instruction completely (opcode, reserved fields, flags,
 * types, dimensions) before its first operand access, so "faulted on the
 * first operand" means "the device would accept this descriptor".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lut_engine.h"
#include "lutcore/stream.h"

struct lut_stream {
	uint8_t *buf;
	uint64_t va;
	uint32_t cap; /* bytes, a multiple of LUTC_INSN_SIZE */
	uint32_t len;
	int error;
	struct lut_engine *chk;
};

static int fault_map(void *opaque, uint64_t va, uint64_t len, enum lut_access acc, void **host,
		     uint64_t *host_len, uint64_t *fault_va)
{
	*fault_va = va;
	return LUTCORE_ERR_PAGE_FAULT;
}

static const struct lut_mem_ops fault_ops = {.map = fault_map};

int lut_stream_new(struct lut_stream **out, void *buf, size_t size, uint64_t va)
{
	struct lut_engine_config cfg;
	struct lut_stream *s;
	uint64_t cap;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	cap = size < LUTC_STREAM_MAX ? size : LUTC_STREAM_MAX;
	cap -= cap % LUTC_INSN_SIZE;
	if (!buf || !cap || va % LUTC_STREAM_ALIGN || va + cap - 1 < va)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	lut_engine_config_default(&cfg);
	ret = lut_engine_init(&s->chk, &cfg);
	if (ret) {
		free(s);
		return ret;
	}
	s->buf = buf;
	s->va = va;
	s->cap = (uint32_t)cap;
	*out = s;
	return 0;
}

void lut_stream_free(struct lut_stream *s)
{
	if (!s)
		return;
	lut_engine_fini(s->chk);
	free(s);
}

void lut_stream_reset(struct lut_stream *s)
{
	if (!s)
		return;
	s->len = 0;
	s->error = 0;
}

int lut_stream_error(const struct lut_stream *s)
{
	return s ? s->error : -EINVAL;
}

uint64_t lut_stream_va(const struct lut_stream *s)
{
	return s ? s->va : 0;
}

uint32_t lut_stream_size(const struct lut_stream *s)
{
	return s ? s->len : 0;
}

const void *lut_stream_data(const struct lut_stream *s)
{
	return s ? s->buf : NULL;
}

/* What the device would say about this descriptor: 0 or -EINVAL. */
static int check_insn(struct lut_stream *s, const union lutc_insn *in)
{
	const struct lut_mem mem = {.ops = &fault_ops};
	struct lut_exec_result res;
	int err;

	memset(&res, 0, sizeof(res));
	err = lut_engine_exec(s->chk, &mem, in, &res);
	return err == LUTCORE_ERR_NONE || err == LUTCORE_ERR_PAGE_FAULT ? 0 : -EINVAL;
}

/* Record the first error; every later append returns it. */
static int fail(struct lut_stream *s, int err)
{
	s->error = err;
	return err;
}

static int emit(struct lut_stream *s, const union lutc_insn *in, bool check)
{
	int err;

	if (s->error)
		return s->error;
	if (s->cap - s->len < LUTC_INSN_SIZE)
		return fail(s, -ENOSPC);
	err = check ? check_insn(s, in) : 0;
	if (err)
		return fail(s, err);
	memcpy(s->buf + s->len, in, LUTC_INSN_SIZE);
	s->len += LUTC_INSN_SIZE;
	return (int)(s->len / LUTC_INSN_SIZE) - 1;
}

/* A typed descriptor: its op field may be 0 or must already be op. */
static int emit_op(struct lut_stream *s, uint8_t op, const void *desc)
{
	union lutc_insn in;

	if (!s)
		return -EINVAL;
	if (!desc)
		return s->error ? s->error : fail(s, -EINVAL);
	memcpy(&in, desc, sizeof(in));
	if (in.hdr.op && in.hdr.op != op)
		return s->error ? s->error : fail(s, -EINVAL);
	in.hdr.op = op;
	return emit(s, &in, true);
}

int lut_stream_raw(struct lut_stream *s, const union lutc_insn *insn)
{
	if (!s)
		return -EINVAL;
	if (!insn)
		return s->error ? s->error : fail(s, -EINVAL);
	return emit(s, insn, false);
}

int lut_stream_insn(struct lut_stream *s, const union lutc_insn *insn)
{
	if (!s)
		return -EINVAL;
	if (!insn)
		return s->error ? s->error : fail(s, -EINVAL);
	return emit(s, insn, true);
}

/* NOP and FENCE: a header and nothing else (all the rest is reserved). */
static int emit_bare(struct lut_stream *s, uint8_t op)
{
	union lutc_insn in;

	memset(&in, 0, sizeof(in));
	return emit_op(s, op, &in);
}

int lut_stream_nop(struct lut_stream *s)
{
	return emit_bare(s, LUTC_OP_NOP);
}

int lut_stream_fence(struct lut_stream *s)
{
	return emit_bare(s, LUTC_OP_FENCE);
}

int lut_stream_signal(struct lut_stream *s, uint64_t addr, uint64_t value, uint32_t flags)
{
	const union lutc_insn in = {
		.signal = {.op = LUTC_OP_SIGNAL, .flags = flags, .addr = addr, .value = value}};

	return emit_op(s, LUTC_OP_SIGNAL, &in);
}

int lut_stream_copy(struct lut_stream *s, const struct lutc_copy *d)
{
	return emit_op(s, LUTC_OP_COPY, d);
}

/* One U8 COPY of rows x cols packed bytes. */
static int emit_bytes(struct lut_stream *s, uint64_t dst, uint64_t src, uint32_t rows,
		      uint32_t cols)
{
	const struct lutc_copy c = {
		.src_dtype = LUTC_DT_U8,
		.dst_dtype = LUTC_DT_U8,
		.rows = rows,
		.cols = cols,
		.src = src,
		.dst = dst,
	};

	return emit_op(s, LUTC_OP_COPY, &c);
}

int lut_stream_memcpy(struct lut_stream *s, uint64_t dst, uint64_t src, uint64_t len)
{
	uint64_t rows = len / LUTC_MAX_DIM, rest = len % LUTC_MAX_DIM;
	uint32_t need = (rows ? 1 : 0) + (rest ? 1 : 0);
	int ret = 0;

	if (!s)
		return -EINVAL;
	if (s->error)
		return s->error;
	if (!len || rows > LUTC_MAX_DIM || src + len < src || dst + len < dst ||
	    (src < dst + len && dst < src + len))
		return fail(s, -EINVAL);
	if (s->cap - s->len < need * LUTC_INSN_SIZE)
		return fail(s, -ENOSPC);
	if (rows)
		ret = emit_bytes(s, dst, src, (uint32_t)rows, LUTC_MAX_DIM);
	if (ret >= 0 && rest) {
		uint64_t done = rows * LUTC_MAX_DIM;

		ret = emit_bytes(s, dst + done, src + done, 1, (uint32_t)rest);
	}
	return ret;
}

int lut_stream_precomp(struct lut_stream *s, const struct lutc_precomp *d)
{
	return emit_op(s, LUTC_OP_PRECOMP, d);
}

int lut_stream_lmma(struct lut_stream *s, const struct lutc_lmma *d)
{
	return emit_op(s, LUTC_OP_LMMA, d);
}

int lut_stream_epilogue(struct lut_stream *s, const struct lutc_epilogue *d)
{
	return emit_op(s, LUTC_OP_EPILOGUE, d);
}

int lut_stream_embed(struct lut_stream *s, const struct lutc_embed *d)
{
	return emit_op(s, LUTC_OP_EMBED, d);
}

int lut_stream_rmsnorm(struct lut_stream *s, const struct lutc_rmsnorm *d)
{
	return emit_op(s, LUTC_OP_RMSNORM, d);
}

int lut_stream_rope(struct lut_stream *s, const struct lutc_rope *d)
{
	return emit_op(s, LUTC_OP_ROPE, d);
}

int lut_stream_attn(struct lut_stream *s, const struct lutc_attn *d)
{
	return emit_op(s, LUTC_OP_ATTN, d);
}

int lut_stream_eltwise(struct lut_stream *s, const struct lutc_eltwise *d)
{
	return emit_op(s, LUTC_OP_ELTWISE, d);
}

int lut_stream_argmax(struct lut_stream *s, const struct lutc_argmax *d)
{
	return emit_op(s, LUTC_OP_ARGMAX, d);
}

int lut_stream_softmax(struct lut_stream *s, const struct lutc_softmax *d)
{
	return emit_op(s, LUTC_OP_SOFTMAX, d);
}
