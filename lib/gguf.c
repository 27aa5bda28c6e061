// SPDX-License-Identifier: MIT
/*
 * GGUF reader. One pass over the file image checks every length, count and
 * offset before using it; counts are bounded by the bytes left before any
 * allocation, so memory and time stay linear in the file size whatever the
 * file claims. The checks that need the whole picture (duplicate keys and
 * names, tensor bounds, overlaps) run on sorted index tables afterwards.
 *
 * Every rejection leaves a message in g->err that starts with where the
 * problem is ("key 'general.alignment': ...", "tensor 'output.weight': ...")
 * and, for any read past the end, says "runs past the end of the file".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lutcore/gguf.h"

struct kv {
	char *key;
	uint32_t type;
	union {
		uint64_t u;
		int64_t i;
		double f;
	} v;
	char *str; /* STRING: a NUL-terminated copy */
	uint64_t len;
	struct lut_gguf_arr arr;
};

/* Sorted name index entry: lookups by key or tensor name are bsearch()es. */
struct name_ent {
	const char *name;
	size_t idx;
};

struct lut_gguf {
	const uint8_t *base;
	size_t size;
	size_t map_size; /* non-zero when base is our mmap() */
	uint32_t version;
	uint32_t alignment;
	uint64_t data_off;
	size_t n_kv;
	struct kv *kvs;
	struct name_ent *kv_sorted;
	size_t n_tensors;
	struct lut_gguf_tensor *tensors;
	struct name_ent *t_sorted;
	uint64_t *str_offs; /* every string array's offset table, in one block */
	size_t n_str_offs;
	char err[LUT_GGUF_ERR_SIZE];
};

/* Parsing state: the read position and what is being read, for messages. */
struct cur {
	struct lut_gguf *g;
	size_t pos;
	char where[LUT_GGUF_MAX_NAME + 32];
};

static const struct {
	const char *name;
	uint32_t size; /* 0: variable */
} vtypes[] = {
	[LUT_GGUF_UINT8] = {"uint8", 1},     [LUT_GGUF_INT8] = {"int8", 1},
	[LUT_GGUF_UINT16] = {"uint16", 2},   [LUT_GGUF_INT16] = {"int16", 2},
	[LUT_GGUF_UINT32] = {"uint32", 4},   [LUT_GGUF_INT32] = {"int32", 4},
	[LUT_GGUF_FLOAT32] = {"float32", 4}, [LUT_GGUF_BOOL] = {"bool", 1},
	[LUT_GGUF_STRING] = {"string", 0},   [LUT_GGUF_ARRAY] = {"array", 0},
	[LUT_GGUF_UINT64] = {"uint64", 8},   [LUT_GGUF_INT64] = {"int64", 8},
	[LUT_GGUF_FLOAT64] = {"float64", 8},
};

#define N_VTYPES (sizeof(vtypes) / sizeof(vtypes[0]))

static const char *vtype_name(uint32_t t)
{
	return t < N_VTYPES ? vtypes[t].name : "unknown";
}

/* The smallest encoding of one value of type t, for bounding counts. */
static uint64_t vtype_min_size(uint32_t t)
{
	if (t == LUT_GGUF_STRING)
		return 8;
	if (t == LUT_GGUF_ARRAY)
		return 12;
	return vtypes[t].size;
}

static int vfail(struct lut_gguf *g, int ret, const char *fmt, va_list ap)
{
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	return ret;
}

static int __attribute__((format(printf, 3, 4)))
fail(struct lut_gguf *g, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(g, ret, fmt, ap);
	va_end(ap);
	return ret;
}

