/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: instruction-stream builder and CPU execution of streams.
 *
 * A stream is an array of 128-byte descriptors (lutcore_isa.h) that the
 * device fetches from a device VA. The builder writes them into a memory
 * buffer the caller owns, normally the CPU mapping of a buffer object, and
 * knows the buffer's device VA so that the stream can be submitted as it is.
 * There is one append function per instruction; each takes the
 * instruction's own descriptor struct from lutcore_isa.h (the one
 * definition of its fields), sets the opcode and checks the descriptor with
 * the engine's own decoder before anything is written, so a stream the
 * builder accepted never fails on a reserved field, an unknown flag, a bad
 * type or a bad dimension. Operand addresses, alignment past the first
 * operand and memory contents can only be checked when the stream runs.
 *
 * Errors are sticky: after the first failed append, every later append
 * fails with the same error and writes nothing, so a program may build a
 * whole stream and check lut_stream_error() once. Appends return the
 * index of the new instruction (>= 0), which is what a job's fault offset
 * divided by LUTC_INSN_SIZE points at.
 *
 * lut_cpu runs streams on the host with the same engine the device model
 * uses, against host buffers registered at device VAs: the library's CPU
 * computation of exactly the operation a device job performs.
 */
#ifndef LUTCORE_STREAM_H
#define LUTCORE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "lutcore_isa.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* A stream under construction; opaque. */
struct lut_stream;

/*
 * Start a stream in buf (size bytes, owned by the caller and kept alive
 * until lut_stream_free()) whose first byte the device sees at device VA
 * va. Only whole descriptors are used, and at most LUTC_STREAM_MAX bytes.
 * Returns 0, or -EINVAL for a NULL out or buf, a va that is not
 * LUTC_STREAM_ALIGN aligned or whose range wraps, or a buffer smaller than
 * one descriptor; -ENOMEM. *out is NULL on failure.
 */
int lut_stream_new(struct lut_stream **out, void *buf, size_t size, uint64_t va);

/* Free the builder (not the buffer). NULL is ignored. */
void lut_stream_free(struct lut_stream *s);

/*
 * Forget every instruction and the sticky error, so that the buffer can be
 * rebuilt; the bytes already written are left as they are. NULL is ignored.
 */
void lut_stream_reset(struct lut_stream *s);

/*
 * The first error of an append since creation or the last reset: 0,
 * -ENOSPC (the buffer is full), -EINVAL (an instruction the device would
 * reject) or -ENOMEM. -EINVAL for a NULL s.
 */
int lut_stream_error(const struct lut_stream *s);

/* Device VA of the stream (of its first instruction); 0 for a NULL s. */
uint64_t lut_stream_va(const struct lut_stream *s);

/* Bytes of instructions written so far (the size to submit); 0 for NULL. */
uint32_t lut_stream_size(const struct lut_stream *s);

/* Host pointer of the stream's first byte (the buf given); NULL for NULL. */
const void *lut_stream_data(const struct lut_stream *s);

/*
 * Append one descriptor byte for byte, without any check: for tests that
 * want the device to see a malformed instruction. Returns the index or
 * -ENOSPC, -EINVAL (NULL arguments).
 */
int lut_stream_raw(struct lut_stream *s, const union lutc_insn *insn);

/*
 * Append a checked descriptor whose opcode is in insn->hdr.op: the generic
 * form of the functions below. Returns the index, -EINVAL for an unknown
 * opcode or a descriptor the device would reject, or -ENOSPC.
 */
int lut_stream_insn(struct lut_stream *s, const union lutc_insn *insn);

/* NOP: does nothing. Returns the index or a negative errno. */
int lut_stream_nop(struct lut_stream *s);

/*
 * FENCE: every write of an earlier instruction is visible to other
 * observers before any later instruction runs. Returns the index or a
 * negative errno.
 */
int lut_stream_fence(struct lut_stream *s);

/*
 * SIGNAL: once every earlier write is visible, store the 64-bit value at
 * device VA addr (8-byte aligned); flags LUTC_SIG_IRQ also interrupts the
 * host. Returns the index or a negative errno.
 */
int lut_stream_signal(struct lut_stream *s, uint64_t addr, uint64_t value, uint32_t flags);

/*
 * COPY: a 2-D copy with optional float conversion, as *d describes (its op
 * field may be 0). Returns the index or a negative errno.
 */
int lut_stream_copy(struct lut_stream *s, const struct lutc_copy *d);

/*
 * Copy len bytes from device VA src to device VA dst (ranges must not
 * overlap) with as few U8 COPY instructions as the dimension limit allows
 * (one for up to LUTC_MAX_DIM bytes, two for up to LUTC_MAX_DIM^2). Returns
 * the index of the last instruction, -EINVAL for len 0, overlapping or
 * wrapping ranges, or -ENOSPC; on an error nothing is appended.
 */
int lut_stream_memcpy(struct lut_stream *s, uint64_t dst, uint64_t src, uint64_t len);

