// SPDX-License-Identifier: MIT
/*
 * Host tests of the GGUF reader and writer: a file with every metadata type
 * and every supported tensor type written and read back, from memory and
 * through mmap(); then a corpus of malformed files (truncated at every
 * byte, bad magic and versions, oversized counts and lengths, wrong types,
 * misaligned and out-of-bounds tensors, duplicates, too many dimensions),
 * each rejected with -EINVAL and its own message.
 */
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "lutcore/gguf.h"
#include "lutcore/quant.h"
#include "model_test.h"

/* ---- A valid file with everything in it -------------------------------------- */

static const struct {
	const char *name;
	uint32_t type;
	uint64_t ne0, ne1;
} tensors[] = {
	{"t.f32", LUT_GGML_F32, 4, 2},	     {"t.f16", LUT_GGML_F16, 32, 0},
	{"t.q4_0", LUT_GGML_Q4_0, 32, 2},    {"t.q8_0", LUT_GGML_Q8_0, 32, 0},
	{"t.tq2_0", LUT_GGML_TQ2_0, 256, 0}, {"t.tq1_0", LUT_GGML_TQ1_0, 256, 0},
	{"t.bf16", LUT_GGML_BF16, 16, 0}, /* 32 bytes: the file ends with its data */
};

#define N_TENSORS (sizeof(tensors) / sizeof(tensors[0]))

static float value(uint64_t i)
{
	return (float)((int)(i * 7 % 13) - 6) / 4.0f;
}

/* The bytes of tensor k as the test writes them; *size gets their number. */
static void *tensor_bytes(size_t k, uint64_t *size)
{
	uint64_t n = tensors[k].ne0 * (tensors[k].ne1 ? tensors[k].ne1 : 1), i;
	float *x = malloc(n * sizeof(float));
	void *q;

	lut_ggml_row_size(tensors[k].type, n, size);
	q = malloc(*size);
	for (i = 0; i < n; i++)
		x[i] = value(i + k);
	lut_ggml_quantize(tensors[k].type, x, n, q, *size);
	free(x);
	return q;
}

static int add_kvs(struct lut_gguf_writer *w)
{
	static const int32_t ai32[] = {1, -2, 3};
	static const float af32[] = {0.5f, -1.0f};
	static const bool abool[] = {true, false};
	static const uint8_t au8[] = {7, 255};
	static const char *const astr[] = {"a", "", "x\0y"};
	static const size_t alen[] = {1, 0, 3};
	uint8_t u8 = 200;
	int8_t i8 = -5;
	uint16_t u16 = 60000;
	int16_t i16 = -30000;
	int32_t i32 = -2000000000;
	uint64_t u64 = 1ull << 40;
	int64_t i64 = -(1ll << 40);
	double f64 = 2.25;
	int ret = 0;

	ret = ret ?: lut_gguf_writer_add(w, "t.u8", LUT_GGUF_UINT8, &u8);
	ret = ret ?: lut_gguf_writer_add(w, "t.i8", LUT_GGUF_INT8, &i8);
	ret = ret ?: lut_gguf_writer_add(w, "t.u16", LUT_GGUF_UINT16, &u16);
	ret = ret ?: lut_gguf_writer_add(w, "t.i16", LUT_GGUF_INT16, &i16);
	ret = ret ?: lut_gguf_writer_add_u32(w, "t.u32", 4000000000u);
	ret = ret ?: lut_gguf_writer_add(w, "t.i32", LUT_GGUF_INT32, &i32);
	ret = ret ?: lut_gguf_writer_add_f32(w, "t.f32", 1.5f);
	ret = ret ?: lut_gguf_writer_add_bool(w, "t.bool", true);
	ret = ret ?: lut_gguf_writer_add_str(w, "t.str", "hello");
	ret = ret ?: lut_gguf_writer_add(w, "t.u64", LUT_GGUF_UINT64, &u64);
	ret = ret ?: lut_gguf_writer_add(w, "t.i64", LUT_GGUF_INT64, &i64);
	ret = ret ?: lut_gguf_writer_add(w, "t.f64", LUT_GGUF_FLOAT64, &f64);
	ret = ret ?: lut_gguf_writer_add_arr(w, "t.arr_i32", LUT_GGUF_INT32, ai32, 3);
	ret = ret ?: lut_gguf_writer_add_arr(w, "t.arr_f32", LUT_GGUF_FLOAT32, af32, 2);
	ret = ret ?: lut_gguf_writer_add_arr(w, "t.arr_bool", LUT_GGUF_BOOL, abool, 2);
	ret = ret ?: lut_gguf_writer_add_arr(w, "t.arr_u8", LUT_GGUF_UINT8, au8, 2);
	ret = ret ?: lut_gguf_writer_add_arr(w, "t.arr_empty", LUT_GGUF_UINT32, NULL, 0);
	return ret ?: lut_gguf_writer_add_arr_str(w, "t.arr_str", astr, alen, 3);
}