/* A parse error, prefixed by what is being read. */
static int __attribute__((format(printf, 3, 4))) bad(struct cur *c, int ret, const char *fmt, ...)
{
	char msg[LUT_GGUF_ERR_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(c->g, ret, "%s: %s", c->where, msg);
}

static size_t left(const struct cur *c)
{
	return c->g->size - c->pos;
}

/* Make sure n more bytes exist; what names them in the message. */
static int need(struct cur *c, uint64_t n, const char *what)
{
	if (n > left(c))
		return bad(c, -EINVAL,
			   "%s (%" PRIu64 " bytes) at offset %zu runs past the end of the file "
			   "(%zu bytes)",
			   what, n, c->pos, c->g->size);
	return 0;
}

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int rd_u32(struct cur *c, uint32_t *v, const char *what)
{
	int ret = need(c, 4, what);

	if (ret)
		return ret;
	*v = (uint32_t)le(c->g->base + c->pos, 4);
	c->pos += 4;
	return 0;
}

static int rd_u64(struct cur *c, uint64_t *v, const char *what)
{
	int ret = need(c, 8, what);

	if (ret)
		return ret;
	*v = le(c->g->base + c->pos, 8);
	c->pos += 8;
	return 0;
}

/* A string: on success *s points into the image and *len is its length. */
static int rd_str(struct cur *c, const uint8_t **s, uint64_t *len, const char *what)
{
	int ret = rd_u64(c, len, "string length");

	if (ret)
		return ret;
	if (*len > left(c))
		return bad(c, -EINVAL,
			   "%s of %" PRIu64 " bytes at offset %zu runs past the end of the file "
			   "(%zu bytes)",
			   what, *len, c->pos, c->g->size);
	*s = c->g->base + c->pos;
	c->pos += *len;
	return 0;
}

/* ---- Header -------------------------------------------------------------- */

static int parse_header(struct cur *c, uint64_t *n_tensors, uint64_t *n_kv)
{
	const uint8_t *b = c->g->base;
	uint32_t magic, version;
	int ret;

	snprintf(c->where, sizeof(c->where), "header");
	ret = rd_u32(c, &magic, "magic");
	if (ret)
		return ret;
	if (magic == __builtin_bswap32(LUT_GGUF_MAGIC))
		return bad(c, -EINVAL, "big-endian GGUF files are not supported");
	if (magic != LUT_GGUF_MAGIC)
		return bad(c, -EINVAL,
			   "not a GGUF file (magic %02x %02x %02x %02x, expected \"GGUF\")", b[0],
			   b[1], b[2], b[3]);
	ret = rd_u32(c, &version, "version");
	if (ret)
		return ret;
	if (version && !(version & 0xffff)) /* "GGUF" written by a big-endian writer */
		return bad(c, -EINVAL, "big-endian GGUF files are not supported (version 0x%08x)",
			   version);
	if (version != 2 && version != 3)
		return bad(c, -EINVAL, "GGUF version %u is not supported (only 2 and 3)", version);
	c->g->version = version;
	ret = rd_u64(c, n_tensors, "tensor count");
	if (!ret)
		ret = rd_u64(c, n_kv, "key/value count");
	if (ret)
		return ret;
	if (*n_kv > INT32_MAX) /* lut_gguf_find_kv() returns an int */
		return bad(c, -EINVAL, "key/value count %" PRIu64 " is too large", *n_kv);
	/* Each pair takes at least 13 bytes, each tensor info at least 32. */
	if (*n_kv > left(c) / 13)
		return bad(c, -EINVAL,
			   "key/value count %" PRIu64 " cannot fit in a file of %zu bytes", *n_kv,
			   c->g->size);
	if (*n_tensors > (left(c) - *n_kv * 13) / 32)
		return bad(c, -EINVAL, "tensor count %" PRIu64 " cannot fit in a file of %zu bytes",
			   *n_tensors, c->g->size);
	return 0;
}

/* ---- Key/value pairs ----------------------------------------------------- */

static int skip_value(struct cur *c, uint32_t type, int depth);

/* Check an array at c and skip it; fill *a (may be NULL) with its shape. */
static int skip_array(struct cur *c, int depth, struct lut_gguf_arr *a)
{
	uint32_t et;
	uint64_t n, i, size;
	int ret;

	if (depth >= LUT_GGUF_MAX_NESTING)
		return bad(c, -EINVAL, "arrays nested deeper than %d levels", LUT_GGUF_MAX_NESTING);
	ret = rd_u32(c, &et, "array element type");
	if (!ret)
		ret = rd_u64(c, &n, "array length");
	if (ret)
		return ret;
	if (et >= N_VTYPES)
		return bad(c, -EINVAL, "array element type %u is unknown", et);
	if (n > left(c) / vtype_min_size(et))
		return bad(c, -EINVAL,
			   "array of %" PRIu64 " %s cannot fit in the %zu bytes left of the file",
			   n, vtype_name(et), left(c));
	if (a) {
		a->type = et;
		a->count = n;
		a->data = c->g->base + c->pos;
	}
	size = vtypes[et].size;
	if (size) { /* n * size <= left(c), checked above */
		c->pos += n * size;
		return 0;
	}
	for (i = 0; i < n; i++) {
		ret = skip_value(c, et, depth + 1);
		if (ret)
			return ret;
	}
	return 0;
}

static int skip_value(struct cur *c, uint32_t type, int depth)
{
	const uint8_t *s;
	uint64_t len;

	if (type == LUT_GGUF_STRING)
		return rd_str(c, &s, &len, "string");
	if (type == LUT_GGUF_ARRAY)
		return skip_array(c, depth, NULL);
	return bad(c, -EINVAL, "internal: %s is not variable-sized", vtype_name(type));
}

/* Decode a scalar into kv->v; the bytes are known to be there. */
static int scalar(struct cur *c, struct kv *kv)
{
	const uint8_t *p = c->g->base + c->pos;
	uint32_t size = vtypes[kv->type].size;
	uint64_t u;
	float f;

	u = le(p, size);
	c->pos += size;
	switch (kv->type) {
	case LUT_GGUF_INT8:
		kv->v.i = (int8_t)u;
		break;
	case LUT_GGUF_INT16:
		kv->v.i = (int16_t)u;
		break;
	case LUT_GGUF_INT32:
		kv->v.i = (int32_t)u;
		break;
	case LUT_GGUF_INT64:
		kv->v.i = (int64_t)u;
		break;
	case LUT_GGUF_FLOAT32:
		memcpy(&f, p, 4);
		kv->v.f = f;
		break;
	case LUT_GGUF_FLOAT64:
		memcpy(&kv->v.f, p, 8);
		break;
	case LUT_GGUF_BOOL:
		if (u > 1)
			return bad(c, -EINVAL, "bool value %" PRIu64 " is neither 0 nor 1", u);
		/* fall through */
	default:
		kv->v.u = u;
	}
	return 0;
}

static int parse_key(struct cur *c, size_t i, struct kv *kv)
{
	const uint8_t *s;
	uint64_t len;
	int ret;

	snprintf(c->where, sizeof(c->where), "key %zu", i);
	ret = rd_str(c, &s, &len, "key");
	if (ret)
		return ret;
	if (len == 0 || len > LUT_GGUF_MAX_KEY)
		return bad(c, -EINVAL, "key length %" PRIu64 " is not within 1..%d", len,
			   LUT_GGUF_MAX_KEY);
	if (memchr(s, 0, len))
		return bad(c, -EINVAL, "key contains a NUL byte");
	kv->key = strndup((const char *)s, len);
	if (!kv->key)
		return fail(c->g, -ENOMEM, "out of memory");
	snprintf(c->where, sizeof(c->where), "key '%.*s'", LUT_GGUF_MAX_NAME, kv->key);
	return 0;
}

static int parse_kv(struct cur *c, size_t i, struct kv *kv)
{
	const uint8_t *s;
	int ret = parse_key(c, i, kv);

	if (!ret)
		ret = rd_u32(c, &kv->type, "value type");
	if (ret)
		return ret;
	if (kv->type >= N_VTYPES)
		return bad(c, -EINVAL, "value type %u is unknown", kv->type);
	if (kv->type == LUT_GGUF_ARRAY)
		return skip_array(c, 0, &kv->arr);
	if (kv->type == LUT_GGUF_STRING) {
		ret = rd_str(c, &s, &kv->len, "string value");
		if (ret)
			return ret;
		kv->str = malloc(kv->len + 1); /* len < file size, no overflow */
		if (!kv->str)
			return fail(c->g, -ENOMEM, "out of memory");
		memcpy(kv->str, s, kv->len);
		kv->str[kv->len] = '\0';
		return 0;
	}
	ret = need(c, vtypes[kv->type].size, "value");
	return ret ?: scalar(c, kv);
}

/* Index the elements of every string array (one allocation for all). */
static int index_strings(struct lut_gguf *g)
{
	size_t i, n = 0, k = 0;
	uint64_t j, len;

	for (i = 0; i < g->n_kv; i++)
		if (g->kvs[i].type == LUT_GGUF_ARRAY && g->kvs[i].arr.type == LUT_GGUF_STRING)
			n += g->kvs[i].arr.count; /* each >= 8 bytes of the file */
	if (!n)
		return 0;
	g->str_offs = malloc(n * sizeof(*g->str_offs));
	if (!g->str_offs)
		return fail(g, -ENOMEM, "out of memory");
	g->n_str_offs = n;
	for (i = 0; i < g->n_kv; i++) {
		struct lut_gguf_arr *a = &g->kvs[i].arr;
		uint64_t off = 0;

		if (g->kvs[i].type != LUT_GGUF_ARRAY || a->type != LUT_GGUF_STRING)
			continue;
		a->str_off = g->str_offs + k;
		for (j = 0; j < a->count; j++, k++) { /* already validated */
			g->str_offs[k] = off;
			len = le((const uint8_t *)a->data + off, 8);
			off += 8 + len;
		}
	}
	return 0;
}

/* ---- Sorting and lookup ---------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	const struct name_ent *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * Build the sorted index of n names (name(i) gives the i-th) and report the
 * first duplicate in *dup (NULL when all are unique).
 */
static int sort_names(const void *base, size_t n, const char *(*name)(const void *, size_t),
		      struct name_ent **out, const char **dup)
{
	struct name_ent *e = malloc((n ? n : 1) * sizeof(*e));
	size_t i;

	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		e[i] = (struct name_ent){name(base, i), i};
	qsort(e, n, sizeof(*e), by_name);
	*out = e;
	*dup = NULL;
	for (i = 1; i < n && !*dup; i++)
		if (!strcmp(e[i - 1].name, e[i].name))
			*dup = e[i].name;
	return 0;
}

static const char *kv_name(const void *base, size_t i)
{
	return ((const struct kv *)base)[i].key;
}

static const char *tensor_name(const void *base, size_t i)
{
	return ((const struct lut_gguf_tensor *)base)[i].name;
}

static int cmp_key(const void *key, const void *ent)
{
	return strcmp(key, ((const struct name_ent *)ent)->name);
}

/* Index of name in a sorted index of n entries; -1 when absent. */
static ssize_t lookup(const struct name_ent *idx, size_t n, const char *name)
{
	const struct name_ent *e = n ? bsearch(name, idx, n, sizeof(*idx), cmp_key) : NULL;

	return e ? (ssize_t)e->idx : -1;
}

static ssize_t find_kv(const struct lut_gguf *g, const char *key)
{
	return lookup(g->kv_sorted, g->n_kv, key);
}

/* ---- Alignment ------------------------------------------------------------- */

static int parse_alignment(struct lut_gguf *g)
{
	ssize_t i = find_kv(g, "general.alignment");
	uint64_t a;

	g->alignment = LUT_GGUF_DEFAULT_ALIGNMENT;
	if (i < 0)
		return 0;
	if (g->kvs[i].type != LUT_GGUF_UINT32)
		return fail(g, -EINVAL, "key 'general.alignment': type %s, expected uint32",
			    vtype_name(g->kvs[i].type));
	a = g->kvs[i].v.u;
	if (a < 8 || (a & (a - 1)))
		return fail(g, -EINVAL,
			    "key 'general.alignment': %" PRIu64
			    " is not a power of two of at least 8",
			    a);
	g->alignment = (uint32_t)a;
	return 0;
}

/* ---- Tensor infos ---------------------------------------------------------- */

static int parse_tensor(struct cur *c, size_t i, struct lut_gguf_tensor *t)
{
	const uint8_t *s;
	uint64_t len;
	uint32_t d;
	int ret;

	snprintf(c->where, sizeof(c->where), "tensor %zu", i);
	ret = rd_str(c, &s, &len, "name");
	if (ret)
		return ret;
	if (len == 0 || len > LUT_GGUF_MAX_NAME)
		return bad(c, -EINVAL, "name length %" PRIu64 " is not within 1..%d", len,
			   LUT_GGUF_MAX_NAME);
	if (memchr(s, 0, len))
		return bad(c, -EINVAL, "name contains a NUL byte");
	memcpy(t->name, s, len);
	snprintf(c->where, sizeof(c->where), "tensor '%s'", t->name);
	ret = rd_u32(c, &t->n_dims, "n_dims");
	if (ret)
		return ret;
	if (t->n_dims == 0 || t->n_dims > LUT_GGUF_MAX_DIMS)
		return bad(c, -EINVAL, "n_dims %u is not within 1..%d", t->n_dims,
			   LUT_GGUF_MAX_DIMS);
	t->n_elems = 1;
	for (d = 0; d < LUT_GGUF_MAX_DIMS; d++) {
		t->ne[d] = 1;
		ret = d < t->n_dims ? rd_u64(c, &t->ne[d], "dimension") : 0;
		if (ret)
			return ret;
		if (t->ne[d] == 0 || t->ne[d] > INT64_MAX)
			return bad(c, -EINVAL, "dimension %u is %" PRIu64 ", not within 1..2^63-1",
				   d, t->ne[d]);
		if (__builtin_mul_overflow(t->n_elems, t->ne[d], &t->n_elems) ||
		    t->n_elems > INT64_MAX)
			return bad(c, -EINVAL, "the element count overflows 63 bits");
	}
	ret = rd_u32(c, &t->type, "ggml type");
	return ret ?: rd_u64(c, &t->offset, "offset");
}

/* Size, alignment and bounds of one tensor, now that the layout is known. */
static int place_tensor(struct lut_gguf *g, struct lut_gguf_tensor *t)
{
	uint64_t data_size = g->size - g->data_off, row;
	const char *tn = lut_ggml_type_name(t->type);
	int ret;

	if (t->offset % g->alignment)
		return fail(g, -EINVAL, "tensor '%s': offset %" PRIu64 " is not a multiple of %u",
			    t->name, t->offset, g->alignment);
	ret = lut_ggml_row_size(t->type, t->ne[0], &row);
	if (ret == -EOPNOTSUPP) /* unknown type: accepted, refused on use */
		t->size = 0;
	else if (ret == -EINVAL)
		return fail(g, -EINVAL,
			    "tensor '%s': ne[0] = %" PRIu64 " is not a multiple of %u (%s)",
			    t->name, t->ne[0], lut_ggml_type_info(t->type)->block_elems, tn);
	else if (ret || __builtin_mul_overflow(row, t->n_elems / t->ne[0], &t->size))
		return fail(g, -EINVAL, "tensor '%s': %" PRIu64 " %s elements overflow 64 bits",
			    t->name, t->n_elems, tn);
	if (t->offset > data_size || t->size > data_size - t->offset)
		return fail(g, -EINVAL,
			    "tensor '%s': data [%" PRIu64 ", +%" PRIu64
			    ") runs past the end of the file "
			    "(data section of %" PRIu64 " bytes)",
			    t->name, t->offset, t->size, data_size);
	if (ret)
		return 0;
	t->data = g->base + g->data_off + t->offset;
	return 0;
}

struct span {
	uint64_t offset;
	size_t idx;
};

static int by_offset(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->offset != y->offset)
		return (x->offset > y->offset) - (x->offset < y->offset);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Tensors are read-only here, but overlapping ones mean a broken writer. */
static int check_overlaps(struct lut_gguf *g)
{
	struct span *sp = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof(*sp));
	size_t i, n = 0;
	int ret = 0;

	if (!sp)
		return fail(g, -ENOMEM, "out of memory");
	for (i = 0; i < g->n_tensors; i++)
		if (g->tensors[i].size)
			sp[n++] = (struct span){g->tensors[i].offset, i};
	qsort(sp, n, sizeof(*sp), by_offset);
	for (i = 1; i < n && !ret; i++) {
		const struct lut_gguf_tensor *a = &g->tensors[sp[i - 1].idx];
		const struct lut_gguf_tensor *b = &g->tensors[sp[i].idx];

		if (a->offset + a->size > b->offset)
			ret = fail(g, -EINVAL, "tensors '%s' and '%s' overlap", a->name, b->name);
	}
	free(sp);
	return ret;
}

