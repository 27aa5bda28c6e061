/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: reading and writing GGUF files (llama.cpp's model format).
 *
 * The reader checks every count, length and offset of a file before it uses
 * it, so a truncated or hostile file fails at open with -EINVAL and a
 * message naming the offending part (lut_gguf_open() fills the caller's
 * buffer; later calls leave their message in lut_gguf_error()). Metadata
 * values and tensor data stay in the file image (mmap()ed read-only, or the
 * caller's buffer); nothing is copied but the key names, scalar strings and
 * the small tables that index them.
 *
 * File layout (GGUF version 2 and 3, little-endian): magic "GGUF", u32
 * version, u64 tensor count, u64 key/value count; the key/value pairs
 * (string key, u32 value type, value); the tensor infos (string name, u32
 * n_dims, u64 ne[n_dims], u32 ggml type, u64 offset); padding to the
 * alignment (general.alignment, default 32); the data section, each
 * tensor at its offset from the section's start. Strings are a u64 length
 * and that many bytes, without a NUL.
 *
 * A struct lut_gguf may be read from several threads as long as none of
 * them calls a function that can fail (those write the error message).
 */
#ifndef LUTCORE_GGUF_H
#define LUTCORE_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lutcore/quant.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define LUT_GGUF_MAGIC		   0x46554747u /* "GGUF" read as a little-endian u32 */
#define LUT_GGUF_VERSION	   3	       /* what the writer produces */
#define LUT_GGUF_DEFAULT_ALIGNMENT 32
#define LUT_GGUF_MAX_DIMS	   4
#define LUT_GGUF_MAX_NAME	   64	 /* bytes in a tensor name */
#define LUT_GGUF_MAX_KEY	   65535 /* bytes in a key */
#define LUT_GGUF_MAX_NESTING	   8	 /* arrays of arrays of ... */
#define LUT_GGUF_ERR_SIZE	   256	 /* enough for any message of the reader */

/* Metadata value types (the u32 before each value). */
enum lut_gguf_type {
	LUT_GGUF_UINT8 = 0,
	LUT_GGUF_INT8 = 1,
	LUT_GGUF_UINT16 = 2,
	LUT_GGUF_INT16 = 3,
	LUT_GGUF_UINT32 = 4,
	LUT_GGUF_INT32 = 5,
	LUT_GGUF_FLOAT32 = 6,
	LUT_GGUF_BOOL = 7,
	LUT_GGUF_STRING = 8,
	LUT_GGUF_ARRAY = 9,
	LUT_GGUF_UINT64 = 10,
	LUT_GGUF_INT64 = 11,
	LUT_GGUF_FLOAT64 = 12,
};

/* An open GGUF file; opaque. */
struct lut_gguf;

/*
 * One tensor as described by the file. ne[0] is the innermost (contiguous)
 * dimension, the K of a weight matrix; the dimensions past n_dims are 1.
 * size and data describe the tensor's bytes in the file image; they are 0
 * and NULL when the ggml type is unknown to this library (see
 * lut_gguf_tensor_data()). Valid until lut_gguf_close().
 */
struct lut_gguf_tensor {
	char name[LUT_GGUF_MAX_NAME + 1];
	uint32_t n_dims;
	uint64_t ne[LUT_GGUF_MAX_DIMS];
	uint32_t type;	  /* ggml type id, enum lut_ggml_type */
	uint64_t offset;  /* from the start of the data section */
	uint64_t n_elems; /* product of ne[] */
	uint64_t size;	  /* bytes */
	const void *data;
};

/*
 * A metadata array as lut_gguf_get_arr() returns it. type is the element
 * type; data points at the first element in the file image (little-endian,
 * unaligned). Read elements with lut_gguf_arr_int(), lut_gguf_arr_float()
 * and lut_gguf_arr_str(). Valid until lut_gguf_close().
 */
struct lut_gguf_arr {
	uint32_t type;
	uint64_t count;
	const void *data;
	const uint64_t *str_off; /* internal: string arrays' element offsets */
};

/*
 * Map the GGUF file at path (a regular file, or a block device holding a
 * GGUF image followed by anything) read-only and parse it. On success stores a new
 * handle in *out and returns 0. On failure *out is NULL, err (when not
 * NULL; LUT_GGUF_ERR_SIZE bytes are always enough) receives a one-line
 * message naming the path and the problem, and the return value is -ENOENT,
 * -EACCES, -EISDIR or another errno of open()/mmap(), -EINVAL for a
 * malformed file, -EFBIG for a file larger than the address space or
 * -ENOMEM.
 */
int lut_gguf_open(const char *path, struct lut_gguf **out, char *err, size_t err_size);

/*
 * Parse a GGUF image of size bytes at buf, which the caller keeps alive
 * and unchanged until lut_gguf_close(); buf needs no alignment. Returns and
 * reports errors as lut_gguf_open() does (without a path in the message).
 */
int lut_gguf_open_mem(const void *buf, size_t size, struct lut_gguf **out, char *err,
		      size_t err_size);

/* Unmap and free everything. NULL is accepted and ignored. */
void lut_gguf_close(struct lut_gguf *g);

/*
 * The message of the last failed call on g (lookups, getters), or "" when
 * none failed yet. Valid until the next call on g.
 */
const char *lut_gguf_error(const struct lut_gguf *g);

/* The file's GGUF version (2 or 3). */
uint32_t lut_gguf_version(const struct lut_gguf *g);

/* The alignment of tensor data in bytes (general.alignment or 32). */
uint32_t lut_gguf_alignment(const struct lut_gguf *g);

/* Offset of the data section from the start of the file image. */
uint64_t lut_gguf_data_offset(const struct lut_gguf *g);

/* Number of metadata key/value pairs. */
size_t lut_gguf_n_kv(const struct lut_gguf *g);

/* The key of pair i in file order (NUL-terminated), or NULL out of range. */
const char *lut_gguf_kv_key(const struct lut_gguf *g, size_t i);

/* The value type (enum lut_gguf_type) of pair i, or -ERANGE out of range. */
int lut_gguf_kv_type(const struct lut_gguf *g, size_t i);

/*
 * The index of the pair with the given key (keys are unique: the reader
 * rejects duplicates), or -ENOENT with a message when there is none.
 */
int lut_gguf_find_kv(struct lut_gguf *g, const char *key);

/*
 * The value of key as an unsigned integer. Any integer type is accepted if
 * its value is not negative (llama.cpp writes counts as u32, others as
 * u64). Returns 0, -ENOENT when the key is absent, -EINVAL when the value
 * is not an integer, or -ERANGE when it is negative; each with a message.
 */
int lut_gguf_get_uint(struct lut_gguf *g, const char *key, uint64_t *v);

/* lut_gguf_get_uint() for a value that must fit 32 bits (-ERANGE if not). */
int lut_gguf_get_u32(struct lut_gguf *g, const char *key, uint32_t *v);

/*
 * The value of key as a signed integer: any integer type whose value fits
 * int64_t. Returns 0, -ENOENT, -EINVAL (not an integer) or -ERANGE (a
 * uint64 above INT64_MAX), with a message.
 */
int lut_gguf_get_int(struct lut_gguf *g, const char *key, int64_t *v);

/*
 * The value of key as a double; float32 and float64 values are accepted.
 * Returns 0, -ENOENT or -EINVAL (another type), with a message.
 */
int lut_gguf_get_float(struct lut_gguf *g, const char *key, double *v);

/* The value of a bool key. Returns 0, -ENOENT or -EINVAL, with a message. */
int lut_gguf_get_bool(struct lut_gguf *g, const char *key, bool *v);

/*
 * The value of a string key: *s is NUL-terminated and *len (may be NULL) is
 * its length in bytes, which is also correct if the string holds a NUL
 * byte. Valid until lut_gguf_close(). Returns 0, -ENOENT or -EINVAL, with
 * a message.
 */
int lut_gguf_get_str(struct lut_gguf *g, const char *key, const char **s, size_t *len);

/*
 * Describe the array value of key in *a. Returns 0, -ENOENT or -EINVAL
 * (not an array), with a message.
 */
int lut_gguf_get_arr(struct lut_gguf *g, const char *key, struct lut_gguf_arr *a);

/*
 * Element i of an integer array (any integer element type; a uint64 above
 * INT64_MAX gives -ERANGE). Returns 0, -ERANGE when i >= a->count, or
 * -EINVAL when the elements are not integers. No message (no handle).
 */
int lut_gguf_arr_int(const struct lut_gguf_arr *a, uint64_t i, int64_t *v);

/* Element i of a float32 or float64 array; errors as lut_gguf_arr_int(). */
int lut_gguf_arr_float(const struct lut_gguf_arr *a, uint64_t i, double *v);

/*
 * Element i of a string array: *s points into the file image and is NOT
 * NUL-terminated; *len is its length. Errors as lut_gguf_arr_int().
 */
int lut_gguf_arr_str(const struct lut_gguf_arr *a, uint64_t i, const char **s, size_t *len);

/* Number of tensors. */
size_t lut_gguf_n_tensors(const struct lut_gguf *g);

/* Tensor i in file order, or NULL out of range. */
const struct lut_gguf_tensor *lut_gguf_tensor(const struct lut_gguf *g, size_t i);

/*
 * Store in *t the tensor called name (names are unique). Returns 0 or
 * -ENOENT with a message.
 */
int lut_gguf_find_tensor(struct lut_gguf *g, const char *name, const struct lut_gguf_tensor **t);

/*
 * The bytes of tensor t (of g) and their number. Returns 0, -EINVAL for a
 * NULL argument, or -EOPNOTSUPP with a message naming the tensor and its
 * type id when the type's layout is unknown to this library. Whether the
 * type can be converted to float is a separate question:
 * lut_ggml_type_info(t->type)->convert.
 */
int lut_gguf_tensor_data(struct lut_gguf *g, const struct lut_gguf_tensor *t, const void **data,
			 uint64_t *size);

/* ---- Writing --------------------------------------------------------------
 *
 * A writer collects the key/value pairs and the tensor infos first, then
 * streams the file: lut_gguf_writer_begin() writes everything before the
 * data section, lut_gguf_writer_data() appends the tensors' bytes in the
 * order they were added (in as many pieces as the caller likes, so that a
 * multi-GiB model never needs to be in memory at once), and
 * lut_gguf_writer_finish() checks that every byte arrived. It writes
 * GGUF version 3 with u64 counts. Keys and tensor names must be unique.
 */
struct lut_gguf_writer;

/*
 * A new writer whose tensor data is aligned to alignment bytes (a power
 * of two, at least 8; 0 means the default, 32). A non-default alignment is
 * also stored as general.alignment. Returns 0, -EINVAL or -ENOMEM.
 */
int lut_gguf_writer_new(uint32_t alignment, struct lut_gguf_writer **out);

/* Free the writer; the FILE it wrote to stays the caller's. NULL is ignored. */
void lut_gguf_writer_free(struct lut_gguf_writer *w);

/*
 * Add a scalar pair of value type type (any but STRING and ARRAY) whose
 * value is read from *value in host representation (uint8_t for UINT8,
 * bool for BOOL, float for FLOAT32, ...). Returns 0, -EINVAL for a bad
 * type, an empty or over-long key, -EEXIST for a duplicate key, -EBUSY
 * after lut_gguf_writer_begin(), or -ENOMEM.
 */
int lut_gguf_writer_add(struct lut_gguf_writer *w, const char *key, enum lut_gguf_type type,
			const void *value);

/* Shorthands for lut_gguf_writer_add() of the common types. */
int lut_gguf_writer_add_u32(struct lut_gguf_writer *w, const char *key, uint32_t v);
int lut_gguf_writer_add_f32(struct lut_gguf_writer *w, const char *key, float v);
int lut_gguf_writer_add_bool(struct lut_gguf_writer *w, const char *key, bool v);

/* Add a string pair (NUL-terminated value). Errors as lut_gguf_writer_add(). */
int lut_gguf_writer_add_str(struct lut_gguf_writer *w, const char *key, const char *v);

/*
 * Add an array of n scalars of type type (not STRING or ARRAY) stored at
 * elems in host representation. Errors as lut_gguf_writer_add().
 */
int lut_gguf_writer_add_arr(struct lut_gguf_writer *w, const char *key, enum lut_gguf_type type,
			    const void *elems, uint64_t n);

/*
 * Add an array of n strings; lens (may be NULL for NUL-terminated strings)
 * gives each one's length, so that strings may hold NUL bytes. Errors as
 * lut_gguf_writer_add().
 */
int lut_gguf_writer_add_arr_str(struct lut_gguf_writer *w, const char *key, const char *const *strs,
				const size_t *lens, uint64_t n);

/*
 * Declare the next tensor: name (1..64 bytes), n_dims (1..4) dimensions
 * ne[], innermost first, and ggml type type. Its size follows from the
 * type's block layout. Returns 0, -EINVAL (bad name, dimensions, or ne[0]
 * not a multiple of the block size), -EOPNOTSUPP (unknown type), -EEXIST,
 * -EOVERFLOW, -EBUSY or -ENOMEM.
 */
int lut_gguf_writer_add_tensor(struct lut_gguf_writer *w, const char *name, uint32_t n_dims,
			       const uint64_t *ne, uint32_t type);

/* Bytes of the whole file the writer will produce, once all is declared. */
uint64_t lut_gguf_writer_size(const struct lut_gguf_writer *w);

/*
 * Write the header, the pairs and the tensor infos to f (opened for
 * writing, positioned where the file starts). Returns 0, -EBUSY when
 * called twice, or -EIO (with errno as stdio left it) on a write error.
 */
int lut_gguf_writer_begin(struct lut_gguf_writer *w, FILE *f);

/*
 * Append size bytes of tensor data; the bytes fill the declared tensors in
 * order, and the padding between tensors is written automatically.
 * Returns 0, -EINVAL before begin, -EOVERFLOW (nothing written) when more
 * bytes arrive than the tensors still need, or -EIO.
 */
int lut_gguf_writer_data(struct lut_gguf_writer *w, const void *data, size_t size);

/*
 * Check that every tensor got all its bytes and flush f. Returns 0,
 * -EINVAL when data is missing, or -EIO.
 */
int lut_gguf_writer_finish(struct lut_gguf_writer *w);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_GGUF_H */
