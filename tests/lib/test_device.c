// SPDX-License-Identifier: MIT
/*
 * Host unit tests of liblutcore's device layer: open/discovery, errors,
 * GET_PARAM, the capability table and the bit-name helpers.
 *
 * No LUTCore device exists on the host, so this file defines ioctl(): the
 * executable's definition wins over libc's for libdrm's calls, and while
 * fake.on is set, /dev/null answers DRM_IOCTL_VERSION and GET_PARAM like a
 * driver. Everything else reaches the real ioctl through syscall(). The
 * harness runs each test in its own process, so the fake's state and the
 * environment do not leak between tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "lutcore/lutcore.h"
#include "../../lib/device_priv.h"

/* ---- The fake driver behind /dev/null ----------------------------------- */

static struct {
	bool on;
	const char *name;
	uint64_t params[DRM_LUTCORE_PARAM_COUNT];
	uint32_t fail_param; /* GET_PARAM of this one fails with fail_errno */
	int fail_errno;
	int get_params; /* GET_PARAM calls seen */
} fake = {.fail_param = UINT32_MAX};

static const char fake_desc[] = "LUTCore fake for host tests";

/* Every parameter's value names it, so that a mix-up shows. */
#define PVAL(p) (100u + (p))

static void fake_driver(const char *name)
{
	uint32_t p;

	fake.on = true;
	fake.name = name;
	for (p = 0; p < DRM_LUTCORE_PARAM_COUNT; p++)
		fake.params[p] = PVAL(p);
	fake.params[DRM_LUTCORE_PARAM_PAGE_SIZE] = 1ull << 40; /* needs all 64 bits */
}

static bool is_dev_null(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* The kernel's drm_copy_field(): copy what fits, report the full length. */
static void copy_field(char *buf, __kernel_size_t *len, const char *value)
{
	size_t n = strlen(value);

	if (buf && *len)
		memcpy(buf, value, *len < n ? *len : n);
	*len = n;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	struct drm_lutcore_get_param *gp = arg;
	struct drm_version *v = arg;

	if (req == DRM_IOCTL_VERSION) {
		v->version_major = 1;
		v->version_minor = 2;
		v->version_patchlevel = 3;
		copy_field(v->name, &v->name_len, fake.name);
		copy_field(v->date, &v->date_len, "0");
		copy_field(v->desc, &v->desc_len, fake_desc);
		return 0;
	}
	if (req != DRM_IOCTL_LUTCORE_GET_PARAM) {
		errno = ENOTTY;
		return -1;
	}
	fake.get_params++;
	if (gp->pad || gp->param >= DRM_LUTCORE_PARAM_COUNT || gp->param == fake.fail_param) {
		errno = gp->param == fake.fail_param ? fake.fail_errno : EINVAL;
		return -1;
	}
	gp->value = fake.params[gp->param];
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake.on && is_dev_null(fd))
		return fake_ioctl(req, arg);
	return syscall(SYS_ioctl, fd, req, arg);
}

/* ---- Helpers ------------------------------------------------------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A fresh directory to play /dev/accel in, removed afterwards. */
FIXTURE(tmpdir)
{
	// cppcheck-suppress unusedVariable ; a fixture member, used as self->dir
	char dir[64];
};

FIXTURE_SETUP(tmpdir)
{
	strcpy(self->dir, "/tmp/lutcore-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(tmpdir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(self->dir);

	while (d && (e = readdir(d)))
		if (snprintf(path, sizeof(path), "%s/%s", self->dir, e->d_name) > 0)
			unlink(path);
	if (d)
		closedir(d);
	rmdir(self->dir);
}

static void add_link(const char *dir, const char *name, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (symlink(target, path))
		abort();
}

static void add_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		abort();
	close(fd);
}

/* ---- Open by path ---------------------------------------------------------- */

TEST(open_rejects_null_out)
{
	ASSERT_EQ(-EINVAL, lut_dev_open("/dev/null", NULL));
}

TEST(open_missing_path_is_enoent)
{
	struct lut_dev *dev = (struct lut_dev *)&dev; /* must be cleared */

	ASSERT_EQ(-ENOENT, lut_dev_open("/nonexistent/lutcore", &dev));
	ASSERT_NULL(dev);
}

TEST(open_path_errors_pass_through)
{
	char longpath[PATH_MAX + 16];
	struct lut_dev *dev;

	ASSERT_EQ(-ENOTDIR, lut_dev_open("/dev/null/accel0", &dev));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ASSERT_EQ(-ENAMETOOLONG, lut_dev_open(longpath, &dev));
}

