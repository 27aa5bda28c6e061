/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the model-layer host tests: GGUF images in memory
 * (written by the library's writer or byte by byte), and models from the
 * generator. Header-only so that each test binary stays one source file.
 */
#ifndef LUTCORE_MODEL_TEST_H
#define LUTCORE_MODEL_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/gguf.h"
#include "../../tools/mkmodel/mkmodel.h"

/* A file image: malloc()ed bytes. */
struct img {
	char *p;
	size_t n;
};

static inline void img_free(struct img *m)
{
	free(m->p);
	m->p = NULL;
	m->n = 0;
}

/* Write a generated model into memory; returns mk_write()'s result. */
static inline int img_model(struct img *m, const struct mk_opts *o, char *err, size_t size)
{
	FILE *f = open_memstream(&m->p, &m->n);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = mk_write(o, f, NULL, NULL, err, size);
	fclose(f);
	return ret;
}

/*
 * Open a copy of exactly n bytes (so that ASan sees any read past them) and
 * close it again; returns what lut_gguf_open_mem() returned, err gets its
 * message (LUT_GGUF_ERR_SIZE bytes).
 */
static inline int try_open(const void *p, size_t n, char *err)
{
	struct lut_gguf *g = NULL;
	void *copy = malloc(n ? n : 1);
	int ret;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, n);
	ret = lut_gguf_open_mem(copy, n, &g, err, LUT_GGUF_ERR_SIZE);
	lut_gguf_close(g);
	free(copy);
	return ret;
}

/* Byte-by-byte GGUF images, for the files the writer refuses to make. */
struct rb {
	unsigned char p[16384];
	size_t n;
};

static inline void rb_bytes(struct rb *b, const void *p, size_t n)
{
	if (b->n + n <= sizeof(b->p))
		memcpy(b->p + b->n, p, n);
	b->n += n; /* an overflow shows as n > sizeof(p); tests check it */
}

static inline void rb_u32(struct rb *b, uint32_t v)
{
	rb_bytes(b, &v, 4);
}

static inline void rb_u64(struct rb *b, uint64_t v)
{
	rb_bytes(b, &v, 8);
}

static inline void rb_str(struct rb *b, const char *s)
{
	rb_u64(b, strlen(s));
	rb_bytes(b, s, strlen(s));
}

static inline void rb_header(struct rb *b, uint64_t n_tensors, uint64_t n_kv)
{
	b->n = 0;
	rb_u32(b, LUT_GGUF_MAGIC);
	rb_u32(b, 3);
	rb_u64(b, n_tensors);
	rb_u64(b, n_kv);
}

static inline void rb_kv_u32(struct rb *b, const char *key, uint32_t v)
{
	rb_str(b, key);
	rb_u32(b, LUT_GGUF_UINT32);
	rb_u32(b, v);
}

static inline void rb_kv_str(struct rb *b, const char *key, const char *v)
{
	rb_str(b, key);
	rb_u32(b, LUT_GGUF_STRING);
	rb_str(b, v);
}

/* A 2-D tensor info (ne1 == 0: 1-D). */
static inline void rb_tensor(struct rb *b, const char *name, uint64_t ne0, uint64_t ne1,
			     uint32_t type, uint64_t offset)
{
	rb_str(b, name);
	rb_u32(b, ne1 ? 2 : 1);
	rb_u64(b, ne0);
	if (ne1)
		rb_u64(b, ne1);
	rb_u32(b, type);
	rb_u64(b, offset);
}

/* Zero padding to a multiple of align, then n zero bytes of data. */
static inline void rb_data(struct rb *b, size_t align, size_t n)
{
	static const unsigned char zeros[4096];

	while (b->n % align)
		rb_bytes(b, zeros, 1);
	while (n) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);

		rb_bytes(b, zeros, k);
		n -= k;
	}
}

#endif /* LUTCORE_MODEL_TEST_H */
