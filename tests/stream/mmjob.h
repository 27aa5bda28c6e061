/* SPDX-License-Identifier: MIT */
/*
 * A LUT-mpGEMM job for tests: PRECOMP + LMMA + EPILOGUE with all of its
 * operands in one arena (a host buffer on the host, a mapped buffer object
 * in the VM) at a known device VA, the stream at the arena's start.
 *
 * Two paths: the integer path (INT8 activations with per-token scales,
 * I16 tables, I32 accumulation, then row and column scales and a zero
 * point in the epilogue), whose accumulator must equal the plain integer
 * sum exactly and whose whole arena must come out byte-identical wherever
 * the same stream runs; and a float path (F32 activations, I8 tables,
 * per-group scales and zero points, F32 accumulation, SiLU and bias),
 * compared within a tolerance.
 *
 * Used by the host stream tests and the in-VM job suites, so it depends on
 * nothing but liblutcore and the naive reference of tests/engine/ref.c.
 */
#ifndef LUTCORE_TEST_MMJOB_H
#define LUTCORE_TEST_MMJOB_H

#include <stddef.h>
#include <stdint.h>

struct mmjob_shape {
	uint32_t m, n, k;
	uint32_t wfmt;	/* LUTC_WF_* */
	uint32_t group; /* float path: scale group along k, 0 = per row */
	int float_path; /* 0: integer path, bit-exact */
};

/* Offsets of the operands in the arena. */
enum mmjob_buf {
	MMJ_ACT,
	MMJ_ASCALE,
	MMJ_TABLE,
	MMJ_TSCALE,
	MMJ_ASUM,
	MMJ_WEIGHTS,
	MMJ_WSCALE,
	MMJ_WZERO,
	MMJ_ACC,
	MMJ_CSCALE,
	MMJ_ZERO,
	MMJ_BIAS,
	MMJ_OUT,
	MMJ_NBUFS,
};

struct mmjob {
	struct mmjob_shape sh;
	uint64_t va;   /* device VA of the arena */
	uint64_t size; /* arena bytes used */
	uint64_t off[MMJ_NBUFS];
	uint64_t len[MMJ_NBUFS];
	uint32_t stream_size; /* the stream is at offset 0 */
	/* Generated inputs, kept for the references. */
	int8_t *q;	/* integer path: [m][k] */
	float *x;	/* float path: [m][k] */
	uint8_t *codes; /* [n][k] */
};

/* Bytes of arena a shape needs (stream included). */
uint64_t mmjob_arena_size(const struct mmjob_shape *sh);

/*
 * Generate inputs from seed into arena (size bytes, device VA va) and build
 * the stream at its start with the library's builder. Outputs are filled
 * with a 0xa5 pattern. Returns 0 or a negative errno (from the builder,
 * or -ENOSPC if the arena is too small, -ENOMEM).
 */
int mmjob_build(struct mmjob *j, const struct mmjob_shape *sh, void *arena, uint64_t size,
		uint64_t va, uint64_t seed);
void mmjob_free(struct mmjob *j);

/*
 * Check the I32 accumulator of an arena after the job against the plain
 * integer sum (integer path only). Returns the number of wrong elements;
 * the first one is described in why.
 */
uint64_t mmjob_check_acc(const struct mmjob *j, const void *arena, char *why, size_t len);

/*
 * Compare the results of two runs of the job (two arenas): byte for byte
 * over every buffer the job writes on the integer path, within a relative
 * tolerance of 1e-5 of the output's magnitude on the float path. Returns
 * the number of differing elements (bytes on the integer path).
 */
uint64_t mmjob_compare(const struct mmjob *j, const void *a, const void *b, char *why, size_t len);

/* A small deterministic generator (xorshift64*), also for the tests. */
uint64_t mmjob_rand(uint64_t *state);

#endif /* LUTCORE_TEST_MMJOB_H */
