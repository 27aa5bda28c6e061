// SPDX-License-Identifier: MIT
/*
 * GGML block formats: converters between float and the types GGUF files
 * store (F32, F16, BF16, Q4_0, Q8_0, TQ1_0, TQ2_0), and the size table
 * that lets the GGUF reader bounds-check tensors of every type it knows.
 *
 * All multi-byte fields are little-endian and read byte by byte, so blocks
 * may sit at any address. Quantizers treat NaN as 0 and clamp every code
 * into its range before converting, so no input reaches an undefined
 * float-to-int conversion.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "lutcore/quant.h"
#include "engine/lut_engine.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "liblutcore reads GGUF (little-endian) floats in place; port the F32 paths first"
#endif

_Static_assert(sizeof(struct lut_block_q4_0) == 18, "Q4_0 block");
_Static_assert(sizeof(struct lut_block_q8_0) == 34, "Q8_0 block");
_Static_assert(sizeof(struct lut_block_tq1_0) == 54, "TQ1_0 block");
_Static_assert(sizeof(struct lut_block_tq2_0) == 66, "TQ2_0 block");

/* ---- Scalar halves ------------------------------------------------------- */

/* The engine's conversions: files and device round the same way. */
float lut_ggml_f16_to_f32(uint16_t h)
{
	return lut_f16_to_f32(h);
}

uint16_t lut_ggml_f32_to_f16(float f)
{
	return lut_f32_to_f16(f);
}

float lut_ggml_bf16_to_f32(uint16_t h)
{
	return lut_bf16_to_f32(h);
}

uint16_t lut_ggml_f32_to_bf16(float f)
{
	return lut_f32_to_bf16(f);
}

/* ---- Helpers for blocks ------------------------------------------------- */

static float rd_half(const uint8_t *p)
{
	return lut_ggml_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
}

static void wr_half(uint8_t *p, float v)
{
	uint16_t h = lut_ggml_f32_to_f16(v);

	p[0] = h & 0xff;
	p[1] = h >> 8;
}

/* round(v) clamped into [lo, hi]; NaN gives 0 (clamped). */
static int round_clamp(float v, int lo, int hi)
{
	if (v != v)
		v = 0.0f;
	v = roundf(v);
	if (v < (float)lo)
		return lo;
	if (v > (float)hi)
		return hi;
	return (int)v;
}

static float amax_of(const float *x, int n)
{
	float m = 0.0f;
	int i;

	for (i = 0; i < n; i++)
		if (fabsf(x[i]) > m)
			m = fabsf(x[i]);
	return m;
}

/* ---- Q4_0 -------------------------------------------------------------- */
/*
 * 32 elements in 18 bytes: [0..1] fp16 d; [2..17] qs[16], byte j holding
 * element j in its low nibble and element j + 16 in its high nibble.
 * Element value = (nibble - 8) * d.
 * Quantizer: m = the element of largest magnitude, with its sign; d = m/-8,
 * so that m itself maps to nibble 0 (-8) and the full range [-8, 7] is used
 * on the side of m; nibble = min(15, floor(x/d + 8.5)).
 */
static void q4_0_unpack(const uint8_t *b, int8_t *q, float *d)
{
	int j;

	*d = rd_half(b);
	for (j = 0; j < LUT_QK4_0 / 2; j++) {
		q[j] = (int8_t)((b[2 + j] & 0x0f) - 8);
		q[j + LUT_QK4_0 / 2] = (int8_t)((b[2 + j] >> 4) - 8);
	}
}

static int q4_0_code(float x, float id)
{
	float v = x * id + 8.5f;

	if (!(v >= 0.0f)) /* NaN too */
		return 0;
	return v >= 15.0f ? 15 : (int)v;
}

static void q4_0_pack(const float *x, uint8_t *b)
{
	float amax = 0.0f, m = 0.0f, d, id;
	int j;

	for (j = 0; j < LUT_QK4_0; j++) {
		if (fabsf(x[j]) > amax) {
			amax = fabsf(x[j]);
			m = x[j];
		}
	}
	d = m / -8.0f;
	id = d != 0.0f ? 1.0f / d : 0.0f;
	wr_half(b, d);
	for (j = 0; j < LUT_QK4_0 / 2; j++)
		b[2 + j] =
			(uint8_t)(q4_0_code(x[j], id) | q4_0_code(x[j + LUT_QK4_0 / 2], id) << 4);
}