/* ---- Open ------------------------------------------------------------------ */

static int parse_kvs(struct cur *c, uint64_t n_kv)
{
	struct lut_gguf *g = c->g;
	const char *dup;
	size_t i;
	int ret;

	g->kvs = calloc(n_kv ? n_kv : 1, sizeof(*g->kvs));
	if (!g->kvs)
		return fail(g, -ENOMEM, "out of memory");
	for (i = 0; i < n_kv; i++) {
		g->n_kv = i + 1; /* so that close() frees what was copied */
		ret = parse_kv(c, i, &g->kvs[i]);
		if (ret)
			return ret;
	}
	ret = sort_names(g->kvs, g->n_kv, kv_name, &g->kv_sorted, &dup);
	if (ret)
		return fail(g, ret, "out of memory");
	if (dup)
		return fail(g, -EINVAL, "key '%.*s' appears more than once", LUT_GGUF_MAX_NAME,
			    dup);
	ret = index_strings(g);
	return ret ?: parse_alignment(g);
}

static int parse_tensors(struct cur *c, uint64_t n)
{
	struct lut_gguf *g = c->g;
	const char *dup;
	size_t i;
	int ret;

	g->tensors = calloc(n ? n : 1, sizeof(*g->tensors));
	if (!g->tensors)
		return fail(g, -ENOMEM, "out of memory");
	g->n_tensors = n;
	for (i = 0; i < n; i++) {
		ret = parse_tensor(c, i, &g->tensors[i]);
		if (ret)
			return ret;
	}
	ret = sort_names(g->tensors, n, tensor_name, &g->t_sorted, &dup);
	if (ret)
		return fail(g, ret, "out of memory");
	if (dup)
		return fail(g, -EINVAL, "tensor name '%s' appears more than once", dup);
	/* The data section starts at the next multiple of the alignment. */
	g->data_off = c->pos + (g->alignment - c->pos % g->alignment) % g->alignment;
	if (n && g->data_off > g->size)
		return fail(g, -EINVAL,
			    "data section at offset %" PRIu64
			    " runs past the end of the file (%zu bytes)",
			    g->data_off, g->size);
	if (g->data_off > g->size)
		g->data_off = g->size; /* metadata-only files may stop unpadded */
	for (i = 0; i < n; i++) {
		ret = place_tensor(g, &g->tensors[i]);
		if (ret)
			return ret;
	}
	return check_overlaps(g);
}

