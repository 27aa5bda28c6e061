// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-param: DRM_IOCTL_LUTCORE_GET_PARAM returns every capability of
 * the device, and rejects every malformed request with its own errno
 * without writing anything back.
 *
 * Expected values are those of the register map and of the QEMU device's
 * default properties (the VM runs `-device lutcore` without options).
 */
#include <sys/mman.h>

#include "lutcore_test.h"
#include "kselftest_harness.h"

#define KNOWN_WEIGHTS                                                                              \
	(LUTCORE_CAP_WEIGHTS_BITS(1) | LUTCORE_CAP_WEIGHTS_BITS(2) | LUTCORE_CAP_WEIGHTS_BITS(3) | \
	 LUTCORE_CAP_WEIGHTS_BITS(4) | LUTCORE_CAP_WEIGHTS_TERNARY)
#define KNOWN_ACTS \
	(LUTCORE_CAP_ACT_FP32 | LUTCORE_CAP_ACT_FP16 | LUTCORE_CAP_ACT_BF16 | LUTCORE_CAP_ACT_INT8)
#define KNOWN_FEATURES (LUTCORE_FEATURE_MMU | LUTCORE_FEATURE_DEBUG_HANG)

/* ---- one test per parameter: the value is what the device reports ---- */

enum check { EQ, RANGE, BITS };

FIXTURE(param)
{
	int fd;
};

/*
 * EQ: value == a. RANGE: a <= value <= b. BITS: a bit mask, not empty,
 * with no bit outside a and every bit of b.
 */
FIXTURE_VARIANT(param)
{
	__u32 param;
	enum check check;
	__u64 a, b;
};

#define PARAM_VARIANT(name, chk, lo, hi)                                           \
	FIXTURE_VARIANT_ADD(param, name)                                           \
	{                                                                          \
		.param = DRM_LUTCORE_PARAM_##name, .check = chk, .a = lo, .b = hi, \
	}

PARAM_VARIANT(PCI_DEVICE_ID, EQ, LUTCORE_PCI_DEVICE_ID, 0);
PARAM_VARIANT(PCI_REVISION, EQ, LUTCORE_PCI_REVISION, 0);
/* The driver binds to register interface 1.x, any minor version. */
PARAM_VARIANT(HW_VERSION, RANGE, LUTCORE_VERSION_1_0, LUTCORE_VERSION_1_0 | 0xffff);
PARAM_VARIANT(NUM_CORES, RANGE, 1, LUTCORE_MAX_CORES);
PARAM_VARIANT(ARRAY_M, EQ, LUTCORE_DEFAULT_ARRAY_M, 0);
PARAM_VARIANT(ARRAY_N, EQ, LUTCORE_DEFAULT_ARRAY_N, 0);
PARAM_VARIANT(ARRAY_K, EQ, LUTCORE_DEFAULT_ARRAY_K, 0);
PARAM_VARIANT(ARRAY_MULT, RANGE, 1, UINT32_MAX);
PARAM_VARIANT(CLOCK_MHZ, RANGE, 1, UINT32_MAX);
PARAM_VARIANT(WEIGHT_FORMATS, BITS, KNOWN_WEIGHTS, 0);
PARAM_VARIANT(ACT_TYPES, BITS, KNOWN_ACTS, 0);
PARAM_VARIANT(VA_BITS, EQ, LUTCORE_VA_BITS, 0);
PARAM_VARIANT(PAGE_SIZE, EQ, LUTCORE_PAGE_SIZE, 0);
PARAM_VARIANT(QUEUE_DEPTH, RANGE, 1, UINT32_MAX);
/* MMU isolation is part of the product (SPEC section 2): always present. */
PARAM_VARIANT(FEATURES, BITS, KNOWN_FEATURES, LUTCORE_FEATURE_MMU);
PARAM_VARIANT(PT_LEVELS, EQ, LUTCORE_PT_LEVELS, 0);

FIXTURE_SETUP(param)
{
	self->fd = lt_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
}