TEST(open_non_drm_char_device_is_enodev)
{
	struct lut_dev *dev;
	int fds = count_fds();

	ASSERT_EQ(-ENODEV, lut_dev_open("/dev/null", &dev));
	ASSERT_NULL(dev);
	ASSERT_EQ(fds, count_fds());
}

TEST_F(tmpdir, open_regular_file_is_enodev)
{
	char path[PATH_MAX];
	struct lut_dev *dev;
	int fds = count_fds();

	add_file(self->dir, "accel0");
	snprintf(path, sizeof(path), "%s/accel0", self->dir);
	ASSERT_EQ(-ENODEV, lut_dev_open(path, &dev));
	ASSERT_EQ(-ENODEV, lut_dev_open(self->dir, &dev));
	ASSERT_EQ(fds, count_fds());
}

TEST(open_other_drm_driver_is_enodev)
{
	struct lut_dev *dev;
	int fds = count_fds();

	fake_driver("ivpu");
	ASSERT_EQ(-ENODEV, lut_dev_open("/dev/null", &dev));
	ASSERT_NULL(dev);
	ASSERT_EQ(fds, count_fds());
	/* A name that only starts like ours is not ours. */
	fake_driver("lutcore2");
	ASSERT_EQ(-ENODEV, lut_dev_open("/dev/null", &dev));
}

TEST(open_lutcore_succeeds_rdwr_cloexec)
{
	struct lut_dev *dev = NULL;
	int fds = count_fds();
	int fd;

	fake_driver("lutcore");
	ASSERT_EQ(0, lut_dev_open("/dev/null", &dev));
	ASSERT_NE(NULL, dev);
	fd = lut_dev_fd(dev);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_STREQ("/dev/null", lut_dev_path(dev));
	ASSERT_EQ(fds + 1, count_fds());
	lut_dev_close(dev);
	ASSERT_EQ(fds, count_fds());
}

TEST(null_handles_are_rejected)
{
	uint64_t v = 7;
	struct lut_caps caps;

	ASSERT_EQ(-EINVAL, lut_dev_fd(NULL));
	ASSERT_NULL(lut_dev_path(NULL));
	ASSERT_EQ(-EINVAL, lut_dev_param(NULL, DRM_LUTCORE_PARAM_NUM_CORES, &v));
	ASSERT_EQ(7u, v);
	ASSERT_EQ(-EINVAL, lut_dev_query_caps(NULL, &caps));
	lut_dev_close(NULL);
}

/* ---- LUTCORE_DEV and the default search ---------------------------------- */

TEST(env_names_missing_node)
{
	struct lut_dev *dev;

	ASSERT_EQ(0, setenv(LUT_DEV_ENV, "/nonexistent/lutcore", 1));
	ASSERT_EQ(-ENOENT, lut_dev_open(NULL, &dev));
	/* An explicit path still wins over the environment. */
	fake_driver("lutcore");
	ASSERT_EQ(0, lut_dev_open("/dev/null", &dev));
	lut_dev_close(dev);
}

TEST(env_names_non_lutcore_node)
{
	struct lut_dev *dev;

	ASSERT_EQ(0, setenv(LUT_DEV_ENV, "/dev/null", 1));
	ASSERT_EQ(-ENODEV, lut_dev_open(NULL, &dev));
}

TEST(env_names_lutcore_node)
{
	struct lut_dev *dev = NULL;

	fake_driver("lutcore");
	ASSERT_EQ(0, setenv(LUT_DEV_ENV, "/dev/null", 1));
	ASSERT_EQ(0, lut_dev_open(NULL, &dev));
	ASSERT_STREQ("/dev/null", lut_dev_path(dev));
	lut_dev_close(dev);
}

TEST(default_search_without_device_is_enoent)
{
	struct lut_dev *dev;

	if (!access(LUT_DEV_DEFAULT, F_OK) || !access(LUT_DEV_ACCEL_DIR, F_OK))
		SKIP(return, "this machine has %s or %s", LUT_DEV_DEFAULT, LUT_DEV_ACCEL_DIR);
	ASSERT_EQ(0, unsetenv(LUT_DEV_ENV));
	ASSERT_EQ(-ENOENT, lut_dev_open(NULL, &dev));
	/* An empty LUTCORE_DEV means "not set". */
	ASSERT_EQ(0, setenv(LUT_DEV_ENV, "", 1));
	ASSERT_EQ(-ENOENT, lut_dev_open(NULL, &dev));
}