static int parse(struct lut_gguf *g)
{
	struct cur c = {.g = g};
	uint64_t n_tensors, n_kv;
	int ret = parse_header(&c, &n_tensors, &n_kv);

	if (!ret)
		ret = parse_kvs(&c, n_kv);
	if (!ret)
		ret = parse_tensors(&c, n_tensors);
	return ret;
}

/* Finish an open: hand over g, or report and free it. */
static int open_done(struct lut_gguf *g, int ret, struct lut_gguf **out, const char *path,
		     char *err, size_t err_size)
{
	if (!ret) {
		*out = g;
		if (err && err_size)
			err[0] = '\0';
		return 0;
	}
	if (err && err_size) {
		if (path)
			snprintf(err, err_size, "%s: %s", path, g->err);
		else
			snprintf(err, err_size, "%s", g->err);
	}
	lut_gguf_close(g);
	return ret;
}

static struct lut_gguf *alloc_ctx(char *err, size_t err_size)
{
	struct lut_gguf *g = calloc(1, sizeof(*g));

	if (!g && err && err_size)
		snprintf(err, err_size, "out of memory");
	return g;
}

int lut_gguf_open_mem(const void *buf, size_t size, struct lut_gguf **out, char *err,
		      size_t err_size)
{
	struct lut_gguf *g;

	if (!out || (!buf && size))
		return -EINVAL;
	*out = NULL;
	g = alloc_ctx(err, err_size);
	if (!g)
		return -ENOMEM;
	g->base = buf ? buf : (const void *)"";
	g->size = size;
	return open_done(g, parse(g), out, NULL, err, err_size);
}