/* ---- Q8_0 -------------------------------------------------------------- */
/*
 * 32 elements in 34 bytes: [0..1] fp16 d; [2..33] int8 qs[32].
 * Element value = qs[i] * d. Quantizer: d = max|x| / 127, q = round(x/d)
 * (half away from zero).
 */
static void q8_0_unpack(const uint8_t *b, int8_t *q, float *d)
{
	*d = rd_half(b);
	memcpy(q, b + 2, LUT_QK8_0);
}

static void q8_0_pack(const float *x, uint8_t *b)
{
	float d = amax_of(x, LUT_QK8_0) / 127.0f;
	float id = d != 0.0f ? 1.0f / d : 0.0f;
	int j;

	wr_half(b, d);
	for (j = 0; j < LUT_QK8_0; j++)
		b[2 + j] = (uint8_t)(int8_t)round_clamp(x[j] * id, -127, 127);
}

/* ---- TQ2_0 ------------------------------------------------------------- */
/*
 * 256 ternary elements in 66 bytes: [0..63] qs[64] of 2-bit codes,
 * [64..65] fp16 d. Code c means (c - 1) * d: 0, 1, 2 = -1, 0, +1 (3 is
 * unused; it decodes to +2). Element e lives in byte 32 * (e / 128) +
 * e % 32, at bits 2 * ((e % 128) / 32): each byte holds four elements 32
 * apart, so one shift-and-mask over 32 bytes yields 32 consecutive ones.
 * Quantizer: d = max|x|, code = round(x/d) + 1.
 */
static void tq2_0_unpack(const uint8_t *b, int8_t *q, float *d)
{
	int e;

	for (e = 0; e < LUT_QK_K; e++) {
		int byte = 32 * (e / 128) + e % 32, shift = 2 * ((e % 128) / 32);

		q[e] = (int8_t)(((b[byte] >> shift) & 3) - 1);
	}
	*d = rd_half(b + 64);
}

static void tq2_0_pack(const float *x, uint8_t *b)
{
	float d = amax_of(x, LUT_QK_K);
	float id = d != 0.0f ? 1.0f / d : 0.0f;
	int e;

	memset(b, 0, 64);
	for (e = 0; e < LUT_QK_K; e++) {
		int byte = 32 * (e / 128) + e % 32, shift = 2 * ((e % 128) / 32);

		b[byte] |= (uint8_t)((round_clamp(x[e] * id, -1, 1) + 1) << shift);
	}
	wr_half(b + 64, d);
}

/* ---- TQ1_0 ------------------------------------------------------------- */
/*
 * 256 ternary elements in 54 bytes: [0..47] qs[48], [48..51] qh[4],
 * [52..53] fp16 d. Trits t = value + 1 (0, 1, 2) are packed base 3 as a
 * fixed-point fraction: five trits t0..t4 form q = sum t_n * 3^(4-n)
 * (0..242) and the byte stores ceil(q * 256 / 243), i.e. q/243 scaled to a
 * byte and rounded up. Multiplying the byte by 3^n (mod 256) moves trit n
 * to the top, where (byte * 3) >> 8 reads it; rounding up keeps that
 * truncation exact.
 * Element order: qs[m] (m < 32) holds elements m + 32n, n = 0..4 (0..159);
 * qs[32 + m] (m < 16) holds 160 + m + 16n (160..239); qh[j] (j < 4) holds
 * 240 + j + 4n for n = 0..3 as the top four trits of q (the fifth is 0).
 * Quantizer: d = max|x|, t = round(x/d) + 1.
 */
static const uint8_t pow3[5] = {1, 3, 9, 27, 81};

static int tq1_trit(uint8_t byte, int n)
{
	return ((uint8_t)(byte * pow3[n]) * 3) >> 8;
}

static uint8_t tq1_byte(const int *t, int stride, int count)
{
	int q = 0, n;

	for (n = 0; n < 5; n++)
		q = q * 3 + (n < count ? t[n * stride] : 0);
	return (uint8_t)((q * 256 + 242) / 243);
}