/* The reference file; alignment 0 is the default. */
static int write_valid(struct img *m, uint32_t alignment)
{
	struct lut_gguf_writer *w;
	uint64_t ne[2], size;
	size_t k;
	FILE *f;
	int ret = lut_gguf_writer_new(alignment, &w);

	ret = ret ?: add_kvs(w);
	for (k = 0; k < N_TENSORS && !ret; k++) {
		ne[0] = tensors[k].ne0;
		ne[1] = tensors[k].ne1;
		ret = lut_gguf_writer_add_tensor(w, tensors[k].name, ne[1] ? 2 : 1, ne,
						 tensors[k].type);
	}
	f = open_memstream(&m->p, &m->n);
	ret = ret ?: lut_gguf_writer_begin(w, f);
	for (k = 0; k < N_TENSORS && !ret; k++) {
		void *q = tensor_bytes(k, &size);

		ret = lut_gguf_writer_data(w, q, (size_t)size);
		free(q);
	}
	ret = ret ?: lut_gguf_writer_finish(w);
	if (!ret && m->n != lut_gguf_writer_size(w))
		ret = -EIO;
	lut_gguf_writer_free(w);
	fclose(f);
	return ret;
}

/* Check every key and tensor of the reference file. */
static void check_valid(struct __test_metadata *_metadata, struct lut_gguf *g)
{
	const struct lut_gguf_tensor *t;
	struct lut_gguf_arr a;
	const char *s;
	const void *data;
	uint64_t u, size;
	int64_t i;
	double f;
	bool b;
	size_t k, len;

	ASSERT_EQ(18u, lut_gguf_n_kv(g));
	EXPECT_STREQ("t.u8", lut_gguf_kv_key(g, 0));
	EXPECT_EQ(LUT_GGUF_UINT8, lut_gguf_kv_type(g, 0));
	EXPECT_EQ(0, lut_gguf_get_uint(g, "t.u8", &u));
	EXPECT_EQ(200u, u);
	EXPECT_EQ(0, lut_gguf_get_int(g, "t.i8", &i));
	EXPECT_EQ(-5, i);
	EXPECT_EQ(0, lut_gguf_get_uint(g, "t.u16", &u));
	EXPECT_EQ(60000u, u);
	EXPECT_EQ(0, lut_gguf_get_int(g, "t.i16", &i));
	EXPECT_EQ(-30000, i);
	EXPECT_EQ(0, lut_gguf_get_uint(g, "t.u32", &u));
	EXPECT_EQ(4000000000u, u);
	EXPECT_EQ(0, lut_gguf_get_int(g, "t.i32", &i));
	EXPECT_EQ(-2000000000, i);
	EXPECT_EQ(0, lut_gguf_get_float(g, "t.f32", &f));
	EXPECT_EQ(1.5, f);
	EXPECT_EQ(0, lut_gguf_get_bool(g, "t.bool", &b));
	EXPECT_TRUE(b);
	EXPECT_EQ(0, lut_gguf_get_str(g, "t.str", &s, &len));
	EXPECT_STREQ("hello", s);
	EXPECT_EQ(5u, len);
	EXPECT_EQ(0, lut_gguf_get_uint(g, "t.u64", &u));
	EXPECT_EQ(1ull << 40, u);
	EXPECT_EQ(0, lut_gguf_get_int(g, "t.i64", &i));
	EXPECT_EQ(-(1ll << 40), i);
	EXPECT_EQ(0, lut_gguf_get_float(g, "t.f64", &f));
	EXPECT_EQ(2.25, f);

	ASSERT_EQ(0, lut_gguf_get_arr(g, "t.arr_i32", &a));
	EXPECT_EQ((uint32_t)LUT_GGUF_INT32, a.type);
	ASSERT_EQ(3u, a.count);
	EXPECT_EQ(0, lut_gguf_arr_int(&a, 1, &i));
	EXPECT_EQ(-2, i);
	EXPECT_EQ(-ERANGE, lut_gguf_arr_int(&a, 3, &i));
	EXPECT_EQ(-EINVAL, lut_gguf_arr_float(&a, 0, &f));
	ASSERT_EQ(0, lut_gguf_get_arr(g, "t.arr_f32", &a));
	EXPECT_EQ(0, lut_gguf_arr_float(&a, 1, &f));
	EXPECT_EQ(-1.0, f);
	ASSERT_EQ(0, lut_gguf_get_arr(g, "t.arr_bool", &a));
	EXPECT_EQ((uint32_t)LUT_GGUF_BOOL, a.type);
	EXPECT_EQ(1, ((const uint8_t *)a.data)[0]);
	ASSERT_EQ(0, lut_gguf_get_arr(g, "t.arr_u8", &a));
	EXPECT_EQ(0, lut_gguf_arr_int(&a, 1, &i));
	EXPECT_EQ(255, i);
	ASSERT_EQ(0, lut_gguf_get_arr(g, "t.arr_empty", &a));
	EXPECT_EQ(0u, a.count);
	ASSERT_EQ(0, lut_gguf_get_arr(g, "t.arr_str", &a));
	ASSERT_EQ(3u, a.count);
	EXPECT_EQ(0, lut_gguf_arr_str(&a, 0, &s, &len));
	EXPECT_EQ(1u, len);
	EXPECT_EQ('a', s[0]);
	EXPECT_EQ(0, lut_gguf_arr_str(&a, 1, &s, &len));
	EXPECT_EQ(0u, len);
	EXPECT_EQ(0, lut_gguf_arr_str(&a, 2, &s, &len));
	ASSERT_EQ(3u, len);
	EXPECT_EQ(0, memcmp(s, "x\0y", 3));
	EXPECT_EQ(-ERANGE, lut_gguf_arr_str(&a, 3, &s, &len));

	ASSERT_EQ(N_TENSORS, lut_gguf_n_tensors(g));
	for (k = 0; k < N_TENSORS; k++) {
		void *want = tensor_bytes(k, &size);

		ASSERT_EQ(0, lut_gguf_find_tensor(g, tensors[k].name, &t));
		EXPECT_EQ(t, lut_gguf_tensor(g, k));
		EXPECT_EQ(tensors[k].type, t->type);
		EXPECT_EQ(tensors[k].ne1 ? 2u : 1u, t->n_dims);
		EXPECT_EQ(tensors[k].ne0, t->ne[0]);
		EXPECT_EQ(0u, t->offset % lut_gguf_alignment(g));
		ASSERT_EQ(0, lut_gguf_tensor_data(g, t, &data, &u));
		ASSERT_EQ(size, u);
		EXPECT_EQ(0, memcmp(data, want, size));
		free(want);
	}
	EXPECT_EQ(NULL, lut_gguf_tensor(g, N_TENSORS));
}

