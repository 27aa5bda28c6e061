// SPDX-License-Identifier: MIT
/*
 * liblutcore: GGUF weight tensors in the engine's layout (lutcore/weights.h,
 * docs/weights.md).
 *
 * In pack.h's engine form a B-bit code q stands for q' = 2q - (2^B - 1)
 * and a ternary code t + 1 for q' = 2t; the weight is s' (q' - z').
 * Quantized blocks are repacked code for code:
 *   Q4_0   value (q - 8) d, q the nibble: s' = d/2, z' = 1, as
 *          (d/2)(2q - 15 - 1) = (q - 8) d.
 *   Q8_0   value c d with c = 16h + l, h = c >> 4 in -8..7, l = c & 15:
 *          part 0 codes h + 8, s' = 8d, z' = 1:   8d (2h + 1 - 1) = 16h d;
 *          part 1 codes l,     s' = d/2, z' = -15: (d/2)(2l - 15 + 15) = l d.
 *   TQ1_0, TQ2_0  value t d: codes t + 1, s' = d/2 (q' = 2t).
 * Each product is exact in binary32 (d has 11 significant bits, the codes
 * at most 8), so the parts dequantize to the file's values bit for bit.
 *
 * A matrix is converted one 64-row tile at a time: the packed layout is
 * [tile][4-group][plane][32 bytes] (docs/isa.md, "Packed weights"), so a
 * tile's packed bytes are one contiguous run that lutcore_pack_codes()
 * writes from that tile's codes alone. Temporaries are thus O(k) (a
 * tile's codes, floats and scales), not O(n k), and stay in the cache.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/pack.h"
#include "lutcore/quant.h"
#include "lutcore/weights.h"

#define TILE LUTC_TILE_N

/*
 * How a quantized type maps onto LMMA parts: the codes of a block's
 * values (v = the integers of lut_ggml_unpack_block()), s' = smul[p] * d
 * and z' = zero[p] for part p; check, if set, returns the first element of
 * a raw block that no engine code stands for, or -1.
 */
struct qfmt {
	uint32_t type;
	uint32_t nparts;
	uint32_t wfmt;
	float smul[LUT_WEIGHT_MAX_PARTS];
	float zero[LUT_WEIGHT_MAX_PARTS];
	void (*codes)(const int8_t *v, uint32_t len, uint8_t *q0, uint8_t *q1);
	int (*check)(const uint8_t *block);
};

/* A conversion in progress. */
struct conv {
	uint32_t type, n, k;
	const uint8_t *data;
	size_t row_bytes;
	const struct lut_ggml_type_info *ti;
	const struct qfmt *qf; /* NULL for float tensors */
	struct lutcore_pack_params pp;
	struct lut_weight *w;
	char *err;
	size_t err_size;
	uint8_t *codes[LUT_WEIGHT_MAX_PARTS]; /* one tile's codes per part */
	float *f;			      /* float tensors: one tile's weights */
	float *ts;			      /* ...and its scales [ngroups][rows] */
};

static int __attribute__((format(printf, 4, 5)))
say(char *err, size_t size, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- Quantized types ----------------------------------------------------- */

static void q4_0_codes(const int8_t *v, uint32_t len, uint8_t *q0, uint8_t *q1)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		q0[i] = (uint8_t)(v[i] + 8);
}

/* High nibble h + 8 = (byte >> 4) ^ 8 (h = c >> 4, signed), low nibble. */
static void q8_0_codes(const int8_t *v, uint32_t len, uint8_t *q0, uint8_t *q1)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint8_t u = (uint8_t)v[i];

		q0[i] = (uint8_t)((u >> 4) ^ 8);
		q1[i] = u & 15;
	}
}

static void ternary_codes(const int8_t *v, uint32_t len, uint8_t *q0, uint8_t *q1)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		q0[i] = (uint8_t)(v[i] + 1);
}

/*
 * TQ2_0's unused code 3 (which the reference decoder reads as +2): byte i
 * of qs holds elements 128 (i / 32) + 32 j + i % 32 at bits 2j, 2j + 1.
 */
static int tq2_0_check(const uint8_t *block)
{
	uint32_t i, j;

	for (i = 0; i < LUT_QK_K / 4; i++) {
		uint8_t threes = block[i] & (block[i] >> 1) & 0x55;

		if (!threes)
			continue;
		for (j = 0; !((threes >> (2 * j)) & 1); j++)
			;
		return (int)(128 * (i / 32) + 32 * j + i % 32);
	}
	return -1;
}

