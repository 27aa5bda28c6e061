// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-lifecycle: the driver lets go of the device cleanly.
 *
 *  - unbind with a file still open: the open file gets -ENODEV, the node
 *    goes away, close works, and a rebind brings the device back;
 *  - module unload is refused while a file is open;
 *  - module unload after the last close, then a reload;
 *  - module unload, and unbind, while a finished job's sync_file or an
 *    exported dma-buf outlives the last file: the unload is refused (the fd
 *    holds the module), the unbind leaves the device to the fd, and using
 *    and closing the fd never warns or oopses.
 *
 * The unload test does the unload itself, with delete_module(2), and loads
 * the module again with finit_module(2) from the lutcore.ko it finds (see
 * find_module_file()), so a failure points at the step that failed and the
 * device is back for whatever runs next, in any order; the VM's runner
 * still ends with its own rmmod. The module file is located before anything
 * is unloaded: without one the test skips rather than leave the machine
 * without its driver. Every test's teardown rebinds and reloads whatever a
 * failed test left unbound or unloaded.
 *
 * The suite needs exclusive use of the device (no other open files).
 */
#include <ftw.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/module.h>

#include "lutcore_test.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MODULE_NAME "lutcore"
#define DRIVER_DIR  "/sys/bus/pci/drivers/" MODULE_NAME
#define MODULE_DIR  "/sys/module/" MODULE_NAME
/* How long the node may take to come back after a bind or a load. */
#define REAPPEAR_MS 5000

static int sys_delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

static int sys_finit_module(const char *path)
{
	size_t n = strlen(path);
	unsigned int flags = 0;
	int fd, ret;

	/* The kernel decompresses a .ko.xz/.zst/.gz if asked to. */
	if (n < 3 || strcmp(path + n - 3, ".ko"))
		flags |= MODULE_INIT_COMPRESSED_FILE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", flags) ? -errno : 0;
	close(fd);
	return ret;
}

static char found_ko[PATH_MAX];

static int find_ko_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (type != FTW_F || strncmp(base, MODULE_NAME ".ko", 10))
		return 0;
	snprintf(found_ko, sizeof(found_ko), "%s", path);
	return 1;
}

/*
 * Where the module's file is, into buf; 0 or -ENOENT. $LUTCORE_KO, else the
 * running kernel's module tree (an installed module), else the top of
 * /lib/modules (the VM's initramfs keeps its modules there, flat).
 */
static int find_module_file(char *buf, size_t len)
{
	const char *env = getenv("LUTCORE_KO");
	char dir[PATH_MAX];
	struct utsname u;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) ? -errno : 0;
	}
	if (uname(&u))
		return -errno;
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	found_ko[0] = '\0';
	if (nftw(dir, find_ko_cb, 16, FTW_PHYS) == 1) {
		snprintf(buf, len, "%s", found_ko);
		return 0;
	}
	snprintf(buf, len, "/lib/modules/%s.ko", MODULE_NAME);
	return access(buf, R_OK) ? -ENOENT : 0;
}