/*
 * The size of what fd holds: a regular file, or a block device (a model
 * handed to a VM as a read-only disk; the GGUF parser ignores the padding
 * after its data).
 */
static int file_size(struct lut_gguf *g, int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail(g, -errno, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return fail(g, -EISDIR, "is a directory");
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size))
			return fail(g, -errno, "cannot read the device size: %s", strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		return fail(g, -EINVAL, "not a regular file or block device");
	}
	if (*size > SIZE_MAX)
		return fail(g, -EFBIG, "too large for the address space");
	return 0;
}

static int map_file(struct lut_gguf *g, const char *path)
{
	uint64_t size = 0;
	void *p = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return fail(g, -errno, "cannot open: %s", strerror(errno));
	ret = file_size(g, fd, &size);
	if (!ret && size) { /* an empty file is reported by the parser */
		p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			ret = fail(g, -errno, "cannot map: %s", strerror(errno));
	}
	close(fd);
	if (ret || !size)
		return ret;
	g->base = p;
	g->size = g->map_size = (size_t)size;
	return 0;
}

int lut_gguf_open(const char *path, struct lut_gguf **out, char *err, size_t err_size)
{
	struct lut_gguf *g;
	int ret;

	if (!out || !path)
		return -EINVAL;
	*out = NULL;
	g = alloc_ctx(err, err_size);
	if (!g)
		return -ENOMEM;
	g->base = (const void *)"";
	ret = map_file(g, path);
	return open_done(g, ret ?: parse(g), out, path, err, err_size);
}