/*
 * PRECOMP: activations to symmetrized lookup tables (optionally fused
 * RMSNorm, per-token INT8 quantization and per-group sums), as *d
 * describes. Returns the index or a negative errno.
 */
int lut_stream_precomp(struct lut_stream *s, const struct lutc_precomp *d);

/*
 * LMMA: the bit-serial lookup-accumulate of packed weights (pack.h) against
 * precomputed tables, as *d describes. Returns the index or a negative
 * errno.
 */
int lut_stream_lmma(struct lut_stream *s, const struct lutc_lmma *d);

/*
 * EPILOGUE: scales, zero point, bias, activation function, residual and
 * output conversion of an accumulator, as *d describes. Returns the index
 * or a negative errno.
 */
int lut_stream_epilogue(struct lut_stream *s, const struct lutc_epilogue *d);

/* EMBED: embedding-row gather (dense or packed). Index or negative errno. */
int lut_stream_embed(struct lut_stream *s, const struct lutc_embed *d);

/* RMSNORM of rows, optionally weighted. Index or negative errno. */
int lut_stream_rmsnorm(struct lut_stream *s, const struct lutc_rmsnorm *d);

/* ROPE: rotary position embedding of heads. Index or negative errno. */
int lut_stream_rope(struct lut_stream *s, const struct lutc_rope *d);

/* ATTN: causal attention over a KV cache. Index or negative errno. */
int lut_stream_attn(struct lut_stream *s, const struct lutc_attn *d);

/* ELTWISE: add, mul and the gated activations. Index or negative errno. */
int lut_stream_eltwise(struct lut_stream *s, const struct lutc_eltwise *d);

/* ARGMAX of rows (greedy sampling). Index or negative errno. */
int lut_stream_argmax(struct lut_stream *s, const struct lutc_argmax *d);

/* SOFTMAX of rows. Index or negative errno. */
int lut_stream_softmax(struct lut_stream *s, const struct lutc_softmax *d);

/* ---- CPU execution ------------------------------------------------------- */

/* A host executor of streams; opaque. */
struct lut_cpu;

/* lut_cpu_map() flags. */
#define LUT_CPU_READ_ONLY (1u << 0) /* writes fault, like a read-only BO */

/*
 * How a stream run ended. error is LUTCORE_ERR_NONE or the LUTCORE_ERR_*
 * code the device would report, fault_va and fault_offset what its
 * FAULT_ADDR and FAULT_OFFSET registers would hold; the counters are the
 * engine's (cycles are modeled device cycles, not host time).
 */
struct lut_cpu_result {
	uint32_t error;
	uint32_t fault_offset;
	uint64_t fault_va;
	uint64_t insns;
	uint64_t cycles;
	uint64_t bytes_read;
	uint64_t bytes_written;
};

/*
 * Create a CPU executor whose engine uses threads host threads (0 or 1:
 * the calling thread only; at most 64). Returns 0, -EINVAL or -ENOMEM;
 * *out is NULL on failure.
 */
int lut_cpu_new(struct lut_cpu **out, unsigned int threads);

/* Free the executor; mapped host memory stays the caller's. NULL is ok. */
void lut_cpu_free(struct lut_cpu *cpu);

/*
 * Make the size bytes at host make up device VAs [va, va + size), flags 0
 * or LUT_CPU_READ_ONLY. The memory stays the caller's and must outlive the
 * mapping. Returns 0, -EINVAL (NULL host, size 0, wrapping range, unknown
 * flags), -EEXIST when the range overlaps a mapped one, or -ENOMEM.
 */
int lut_cpu_map(struct lut_cpu *cpu, uint64_t va, void *host, uint64_t size, uint32_t flags);

/*
 * Remove the mapping that starts at device VA va. Returns 0, -ENOENT when
 * no mapping starts there, -EINVAL for a NULL cpu.
 */
int lut_cpu_unmap(struct lut_cpu *cpu, uint64_t va);

/*
 * Run the stream at device VAs [va, va + size), which must be mapped like
 * its operands. Unmapped VAs fault as on the device. Returns 0 when every
 * instruction completed, -EIO when the stream stopped on an error (res
 * says which and where), -EINVAL for NULL arguments; res is filled in both
 * of the first two cases.
 */
int lut_cpu_run(struct lut_cpu *cpu, uint64_t va, uint64_t size, struct lut_cpu_result *res);

/*
 * Run a built stream from its own buffer: like lut_cpu_run() on
 * [lut_stream_va(s), + lut_stream_size(s)), mapping the stream's buffer
 * read-only for the run when its range is not mapped already. Returns what
 * lut_cpu_run() returns, -EINVAL for an empty stream or one with a sticky
 * error, -EEXIST when the stream's range is partly mapped.
 */
int lut_cpu_run_stream(struct lut_cpu *cpu, const struct lut_stream *s, struct lut_cpu_result *res);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_STREAM_H */