TEST_F(tmpdir, search_empty_or_missing_dir_is_enoent)
{
	struct lut_dev *dev = (struct lut_dev *)&dev; /* must be cleared */

	ASSERT_EQ(-ENOENT, lut_dev_search(NULL, self->dir, &dev));
	ASSERT_EQ(-ENOENT, lut_dev_search("/nonexistent/lutcore", "/nonexistent", &dev));
	ASSERT_NULL(dev);
}

TEST_F(tmpdir, search_skips_what_is_not_lutcore)
{
	struct lut_dev *dev = NULL;
	int fds;

	fake_driver("ivpu");
	add_link(self->dir, "accel0", "/dev/null"); /* another driver */
	add_file(self->dir, "accel1");		    /* not a device */
	add_link(self->dir, "accel2", "/nonexistent");
	fds = count_fds();
	ASSERT_EQ(-ENOENT, lut_dev_search(NULL, self->dir, &dev));
	ASSERT_NULL(dev);
	ASSERT_EQ(fds, count_fds());
}

TEST_F(tmpdir, search_only_looks_at_accel_numbers)
{
	struct lut_dev *dev = NULL;

	fake_driver("lutcore");
	add_link(self->dir, "accel", "/dev/null");
	add_link(self->dir, "accel0x", "/dev/null");
	add_link(self->dir, "card0", "/dev/null");
	add_link(self->dir, "xaccel1", "/dev/null");
	ASSERT_EQ(-ENOENT, lut_dev_search(NULL, self->dir, &dev));
}

TEST_F(tmpdir, search_takes_lowest_number_first)
{
	char want[PATH_MAX];
	struct lut_dev *dev = NULL;

	fake_driver("lutcore");
	add_link(self->dir, "accel10", "/dev/null");
	add_link(self->dir, "accel9", "/dev/null");
	add_file(self->dir, "accel1");
	ASSERT_EQ(0, lut_dev_search(NULL, self->dir, &dev));
	snprintf(want, sizeof(want), "%s/accel9", self->dir);
	ASSERT_STREQ(want, lut_dev_path(dev));
	lut_dev_close(dev);
}

TEST_F(tmpdir, search_tries_link_first)
{
	char link[PATH_MAX];
	struct lut_dev *dev = NULL;

	fake_driver("lutcore");
	add_link(self->dir, "accel0", "/dev/null");
	snprintf(link, sizeof(link), "%s/lutcore", self->dir);
	ASSERT_EQ(0, symlink("/dev/null", link));
	ASSERT_EQ(0, lut_dev_search(link, self->dir, &dev));
	ASSERT_STREQ(link, lut_dev_path(dev));
	lut_dev_close(dev);
}

TEST_F(tmpdir, search_reports_hard_error_over_enoent)
{
	char loop[PATH_MAX];
	struct lut_dev *dev = NULL;

	snprintf(loop, sizeof(loop), "%s/accel0", self->dir);
	ASSERT_EQ(0, symlink(loop, loop)); /* stat() fails with ELOOP */
	ASSERT_EQ(-ELOOP, lut_dev_search(NULL, self->dir, &dev));
	/* ...but a usable node later on still wins. */
	fake_driver("lutcore");
	add_link(self->dir, "accel1", "/dev/null");
	ASSERT_EQ(0, lut_dev_search(NULL, self->dir, &dev));
	lut_dev_close(dev);
}

/* ---- GET_PARAM and the capability table ---------------------------------- */

FIXTURE(fakedev)
{
	// cppcheck-suppress unusedVariable ; a fixture member, used as self->dev
	struct lut_dev *dev;
};

FIXTURE_SETUP(fakedev)
{
	fake_driver("lutcore");
	ASSERT_EQ(0, lut_dev_open("/dev/null", &self->dev));
}

FIXTURE_TEARDOWN(fakedev)
{
	lut_dev_close(self->dev);
}

TEST_F(fakedev, param_reads_value)
{
	uint64_t v = 0;

	ASSERT_EQ(0, lut_dev_param(self->dev, DRM_LUTCORE_PARAM_ARRAY_N, &v));
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_ARRAY_N), v);
	ASSERT_EQ(0, lut_dev_param(self->dev, DRM_LUTCORE_PARAM_PAGE_SIZE, &v));
	ASSERT_EQ(1ull << 40, v);
}