static const struct qfmt qfmts[] = {
	{LUT_GGML_Q4_0, 1, LUTC_WF_INT4, {0.5f}, {1.0f}, q4_0_codes, NULL},
	{LUT_GGML_Q8_0, 2, LUTC_WF_INT4, {8.0f, 0.5f}, {1.0f, -15.0f}, q8_0_codes, NULL},
	{LUT_GGML_TQ1_0, 1, LUTC_WF_TERNARY, {0.5f}, {0.0f}, ternary_codes, NULL},
	{LUT_GGML_TQ2_0, 1, LUTC_WF_TERNARY, {0.5f}, {0.0f}, ternary_codes, tq2_0_check},
};

static const struct qfmt *qfmt_of(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(qfmts) / sizeof(qfmts[0]); i++) {
		if (qfmts[i].type == type)
			return &qfmts[i];
	}
	return NULL;
}

/* One block of row r (of the tile starting at r0), block b of the row. */
static int quant_block(struct conv *c, uint32_t r0, uint32_t r, uint32_t b)
{
	const struct qfmt *f = c->qf;
	uint32_t be = c->ti->block_elems, p;
	const uint8_t *blk =
		c->data + (size_t)(r0 + r) * c->row_bytes + (size_t)b * c->ti->block_bytes;
	size_t at = (size_t)r * c->k + (size_t)b * be;
	int8_t v[LUT_QK_K];
	int bad = f->check ? f->check(blk) : -1;
	float d;

	if (bad >= 0)
		return say(c->err, c->err_size, -EDOM,
			   "%s row %u block %u element %d (column %u) has the unused code 3, "
			   "which no engine code stands for",
			   c->ti->name, r0 + r, b, bad, b * be + (uint32_t)bad);
	lut_ggml_unpack_block(c->type, blk, v, &d);
	if (!isfinite(d))
		return say(c->err, c->err_size, -EDOM,
			   "%s row %u block %u has a non-finite scale (%g)", c->ti->name, r0 + r, b,
			   (double)d);
	f->codes(v, be, c->codes[0] + at, c->codes[1] ? c->codes[1] + at : NULL);
	for (p = 0; p < f->nparts; p++)
		c->w->parts[p].scales[(size_t)b * c->n + r0 + r] = f->smul[p] * d;
	return 0;
}

