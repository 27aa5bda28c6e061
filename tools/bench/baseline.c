// SPDX-License-Identifier: MIT
/*
 * lutcore-bench: the dequantize-then-FMA baseline.
 *
 * What a plain CPU implementation of low-bit weights does: unpack one row
 * of B-bit codes to floats (w = scale * code + offset per group), then take
 * its dot product with every activation row. With AVX2 and FMA (chosen at
 * run time) the unpacking handles 8 codes per vector shift. Four rows are dequantized at a
 * time and share each load of the activations; with AVX2 and FMA (chosen at
 * run time) the dot products are 8-wide FMAs with two accumulators per row.
 * Rows are split evenly over the threads.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

struct base_job {
	const struct base_weights *w;
	const float *x;
	float *y;
	uint32_t m, r0, r1;
};

/* Codes [i0, i1) of a row: code i sits at bit i * bits, LSB first. */
static void dequant_group(const uint8_t *row, uint32_t i0, uint32_t i1, uint32_t bits, float sc,
			  float of, float *out)
{
	uint32_t mask = (1u << bits) - 1, i;

	for (i = i0; i < i1; i++) {
		uint32_t bit = i * bits;
		uint32_t code = ((row[bit / 8] | row[bit / 8 + 1] << 8) >> (bit % 8)) & mask;

		out[i] = sc * (float)code + of;
	}
}

static void dequant_row_plain(const struct base_weights *w, uint32_t r, float *out)
{
	const uint8_t *row = w->codes + (size_t)r * (w->row_bytes + 4);
	uint32_t gk = w->group ? w->group : w->k, g;

	for (g = 0; g < w->ng; g++) {
		uint32_t i0 = g * gk, i1 = i0 + gk < w->k ? i0 + gk : w->k;

		dequant_group(row, i0, i1, w->bits, w->scale[(size_t)r * w->ng + g],
			      w->offset[(size_t)r * w->ng + g], out);
	}
}

/*
 * The same with AVX2, 8 codes at a time: the bytes holding them are
 * broadcast to 8 lanes, shifted right by 0, B, ..., 7B with one variable
 * shift, masked, converted and scaled with one FMA.
 */
__attribute__((target("avx2,fma"))) static void dequant_row_avx2(const struct base_weights *w,
								 uint32_t r, float *out)
{
	const uint8_t *row = w->codes + (size_t)r * (w->row_bytes + 4);
	const __m256i sh = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
					      _mm256_set1_epi32((int)w->bits));
	const __m256i mask = _mm256_set1_epi32((1 << w->bits) - 1);
	uint32_t gk = w->group ? w->group : w->k, g, i;

	for (g = 0; g < w->ng; g++) {
		float scf = w->scale[(size_t)r * w->ng + g], off = w->offset[(size_t)r * w->ng + g];
		__m256 sc = _mm256_set1_ps(scf), of = _mm256_set1_ps(off);
		uint32_t i0 = g * gk, i1 = i0 + gk < w->k ? i0 + gk : w->k;

		for (i = i0; i % 8 == 0 && i + 8 <= i1; i += 8) {
			uint32_t v = 0;
			__m256i c;

			memcpy(&v, row + i / 8 * w->bits, 4);
			c = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)v), sh),
					     mask);
			_mm256_storeu_ps(out + i, _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(c), of));
		}
		if (i < i1)
			dequant_group(row, i, i1, w->bits, scf, off, out);
	}
}

#define ROWS 4 /* weight rows dequantized together, sharing activation loads */

/* out[r] = dot(w[r], x) for ROWS rows: two accumulators per row hide latency. */
__attribute__((target("avx2,fma"))) static void dot_rows_avx2(float *const w[ROWS], const float *x,
							      uint32_t k, float out[ROWS])
{
	__m256 a[ROWS][2];
	uint32_t i, r;

	for (r = 0; r < ROWS; r++)
		a[r][0] = a[r][1] = _mm256_setzero_ps();
	for (i = 0; i + 16 <= k; i += 16) {
		__m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);

		for (r = 0; r < ROWS; r++) {
			a[r][0] = _mm256_fmadd_ps(_mm256_loadu_ps(w[r] + i), x0, a[r][0]);
			a[r][1] = _mm256_fmadd_ps(_mm256_loadu_ps(w[r] + i + 8), x1, a[r][1]);
		}
	}
	for (r = 0; r < ROWS; r++) {
		float t[8], s = 0.0f;
		uint32_t l;

		_mm256_storeu_ps(t, _mm256_add_ps(a[r][0], a[r][1]));
		for (l = 0; l < 8; l++)
			s += t[l];
		for (l = i; l < k; l++)
			s += w[r][l] * x[l];
		out[r] = s;
	}
}

static void dot_rows_plain(float *const w[ROWS], const float *x, uint32_t k, float out[ROWS])
{
	uint32_t i, r;

	for (r = 0; r < ROWS; r++) {
		float s = 0.0f;

		for (i = 0; i < k; i++)
			s += w[r][i] * x[i];
		out[r] = s;
	}
}

static void *base_worker(void *arg)
{
	struct base_job *j = arg;
	int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	uint32_t k = j->w->k, n = j->w->n, r, i, q;
	float *buf = calloc((size_t)ROWS * k, sizeof(float)), *rows[ROWS], out[ROWS];

	if (!buf)
		return NULL;
	for (q = 0; q < ROWS; q++)
		rows[q] = buf + (size_t)q * k;
	for (r = j->r0; r < j->r1; r += ROWS) {
		uint32_t nr = j->r1 - r < ROWS ? j->r1 - r : ROWS;

		for (q = 0; q < nr; q++) {
			if (avx2)
				dequant_row_avx2(j->w, r + q, rows[q]);
			else
				dequant_row_plain(j->w, r + q, rows[q]);
		}
		for (i = 0; i < j->m; i++) {
			const float *x = j->x + (size_t)i * k;

			if (avx2)
				dot_rows_avx2(rows, x, k, out);
			else
				dot_rows_plain(rows, x, k, out);
			for (q = 0; q < nr; q++)
				j->y[(size_t)i * n + r + q] = out[q];
		}
	}
	free(buf);
	return NULL;
}

void baseline_gemm(const struct base_weights *w, const float *x, uint32_t m, float *y,
		   uint32_t threads)
{
	struct base_job jobs[64] = {0};
	pthread_t tid[64];
	int started[64] = {0};
	uint32_t t;

	threads = threads < 1 ? 1 : (threads > 64 ? 64 : threads);
	for (t = 0; t < threads; t++)
		jobs[t] = (struct base_job){w,
					    x,
					    y,
					    m,
					    (uint32_t)((uint64_t)w->n * t / threads),
					    (uint32_t)((uint64_t)w->n * (t + 1) / threads)};
	for (t = 1; t < threads; t++)
		started[t] = !pthread_create(&tid[t], NULL, base_worker, &jobs[t]);
	base_worker(&jobs[0]);
	for (t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			base_worker(&jobs[t]);
	}
}
