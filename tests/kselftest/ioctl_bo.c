// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-ioctl-bo: BO_CREATE, BO_INFO, WAIT_BO and mmap through the raw
 * uapi. One test per invalid field, each asserting the exact errno and that
 * the struct comes back exactly as it was passed; then the valid paths:
 * sizes, flags, addresses, the guard page, PRIME import into another file,
 * mmap before and after GEM_CLOSE.
 */
#include "lutcore_test.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

FIXTURE(bo)
{
	int fd;
};

FIXTURE_SETUP(bo)
{
	self->fd = lt_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
}

FIXTURE_TEARDOWN(bo)
{
	close(self->fd);
}

/* ---- BO_CREATE: invalid fields ---------------------------------------- */

/* Runs BO_CREATE on a copy of c; the struct must come back unchanged. */
static int create_expect_untouched(struct __test_metadata *_metadata, int fd,
				   const struct drm_lutcore_bo_create *c)
{
	struct drm_lutcore_bo_create arg = *c;
	int ret = it_ioctl(fd, DRM_IOCTL_LUTCORE_BO_CREATE, &arg);

	EXPECT_EQ(0, memcmp(&arg, c, sizeof(arg)));
	return ret;
}

TEST_F(bo, create_size_zero)
{
	struct drm_lutcore_bo_create c = {.size = 0};

	EXPECT_EQ(-EINVAL, create_expect_untouched(_metadata, self->fd, &c));
}

TEST_F(bo, create_unknown_flags)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		struct drm_lutcore_bo_create c = {.size = 4096, .flags = 1u << bit};

		if (c.flags & DRM_LUTCORE_BO_FLAGS)
			continue;
		EXPECT_EQ(-EINVAL, create_expect_untouched(_metadata, self->fd, &c))
		TH_LOG("flag bit %u", bit);
	}
}

/* Read-only for the device and not mappable: nobody could ever fill it. */
TEST_F(bo, create_read_only_no_mmap)
{
	struct drm_lutcore_bo_create c = {
		.size = 4096,
		.flags = DRM_LUTCORE_BO_DEV_READ_ONLY | DRM_LUTCORE_BO_NO_MMAP,
	};

	EXPECT_EQ(-EINVAL, create_expect_untouched(_metadata, self->fd, &c));
}

TEST_F(bo, create_handle_not_zero)
{
	struct drm_lutcore_bo_create c = {.size = 4096, .handle = 1};

	EXPECT_EQ(-EINVAL, create_expect_untouched(_metadata, self->fd, &c));
}

TEST_F(bo, create_dev_addr_not_zero)
{
	struct drm_lutcore_bo_create c = {.size = 4096, .dev_addr = 1ull << 24};

	EXPECT_EQ(-EINVAL, create_expect_untouched(_metadata, self->fd, &c));
}

TEST_F(bo, create_mmap_offset_not_zero)
{
	struct drm_lutcore_bo_create c = {.size = 4096, .mmap_offset = 4096};

	EXPECT_EQ(-EINVAL, create_expect_untouched(_metadata, self->fd, &c));
}

TEST_F(bo, create_too_big)
{
	__u64 max = it_param(self->fd, DRM_LUTCORE_PARAM_MAX_BO_SIZE);
	const __u64 sizes[] = {max + 1, max + 4096, 1ull << 62, UINT64_MAX, UINT64_MAX - 4094};
	unsigned int i;

	ASSERT_NE(UINT64_MAX, max);
	ASSERT_EQ((__u64)(0), max % 4096);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct drm_lutcore_bo_create c = {.size = sizes[i]};

		EXPECT_EQ(-E2BIG, create_expect_untouched(_metadata, self->fd, &c))
		TH_LOG("size %llu", (unsigned long long)sizes[i]);
	}
}

TEST_F(bo, create_bad_pointer)
{
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_BO_CREATE, NULL));
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_BO_CREATE, (void *)8));
}