TEST(valid_file_reads_back_from_memory)
{
	struct lut_gguf *g;
	struct img m = {0};
	char err[LUT_GGUF_ERR_SIZE] = "x";

	ASSERT_EQ(0, write_valid(&m, 0));
	ASSERT_EQ(0, lut_gguf_open_mem(m.p, m.n, &g, err, sizeof(err)));
	EXPECT_STREQ("", err);
	EXPECT_EQ(3u, lut_gguf_version(g));
	EXPECT_EQ(32u, lut_gguf_alignment(g));
	EXPECT_EQ(0u, lut_gguf_data_offset(g) % 32);
	check_valid(_metadata, g);
	lut_gguf_close(g);
	img_free(&m);
}

TEST(valid_file_reads_back_through_mmap)
{
	char path[] = "/tmp/lutcore-gguf-XXXXXX", err[LUT_GGUF_ERR_SIZE];
	struct lut_gguf *g;
	struct img m = {0};
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, write_valid(&m, 0));
	ASSERT_EQ((ssize_t)m.n, write(fd, m.p, m.n));
	close(fd);
	ASSERT_EQ(0, lut_gguf_open(path, &g, err, sizeof(err)));
	unlink(path);
	check_valid(_metadata, g);
	lut_gguf_close(g);
	img_free(&m);
}