/* The PCI function behind the device node, e.g. 0000:00:02.0. */
static int device_pci_name(int fd, char *buf, size_t len)
{
	char dir[64], path[96];
	int ret;

	ret = lt_sysfs_dir(fd, dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/device", dir);
	return lt_link_name(path, buf, len);
}

static int is_bound(const char *pci)
{
	char path[128];

	snprintf(path, sizeof(path), DRIVER_DIR "/%s", pci);
	return !access(path, F_OK);
}

FIXTURE(lifecycle)
{
	int fd;
	char pci[64];
	char ko[PATH_MAX];
};

FIXTURE_SETUP(lifecycle)
{
	self->fd = lt_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	ASSERT_EQ(0, device_pci_name(self->fd, self->pci, sizeof(self->pci)));
	if (find_module_file(self->ko, sizeof(self->ko)))
		self->ko[0] = '\0';
}

/* Put back whatever a failed test left behind, so later suites run. */
FIXTURE_TEARDOWN(lifecycle)
{
	int fd;

	if (self->fd >= 0)
		close(self->fd);
	if (access(MODULE_DIR, F_OK) && self->ko[0])
		sys_finit_module(self->ko);
	if (!access(MODULE_DIR, F_OK) && !is_bound(self->pci))
		lt_write_file(DRIVER_DIR "/bind", self->pci);
	fd = lt_open_wait(REAPPEAR_MS);
	if (fd >= 0)
		close(fd);
}

TEST_F(lifecycle, unbind_with_open_file)
{
	char name[32];
	int fd, ret;
	__u64 v;

	ASSERT_EQ(0, lt_get_param(self->fd, DRM_LUTCORE_PARAM_NUM_CORES, &v));
	ret = lt_write_file(DRIVER_DIR "/unbind", self->pci);
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", self->pci, strerror(-ret));
	EXPECT_FALSE(is_bound(self->pci));

	/* The file outlives the device; everything on it fails -ENODEV. */
	EXPECT_EQ(-ENODEV, lt_get_param(self->fd, DRM_LUTCORE_PARAM_NUM_CORES, &v));
	EXPECT_EQ(-ENODEV, lt_driver_name(self->fd, name, sizeof(name)));
	/* No new file can be opened on the removed node. */
	fd = lt_open();
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;

	ret = lt_write_file(DRIVER_DIR "/bind", self->pci);
	ASSERT_EQ(0, ret) TH_LOG("bind %s: %s", self->pci, strerror(-ret));
	self->fd = lt_open_wait(REAPPEAR_MS);
	ASSERT_LE(0, self->fd) TH_LOG("reopen after rebind: %s", strerror(-self->fd));
	EXPECT_EQ(0, lt_get_param(self->fd, DRM_LUTCORE_PARAM_NUM_CORES, &v));
}

TEST_F(lifecycle, unload_refused_while_open)
{
	__u64 v;

	if (access(MODULE_DIR "/refcnt", F_OK))
		SKIP(return, "lutcore is built in");
	/* delete_module() never waits; a busy module is -EWOULDBLOCK. */
	EXPECT_EQ(-EWOULDBLOCK, sys_delete_module(MODULE_NAME, O_NONBLOCK));
	EXPECT_EQ(0, access(MODULE_DIR, F_OK));
	EXPECT_EQ(0, lt_get_param(self->fd, DRM_LUTCORE_PARAM_NUM_CORES, &v));
}

TEST_F(lifecycle, unload_after_last_close_and_reload)
{
	char refcnt[16];
	int fd, ret;
	__u64 v;

	if (access(MODULE_DIR "/refcnt", F_OK))
		SKIP(return, "lutcore is built in");
	if (!self->ko[0])
		SKIP(return, "no lutcore.ko under /lib/modules to reload; set LUTCORE_KO");

	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, lt_read_file(MODULE_DIR "/refcnt", refcnt, sizeof(refcnt)));
	ASSERT_STREQ("0", refcnt) TH_LOG("someone else holds the device open");

	ret = sys_delete_module(MODULE_NAME, O_NONBLOCK);
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_NE(0, access(MODULE_DIR, F_OK));
	fd = lt_open();
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);

	ret = sys_finit_module(self->ko);
	ASSERT_EQ(0, ret) TH_LOG("load %s: %s", self->ko, strerror(-ret));
	self->fd = lt_open_wait(REAPPEAR_MS);
	ASSERT_LE(0, self->fd) TH_LOG("reopen after reload: %s", strerror(-self->fd));
	EXPECT_EQ(0, lt_get_param(self->fd, DRM_LUTCORE_PARAM_NUM_CORES, &v));
}

/*
 * Unloads the module if nothing holds it: 0, or -EWOULDBLOCK while it is
 * in use. Retries for up to timeout_ms, for references that go away
 * asynchronously after a close.
 */
static int unload_within(int timeout_ms)
{
	int ret, waited;

	for (waited = 0;; waited += 10) {
		ret = sys_delete_module(MODULE_NAME, O_NONBLOCK);
		if (ret != -EWOULDBLOCK || waited >= timeout_ms)
			return ret;
		usleep(10000);
	}
}

