// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-probe: the driver bound the device and exposes it as an accel
 * node that opens, identifies itself and survives many opens and closes.
 */
#include "lutcore_test.h"
#include "kselftest_harness.h"

#define OPEN_CLOSE_LOOPS 1000
#define OPEN_AT_ONCE	 64

TEST(node_is_accel_char_device)
{
	char dir[64], path[128], name[64];
	struct stat st;
	int fd, ret;

	ret = stat(lt_dev_path(), &st);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s (no device or no link)", lt_dev_path(), strerror(errno));
	ASSERT_TRUE(S_ISCHR(st.st_mode));

	fd = lt_open();
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	ASSERT_EQ(0, lt_sysfs_dir(fd, dir, sizeof(dir)));
	close(fd);

	/* An accel node, not a DRM primary or render node... */
	snprintf(path, sizeof(path), "%s/subsystem", dir);
	ASSERT_EQ(0, lt_link_name(path, name, sizeof(name)));
	EXPECT_STREQ("accel", name);
	/* ...whose PCI function is bound to our driver. */
	snprintf(path, sizeof(path), "%s/device/driver", dir);
	ASSERT_EQ(0, lt_link_name(path, name, sizeof(name)));
	EXPECT_STREQ("lutcore", name);
}

TEST(version_names_lutcore)
{
	char name[32], desc[128];
	struct drm_version v;
	int fd, ret;

	fd = lt_open();
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));

	memset(&v, 0, sizeof(v));
	memset(name, 0, sizeof(name));
	memset(desc, 0, sizeof(desc));
	v.name = name;
	v.name_len = sizeof(name) - 1;
	v.desc = desc;
	v.desc_len = sizeof(desc) - 1;
	ret = ioctl(fd, DRM_IOCTL_VERSION, &v);
	ASSERT_EQ(0, ret) TH_LOG("DRM_IOCTL_VERSION: %s", strerror(errno));
	EXPECT_STREQ(DRM_LUTCORE_DRIVER_NAME, name);
	EXPECT_EQ(strlen(DRM_LUTCORE_DRIVER_NAME), v.name_len);
	EXPECT_LE(1, v.version_major);
	EXPECT_LT(0U, strlen(desc));
	close(fd);
}

TEST(open_close_repeatedly)
{
	__u64 cores;
	int i, fd;

	for (i = 0; i < OPEN_CLOSE_LOOPS; i++) {
		fd = lt_open();
		ASSERT_LE(0, fd) TH_LOG("open #%d: %s", i, strerror(errno));
		ASSERT_EQ(0, close(fd));
	}

	/* The device still answers after all of them. */
	fd = lt_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, lt_get_param(fd, DRM_LUTCORE_PARAM_NUM_CORES, &cores));
	close(fd);
}

TEST(many_files_at_once)
{
	int fds[OPEN_AT_ONCE];
	__u64 cores, first;
	int i;

	for (i = 0; i < OPEN_AT_ONCE; i++) {
		fds[i] = lt_open();
		ASSERT_LE(0, fds[i]) TH_LOG("open #%d: %s", i, strerror(errno));
	}
	/* Every file answers, and the same, whatever the others do. */
	ASSERT_EQ(0, lt_get_param(fds[0], DRM_LUTCORE_PARAM_NUM_CORES, &first));
	for (i = 0; i < OPEN_AT_ONCE; i++) {
		ASSERT_EQ(0, lt_get_param(fds[i], DRM_LUTCORE_PARAM_NUM_CORES, &cores));
		EXPECT_EQ(first, cores);
	}
	/* Close in an order other than opening, for the per-file state. */
	for (i = 0; i < OPEN_AT_ONCE; i += 2)
		EXPECT_EQ(0, close(fds[i]));
	for (i = 1; i < OPEN_AT_ONCE; i += 2)
		EXPECT_EQ(0, close(fds[i]));
}

TEST_HARNESS_MAIN