TEST(custom_alignment_is_written_and_honoured)
{
	struct lut_gguf *g;
	struct img m = {0};
	uint32_t a;
	size_t k;

	ASSERT_EQ(0, write_valid(&m, 64));
	ASSERT_EQ(0, lut_gguf_open_mem(m.p, m.n, &g, NULL, 0));
	EXPECT_EQ(64u, lut_gguf_alignment(g));
	EXPECT_EQ(0, lut_gguf_get_u32(g, "general.alignment", &a));
	EXPECT_EQ(64u, a);
	EXPECT_EQ(0u, lut_gguf_data_offset(g) % 64);
	for (k = 0; k < N_TENSORS; k++)
		EXPECT_EQ(0u, lut_gguf_tensor(g, k)->offset % 64);
	lut_gguf_close(g);
	img_free(&m);
}

TEST(version_2_is_accepted)
{
	struct lut_gguf *g;
	struct img m = {0};

	ASSERT_EQ(0, write_valid(&m, 0));
	m.p[4] = 2;
	ASSERT_EQ(0, lut_gguf_open_mem(m.p, m.n, &g, NULL, 0));
	EXPECT_EQ(2u, lut_gguf_version(g));
	lut_gguf_close(g);
	img_free(&m);
}

/* ---- Lookups and getters ---------------------------------------------------------- */

#define EXPECT_MSG(want, have)                                             \
	do {                                                               \
		if (!strstr(have, want)) {                                 \
			TH_LOG("message \"%s\" lacks \"%s\"", have, want); \
			EXPECT_TRUE(0);                                    \
		}                                                          \
	} while (0)

TEST(getters_report_missing_keys_and_wrong_types)
{
	const struct lut_gguf_tensor *t;
	struct lut_gguf_arr a;
	struct lut_gguf *g;
	struct img m = {0};
	const char *s;
	const void *d;
	uint64_t u;
	uint32_t u32;
	int64_t i;
	double f;
	bool b;

	ASSERT_EQ(0, write_valid(&m, 0));
	ASSERT_EQ(0, lut_gguf_open_mem(m.p, m.n, &g, NULL, 0));
	EXPECT_STREQ("", lut_gguf_error(g));
	EXPECT_EQ(-ENOENT, lut_gguf_get_uint(g, "no.such", &u));
	EXPECT_STREQ("key 'no.such' not found", lut_gguf_error(g));
	EXPECT_EQ(-ENOENT, lut_gguf_find_kv(g, "t.u"));
	EXPECT_EQ(-EINVAL, lut_gguf_get_uint(g, "t.str", &u));
	EXPECT_STREQ("key 't.str': type string, expected an integer", lut_gguf_error(g));
	EXPECT_EQ(-ERANGE, lut_gguf_get_uint(g, "t.i8", &u));
	EXPECT_STREQ("key 't.i8': -5 is negative", lut_gguf_error(g));
	EXPECT_EQ(-ERANGE, lut_gguf_get_u32(g, "t.u64", &u32));
	EXPECT_MSG("does not fit 32 bits", lut_gguf_error(g));
	EXPECT_EQ(0, lut_gguf_get_int(g, "t.u64", &i));
	EXPECT_EQ(-EINVAL, lut_gguf_get_float(g, "t.u32", &f));
	EXPECT_STREQ("key 't.u32': type uint32, expected a float", lut_gguf_error(g));
	EXPECT_EQ(-EINVAL, lut_gguf_get_bool(g, "t.u8", &b));
	EXPECT_STREQ("key 't.u8': type uint8, expected bool", lut_gguf_error(g));
	EXPECT_EQ(-EINVAL, lut_gguf_get_str(g, "t.arr_str", &s, NULL));
	EXPECT_STREQ("key 't.arr_str': type array, expected string", lut_gguf_error(g));
	EXPECT_EQ(-EINVAL, lut_gguf_get_arr(g, "t.f64", &a));
	EXPECT_STREQ("key 't.f64': type float64, expected array", lut_gguf_error(g));
	EXPECT_EQ(-ENOENT, lut_gguf_find_tensor(g, "t.f3", &t));
	EXPECT_STREQ("tensor 't.f3' not found", lut_gguf_error(g));
	EXPECT_EQ(-EINVAL, lut_gguf_tensor_data(g, NULL, &d, &u));
	EXPECT_EQ(NULL, lut_gguf_kv_key(g, 18));
	EXPECT_EQ(-ERANGE, lut_gguf_kv_type(g, 18));
	lut_gguf_close(g);
	img_free(&m);
}