FIXTURE_TEARDOWN(param)
{
	close(self->fd);
}

TEST_F(param, value)
{
	struct drm_lutcore_get_param gp = {
		.param = variant->param,
		.value = LUTCORE_POISON,
	};

	ASSERT_EQ(0, lt_get_param_raw(self->fd, &gp));
	EXPECT_EQ(variant->param, gp.param);
	EXPECT_EQ(0U, gp.pad);
	TH_LOG("value %llu (%#llx)", (unsigned long long)gp.value, (unsigned long long)gp.value);

	switch (variant->check) {
	case EQ:
		EXPECT_EQ(variant->a, gp.value);
		break;
	case RANGE:
		EXPECT_LE(variant->a, gp.value);
		EXPECT_GE(variant->b, gp.value);
		break;
	case BITS:
		EXPECT_NE(0ULL, gp.value);
		EXPECT_EQ(0ULL, gp.value & ~variant->a);
		EXPECT_EQ(variant->b, gp.value & variant->b);
		break;
	}
}

/* ---- the ioctl as a whole ---- */

FIXTURE(dev)
{
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = lt_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* Every parameter the header defines is known to the kernel. */
TEST_F(dev, every_param_answers)
{
	__u32 p;

	for (p = 0; p < DRM_LUTCORE_PARAM_COUNT; p++) {
		struct drm_lutcore_get_param gp = {
			.param = p,
			.value = LUTCORE_POISON,
		};

		EXPECT_EQ(0, lt_get_param_raw(self->fd, &gp)) TH_LOG("param %u", p);
		EXPECT_NE(LUTCORE_POISON, gp.value) TH_LOG("param %u", p);
	}
}

/* Capabilities are fixed: the same on every call and in every file. */
TEST_F(dev, values_are_stable)
{
	__u64 a, b, c;
	__u32 p;
	int fd2;

	fd2 = lt_open();
	ASSERT_LE(0, fd2);
	for (p = 0; p < DRM_LUTCORE_PARAM_COUNT; p++) {
		ASSERT_EQ(0, lt_get_param(self->fd, p, &a));
		ASSERT_EQ(0, lt_get_param(self->fd, p, &b));
		ASSERT_EQ(0, lt_get_param(fd2, p, &c));
		EXPECT_EQ(a, b) TH_LOG("param %u", p);
		EXPECT_EQ(a, c) TH_LOG("param %u", p);
	}
	close(fd2);
}

/* PCI identity agrees with what the PCI core read from config space. */
TEST_F(dev, pci_identity_matches_sysfs)
{
	char dir[64], path[160], buf[32];
	__u64 id, rev;

	ASSERT_EQ(0, lt_get_param(self->fd, DRM_LUTCORE_PARAM_PCI_DEVICE_ID, &id));
	ASSERT_EQ(0, lt_get_param(self->fd, DRM_LUTCORE_PARAM_PCI_REVISION, &rev));
	ASSERT_EQ(0, lt_sysfs_dir(self->fd, dir, sizeof(dir)));

	snprintf(path, sizeof(path), "%s/device/device", dir);
	ASSERT_EQ(0, lt_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(id, strtoull(buf, NULL, 16));
	snprintf(path, sizeof(path), "%s/device/revision", dir);
	ASSERT_EQ(0, lt_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(rev, strtoull(buf, NULL, 16));
	snprintf(path, sizeof(path), "%s/device/vendor", dir);
	ASSERT_EQ(0, lt_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ((unsigned long long)LUTCORE_PCI_VENDOR_ID, strtoull(buf, NULL, 16));
}

/* An unknown parameter: -EINVAL, and the struct comes back as given. */
TEST_F(dev, unknown_param)
{
	static const __u32 bad[] = {
		DRM_LUTCORE_PARAM_COUNT,
		DRM_LUTCORE_PARAM_COUNT + 1,
		0x7fffffff,
		0x80000000,
		0xffffffff,
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drm_lutcore_get_param gp = {
			.param = bad[i],
			.value = LUTCORE_POISON,
		};

		int ret = lt_get_param_raw(self->fd, &gp);

		EXPECT_EQ(-EINVAL, ret) TH_LOG("param %#x", bad[i]);
		EXPECT_EQ(bad[i], gp.param);
		EXPECT_EQ(0U, gp.pad);
		EXPECT_EQ(LUTCORE_POISON, gp.value) TH_LOG("param %#x", bad[i]);
	}
}

/* Non-zero padding with an otherwise valid request: -EINVAL, untouched. */
TEST_F(dev, nonzero_pad)
{
	static const __u32 pads[] = {1, 0x80000000, 0xffffffff};
	unsigned int i;

	for (i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		struct drm_lutcore_get_param gp = {
			.param = DRM_LUTCORE_PARAM_NUM_CORES,
			.pad = pads[i],
			.value = LUTCORE_POISON,
		};

		int ret = lt_get_param_raw(self->fd, &gp);

		EXPECT_EQ(-EINVAL, ret) TH_LOG("pad %#x", pads[i]);
		EXPECT_EQ((__u32)DRM_LUTCORE_PARAM_NUM_CORES, gp.param);
		EXPECT_EQ(pads[i], gp.pad);
		EXPECT_EQ(LUTCORE_POISON, gp.value) TH_LOG("pad %#x", pads[i]);
	}
}

/*
 * A driver ioctl number past the driver's table: drm_ioctl() answers
 * -EINVAL (6.12 drm_ioctl.c). The last driver number stays unused for as
 * long as the driver has fewer than 96 ioctls.
 */
TEST_F(dev, unknown_driver_ioctl)
{
	struct drm_lutcore_get_param gp = {
		.param = DRM_LUTCORE_PARAM_NUM_CORES,
		.value = LUTCORE_POISON,
	};
	unsigned long cmd = DRM_IOWR(DRM_COMMAND_END - 1, struct drm_lutcore_get_param);

	EXPECT_EQ(-1, ioctl(self->fd, cmd, &gp));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(LUTCORE_POISON, gp.value);
}

/* An ioctl of another subsystem's type never reaches DRM: -ENOTTY. */
TEST_F(dev, foreign_ioctl_type)
{
	struct drm_lutcore_get_param gp = {
		.param = DRM_LUTCORE_PARAM_NUM_CORES,
		.value = LUTCORE_POISON,
	};
	unsigned long cmd =
		_IOWR('x', DRM_COMMAND_BASE + DRM_LUTCORE_GET_PARAM, struct drm_lutcore_get_param);

	EXPECT_EQ(-1, ioctl(self->fd, cmd, &gp));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(LUTCORE_POISON, gp.value);
}

/* Bad argument pointers: -EFAULT, never a crash or a partial write. */
TEST_F(dev, bad_pointer)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct drm_lutcore_get_param *gp;
	char *map;

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_LUTCORE_GET_PARAM, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_LUTCORE_GET_PARAM, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* Two pages: the first readable and writable, the second not mapped. */
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));

	/* The struct straddles into the hole. */
	gp = (void *)(map + pg - 8);
	gp->param = DRM_LUTCORE_PARAM_NUM_CORES;
	gp->pad = 0;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_LUTCORE_GET_PARAM, gp));
	EXPECT_EQ(EFAULT, errno);

	/* Readable but not writable: the answer cannot be stored. */
	gp = (void *)map;
	gp->param = DRM_LUTCORE_PARAM_NUM_CORES;
	gp->pad = 0;
	gp->value = LUTCORE_POISON;
	ASSERT_EQ(0, mprotect(map, pg, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_LUTCORE_GET_PARAM, gp));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(LUTCORE_POISON, gp->value);

	/* Not readable at all. */
	ASSERT_EQ(0, mprotect(map, pg, PROT_NONE));
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_LUTCORE_GET_PARAM, map));
	EXPECT_EQ(EFAULT, errno);

	munmap(map, pg);
}

TEST_HARNESS_MAIN