void lut_gguf_close(struct lut_gguf *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n_kv; i++) {
		free(g->kvs[i].key);
		free(g->kvs[i].str);
	}
	free(g->kvs);
	free(g->kv_sorted);
	free(g->tensors);
	free(g->t_sorted);
	free(g->str_offs);
	if (g->map_size)
		munmap((void *)g->base, g->map_size);
	free(g);
}

/* ---- Queries --------------------------------------------------------------- */

const char *lut_gguf_error(const struct lut_gguf *g)
{
	return g ? g->err : "";
}

uint32_t lut_gguf_version(const struct lut_gguf *g)
{
	return g->version;
}

uint32_t lut_gguf_alignment(const struct lut_gguf *g)
{
	return g->alignment;
}

uint64_t lut_gguf_data_offset(const struct lut_gguf *g)
{
	return g->data_off;
}

size_t lut_gguf_n_kv(const struct lut_gguf *g)
{
	return g->n_kv;
}

const char *lut_gguf_kv_key(const struct lut_gguf *g, size_t i)
{
	return i < g->n_kv ? g->kvs[i].key : NULL;
}

int lut_gguf_kv_type(const struct lut_gguf *g, size_t i)
{
	return i < g->n_kv ? (int)g->kvs[i].type : -ERANGE;
}