TEST(open_reports_file_errors_with_the_path)
{
	char dir[] = "/tmp/lutcore-gguf-XXXXXX", path[64], err[LUT_GGUF_ERR_SIZE];
	struct lut_gguf *g = (void *)1;
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.gguf", dir);
	EXPECT_EQ(-ENOENT, lut_gguf_open(path, &g, err, sizeof(err)));
	EXPECT_EQ(NULL, g);
	EXPECT_MSG(path, err);
	EXPECT_MSG("cannot open: No such file or directory", err);
	EXPECT_EQ(-EISDIR, lut_gguf_open(dir, &g, err, sizeof(err)));
	EXPECT_MSG("is a directory", err);
	EXPECT_EQ(-EINVAL, lut_gguf_open("/dev/null", &g, err, sizeof(err)));
	EXPECT_STREQ("/dev/null: not a regular file or block device", err);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(-EINVAL, lut_gguf_open(path, &g, err, sizeof(err)));
	EXPECT_MSG("header: magic (4 bytes) at offset 0 runs past the end of the file (0 bytes)",
		   err);
	unlink(path);
	rmdir(dir);
	EXPECT_EQ(-EINVAL, lut_gguf_open(NULL, &g, err, sizeof(err)));
	EXPECT_EQ(-EINVAL, lut_gguf_open_mem(NULL, 1, &g, err, sizeof(err)));
}

/* ---- Malformed files ---------------------------------------------------------------- */

/* Open b; expect -EINVAL and a message containing want. */
#define EXPECT_REJECT(b, want)                                    \
	do {                                                      \
		char e_[LUT_GGUF_ERR_SIZE];                       \
		ASSERT_LE((b)->n, sizeof((b)->p));                \
		EXPECT_EQ(-EINVAL, try_open((b)->p, (b)->n, e_)); \
		EXPECT_MSG(want, e_);                             \
	} while (0)

TEST(truncation_at_every_byte_is_reported)
{
	char err[LUT_GGUF_ERR_SIZE];
	struct lut_gguf *g;
	struct img m = {0};
	uint64_t data_off;
	size_t cut, bad = 0;

	ASSERT_EQ(0, write_valid(&m, 0));
	ASSERT_EQ(0, lut_gguf_open_mem(m.p, m.n, &g, NULL, 0));
	data_off = lut_gguf_data_offset(g);
	lut_gguf_close(g);
	for (cut = 0; cut < m.n; cut++) {
		int ret = try_open(m.p, cut, err);

		/* Either a read past the end, or a count the rest cannot hold. */
		if (ret != -EINVAL ||
		    (!strstr(err, "runs past the end of the file") &&
		     !strstr(err, "cannot fit in")) ||
		    (cut < 24 && strncmp(err, "header: ", 8)) ||
		    (cut >= data_off && !strstr(err, "': data [")))
			if (bad++ < 5)
				TH_LOG("cut at %zu: %d \"%s\"", cut, ret, err);
	}
	EXPECT_EQ(0u, bad);
	img_free(&m);
}

TEST(bad_magic_and_versions)
{
	struct rb b;

	rb_header(&b, 0, 0);
	memcpy(b.p, "\177ELF", 4);
	EXPECT_REJECT(&b, "header: not a GGUF file (magic 7f 45 4c 46, expected \"GGUF\")");
	rb_header(&b, 0, 0);
	memcpy(b.p, "FUGG", 4);
	EXPECT_REJECT(&b, "big-endian GGUF files are not supported");
	rb_header(&b, 0, 0);
	memcpy(b.p + 4, "\0\0\0\3", 4);
	EXPECT_REJECT(&b, "big-endian GGUF files are not supported (version 0x03000000)");
	rb_header(&b, 0, 0);
	b.p[4] = 1;
	EXPECT_REJECT(&b, "GGUF version 1 is not supported (only 2 and 3)");
	b.p[4] = 4;
	EXPECT_REJECT(&b, "GGUF version 4 is not supported");
}