TEST_F(fakedev, param_errors_pass_through)
{
	uint64_t v = 7;

	ASSERT_EQ(-EINVAL, lut_dev_param(self->dev, DRM_LUTCORE_PARAM_NUM_CORES, NULL));
	ASSERT_EQ(-EINVAL, lut_dev_param(self->dev, DRM_LUTCORE_PARAM_COUNT, &v));
	ASSERT_EQ(7u, v);
	fake.fail_param = DRM_LUTCORE_PARAM_CLOCK_MHZ;
	fake.fail_errno = ENODEV; /* as after a hot unplug */
	ASSERT_EQ(-ENODEV, lut_dev_param(self->dev, DRM_LUTCORE_PARAM_CLOCK_MHZ, &v));
	ASSERT_EQ(7u, v);
}

TEST_F(fakedev, caps_map_every_param)
{
	struct lut_caps c;

	memset(&c, 0xa5, sizeof(c));
	ASSERT_EQ(0, lut_dev_query_caps(self->dev, &c));
	/*
	 * Fails when the uapi gains a parameter that struct lut_caps lacks.
	 * Four parameters are run-time state, not capabilities: the device
	 * and file reset counts, the file's ban and the cycle counter.
	 */
	ASSERT_EQ(DRM_LUTCORE_PARAM_COUNT - 4, fake.get_params);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_PCI_DEVICE_ID), c.pci_device_id);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_PCI_REVISION), c.pci_revision);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_HW_VERSION), c.hw_version);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_NUM_CORES), c.num_cores);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_ARRAY_M), c.array_m);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_ARRAY_N), c.array_n);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_ARRAY_K), c.array_k);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_ARRAY_MULT), c.array_mult);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_CLOCK_MHZ), c.clock_mhz);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_WEIGHT_FORMATS), c.weight_formats);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_ACT_TYPES), c.act_types);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_VA_BITS), c.va_bits);
	ASSERT_EQ(1ull << 40, c.page_size);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_PT_LEVELS), c.pt_levels);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_QUEUE_DEPTH), c.queue_depth);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_FEATURES), c.features);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_VA_START), c.va_start);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_VA_SIZE), c.va_size);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS), c.job_timeout_ms);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_MAX_BO_SIZE), c.max_bo_size);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_MAX_SUBMIT_BOS), c.max_submit_bos);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS), c.max_submit_syncs);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_JOB_HISTORY), c.job_history);
	ASSERT_EQ(PVAL(DRM_LUTCORE_PARAM_MAX_JOBS_PER_CORE), c.max_jobs_per_core);
}

TEST_F(fakedev, caps_identity_from_driver_and_sysfs)
{
	struct lut_caps c;

	memset(&c, 0xa5, sizeof(c));
	ASSERT_EQ(0, lut_dev_query_caps(self->dev, &c));
	ASSERT_STREQ("lutcore", c.driver_name);
	ASSERT_STREQ(fake_desc, c.driver_desc);
	ASSERT_EQ(1, c.driver_major);
	ASSERT_EQ(2, c.driver_minor);
	ASSERT_EQ(3, c.driver_patch);
	/* /dev/null has no PCI device behind it: unknown, not garbage. */
	ASSERT_EQ(0u, c.pci_vendor_id);
	ASSERT_STREQ("", c.pci_slot);
}

TEST_F(fakedev, caps_fail_whole_on_one_error)
{
	struct lut_caps c;

	memset(&c, 0xa5, sizeof(c));
	fake.fail_param = DRM_LUTCORE_PARAM_FEATURES;
	fake.fail_errno = EIO;
	ASSERT_EQ(-EIO, lut_dev_query_caps(self->dev, &c));
	ASSERT_EQ(0xa5a5a5a5, c.num_cores); /* untouched */
	ASSERT_EQ(-EINVAL, lut_dev_query_caps(self->dev, NULL));
}

TEST_F(fakedev, caps_reject_value_too_wide)
{
	struct lut_caps c;

	fake.params[DRM_LUTCORE_PARAM_NUM_CORES] = 1ull << 32;
	ASSERT_EQ(-EOVERFLOW, lut_dev_query_caps(self->dev, &c));
}

/* ---- Names ----------------------------------------------------------------- */