/* Loads the module again and opens the device; the test's new self->fd. */
static int reload(FIXTURE_DATA(lifecycle) * self)
{
	int ret;

	if (!access(MODULE_DIR, F_OK))
		return 0;
	ret = sys_finit_module(self->ko);
	if (ret)
		return ret;
	self->fd = lt_open_wait(REAPPEAR_MS);
	return self->fd < 0 ? self->fd : 0;
}

/*
 * Runs one NOP job on self->fd with a binary out-syncobj and returns its
 * finished fence as a sync_file (or -errno); the job's buffer is closed.
 */
static int finished_job_sync_file(FIXTURE_DATA(lifecycle) * self)
{
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_submit s;
	struct it_bo stream;
	int ret, sf;

	ret = it_bo_create(self->fd, 4096, 0, &stream);
	if (ret)
		return ret;
	it_stream_nops(stream.map, 1);
	ret = it_syncobj_create(self->fd, 0, &out.handle);
	if (!ret) {
		it_submit_init(&s, stream.c.dev_addr, 1);
		s.out_syncs = (uintptr_t)&out;
		s.out_sync_count = 1;
		ret = it_submit(self->fd, &s);
	}
	if (!ret)
		ret = it_syncobj_wait(self->fd, out.handle, 0, it_now() + 10 * IT_SEC);
	sf = ret ? ret : it_syncobj_export(self->fd, out.handle);
	it_syncobj_destroy(self->fd, out.handle);
	it_bo_free(self->fd, &stream);
	return sf;
}

/*
 * SYNC_IOC_FILE_INFO on a signalled job's sync_file, with and without the
 * per-fence info: the kernel asks the fence for its driver and timeline
 * names (the scheduler's: "drm_sched" and the core's scheduler name).
 */
static void check_sync_file_info(struct __test_metadata *_metadata, int sf)
{
	struct sync_fence_info fi;
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, it_ioctl(sf, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(1, info.status);
	EXPECT_EQ(1u, info.num_fences);
	EXPECT_NE(NULL, strstr(info.name, "lutcore-core")) TH_LOG("name %.32s", info.name);

	memset(&info, 0, sizeof(info));
	memset(&fi, 0, sizeof(fi));
	info.num_fences = 1;
	info.sync_fence_info = (uintptr_t)&fi;
	ASSERT_EQ(0, it_ioctl(sf, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(1, info.status);
	EXPECT_EQ(1, fi.status);
	EXPECT_STREQ("drm_sched", fi.driver_name);
	EXPECT_EQ(0, strncmp(fi.obj_name, "lutcore-core", 12))
	TH_LOG("timeline %.32s", fi.obj_name);
}

/* The kernel logged no warning, BUG or oops since kmsg was opened. */
static void check_kmsg(struct __test_metadata *_metadata, int kmsg)
{
	char rec[512];
	int ret = lt_kmsg_find_any(kmsg, LT_KMSG_TROUBLE, rec, sizeof(rec));

	EXPECT_EQ(0, ret) TH_LOG("kernel log: %s", ret > 0 ? rec : strerror(-ret));
}

/*
 * The module is unloaded while a sync_file of a finished job outlives the
 * DRM file: the fence (the scheduler's, wrapping the driver's hardware
 * fence) is still referenced, and reading its names or dropping it must
 * not reach the unloaded module or the freed device. The unload is
 * refused while the sync_file is open; it must succeed once it is closed.
 */
TEST_F(lifecycle, unload_with_sync_file_open)
{
	int kmsg, sf, ret;

	if (access(MODULE_DIR "/refcnt", F_OK))
		SKIP(return, "lutcore is built in");
	if (!self->ko[0])
		SKIP(return, "no lutcore.ko under /lib/modules to reload; set LUTCORE_KO");
	kmsg = lt_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	sf = finished_job_sync_file(self);
	ASSERT_LE(0, sf) TH_LOG("job and sync_file: %s", strerror(-sf));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;

	/* Refused: the fence in the sync_file holds the module (docs/driver.md). */
	ret = unload_within(0);
	EXPECT_EQ(-EWOULDBLOCK, ret) TH_LOG("delete_module: %s", strerror(-ret));
	check_sync_file_info(_metadata, sf);
	EXPECT_EQ(0, close(sf));
	if (ret) {
		ret = unload_within(2000);
		EXPECT_EQ(0, ret) TH_LOG("unload after closing the sync_file: %s", strerror(-ret));
	}
	check_kmsg(_metadata, kmsg);
	close(kmsg);

	ret = reload(self);
	ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
}

/*
 * The same with an exported dma-buf: it pins the module (the DRM core
 * makes the driver's module the dma-buf's owner), so the unload is
 * refused and the buffer stays usable; after its close the unload works.
 */
TEST_F(lifecycle, unload_with_dmabuf_open)
{
	struct it_bo bo;
	int kmsg, buf, ret;
	void *map;

	if (access(MODULE_DIR "/refcnt", F_OK))
		SKIP(return, "lutcore is built in");
	if (!self->ko[0])
		SKIP(return, "no lutcore.ko under /lib/modules to reload; set LUTCORE_KO");
	kmsg = lt_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &bo));
	memset(bo.map, 0x5a, 4096);
	ASSERT_EQ(0, it_prime_export(self->fd, bo.c.handle, &buf));
	it_bo_free(self->fd, &bo);
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;

	ret = unload_within(0);
	EXPECT_EQ(-EWOULDBLOCK, ret) TH_LOG("delete_module: %s", strerror(-ret));
	if (ret) {
		map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, buf, 0);
		ASSERT_NE(MAP_FAILED, map) TH_LOG("dma-buf mmap: %s", strerror(errno));
		EXPECT_EQ(0x5a, ((unsigned char *)map)[4095]);
		munmap(map, 4096);
	}
	EXPECT_EQ(0, close(buf));
	if (ret) {
		ret = unload_within(2000);
		EXPECT_EQ(0, ret) TH_LOG("unload after closing the dma-buf: %s", strerror(-ret));
	}
	check_kmsg(_metadata, kmsg);
	close(kmsg);

	ret = reload(self);
	ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
}