TEST(oversized_counts_and_lengths)
{
	struct rb b;

	rb_header(&b, 0, UINT64_MAX);
	EXPECT_REJECT(&b, "header: key/value count 18446744073709551615 is too large");
	rb_header(&b, 0, 1000);
	rb_data(&b, 1, 1000);
	EXPECT_REJECT(&b, "header: key/value count 1000 cannot fit in a file of 1024 bytes");
	rb_header(&b, 1ull << 40, 0);
	EXPECT_REJECT(&b, "header: tensor count 1099511627776 cannot fit in a file of 24 bytes");
	rb_header(&b, 0, 1);
	rb_u64(&b, UINT64_MAX);
	rb_data(&b, 1, 16);
	EXPECT_REJECT(&b,
		      "key 0: key of 18446744073709551615 bytes at offset 32 runs past the end");
	rb_header(&b, 0, 1);
	rb_str(&b, "k");
	rb_u32(&b, LUT_GGUF_STRING);
	rb_u64(&b, 1ull << 62);
	EXPECT_REJECT(&b, "key 'k': string value of 4611686018427387904 bytes at offset 45");
	rb_header(&b, 0, 1);
	rb_str(&b, "k");
	rb_u32(&b, LUT_GGUF_ARRAY);
	rb_u32(&b, LUT_GGUF_UINT32);
	rb_u64(&b, 1ull << 61);
	rb_data(&b, 1, 16);
	EXPECT_REJECT(&b,
		      "key 'k': array of 2305843009213693952 uint32 cannot fit in the 16 bytes");
	rb_header(&b, 0, 1);
	rb_str(&b, "k");
	rb_u32(&b, LUT_GGUF_ARRAY);
	rb_u32(&b, LUT_GGUF_STRING);
	rb_u64(&b, 2);
	rb_str(&b, "ok");
	rb_u64(&b, 1000);
	EXPECT_REJECT(&b, "key 'k': string of 1000 bytes at offset 67 runs past the end");
}

TEST(wrong_and_unknown_types)
{
	struct rb b;

	rb_header(&b, 0, 1);
	rb_kv_str(&b, "general.alignment", "32");
	EXPECT_REJECT(&b, "key 'general.alignment': type string, expected uint32");
	rb_header(&b, 0, 1);
	rb_kv_u32(&b, "general.alignment", 12);
	EXPECT_REJECT(&b, "key 'general.alignment': 12 is not a power of two of at least 8");
	rb_header(&b, 0, 1);
	rb_kv_u32(&b, "general.alignment", 0);
	EXPECT_REJECT(&b, "key 'general.alignment': 0 is not a power of two");
	rb_header(&b, 0, 1);
	rb_str(&b, "k");
	rb_u32(&b, 13);
	EXPECT_REJECT(&b, "key 'k': value type 13 is unknown");
	rb_header(&b, 0, 1);
	rb_str(&b, "k");
	rb_u32(&b, LUT_GGUF_ARRAY);
	rb_u32(&b, 99);
	rb_u64(&b, 0);
	EXPECT_REJECT(&b, "key 'k': array element type 99 is unknown");
	rb_header(&b, 0, 1);
	rb_str(&b, "k");
	rb_u32(&b, LUT_GGUF_BOOL);
	rb_bytes(&b, "\2", 1);
	EXPECT_REJECT(&b, "key 'k': bool value 2 is neither 0 nor 1");
}

TEST(bad_keys_and_duplicates)
{
	struct rb b;

	rb_header(&b, 0, 1);
	rb_kv_u32(&b, "", 1);
	EXPECT_REJECT(&b, "key 0: key length 0 is not within 1..65535");
	rb_header(&b, 0, 1);
	rb_u64(&b, 3);
	rb_bytes(&b, "a\0b", 3);
	rb_u32(&b, LUT_GGUF_UINT8);
	rb_bytes(&b, "\1", 1);
	EXPECT_REJECT(&b, "key 0: key contains a NUL byte");
	rb_header(&b, 0, 3);
	rb_kv_u32(&b, "b", 1);
	rb_kv_u32(&b, "a", 1);
	rb_kv_str(&b, "b", "again");
	EXPECT_REJECT(&b, "key 'b' appears more than once");
	rb_header(&b, 2, 0);
	rb_tensor(&b, "w", 8, 0, LUT_GGML_F32, 0);
	rb_tensor(&b, "w", 8, 0, LUT_GGML_F32, 32);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor name 'w' appears more than once");
}

