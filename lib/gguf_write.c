// SPDX-License-Identifier: MIT
/*
 * GGUF writer (version 3). Metadata and tensor infos are serialized into
 * memory as they are added; the tensor data is streamed by the caller, so
 * that the model generator can write multi-GiB files piece by piece. Every
 * tensor, the last one included, is padded to the alignment with zeros.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/gguf.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

struct wtensor {
	char name[LUT_GGUF_MAX_NAME + 1];
	uint64_t offset, size;
};

struct lut_gguf_writer {
	uint32_t alignment;
	struct wbuf kv, info;
	char **keys;
	size_t n_kv;
	struct wtensor *tensors;
	size_t n_tensors;
	uint64_t data_size; /* the data section so far, padded */
	/* Streaming state. */
	FILE *f;
	size_t cur;	   /* tensor being filled */
	uint64_t cur_done; /* its bytes written */
	uint64_t left;	   /* bytes of all tensors still to come */
};

static const uint8_t scalar_size[] = {
	[LUT_GGUF_UINT8] = 1,  [LUT_GGUF_INT8] = 1,  [LUT_GGUF_UINT16] = 2,  [LUT_GGUF_INT16] = 2,
	[LUT_GGUF_UINT32] = 4, [LUT_GGUF_INT32] = 4, [LUT_GGUF_FLOAT32] = 4, [LUT_GGUF_BOOL] = 1,
	[LUT_GGUF_UINT64] = 8, [LUT_GGUF_INT64] = 8, [LUT_GGUF_FLOAT64] = 8,
};

static uint32_t scalar_bytes(uint32_t type)
{
	return type < sizeof(scalar_size) ? scalar_size[type] : 0;
}

static int put(struct wbuf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *q;

		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		q = realloc(b->p, cap);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* Little-endian integers; the host is little-endian (see quant.c). */
static int put_u32(struct wbuf *b, uint32_t v)
{
	return put(b, &v, 4);
}

static int put_u64(struct wbuf *b, uint64_t v)
{
	return put(b, &v, 8);
}

static int put_str(struct wbuf *b, const char *s, size_t len)
{
	int ret = put_u64(b, len);

	return ret ?: put(b, s, len);
}

int lut_gguf_writer_new(uint32_t alignment, struct lut_gguf_writer **out)
{
	struct lut_gguf_writer *w;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (alignment && (alignment < 8 || (alignment & (alignment - 1))))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->alignment = alignment ? alignment : LUT_GGUF_DEFAULT_ALIGNMENT;
	if (w->alignment != LUT_GGUF_DEFAULT_ALIGNMENT) {
		ret = lut_gguf_writer_add_u32(w, "general.alignment", w->alignment);
		if (ret) {
			lut_gguf_writer_free(w);
			return ret;
		}
	}
	*out = w;
	return 0;
}

void lut_gguf_writer_free(struct lut_gguf_writer *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->n_kv; i++)
		free(w->keys[i]);
	free(w->keys);
	free(w->kv.p);
	free(w->info.p);
	free(w->tensors);
	free(w);
}