/* debugfs fail_bo_alloc: the next N creations fail with -ENOMEM. */
TEST_F(bo, create_injected_failure)
{
	struct drm_lutcore_bo_create c = {.size = 4096};
	struct it_bo b;
	char buf[16];

	if (it_debugfs_write(self->fd, "fail_bo_alloc", "1"))
		SKIP(return, "no debugfs fail_bo_alloc");
	EXPECT_EQ(-ENOMEM, create_expect_untouched(_metadata, self->fd, &c));
	ASSERT_EQ(0, it_debugfs_read(self->fd, "fail_bo_alloc", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	it_bo_free(self->fd, &b);
}

/* ---- BO_CREATE: valid ------------------------------------------------- */

TEST_F(bo, create_rounds_size_up)
{
	const __u64 sizes[] = {1, 4095, 4096, 4097, 65536 + 1};
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct it_bo b;

		ASSERT_EQ(0, it_bo_create(self->fd, sizes[i], 0, &b));
		EXPECT_EQ((sizes[i] + 4095) & ~4095ull, b.c.size);
		EXPECT_NE((__u64)(0), b.c.handle);
		EXPECT_NE((__u64)(0), b.c.mmap_offset);
		EXPECT_EQ((__u64)(0), b.c.dev_addr % 4096);
		it_bo_free(self->fd, &b);
	}
}

TEST_F(bo, create_zero_filled_and_mappable)
{
	struct it_bo b;
	size_t i;

	ASSERT_EQ(0, it_bo_create(self->fd, 3 * 4096, 0, &b));
	for (i = 0; i < b.c.size; i++)
		ASSERT_EQ(0, ((unsigned char *)b.map)[i]) TH_LOG("byte %zu", i);
	memset(b.map, 0xa5, b.c.size);
	EXPECT_EQ(0xa5, ((unsigned char *)b.map)[b.c.size - 1]);
	it_bo_free(self->fd, &b);
}

/* Every buffer lies in [VA_START, VA_START + VA_SIZE) with a guard page. */
TEST_F(bo, addresses_in_range_with_guard)
{
	__u64 start = it_param(self->fd, DRM_LUTCORE_PARAM_VA_START);
	__u64 size = it_param(self->fd, DRM_LUTCORE_PARAM_VA_SIZE);
	struct it_bo b[8];
	unsigned int i, j;

	ASSERT_LT((__u64)(0), start);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, it_bo_create(self->fd, 4096 * (i + 1), DRM_LUTCORE_BO_NO_MMAP, &b[i]));
	for (i = 0; i < 8; i++) {
		EXPECT_LE(start, b[i].c.dev_addr);
		EXPECT_LE(b[i].c.dev_addr + b[i].c.size, start + size);
		for (j = 0; j < 8; j++) {
			if (i == j)
				continue;
			/* b[j] starts at least one page after b[i] ends, or ends before. */
			EXPECT_TRUE(b[j].c.dev_addr >= b[i].c.dev_addr + b[i].c.size + 4096 ||
				    b[j].c.dev_addr + b[j].c.size + 4096 <= b[i].c.dev_addr)
			TH_LOG("buffers %u and %u touch", i, j);
		}
	}
	for (i = 0; i < 8; i++)
		it_bo_free(self->fd, &b[i]);
}

TEST_F(bo, no_mmap_has_no_offset)
{
	struct drm_lutcore_bo_info info;
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_NO_MMAP, &b));
	EXPECT_EQ((__u64)(0), b.c.mmap_offset);
	ASSERT_EQ(0, it_bo_info(self->fd, b.c.handle, &info));
	EXPECT_EQ((__u64)(0), info.mmap_offset);
	EXPECT_EQ(DRM_LUTCORE_BO_NO_MMAP, info.flags);
	it_bo_free(self->fd, &b);
}

/* A NO_MMAP buffer cannot be mapped through a dma-buf either. */
TEST_F(bo, no_mmap_refuses_dmabuf_mmap)
{
	struct it_bo b;
	int dmabuf;
	void *p;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_NO_MMAP, &b));
	ASSERT_EQ(0, it_prime_export(self->fd, b.c.handle, &dmabuf));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dmabuf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(dmabuf);
	it_bo_free(self->fd, &b);
}

TEST_F(bo, read_only_flag_reported)
{
	struct drm_lutcore_bo_info info;
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_DEV_READ_ONLY, &b));
	ASSERT_EQ(0, it_bo_info(self->fd, b.c.handle, &info));
	EXPECT_EQ(DRM_LUTCORE_BO_DEV_READ_ONLY, info.flags);
	/* The CPU may still write it: that is how it gets its contents. */
	memset(b.map, 1, 4096);
	it_bo_free(self->fd, &b);
}

/* ---- BO_INFO ------------------------------------------------------------ */

static int info_expect_untouched(struct __test_metadata *_metadata, int fd,
				 const struct drm_lutcore_bo_info *i)
{
	struct drm_lutcore_bo_info arg = *i;
	int ret = it_ioctl(fd, DRM_IOCTL_LUTCORE_BO_INFO, &arg);

	EXPECT_EQ(0, memcmp(&arg, i, sizeof(arg)));
	return ret;
}