TEST(nested_arrays_up_to_the_limit)
{
	struct rb b;
	int depth, d;

	for (depth = 1; depth <= LUT_GGUF_MAX_NESTING + 1; depth++) {
		char e[LUT_GGUF_ERR_SIZE];

		rb_header(&b, 0, 1);
		rb_str(&b, "k");
		rb_u32(&b, LUT_GGUF_ARRAY);
		for (d = 1; d < depth; d++) {
			rb_u32(&b, LUT_GGUF_ARRAY);
			rb_u64(&b, 1);
		}
		rb_u32(&b, LUT_GGUF_STRING);
		rb_u64(&b, 1);
		rb_str(&b, "leaf");
		if (depth <= LUT_GGUF_MAX_NESTING) {
			EXPECT_EQ(0, try_open(b.p, b.n, e));
		} else {
			EXPECT_REJECT(&b, "key 'k': arrays nested deeper than 8 levels");
		}
	}
}

TEST(bad_tensor_infos)
{
	char name[66];
	struct rb b;

	memset(name, 'n', 65);
	name[65] = 0;
	rb_header(&b, 1, 0);
	rb_tensor(&b, name, 8, 0, LUT_GGML_F32, 0);
	EXPECT_REJECT(&b, "tensor 0: name length 65 is not within 1..64");
	rb_header(&b, 1, 0);
	rb_str(&b, "w");
	rb_u32(&b, 5);
	rb_data(&b, 1, 64);
	EXPECT_REJECT(&b, "tensor 'w': n_dims 5 is not within 1..4");
	rb_header(&b, 1, 0);
	rb_str(&b, "w");
	rb_u32(&b, 0);
	rb_data(&b, 1, 64);
	EXPECT_REJECT(&b, "tensor 'w': n_dims 0 is not within 1..4");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 8, 0, LUT_GGML_F32, 0);
	b.p[b.n - 20] = 0; /* ne[0] = 0 */
	b.p[b.n - 19] = 0;
	b.p[b.n - 18] = 0;
	b.p[b.n - 17] = 0;
	b.p[b.n - 16] = 0;
	b.p[b.n - 15] = 0;
	b.p[b.n - 14] = 0;
	b.p[b.n - 13] = 0;
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': dimension 0 is 0, not within 1..2^63-1");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 1ull << 40, 1ull << 40, LUT_GGML_F32, 0);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': the element count overflows 63 bits");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 1ull << 62, 0, LUT_GGML_F32, 0);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': 4611686018427387904 f32 elements overflow 64 bits");
}

TEST(misplaced_tensor_data)
{
	struct rb b;

	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 8, 0, LUT_GGML_F32, 16);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': offset 16 is not a multiple of 32");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 32, 0, LUT_GGML_F32, 32);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': data [32, +128) runs past the end of the file (data section "
			  "of 64 bytes)");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 8, 0, LUT_GGML_F32, UINT64_MAX - 31);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': data [18446744073709551584, +32) runs past the end");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 48, 0, LUT_GGML_Q4_0, 0);
	rb_data(&b, 32, 64);
	EXPECT_REJECT(&b, "tensor 'w': ne[0] = 48 is not a multiple of 32 (q4_0)");
	rb_header(&b, 2, 0);
	rb_tensor(&b, "a", 16, 0, LUT_GGML_F32, 0);
	rb_tensor(&b, "b", 8, 0, LUT_GGML_F32, 32);
	rb_data(&b, 32, 96);
	EXPECT_REJECT(&b, "tensors 'a' and 'b' overlap");
	rb_header(&b, 1, 0);
	rb_tensor(&b, "w", 8, 0, LUT_GGML_F32, 0);
	EXPECT_REJECT(&b, "data section at offset 64 runs past the end of the file (57 bytes)");
}

