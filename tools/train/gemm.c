// SPDX-License-Identifier: MIT
/*
 * lutcore-train's matrix kernel: C (+)= A * B with A read through strides
 * (so A or its transpose) and B row-major.
 *
 * Register blocking: MR rows of C times a strip of NV vectors of columns
 * are accumulated in registers over the whole of j, with GCC's vector
 * extension (so the same code is AVX, SSE or scalar, and real may be
 * double). Every element of C is the sum over j in ascending order of
 * a*b added to its start value, one multiply-add per term, whether it
 * sits in a full block, a narrower strip or the scalar tail, so neither
 * the blocking nor the split between threads changes a bit. (When the
 * compiler fuses multiply-adds, it fuses them all alike: the trainer is
 * built with -ffp-contract=fast or off as a whole.)
 */
#include <string.h>

#include "train.h"

/* One register: 64 bytes with AVX-512, 32 with AVX, 16 (SSE) otherwise. */
#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX__)
#define VBYTES 32
#else
#define VBYTES 16
#endif
typedef real vr __attribute__((vector_size(VBYTES)));
#define VL    ((size_t)(VBYTES / sizeof(real)))
#define MR    4	  /* rows per register block */
#define NV    2	  /* vectors per strip */
#define PANEL 64  /* rows that share a strip of B while it is in L1 */
#define KC    256 /* values of j per pass over a panel */

static inline vr vload(const real *p)
{
	vr v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void vstore(real *p, vr v)
{
	memcpy(p, &v, sizeof(v));
}

/* rows x (nv vectors) of C; rows and nv are constants after inlining. */
static inline __attribute__((always_inline)) void block(size_t rows, size_t nv, real *c, size_t ldc,
							const real *a, size_t ai, size_t aj,
							const real *b, size_t ldb, size_t k,
							bool acc)
{
	vr s[MR][NV];
	size_t r, v, j;

	for (r = 0; r < rows; r++)
		for (v = 0; v < nv; v++)
			s[r][v] = acc ? vload(c + r * ldc + v * VL) : (vr){0};
	for (j = 0; j < k; j++) {
		const real *bj = b + j * ldb;
		vr bv[NV];

		for (v = 0; v < nv; v++)
			bv[v] = vload(bj + v * VL);
		for (r = 0; r < rows; r++) {
			real x = a[r * ai + j * aj];

			for (v = 0; v < nv; v++)
				s[r][v] += x * bv[v];
		}
	}
	for (r = 0; r < rows; r++)
		for (v = 0; v < nv; v++)
			vstore(c + r * ldc + v * VL, s[r][v]);
}

/* The scalar tail: one column. */
static void column(size_t rows, real *c, size_t ldc, const real *a, size_t ai, size_t aj,
		   const real *b, size_t ldb, size_t k, bool acc)
{
	size_t r, j;

	for (r = 0; r < rows; r++) {
		real s = acc ? c[r * ldc] : 0;

		for (j = 0; j < k; j++)
			s += a[r * ai + j * aj] * b[j * ldb];
		c[r * ldc] = s;
	}
}

#define BLOCK_CASE(R, NVEC)                                        \
	case R:                                                    \
		block(R, NVEC, c, ldc, a, ai, aj, b, ldb, k, acc); \
		break

static void rows_strip(size_t rows, size_t nv, real *c, size_t ldc, const real *a, size_t ai,
		       size_t aj, const real *b, size_t ldb, size_t k, bool acc)
{
	if (nv == NV) {
		switch (rows) {
			BLOCK_CASE(1, NV);
			BLOCK_CASE(2, NV);
			BLOCK_CASE(3, NV);
			BLOCK_CASE(4, NV);
		}
	} else {
		switch (rows) {
			BLOCK_CASE(1, 1);
			BLOCK_CASE(2, 1);
			BLOCK_CASE(3, 1);
			BLOCK_CASE(4, 1);
		}
	}
}

void lt_gemm(real *c, size_t ldc, const real *a, size_t ai, size_t aj, const real *b, size_t ldb,
	     size_t m, size_t n, size_t k, bool acc)
{
	size_t p0, pe, j0, kc, i, col, rows, nv;
	bool add;

	/*
	 * Panels of rows, chunks of j: the strip of B a panel reads stays in
	 * L1. Going on from the stored partial sum adds exactly what one long
	 * loop would have added.
	 */
	for (p0 = 0; p0 < m; p0 += PANEL) {
		pe = p0 + PANEL < m ? p0 + PANEL : m;
		for (j0 = 0; j0 < k || j0 == 0; j0 += KC) {
			kc = k - j0 < KC ? k - j0 : KC;
			add = acc || j0;
			for (col = 0; col < n; col += nv ? nv * VL : 1) {
				nv = n - col >= NV * VL ? NV : n - col >= VL ? 1 : 0;
				for (i = p0; i < pe; i += MR) {
					rows = pe - i < MR ? pe - i : MR;
					if (nv)
						rows_strip(rows, nv, c + i * ldc + col, ldc,
							   a + i * ai + j0 * aj, ai, aj,
							   b + j0 * ldb + col, ldb, kc, add);
					else
						column(rows, c + i * ldc + col, ldc,
						       a + i * ai + j0 * aj, ai, aj,
						       b + j0 * ldb + col, ldb, kc, add);
				}
			}
		}
	}
}

struct gemm_job {
	real *c;
	size_t ldc, ai, aj, ldb, n, k;
	const real *a, *b;
	bool acc;
};

static void gemm_rows(void *ctx, size_t b, size_t e)
{
	const struct gemm_job *g = ctx;

	lt_gemm(g->c + b * g->ldc, g->ldc, g->a + b * g->ai, g->ai, g->aj, g->b, g->ldb, e - b,
		g->n, g->k, g->acc);
}

void lt_gemm_par(struct lt_pool *p, real *c, size_t ldc, const real *a, size_t ai, size_t aj,
		 const real *b, size_t ldb, size_t m, size_t n, size_t k, bool acc)
{
	struct gemm_job g = {c, ldc, ai, aj, ldb, n, k, a, b, acc};

	lt_parallel(p, m, MR, gemm_rows, &g);
}

void lt_transpose(real *dst, const real *src, size_t rows, size_t cols)
{
	size_t r0, c0, r, c;

	/* In tiles, so that both sides stay in cache. */
	for (r0 = 0; r0 < rows; r0 += 32)
		for (c0 = 0; c0 < cols; c0 += 32)
			for (r = r0; r < rows && r < r0 + 32; r++)
				for (c = c0; c < cols && c < c0 + 32; c++)
					dst[c * rows + r] = src[r * cols + c];
}