TEST(cap_name_known_bits)
{
	ASSERT_STREQ("1-bit", lut_cap_name(LUT_CAP_WEIGHTS, 1));
	ASSERT_STREQ("4-bit", lut_cap_name(LUT_CAP_WEIGHTS, 4));
	ASSERT_STREQ("ternary",
		     lut_cap_name(LUT_CAP_WEIGHTS, __builtin_ctz(LUTCORE_CAP_WEIGHTS_TERNARY)));
	ASSERT_STREQ("fp32", lut_cap_name(LUT_CAP_ACTS, __builtin_ctz(LUTCORE_CAP_ACT_FP32)));
	ASSERT_STREQ("fp16", lut_cap_name(LUT_CAP_ACTS, __builtin_ctz(LUTCORE_CAP_ACT_FP16)));
	ASSERT_STREQ("bf16", lut_cap_name(LUT_CAP_ACTS, __builtin_ctz(LUTCORE_CAP_ACT_BF16)));
	ASSERT_STREQ("int8", lut_cap_name(LUT_CAP_ACTS, __builtin_ctz(LUTCORE_CAP_ACT_INT8)));
	ASSERT_STREQ("mmu", lut_cap_name(LUT_CAP_FEATURES, __builtin_ctz(LUTCORE_FEATURE_MMU)));
	ASSERT_STREQ("debug-hang",
		     lut_cap_name(LUT_CAP_FEATURES, __builtin_ctz(LUTCORE_FEATURE_DEBUG_HANG)));
}

TEST(cap_name_unknown_bits)
{
	ASSERT_NULL(lut_cap_name(LUT_CAP_WEIGHTS, 0));
	ASSERT_NULL(lut_cap_name(LUT_CAP_WEIGHTS, 31));
	ASSERT_NULL(lut_cap_name(LUT_CAP_ACTS, 32));
	ASSERT_NULL(lut_cap_name(LUT_CAP_FEATURES, UINT_MAX));
	ASSERT_NULL(lut_cap_name((enum lut_cap_set)99, 0));
}

/* Within a set, names are unique: a table typo would show up as a dup. */
TEST(cap_names_are_unique)
{
	static const enum lut_cap_set sets[] = {LUT_CAP_WEIGHTS, LUT_CAP_ACTS, LUT_CAP_FEATURES};
	unsigned int s, a, b, n = 0;

	for (s = 0; s < ARRAY_SIZE(sets); s++)
		for (a = 0; a < 32; a++) {
			const char *na = lut_cap_name(sets[s], a);

			if (!na)
				continue;
			n++;
			ASSERT_NE(0u, strlen(na));
			for (b = a + 1; b < 32; b++)
				ASSERT_STRNE(na, lut_cap_name(sets[s], b) ?: "");
		}
	ASSERT_EQ(11u, n);
}

TEST(cap_names_join_and_name_unknown_bits)
{
	uint32_t mask = LUTCORE_CAP_WEIGHTS_BITS(1) | LUTCORE_CAP_WEIGHTS_BITS(4) |
			LUTCORE_CAP_WEIGHTS_TERNARY | 1u << 31;
	const char *want = "1-bit, 4-bit, ternary, bit31";
	char buf[64];

	ASSERT_EQ((int)strlen(want), lut_cap_names(LUT_CAP_WEIGHTS, mask, ", ", buf, sizeof(buf)));
	ASSERT_STREQ(want, buf);
	ASSERT_EQ(4, lut_cap_names(LUT_CAP_ACTS, 0, " ", buf, sizeof(buf)));
	ASSERT_STREQ("none", buf);
}

TEST(cap_names_truncate_like_snprintf)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(14, lut_cap_names(LUT_CAP_FEATURES, 3, " ", buf, 5));
	ASSERT_STREQ("mmu ", buf);
	ASSERT_EQ('x', buf[5]); /* nothing written past size */
	ASSERT_EQ(14, lut_cap_names(LUT_CAP_FEATURES, 3, " ", NULL, 0));
	ASSERT_EQ(14, lut_cap_names(LUT_CAP_FEATURES, 3, " ", buf, 1));
	ASSERT_STREQ("", buf);
}

TEST(cap_names_reject_bad_arguments)
{
	char buf[8];

	ASSERT_EQ(-EINVAL, lut_cap_names(LUT_CAP_ACTS, 1, NULL, buf, sizeof(buf)));
	ASSERT_EQ(-EINVAL, lut_cap_names(LUT_CAP_ACTS, 1, " ", NULL, sizeof(buf)));
	ASSERT_EQ(-EINVAL, lut_cap_names((enum lut_cap_set)99, 1, " ", buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