TEST(unknown_tensor_types_are_refused_on_use)
{
	const struct lut_gguf_tensor *t;
	struct lut_gguf *g;
	const void *d;
	uint64_t size;
	float out[256];
	struct rb b;

	rb_header(&b, 3, 0);
	rb_tensor(&b, "i2_s", 128, 0, 36, 0);		/* the BitNet fork's id */
	rb_tensor(&b, "new", 128, 0, 99, 0);		/* may share the offset */
	rb_tensor(&b, "q6k", 256, 0, LUT_GGML_Q6_K, 0); /* known size, no converter */
	rb_data(&b, 32, 256);
	ASSERT_EQ(0, lut_gguf_open_mem(b.p, b.n, &g, NULL, 0));
	ASSERT_EQ(0, lut_gguf_find_tensor(g, "i2_s", &t));
	EXPECT_EQ(NULL, t->data);
	EXPECT_EQ(-EOPNOTSUPP, lut_gguf_tensor_data(g, t, &d, &size));
	EXPECT_STREQ("tensor 'i2_s': ggml type 36 is not supported", lut_gguf_error(g));
	ASSERT_EQ(0, lut_gguf_find_tensor(g, "new", &t));
	EXPECT_EQ(-EOPNOTSUPP, lut_gguf_tensor_data(g, t, &d, &size));
	ASSERT_EQ(0, lut_gguf_find_tensor(g, "q6k", &t));
	ASSERT_EQ(0, lut_gguf_tensor_data(g, t, &d, &size));
	EXPECT_EQ(210u, size);
	EXPECT_FALSE(lut_ggml_type_info(t->type)->convert);
	EXPECT_EQ(-EOPNOTSUPP, lut_ggml_dequantize(t->type, d, size, out, 256));
	lut_gguf_close(g);
}

TEST(metadata_only_files_need_no_padding)
{
	struct lut_gguf *g;
	struct rb b;

	rb_header(&b, 0, 1);
	rb_kv_str(&b, "general.architecture", "llama");
	ASSERT_EQ(0, lut_gguf_open_mem(b.p, b.n, &g, NULL, 0));
	EXPECT_EQ(0u, lut_gguf_n_tensors(g));
	EXPECT_EQ(b.n, lut_gguf_data_offset(g));
	lut_gguf_close(g);
}

/* ---- The writer's own checks ------------------------------------------------------------ */

TEST(writer_rejects_misuse)
{
	uint64_t ne[5] = {32, 1, 1, 1, 1}, big[2] = {1ull << 62, 4};
	struct lut_gguf_writer *w;
	char *p = NULL, name[66];
	size_t n = 0;
	float x[32] = {0};
	FILE *f;

	EXPECT_EQ(-EINVAL, lut_gguf_writer_new(12, &w));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_new(4, &w));
	ASSERT_EQ(0, lut_gguf_writer_new(0, &w));
	EXPECT_EQ(0, lut_gguf_writer_add_u32(w, "a", 1));
	EXPECT_EQ(-EEXIST, lut_gguf_writer_add_f32(w, "a", 1));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_add_str(w, "", "x"));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_add(w, "s", LUT_GGUF_STRING, "x"));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_add_arr(w, "s", LUT_GGUF_ARRAY, x, 1));
	memset(name, 'n', 65);
	name[65] = 0;
	EXPECT_EQ(-EINVAL, lut_gguf_writer_add_tensor(w, name, 1, ne, LUT_GGML_F32));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_add_tensor(w, "t", 5, ne, LUT_GGML_F32));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_add_tensor(w, "t", 1, (uint64_t[]){33}, LUT_GGML_Q8_0));
	EXPECT_EQ(-EOPNOTSUPP, lut_gguf_writer_add_tensor(w, "t", 1, ne, 99));
	EXPECT_EQ(-EOVERFLOW, lut_gguf_writer_add_tensor(w, "t", 2, big, LUT_GGML_F32));
	EXPECT_EQ(0, lut_gguf_writer_add_tensor(w, "t", 1, ne, LUT_GGML_F32));
	EXPECT_EQ(-EEXIST, lut_gguf_writer_add_tensor(w, "t", 1, ne, LUT_GGML_F32));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_data(w, x, 4));
	f = open_memstream(&p, &n);
	ASSERT_EQ(0, lut_gguf_writer_begin(w, f));
	EXPECT_EQ(-EBUSY, lut_gguf_writer_begin(w, f));
	EXPECT_EQ(-EBUSY, lut_gguf_writer_add_u32(w, "b", 1));
	EXPECT_EQ(0, lut_gguf_writer_data(w, x, 64));
	EXPECT_EQ(-EINVAL, lut_gguf_writer_finish(w));
	EXPECT_EQ(-EOVERFLOW, lut_gguf_writer_data(w, x, 65));
	EXPECT_EQ(0, lut_gguf_writer_data(w, x, 64));
	EXPECT_EQ(0, lut_gguf_writer_finish(w));
	EXPECT_EQ(lut_gguf_writer_size(w), n);
	lut_gguf_writer_free(w);
	fclose(f);
	free(p);
}

TEST_HARNESS_MAIN