static int quant_tile(struct conv *c, uint32_t r0, uint32_t rows)
{
	uint32_t nb = c->k / c->ti->block_elems, r, b;
	int ret;

	for (r = 0; r < rows; r++) {
		for (b = 0; b < nb; b++) {
			ret = quant_block(c, r0, r, b);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- Float types --------------------------------------------------------- */

/* Where lutcore_quantize() found a weight that is not finite. */
static int not_finite(struct conv *c, uint32_t r0, size_t count)
{
	size_t i;

	for (i = 0; i < count && isfinite(c->f[i]); i++)
		;
	return say(c->err, c->err_size, -EDOM,
		   "%s weight [row %u, column %u] is %g; it must be finite", c->ti->name,
		   r0 + (uint32_t)(i / c->k), (uint32_t)(i % c->k),
		   i < count ? (double)c->f[i] : 0.0);
}

static int float_tile(struct conv *c, uint32_t r0, uint32_t rows)
{
	uint32_t ng = lutcore_pack_groups(c->k, c->pp.group), g;
	size_t count = (size_t)rows * c->k;
	float *scales = c->w->parts[0].scales;
	int ret;

	ret = lut_ggml_dequantize(c->type, c->data + (size_t)r0 * c->row_bytes, rows * c->row_bytes,
				  c->f, count);
	ret = ret ? ret : lutcore_quantize(c->f, rows, c->k, &c->pp, c->codes[0], c->ts, NULL);
	if (ret == -EDOM)
		return not_finite(c, r0, count);
	if (ret)
		return say(c->err, c->err_size, ret, "%s rows %u..%u: quantizing failed (%d)",
			   c->ti->name, r0, r0 + rows - 1, ret);
	for (g = 0; g < ng; g++)
		memcpy(scales + (size_t)g * c->n + r0, c->ts + (size_t)g * rows,
		       rows * sizeof(float));
	return 0;
}

/* ---- Conversion ---------------------------------------------------------- */

static const uint32_t supported[] = {LUT_GGML_F32,  LUT_GGML_F16,   LUT_GGML_BF16, LUT_GGML_Q4_0,
				     LUT_GGML_Q8_0, LUT_GGML_TQ1_0, LUT_GGML_TQ2_0};

static bool is_supported(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
		if (supported[i] == type)
			return true;
	}
	return false;
}

static int unsupported(struct conv *c)
{
	char list[128] = "";
	size_t i, len = 0;

	for (i = 0; i < sizeof(supported) / sizeof(supported[0]) && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					lut_ggml_type_name(supported[i]));
	if (!c->ti)
		return say(c->err, c->err_size, -EOPNOTSUPP,
			   "tensor type %u (unknown) cannot run on the engine (supported: %s)",
			   c->type, list);
	return say(c->err, c->err_size, -EOPNOTSUPP,
		   "tensor type %s cannot run on the engine (supported: %s)", c->ti->name, list);
}

/* Float tensors: wbits and group to pack parameters. */
static int float_params(struct conv *c, const struct lut_weight_params *p)
{
	uint32_t wbits = p && p->wbits ? p->wbits : LUT_WBITS_DEFAULT;
	uint32_t group = p && p->group ? p->group : LUT_WGROUP_DEFAULT;

	if (wbits > LUT_WBITS_TERNARY)
		return say(c->err, c->err_size, -EINVAL, "weight bits %u: not 1..4 or %u (ternary)",
			   wbits, LUT_WBITS_TERNARY);
	if (group % LUTC_GROUP_K || group > LUTC_MAX_DIM)
		return say(c->err, c->err_size, -EINVAL,
			   "weight group %u: not a multiple of %u up to %u", group, LUTC_GROUP_K,
			   LUTC_MAX_DIM);
	c->pp.wfmt = wbits == LUT_WBITS_TERNARY ? LUTC_WF_TERNARY : wbits;
	c->pp.group = group;
	c->pp.mode = LUTCORE_QUANT_SYMMETRIC;
	return 0;
}

static int check_args(struct conv *c, size_t size, const struct lut_weight_params *p)
{
	uint64_t row;
	int ret;

	if (!is_supported(c->type))
		return unsupported(c);
	if (!c->k || !c->n || c->k > LUTC_MAX_DIM || c->n > LUTC_MAX_DIM)
		return say(c->err, c->err_size, -EINVAL,
			   "%s tensor [%u, %u]: each dimension must be 1..%u", c->ti->name, c->k,
			   c->n, LUTC_MAX_DIM);
	ret = float_params(c, p);
	if (ret)
		return ret;
	if (lut_ggml_row_size(c->type, c->k, &row))
		return say(c->err, c->err_size, -EINVAL,
			   "%s tensor [%u, %u]: k is not a multiple of the block size %u",
			   c->ti->name, c->k, c->n, c->ti->block_elems);
	c->row_bytes = (size_t)row;
	if (row * c->n > size)
		return say(c->err, c->err_size, -EOVERFLOW,
			   "%s tensor [%u, %u] needs %llu bytes, only %zu given", c->ti->name, c->k,
			   c->n, (unsigned long long)(row * c->n), size);
	return 0;
}

/* The parts' arrays, and the per-tile temporaries. */
static int alloc_parts(struct conv *c)
{
	struct lut_weight *w = c->w;
	uint32_t p, ng;

	w->nparts = c->qf ? c->qf->nparts : 1;
	for (p = 0; p < w->nparts; p++) {
		struct lut_weight_part *pt = &w->parts[p];

		pt->wfmt = c->qf ? c->qf->wfmt : c->pp.wfmt;
		pt->group = c->qf ? c->ti->block_elems : c->pp.group;
		pt->zero_imm = c->qf ? c->qf->zero[p] : 0.0f;
		pt->packed_size = lutcore_packed_size(w->n, w->k, pt->wfmt);
		ng = lutcore_pack_groups(w->k, pt->group);
		if (posix_memalign(&pt->packed, 64, pt->packed_size))
			pt->packed = NULL;
		pt->scales = malloc((size_t)ng * w->n * sizeof(float));
		c->codes[p] = malloc((size_t)TILE * w->k);
		if (!pt->packed || !pt->scales || !c->codes[p])
			return -ENOMEM;
	}
	if (!c->qf) {
		ng = lutcore_pack_groups(w->k, c->pp.group);
		c->f = malloc((size_t)TILE * w->k * sizeof(float));
		c->ts = malloc((size_t)ng * TILE * sizeof(float));
		if (!c->f || !c->ts)
			return -ENOMEM;
	}
	return 0;
}

/* Pack part p's codes of tile t (rows of it) into its place. */
static int pack_tile(struct conv *c, uint32_t p, uint32_t t, uint32_t rows)
{
	struct lut_weight_part *pt = &c->w->parts[p];
	size_t tile_bytes = lutcore_packed_size(TILE, c->k, pt->wfmt);
	int ret = lutcore_pack_codes((uint8_t *)pt->packed + t * tile_bytes, c->codes[p], rows,
				     c->k, pt->wfmt);

	if (ret)
		return say(c->err, c->err_size, ret, "%s rows %u..: packing failed (%d)",
			   c->ti->name, t * TILE, ret);
	return 0;
}

static int convert(struct conv *c)
{
	uint32_t tiles = (c->n + TILE - 1) / TILE, t, p;
	int ret = alloc_parts(c);

	if (ret)
		return say(c->err, c->err_size, ret, "%s tensor [%u, %u]: out of memory",
			   c->ti->name, c->k, c->n);
	for (t = 0; t < tiles; t++) {
		uint32_t r0 = t * TILE, rows = c->n - r0 < TILE ? c->n - r0 : TILE;

		ret = c->qf ? quant_tile(c, r0, rows) : float_tile(c, r0, rows);
		for (p = 0; !ret && p < c->w->nparts; p++)
			ret = pack_tile(c, p, t, rows);
		if (ret)
			return ret;
	}
	return 0;
}

int lut_weight_from_ggml(uint32_t type, const void *data, size_t size, uint32_t k, uint32_t n,
			 const struct lut_weight_params *p, struct lut_weight *out, char *err,
			 size_t err_size)
{
	struct conv c = {.type = type,
			 .n = n,
			 .k = k,
			 .data = data,
			 .ti = lut_ggml_type_info(type),
			 .qf = qfmt_of(type),
			 .w = out,
			 .err = err,
			 .err_size = err_size};
	uint32_t i;
	int ret;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!out || !data)
		return say(err, err_size, -EINVAL, "no %s", out ? "tensor data" : "output weight");
	ret = check_args(&c, size, p);
	if (ret)
		return ret;
	out->n = n;
	out->k = k;
	out->type = type;
	ret = convert(&c);
	for (i = 0; i < LUT_WEIGHT_MAX_PARTS; i++)
		free(c.codes[i]);
	free(c.f);
	free(c.ts);
	if (ret) {
		lut_weight_release(out);
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

void lut_weight_release(struct lut_weight *w)
{
	uint32_t p;

	if (!w)
		return;
	for (p = 0; p < LUT_WEIGHT_MAX_PARTS; p++) {
		free(w->parts[p].packed);
		free(w->parts[p].scales);
		free(w->parts[p].zeros);
	}
	memset(w->parts, 0, sizeof(w->parts));
	w->nparts = 0;
}

/* ---- Dequantization ------------------------------------------------------ */

static bool weight_ok(const struct lut_weight *w)
{
	uint32_t p;

	if (!w->n || !w->k || !w->nparts || w->nparts > LUT_WEIGHT_MAX_PARTS)
		return false;
	for (p = 0; p < w->nparts; p++) {
		const struct lut_weight_part *pt = &w->parts[p];

		if (!pt->packed || !pt->scales || !lutc_wfmt_planes(pt->wfmt) ||
		    pt->group % LUTC_GROUP_K ||
		    pt->packed_size < lutcore_packed_size(w->n, w->k, pt->wfmt))
			return false;
	}
	return true;
}

/* out (+)= s' (q' - z') of one part, in pack.c's order of operations. */
static void part_values(const struct lut_weight *w, const struct lut_weight_part *pt,
			const uint8_t *codes, float *out, bool add)
{
	uint32_t gk = pt->group ? pt->group : w->k, hi = (1u << lutc_wfmt_planes(pt->wfmt)) - 1;
	uint32_t r, c;
	float qv[16];

	for (c = 0; c <= hi; c++)
		qv[c] = pt->wfmt == LUTC_WF_TERNARY ? 2.0f * ((float)c - 1.0f)
						    : 2.0f * (float)c - (float)hi;
	for (r = 0; r < w->n; r++) {
		for (c = 0; c < w->k; c++) {
			size_t si = (size_t)(c / gk) * w->n + r, at = (size_t)r * w->k + c;
			float z = pt->zeros ? pt->zeros[si] : pt->zero_imm;
			float v = pt->scales[si] * (qv[codes[at]] - z);

			out[at] = add ? out[at] + v : v;
		}
	}
}

int lut_weight_dequantize(const struct lut_weight *w, float *out)
{
	uint8_t *codes;
	uint32_t p;
	int ret = 0;

	if (!w || !out || !weight_ok(w))
		return -EINVAL;
	codes = malloc((size_t)w->n * w->k);
	if (!codes)
		return -ENOMEM;
	for (p = 0; !ret && p < w->nparts; p++) {
		ret = lutcore_unpack_codes(codes, w->parts[p].packed, w->n, w->k, w->parts[p].wfmt);
		if (!ret)
			part_values(w, &w->parts[p], codes, out, p > 0);
	}
	free(codes);
	return ret;
}

const char *lut_wfmt_name(uint32_t wfmt)
{
	static const char *const names[] = {
		[LUTC_WF_NONE] = "none", [LUTC_WF_INT1] = "int1", [LUTC_WF_INT2] = "int2",
		[LUTC_WF_INT3] = "int3", [LUTC_WF_INT4] = "int4", [LUTC_WF_TERNARY] = "ternary",
	};

	return wfmt < sizeof(names) / sizeof(names[0]) ? names[wfmt] : "unknown";
}