TEST_F(bo, info_matches_create)
{
	struct drm_lutcore_bo_info info;
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 8192, 0, &b));
	ASSERT_EQ(0, it_bo_info(self->fd, b.c.handle, &info));
	EXPECT_EQ(b.c.handle, info.handle);
	EXPECT_EQ(b.c.size, info.size);
	EXPECT_EQ(b.c.dev_addr, info.dev_addr);
	EXPECT_EQ(b.c.mmap_offset, info.mmap_offset);
	EXPECT_EQ((__u64)(0), info.flags);
	EXPECT_EQ((__u64)(0), info.pad);
	EXPECT_EQ((__u64)(0), info.pad2);
	it_bo_free(self->fd, &b);
}

TEST_F(bo, info_pad)
{
	struct drm_lutcore_bo_info i = {.pad = 1};
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	i.handle = b.c.handle;
	EXPECT_EQ(-EINVAL, info_expect_untouched(_metadata, self->fd, &i));
	it_bo_free(self->fd, &b);
}

TEST_F(bo, info_pad2)
{
	struct drm_lutcore_bo_info i = {.pad2 = 0x80000000};
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	i.handle = b.c.handle;
	EXPECT_EQ(-EINVAL, info_expect_untouched(_metadata, self->fd, &i));
	it_bo_free(self->fd, &b);
}

TEST_F(bo, info_bad_handle)
{
	const __u32 handles[] = {0, 1, 0x1234, 0xffffffff};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		struct drm_lutcore_bo_info info = {.handle = handles[i], .size = 77};

		EXPECT_EQ(-ENOENT, info_expect_untouched(_metadata, self->fd, &info));
	}
}

TEST_F(bo, info_closed_handle)
{
	struct drm_lutcore_bo_info info = {0};
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_NO_MMAP, &b));
	ASSERT_EQ(0, it_gem_close(self->fd, b.c.handle));
	info.handle = b.c.handle;
	EXPECT_EQ(-ENOENT, info_expect_untouched(_metadata, self->fd, &info));
}

/* A handle of one file means nothing in another. */
TEST_F(bo, info_other_files_handle)
{
	struct drm_lutcore_bo_info info = {0};
	struct it_bo b;
	int fd2 = lt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, it_bo_create(fd2, 4096, 0, &b));
	info.handle = b.c.handle;
	EXPECT_EQ(-ENOENT, info_expect_untouched(_metadata, self->fd, &info));
	it_bo_free(fd2, &b);
	close(fd2);
}

TEST_F(bo, info_bad_pointer)
{
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_BO_INFO, NULL));
}

/*
 * PRIME into another file: the object is mapped in the importer's address
 * space too, BO_INFO describes it there, and both see the same pages.
 */
TEST_F(bo, prime_import_other_file)
{
	struct drm_lutcore_bo_info info;
	struct it_bo b, filler;
	__u32 h2, h3;
	int fd2, dmabuf;
	void *p;

	fd2 = lt_open();
	ASSERT_LE(0, fd2);
	/* Shift fd2's allocator so the addresses cannot agree by chance. */
	ASSERT_EQ(0, it_bo_create(fd2, 1 << 20, DRM_LUTCORE_BO_NO_MMAP, &filler));
	ASSERT_EQ(0, it_bo_create(self->fd, 2 * 4096, DRM_LUTCORE_BO_DEV_READ_ONLY, &b));
	ASSERT_EQ(0, it_prime_export(self->fd, b.c.handle, &dmabuf));
	ASSERT_EQ(0, it_prime_import(fd2, dmabuf, &h2));
	ASSERT_EQ(0, it_bo_info(fd2, h2, &info));
	EXPECT_EQ(b.c.size, info.size);
	EXPECT_EQ(DRM_LUTCORE_BO_DEV_READ_ONLY, info.flags);
	EXPECT_NE((__u64)(0), info.mmap_offset);
	EXPECT_NE(b.c.dev_addr, info.dev_addr);
	EXPECT_LE(it_param(fd2, DRM_LUTCORE_PARAM_VA_START), info.dev_addr);

	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, info.mmap_offset);
	ASSERT_NE(MAP_FAILED, p);
	memcpy(b.map, "lutcore", 8);
	EXPECT_EQ(0, memcmp(p, "lutcore", 8));
	munmap(p, info.size);

	/* A second import in the same file gives the same handle. */
	ASSERT_EQ(0, it_prime_import(fd2, dmabuf, &h3));
	EXPECT_EQ(h2, h3);
	/* And so does importing into the exporting file. */
	ASSERT_EQ(0, it_prime_import(self->fd, dmabuf, &h3));
	EXPECT_EQ(b.c.handle, h3);

	close(dmabuf);
	EXPECT_EQ(0, it_gem_close(fd2, h2));
	it_bo_free(fd2, &filler);
	it_bo_free(self->fd, &b);
	close(fd2);
}

