// SPDX-License-Identifier: MIT
/*
 * Naive reference for the LUTCore engine tests (see ref.h). Written for
 * obviousness, not speed: the straightforward formula of each definition
 * in docs/isa.md, in double precision.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ref.h"

float ref_to_f16(float x)
{
	return (float)(_Float16)x;
}

uint16_t ref_f16_bits(float x)
{
	_Float16 h = (_Float16)x;
	uint16_t b;

	memcpy(&b, &h, 2);
	return b;
}

float ref_from_f16_bits(uint16_t b)
{
	_Float16 h;

	memcpy(&h, &b, 2);
	return (float)h;
}

/* bfloat16 keeps 8 significant bits; round the significand to nearest even. */
float ref_to_bf16(float x)
{
	int e;
	double m;

	if (!isfinite(x) || x == 0.0f)
		return x;
	m = frexp(x, &e);
	return (float)ldexp(rint(ldexp(m, 8)), e - 8);
}

uint16_t ref_bf16_bits(float x)
{
	float r = ref_to_bf16(x);
	uint32_t b;

	memcpy(&b, &r, 4);
	return (uint16_t)(b >> 16);
}

float ref_from_bf16_bits(uint16_t h)
{
	uint32_t b = (uint32_t)h << 16;
	float f;

	memcpy(&f, &b, 4);
	return f;
}

float ref_f32_at(const void *p, size_t i)
{
	float f;

	memcpy(&f, (const uint8_t *)p + 4 * i, 4);
	return f;
}

uint32_t ref_planes(uint32_t wfmt)
{
	return wfmt == LUTC_WF_TERNARY ? 2 : wfmt;
}

int ref_code_value(uint32_t code, uint32_t wfmt)
{
	if (wfmt == LUTC_WF_TERNARY)
		return 2 * ((int)code - 1);
	return 2 * (int)code - ((1 << wfmt) - 1);
}

int ref_code_bit(uint32_t code, uint32_t b, uint32_t wfmt)
{
	if (wfmt == LUTC_WF_TERNARY)
		return b == 0 ? code >= 1 : code == 2;
	return (code >> b) & 1;
}

int ref_plane_weight(uint32_t b, uint32_t wfmt)
{
	return wfmt == LUTC_WF_TERNARY ? 1 : 1 << b;
}

void ref_dequant(double *w, const uint8_t *codes, const float *scales, const float *zeros,
		 float zero_imm, uint32_t n, uint32_t k, uint32_t group, int per_channel,
		 uint32_t wfmt)
{
	uint32_t r, c, gk = group ? group : k;

	for (r = 0; r < n; r++) {
		for (c = 0; c < k; c++) {
			size_t si = per_channel ? r : (size_t)(c / gk) * n + r;
			double s = scales ? scales[si] : 1.0;
			double z = zeros ? zeros[si] : zero_imm;

			w[(size_t)r * k + c] =
				s * (ref_code_value(codes[(size_t)r * k + c], wfmt) - z);
		}
	}
}

void ref_gemm(double *y, double *mag, const double *a, const double *w, uint32_t m, uint32_t n,
	      uint32_t k)
{
	uint32_t i, j, t;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			double s = 0.0, g = 0.0;

			for (t = 0; t < k; t++) {
				s += a[(size_t)i * k + t] * w[(size_t)j * k + t];
				g += fabs(a[(size_t)i * k + t] * w[(size_t)j * k + t]);
			}
			y[(size_t)i * n + j] = s;
			if (mag)
				mag[(size_t)i * n + j] = g;
		}
	}
}

double ref_table_entry(const double a[4], uint32_t j)
{
	double v = -a[3];
	uint32_t t;

	for (t = 0; t < 3; t++)
		v += ((j >> t) & 1) ? a[t] : -a[t];
	return v;
}

double ref_lookup(const double t8[8], uint32_t w)
{
	if (w & 8)
		return -t8[~w & 7];
	return t8[w & 7];
}

uint32_t ref_group_bits(const uint8_t *codes, uint32_t k, uint32_t row, uint32_t g, uint32_t b,
			uint32_t wfmt)
{
	uint32_t bits = 0, t;

	for (t = 0; t < 4; t++) {
		uint32_t c = 4 * g + t;

		if (c < k && ref_code_bit(codes[(size_t)row * k + c], b, wfmt))
			bits |= 1u << t;
	}
	return bits;
}

double ref_silu(double x)
{
	return x / (1.0 + exp(-x));
}

double ref_relu2(double x)
{
	return x > 0.0 ? x * x : 0.0;
}

void ref_rmsnorm(double *y, const double *x, const double *w, uint32_t n, double eps)
{
	double ss = 0.0, r;
	uint32_t i;

	for (i = 0; i < n; i++)
		ss += x[i] * x[i];
	r = 1.0 / sqrt(ss / n + eps);
	for (i = 0; i < n; i++)
		y[i] = x[i] * r * (w ? w[i] : 1.0);
}

void ref_rope(double *x, uint32_t head_dim, uint32_t rot, double pos, double theta,
	      double freq_scale, uint32_t mode)
{
	uint32_t i, half = rot / 2;

	for (i = 0; i < half; i++) {
		double ang = pos * freq_scale * pow(theta, -2.0 * i / rot);
		uint32_t i0 = mode == LUTC_ROPE_NEOX ? i : 2 * i;
		uint32_t i1 = mode == LUTC_ROPE_NEOX ? i + half : 2 * i + 1;
		double x0 = x[i0], x1 = x[i1];

		x[i0] = x0 * cos(ang) - x1 * sin(ang);
		x[i1] = x0 * sin(ang) + x1 * cos(ang);
	}
	(void)head_dim;
}

void ref_softmax(double *y, const double *x, uint32_t n)
{
	double mx = -INFINITY, sum = 0.0;
	uint32_t i;

	for (i = 0; i < n; i++)
		mx = fmax(mx, x[i]);
	if (mx == -INFINITY) {
		/* docs/isa.md, SOFTMAX: a row of -inf gives zeros. */
		for (i = 0; i < n; i++)
			y[i] = 0.0;
		return;
	}
	for (i = 0; i < n; i++)
		sum += exp(x[i] - mx);
	for (i = 0; i < n; i++)
		y[i] = exp(x[i] - mx) / sum;
}

void ref_attention(double *out, const double *q, const double *k, const double *v, uint32_t npos,
		   uint32_t kv_heads, uint32_t kvh, uint32_t hd, double scale)
{
	double *s = malloc(2 * sizeof(double) * npos), *w;
	uint32_t t, i;

	if (!s)
		abort();
	w = s + npos;
	for (t = 0; t < npos; t++) {
		double d = 0.0;

		for (i = 0; i < hd; i++)
			d += q[i] * k[((size_t)t * kv_heads + kvh) * hd + i];
		s[t] = d * scale;
	}
	ref_softmax(w, s, npos);
	for (i = 0; i < hd; i++) {
		double o = 0.0;

		for (t = 0; t < npos; t++)
			o += w[t] * v[((size_t)t * kv_heads + kvh) * hd + i];
		out[i] = o;
	}
	free(s);
}

float ref_epilogue_f32(const struct ref_epi *e, int32_t acc)
{
	float v = (float)acc;

	/* One binary32 operation per step, in the order of docs/isa.md. */
	if (e->row_scale)
		v = v * *e->row_scale;
	if (e->zero && e->asum) {
		float zt = *e->zero * *e->asum;

		v = v - zt;
	}
	if (e->col_scale)
		v = v * *e->col_scale;
	return v;
}