int lut_gguf_find_kv(struct lut_gguf *g, const char *key)
{
	ssize_t i = key ? find_kv(g, key) : -1;

	if (i < 0)
		return fail(g, -ENOENT, "key '%.*s' not found", LUT_GGUF_MAX_NAME,
			    key ? key : "(null)");
	return (int)i;
}

static int get(struct lut_gguf *g, const char *key, const struct kv **out)
{
	int i = lut_gguf_find_kv(g, key);

	if (i < 0)
		return i;
	*out = &g->kvs[i];
	return 0;
}

static int wrong_type(struct lut_gguf *g, const struct kv *kv, const char *want)
{
	return fail(g, -EINVAL, "key '%.*s': type %s, expected %s", LUT_GGUF_MAX_NAME, kv->key,
		    vtype_name(kv->type), want);
}

static bool is_signed(uint32_t t)
{
	return t == LUT_GGUF_INT8 || t == LUT_GGUF_INT16 || t == LUT_GGUF_INT32 ||
	       t == LUT_GGUF_INT64;
}

static bool is_int(uint32_t t)
{
	return is_signed(t) || t == LUT_GGUF_UINT8 || t == LUT_GGUF_UINT16 ||
	       t == LUT_GGUF_UINT32 || t == LUT_GGUF_UINT64;
}

/* The pair for key if it has type want (-1: any integer type). */
static int get_typed(struct lut_gguf *g, const char *key, int want, const struct kv **kv)
{
	int ret = get(g, key, kv);

	if (ret)
		return ret;
	if (want < 0 && !is_int((*kv)->type))
		return wrong_type(g, *kv, "an integer");
	if (want >= 0 && (*kv)->type != (uint32_t)want)
		return wrong_type(g, *kv, vtype_name(want));
	return 0;
}

int lut_gguf_get_uint(struct lut_gguf *g, const char *key, uint64_t *v)
{
	const struct kv *kv;
	int ret = get_typed(g, key, -1, &kv);

	if (ret)
		return ret;
	if (is_signed(kv->type) && kv->v.i < 0)
		return fail(g, -ERANGE, "key '%.*s': %" PRId64 " is negative", LUT_GGUF_MAX_NAME,
			    key, kv->v.i);
	*v = kv->v.u;
	return 0;
}

int lut_gguf_get_u32(struct lut_gguf *g, const char *key, uint32_t *v)
{
	uint64_t u;
	int ret = lut_gguf_get_uint(g, key, &u);

	if (ret)
		return ret;
	if (u > UINT32_MAX)
		return fail(g, -ERANGE, "key '%.*s': %" PRIu64 " does not fit 32 bits",
			    LUT_GGUF_MAX_NAME, key, u);
	*v = (uint32_t)u;
	return 0;
}

int lut_gguf_get_int(struct lut_gguf *g, const char *key, int64_t *v)
{
	const struct kv *kv;
	int ret = get_typed(g, key, -1, &kv);

	if (ret)
		return ret;
	if (!is_signed(kv->type) && kv->v.u > INT64_MAX)
		return fail(g, -ERANGE, "key '%.*s': %" PRIu64 " does not fit 63 bits",
			    LUT_GGUF_MAX_NAME, key, kv->v.u);
	*v = kv->v.i;
	return 0;
}