/* ---- mmap --------------------------------------------------------------- */

/* A CPU mapping outlives the handle; a new mmap after the close fails. */
TEST_F(bo, mmap_after_close)
{
	struct it_bo b;
	void *p;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	memset(b.map, 0x5a, 4096);
	ASSERT_EQ(0, it_gem_close(self->fd, b.c.handle));
	EXPECT_EQ(0x5a, ((unsigned char *)b.map)[4095]);
	((unsigned char *)b.map)[0] = 1;

	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, b.c.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	/* The old mapping still holds the object, but this file has no handle. */
	EXPECT_EQ(EACCES, errno);
	munmap(b.map, 4096);

	/* Without any mapping the object is gone. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, b.c.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

/* A mapping survives the close of the file, too. */
TEST_F(bo, mmap_after_file_close)
{
	struct it_bo b;
	int fd2 = lt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, it_bo_create(fd2, 4096, 0, &b));
	close(fd2);
	memset(b.map, 0x33, 4096);
	EXPECT_EQ(0x33, ((unsigned char *)b.map)[17]);
	munmap(b.map, 4096);
}

TEST_F(bo, mmap_larger_than_object)
{
	struct it_bo b;
	void *p;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	p = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, self->fd, b.c.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	it_bo_free(self->fd, &b);
}

/* ---- WAIT_BO -------------------------------------------------------------- */

static int wait_expect_untouched(struct __test_metadata *_metadata, int fd,
				 const struct drm_lutcore_wait_bo *w)
{
	struct drm_lutcore_wait_bo arg = *w;
	int ret = it_ioctl(fd, DRM_IOCTL_LUTCORE_WAIT_BO, &arg);

	EXPECT_EQ(0, memcmp(&arg, w, sizeof(arg)));
	return ret;
}

TEST_F(bo, wait_flags)
{
	struct drm_lutcore_wait_bo w = {.flags = 1, .timeout_ns = INT64_MAX};
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	w.handle = b.c.handle;
	EXPECT_EQ(-EINVAL, wait_expect_untouched(_metadata, self->fd, &w));
	w.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, wait_expect_untouched(_metadata, self->fd, &w));
	it_bo_free(self->fd, &b);
}

TEST_F(bo, wait_negative_timeout)
{
	struct drm_lutcore_wait_bo w = {.timeout_ns = -1};
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	w.handle = b.c.handle;
	EXPECT_EQ(-EINVAL, wait_expect_untouched(_metadata, self->fd, &w));
	w.timeout_ns = INT64_MIN;
	EXPECT_EQ(-EINVAL, wait_expect_untouched(_metadata, self->fd, &w));
	it_bo_free(self->fd, &b);
}

TEST_F(bo, wait_bad_handle)
{
	struct drm_lutcore_wait_bo w = {.handle = 0x4242, .timeout_ns = INT64_MAX};

	EXPECT_EQ(-ENOENT, wait_expect_untouched(_metadata, self->fd, &w));
	w.handle = 0;
	EXPECT_EQ(-ENOENT, wait_expect_untouched(_metadata, self->fd, &w));
}

TEST_F(bo, wait_bad_pointer)
{
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_WAIT_BO, NULL));
}

/* An idle buffer: any timeout, even one long past, returns at once. */
TEST_F(bo, wait_idle)
{
	struct it_bo b;
	int64_t t0;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	t0 = it_now();
	EXPECT_EQ(0, it_wait_bo(self->fd, b.c.handle, 0));
	EXPECT_EQ(0, it_wait_bo(self->fd, b.c.handle, 1));
	EXPECT_EQ(0, it_wait_bo(self->fd, b.c.handle, it_now() - IT_SEC));
	EXPECT_EQ(0, it_wait_bo(self->fd, b.c.handle, INT64_MAX));
	EXPECT_GT(IT_SEC / 2, it_now() - t0);
	it_bo_free(self->fd, &b);
}

TEST_HARNESS_MAIN