/*
 * Unbind while a finished job's sync_file outlives the DRM file: the last
 * file is gone, so the DRM device may be released, but the scheduler
 * fence in the sync_file names its scheduler, which lives in it. Reading
 * the names and closing must not warn or oops; then the module unloads
 * (once the sync_file is closed) and everything is put back.
 */
TEST_F(lifecycle, unbind_with_sync_file_open)
{
	char refcnt[16];
	int kmsg, sf, ret;

	kmsg = lt_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	sf = finished_job_sync_file(self);
	ASSERT_LE(0, sf) TH_LOG("job and sync_file: %s", strerror(-sf));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;

	ret = lt_write_file(DRIVER_DIR "/unbind", self->pci);
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", self->pci, strerror(-ret));
	/* The fence in the sync_file holds the module, and so the device. */
	if (!lt_read_file(MODULE_DIR "/refcnt", refcnt, sizeof(refcnt))) {
		EXPECT_LT(0, atoi(refcnt)) TH_LOG("module references: %s", refcnt);
	}
	check_sync_file_info(_metadata, sf);
	EXPECT_EQ(0, close(sf));
	check_kmsg(_metadata, kmsg);

	if (!access(MODULE_DIR "/refcnt", F_OK) && self->ko[0]) {
		ret = unload_within(2000);
		EXPECT_EQ(0, ret) TH_LOG("unload after unbind: %s", strerror(-ret));
		check_kmsg(_metadata, kmsg);
		ret = reload(self);
		ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
	} else {
		ret = lt_write_file(DRIVER_DIR "/bind", self->pci);
		ASSERT_EQ(0, ret) TH_LOG("bind %s: %s", self->pci, strerror(-ret));
		self->fd = lt_open_wait(REAPPEAR_MS);
		ASSERT_LE(0, self->fd) TH_LOG("reopen after rebind: %s", strerror(-self->fd));
	}
	close(kmsg);
}

TEST_HARNESS_MAIN