static void tq1_0_unpack(const uint8_t *b, int8_t *q, float *d)
{
	int m, n;

	for (m = 0; m < 32; m++)
		for (n = 0; n < 5; n++)
			q[m + 32 * n] = (int8_t)(tq1_trit(b[m], n) - 1);
	for (m = 0; m < 16; m++)
		for (n = 0; n < 5; n++)
			q[160 + m + 16 * n] = (int8_t)(tq1_trit(b[32 + m], n) - 1);
	for (m = 0; m < 4; m++)
		for (n = 0; n < 4; n++)
			q[240 + m + 4 * n] = (int8_t)(tq1_trit(b[48 + m], n) - 1);
	*d = rd_half(b + 52);
}

static void tq1_0_pack(const float *x, uint8_t *b)
{
	float d = amax_of(x, LUT_QK_K);
	float id = d != 0.0f ? 1.0f / d : 0.0f;
	int t[LUT_QK_K], e, m;

	for (e = 0; e < LUT_QK_K; e++)
		t[e] = round_clamp(x[e] * id, -1, 1) + 1;
	for (m = 0; m < 32; m++)
		b[m] = tq1_byte(t + m, 32, 5);
	for (m = 0; m < 16; m++)
		b[32 + m] = tq1_byte(t + 160 + m, 16, 5);
	for (m = 0; m < 4; m++)
		b[48 + m] = tq1_byte(t + 240 + m, 4, 4);
	wr_half(b + 52, d);
}

/* ---- Plain types: one element per block ---------------------------------- */

static void f32_to_float(const uint8_t *s, float *d, uint64_t n)
{
	memcpy(d, s, n * sizeof(float));
}

static void f32_from_float(const float *s, uint8_t *d, uint64_t n)
{
	memcpy(d, s, n * sizeof(float));
}

static void f16_to_float(const uint8_t *s, float *d, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		d[i] = rd_half(s + 2 * i);
}

static void f16_from_float(const float *s, uint8_t *d, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		wr_half(d + 2 * i, s[i]);
}

static void bf16_to_float(const uint8_t *s, float *d, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		d[i] = lut_ggml_bf16_to_f32((uint16_t)(s[2 * i] | s[2 * i + 1] << 8));
}

static void bf16_from_float(const float *s, uint8_t *d, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint16_t h = lut_ggml_f32_to_bf16(s[i]);

		d[2 * i] = h & 0xff;
		d[2 * i + 1] = h >> 8;
	}
}

/* ---- The type table ------------------------------------------------------ */

struct fmt {
	struct lut_ggml_type_info info;
	/* Plain types convert whole runs of elements... */
	void (*to_float)(const uint8_t *src, float *dst, uint64_t n);
	void (*from_float)(const float *src, uint8_t *dst, uint64_t n);
	/* ...quantized ones one block at a time. */
	void (*unpack)(const uint8_t *block, int8_t *codes, float *d);
	void (*pack)(const float *x, uint8_t *block);
};

/* clang-format off */
#define PLAIN(n, sz, to, from)	 {{n, 1, sz, true}, to, from, NULL, NULL}
#define QUANT(n, qk, sz, un, pk) {{n, qk, sz, true}, NULL, NULL, un, pk}
#define SIZED(n, qk, sz)	 {{n, qk, sz, false}, NULL, NULL, NULL, NULL}
/* clang-format on */

/* Sizes of the types without converters follow their ggml block structs. */
static const struct fmt fmts[] = {
	[LUT_GGML_F32] = PLAIN("f32", 4, f32_to_float, f32_from_float),
	[LUT_GGML_F16] = PLAIN("f16", 2, f16_to_float, f16_from_float),
	[LUT_GGML_Q4_0] = QUANT("q4_0", LUT_QK4_0, 18, q4_0_unpack, q4_0_pack),
	[LUT_GGML_Q4_1] = SIZED("q4_1", 32, 20),
	[LUT_GGML_Q5_0] = SIZED("q5_0", 32, 22),
	[LUT_GGML_Q5_1] = SIZED("q5_1", 32, 24),
	[LUT_GGML_Q8_0] = QUANT("q8_0", LUT_QK8_0, 34, q8_0_unpack, q8_0_pack),
	[LUT_GGML_Q8_1] = SIZED("q8_1", 32, 36),
	[LUT_GGML_Q2_K] = SIZED("q2_K", 256, 84),
	[LUT_GGML_Q3_K] = SIZED("q3_K", 256, 110),
	[LUT_GGML_Q4_K] = SIZED("q4_K", 256, 144),
	[LUT_GGML_Q5_K] = SIZED("q5_K", 256, 176),
	[LUT_GGML_Q6_K] = SIZED("q6_K", 256, 210),
	[LUT_GGML_Q8_K] = SIZED("q8_K", 256, 292),
	[LUT_GGML_I8] = SIZED("i8", 1, 1),
	[LUT_GGML_I16] = SIZED("i16", 1, 2),
	[LUT_GGML_I32] = SIZED("i32", 1, 4),
	[LUT_GGML_I64] = SIZED("i64", 1, 8),
	[LUT_GGML_F64] = SIZED("f64", 1, 8),
	[LUT_GGML_BF16] = PLAIN("bf16", 2, bf16_to_float, bf16_from_float),
	[LUT_GGML_TQ1_0] = QUANT("tq1_0", LUT_QK_K, 54, tq1_0_unpack, tq1_0_pack),
	[LUT_GGML_TQ2_0] = QUANT("tq2_0", LUT_QK_K, 66, tq2_0_unpack, tq2_0_pack),
};