/* Check and record a new key, and serialize it with its value type. */
static int add_key(struct lut_gguf_writer *w, const char *key, uint32_t type)
{
	size_t i, len;
	char **keys;
	int ret;

	if (!w || !key)
		return -EINVAL;
	if (w->f)
		return -EBUSY;
	len = strlen(key);
	if (!len || len > LUT_GGUF_MAX_KEY)
		return -EINVAL;
	for (i = 0; i < w->n_kv; i++)
		if (!strcmp(w->keys[i], key))
			return -EEXIST;
	keys = realloc(w->keys, (w->n_kv + 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	w->keys = keys;
	keys[w->n_kv] = strdup(key);
	if (!keys[w->n_kv])
		return -ENOMEM;
	w->n_kv++;
	ret = put_str(&w->kv, key, len);
	return ret ?: put_u32(&w->kv, type);
}

/* A scalar in file form; bool is normalised to 0/1. */
static int put_scalar(struct wbuf *b, uint32_t type, const void *value)
{
	uint8_t v;

	if (type == LUT_GGUF_BOOL) {
		v = *(const bool *)value ? 1 : 0;
		return put(b, &v, 1);
	}
	return put(b, value, scalar_bytes(type));
}

int lut_gguf_writer_add(struct lut_gguf_writer *w, const char *key, enum lut_gguf_type type,
			const void *value)
{
	int ret;

	if (!scalar_bytes(type) || !value)
		return -EINVAL;
	ret = add_key(w, key, type);
	return ret ?: put_scalar(&w->kv, type, value);
}

int lut_gguf_writer_add_u32(struct lut_gguf_writer *w, const char *key, uint32_t v)
{
	return lut_gguf_writer_add(w, key, LUT_GGUF_UINT32, &v);
}

int lut_gguf_writer_add_f32(struct lut_gguf_writer *w, const char *key, float v)
{
	return lut_gguf_writer_add(w, key, LUT_GGUF_FLOAT32, &v);
}

int lut_gguf_writer_add_bool(struct lut_gguf_writer *w, const char *key, bool v)
{
	return lut_gguf_writer_add(w, key, LUT_GGUF_BOOL, &v);
}

int lut_gguf_writer_add_str(struct lut_gguf_writer *w, const char *key, const char *v)
{
	int ret;

	if (!v)
		return -EINVAL;
	ret = add_key(w, key, LUT_GGUF_STRING);
	return ret ?: put_str(&w->kv, v, strlen(v));
}

int lut_gguf_writer_add_arr(struct lut_gguf_writer *w, const char *key, enum lut_gguf_type type,
			    const void *elems, uint64_t n)
{
	uint32_t size = scalar_bytes(type);
	const uint8_t *p = elems;
	uint64_t i;
	int ret;

	if (!size || (!elems && n))
		return -EINVAL;
	ret = add_key(w, key, LUT_GGUF_ARRAY);
	if (!ret)
		ret = put_u32(&w->kv, type);
	if (!ret)
		ret = put_u64(&w->kv, n);
	/* bool elements are normalised one by one; the rest copy as is. */
	for (i = 0; !ret && i < n && type == LUT_GGUF_BOOL; i++)
		ret = put_scalar(&w->kv, type, (const bool *)elems + i);
	if (!ret && type != LUT_GGUF_BOOL && n) {
		if (n > SIZE_MAX / size)
			return -ENOMEM;
		ret = put(&w->kv, p, (size_t)(n * size));
	}
	return ret;
}

int lut_gguf_writer_add_arr_str(struct lut_gguf_writer *w, const char *key, const char *const *strs,
				const size_t *lens, uint64_t n)
{
	uint64_t i;
	int ret;

	if (!strs && n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!strs[i])
			return -EINVAL;
	ret = add_key(w, key, LUT_GGUF_ARRAY);
	if (!ret)
		ret = put_u32(&w->kv, LUT_GGUF_STRING);
	if (!ret)
		ret = put_u64(&w->kv, n);
	for (i = 0; !ret && i < n; i++)
		ret = put_str(&w->kv, strs[i], lens ? lens[i] : strlen(strs[i]));
	return ret;
}

static uint64_t align_up(uint64_t v, uint32_t a)
{
	return (v + a - 1) / a * a;
}

/* The byte size of a tensor of this shape, or a negative errno. */
static int tensor_size(uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t *size)
{
	uint64_t rows = 1, row;
	uint32_t d;
	int ret;

	if (!n_dims || n_dims > LUT_GGUF_MAX_DIMS || !ne)
		return -EINVAL;
	for (d = 0; d < n_dims; d++) {
		if (!ne[d] || ne[d] > INT64_MAX)
			return -EINVAL;
		if (d && __builtin_mul_overflow(rows, ne[d], &rows))
			return -EOVERFLOW;
	}
	ret = lut_ggml_row_size(type, ne[0], &row);
	if (ret)
		return ret;
	if (__builtin_mul_overflow(row, rows, size) || *size > UINT64_MAX / 2)
		return -EOVERFLOW;
	return 0;
}

int lut_gguf_writer_add_tensor(struct lut_gguf_writer *w, const char *name, uint32_t n_dims,
			       const uint64_t *ne, uint32_t type)
{
	struct wtensor *t;
	uint64_t size;
	size_t i, len = name ? strlen(name) : 0;
	int ret;

	if (!w || !len || len > LUT_GGUF_MAX_NAME)
		return -EINVAL;
	if (w->f)
		return -EBUSY;
	ret = tensor_size(n_dims, ne, type, &size);
	if (ret)
		return ret;
	for (i = 0; i < w->n_tensors; i++)
		if (!strcmp(w->tensors[i].name, name))
			return -EEXIST;
	t = realloc(w->tensors, (w->n_tensors + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	w->tensors = t;
	t += w->n_tensors;
	memcpy(t->name, name, len + 1);
	t->offset = w->data_size;
	t->size = size;
	ret = put_str(&w->info, name, len);
	if (!ret)
		ret = put_u32(&w->info, n_dims);
	for (i = 0; !ret && i < n_dims; i++)
		ret = put_u64(&w->info, ne[i]);
	if (!ret)
		ret = put_u32(&w->info, type);
	if (!ret)
		ret = put_u64(&w->info, t->offset);
	if (ret)
		return ret; /* the info buffer is garbage now; the writer is unusable */
	w->n_tensors++;
	w->data_size = align_up(t->offset + size, w->alignment);
	return 0;
}

static uint64_t meta_size(const struct lut_gguf_writer *w)
{
	return align_up(24 + (uint64_t)w->kv.len + w->info.len, w->alignment);
}

uint64_t lut_gguf_writer_size(const struct lut_gguf_writer *w)
{
	return w ? meta_size(w) + w->data_size : 0;
}

static int wr(FILE *f, const void *p, size_t n)
{
	return n && fwrite(p, 1, n, f) != n ? -EIO : 0;
}

static int wr_zeros(FILE *f, uint64_t n)
{
	static const uint8_t zeros[64];
	int ret = 0;

	while (n && !ret) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		ret = wr(f, zeros, k);
		n -= k;
	}
	return ret;
}

int lut_gguf_writer_begin(struct lut_gguf_writer *w, FILE *f)
{
	uint32_t head32[2] = {LUT_GGUF_MAGIC, LUT_GGUF_VERSION};
	uint64_t head64[2];
	size_t i;
	int ret;

	if (!w || !f)
		return -EINVAL;
	if (w->f)
		return -EBUSY;
	head64[0] = w->n_tensors;
	head64[1] = w->n_kv;
	ret = wr(f, head32, sizeof(head32));
	if (!ret)
		ret = wr(f, head64, sizeof(head64));
	if (!ret)
		ret = wr(f, w->kv.p, w->kv.len);
	if (!ret)
		ret = wr(f, w->info.p, w->info.len);
	if (!ret)
		ret = wr_zeros(f, meta_size(w) - (24 + (uint64_t)w->kv.len + w->info.len));
	if (ret)
		return ret;
	for (i = 0; i < w->n_tensors; i++)
		w->left += w->tensors[i].size;
	w->f = f;
	return 0;
}

int lut_gguf_writer_data(struct lut_gguf_writer *w, const void *data, size_t size)
{
	const uint8_t *p = data;
	int ret;

	if (!w || !w->f || (!data && size))
		return -EINVAL;
	if (size > w->left)
		return -EOVERFLOW;
	w->left -= size;
	while (size) {
		const struct wtensor *t = &w->tensors[w->cur]; /* exists: size <= left */
		uint64_t k;

		k = t->size - w->cur_done < size ? t->size - w->cur_done : size;
		ret = wr(w->f, p, (size_t)k);
		if (ret)
			return ret;
		p += k;
		size -= (size_t)k;
		w->cur_done += k;
		if (w->cur_done == t->size) {
			ret = wr_zeros(w->f, align_up(t->size, w->alignment) - t->size);
			if (ret)
				return ret;
			w->cur++;
			w->cur_done = 0;
		}
	}
	return 0;
}

int lut_gguf_writer_finish(struct lut_gguf_writer *w)
{
	if (!w || !w->f || w->cur != w->n_tensors)
		return -EINVAL;
	if (fflush(w->f) || ferror(w->f))
		return -EIO;
	return 0;
}