int lut_gguf_get_float(struct lut_gguf *g, const char *key, double *v)
{
	const struct kv *kv;
	int ret = get(g, key, &kv);

	if (ret)
		return ret;
	if (kv->type != LUT_GGUF_FLOAT32 && kv->type != LUT_GGUF_FLOAT64)
		return wrong_type(g, kv, "a float");
	*v = kv->v.f;
	return 0;
}

int lut_gguf_get_bool(struct lut_gguf *g, const char *key, bool *v)
{
	const struct kv *kv;
	int ret = get_typed(g, key, LUT_GGUF_BOOL, &kv);

	if (ret)
		return ret;
	*v = kv->v.u != 0;
	return 0;
}

int lut_gguf_get_str(struct lut_gguf *g, const char *key, const char **s, size_t *len)
{
	const struct kv *kv;
	int ret = get_typed(g, key, LUT_GGUF_STRING, &kv);

	if (ret)
		return ret;
	*s = kv->str;
	if (len)
		*len = (size_t)kv->len;
	return 0;
}

int lut_gguf_get_arr(struct lut_gguf *g, const char *key, struct lut_gguf_arr *a)
{
	const struct kv *kv;
	int ret = get_typed(g, key, LUT_GGUF_ARRAY, &kv);

	if (ret)
		return ret;
	*a = kv->arr;
	return 0;
}

/* ---- Array elements ---------------------------------------------------------- */

int lut_gguf_arr_int(const struct lut_gguf_arr *a, uint64_t i, int64_t *v)
{
	const uint8_t *p;
	uint32_t size;
	uint64_t u;

	if (!a || !v || !is_int(a->type))
		return -EINVAL;
	if (i >= a->count)
		return -ERANGE;
	size = vtypes[a->type].size;
	p = (const uint8_t *)a->data + i * size;
	u = le(p, size);
	if (is_signed(a->type) && size < 8) /* sign-extend */
		u = (uint64_t)((int64_t)(u << (64 - 8 * size)) >> (64 - 8 * size));
	else if (!is_signed(a->type) && u > INT64_MAX)
		return -ERANGE;
	*v = (int64_t)u;
	return 0;
}

int lut_gguf_arr_float(const struct lut_gguf_arr *a, uint64_t i, double *v)
{
	const uint8_t *p;
	float f;

	if (!a || !v || (a->type != LUT_GGUF_FLOAT32 && a->type != LUT_GGUF_FLOAT64))
		return -EINVAL;
	if (i >= a->count)
		return -ERANGE;
	p = (const uint8_t *)a->data + i * vtypes[a->type].size;
	if (a->type == LUT_GGUF_FLOAT64) {
		memcpy(v, p, 8);
	} else {
		memcpy(&f, p, 4);
		*v = f;
	}
	return 0;
}

int lut_gguf_arr_str(const struct lut_gguf_arr *a, uint64_t i, const char **s, size_t *len)
{
	const uint8_t *p;

	if (!a || !s || !len || a->type != LUT_GGUF_STRING)
		return -EINVAL;
	if (i >= a->count)
		return -ERANGE;
	if (!a->str_off)
		return -EINVAL;
	p = (const uint8_t *)a->data + a->str_off[i];
	*len = (size_t)le(p, 8);
	*s = (const char *)p + 8;
	return 0;
}

/* ---- Tensors ------------------------------------------------------------------- */

size_t lut_gguf_n_tensors(const struct lut_gguf *g)
{
	return g->n_tensors;
}

const struct lut_gguf_tensor *lut_gguf_tensor(const struct lut_gguf *g, size_t i)
{
	return i < g->n_tensors ? &g->tensors[i] : NULL;
}

int lut_gguf_find_tensor(struct lut_gguf *g, const char *name, const struct lut_gguf_tensor **t)
{
	ssize_t i = name ? lookup(g->t_sorted, g->n_tensors, name) : -1;

	if (i < 0)
		return fail(g, -ENOENT, "tensor '%.*s' not found", LUT_GGUF_MAX_NAME,
			    name ? name : "(null)");
	*t = &g->tensors[i];
	return 0;
}

int lut_gguf_tensor_data(struct lut_gguf *g, const struct lut_gguf_tensor *t, const void **data,
			 uint64_t *size)
{
	if (!g || !t || !data || !size)
		return -EINVAL;
	if (!t->data)
		return fail(g, -EOPNOTSUPP, "tensor '%s': ggml type %u is not supported", t->name,
			    t->type);
	*data = t->data;
	*size = t->size;
	return 0;
}