static const struct fmt *fmt_of(uint32_t type)
{
	if (type >= sizeof(fmts) / sizeof(fmts[0]) || !fmts[type].info.name)
		return NULL;
	return &fmts[type];
}

const struct lut_ggml_type_info *lut_ggml_type_info(uint32_t type)
{
	const struct fmt *f = fmt_of(type);

	return f ? &f->info : NULL;
}

const char *lut_ggml_type_name(uint32_t type)
{
	const struct fmt *f = fmt_of(type);

	return f ? f->info.name : "unknown";
}

int lut_ggml_row_size(uint32_t type, uint64_t n, uint64_t *bytes)
{
	const struct fmt *f = fmt_of(type);

	if (!f)
		return -EOPNOTSUPP;
	if (!bytes || n % f->info.block_elems)
		return -EINVAL;
	if (__builtin_mul_overflow(n / f->info.block_elems, (uint64_t)f->info.block_bytes, bytes))
		return -EOVERFLOW;
	return 0;
}

/* The checks lut_ggml_dequantize() and lut_ggml_quantize() share. */
static int convert_args(const struct fmt **out, uint32_t type, const void *a, const void *b,
			uint64_t n, size_t size)
{
	const struct fmt *f = fmt_of(type);
	uint64_t bytes;
	int ret;

	if (!f || !f->info.convert)
		return -EOPNOTSUPP;
	if ((!a || !b) && n)
		return -EINVAL;
	ret = lut_ggml_row_size(type, n, &bytes);
	if (ret)
		return ret;
	if (bytes > size)
		return -EOVERFLOW;
	*out = f;
	return 0;
}

int lut_ggml_dequantize(uint32_t type, const void *src, size_t src_size, float *dst, uint64_t n)
{
	const uint8_t *s = src;
	const struct fmt *f;
	int8_t q[LUT_QK_K];
	uint64_t b, nb;
	uint32_t i;
	float d;
	int ret = convert_args(&f, type, src, dst, n, src_size);

	if (ret || !n)
		return ret;
	if (f->to_float) {
		f->to_float(s, dst, n);
		return 0;
	}
	nb = n / f->info.block_elems;
	for (b = 0; b < nb; b++, s += f->info.block_bytes, dst += f->info.block_elems) {
		f->unpack(s, q, &d);
		for (i = 0; i < f->info.block_elems; i++)
			dst[i] = (float)q[i] * d;
	}
	return 0;
}

int lut_ggml_quantize(uint32_t type, const float *src, uint64_t n, void *dst, size_t dst_size)
{
	uint8_t *o = dst;
	const struct fmt *f;
	uint64_t b, nb;
	int ret = convert_args(&f, type, src, dst, n, dst_size);

	if (ret || !n)
		return ret;
	if (f->from_float) {
		f->from_float(src, o, n);
		return 0;
	}
	nb = n / f->info.block_elems;
	for (b = 0; b < nb; b++, o += f->info.block_bytes, src += f->info.block_elems)
		f->pack(src, o);
	return 0;
}

int lut_ggml_unpack_block(uint32_t type, const void *block, int8_t *codes, float *scale)
{
	const struct fmt *f = fmt_of(type);

	if (!f || !f->unpack)
		return -EOPNOTSUPP;
	if (!block || !codes || !scale)
		return -EINVAL;
	f->unpack(block, codes, scale);
	return 0;
}
