// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-tools: lutcore-info, as a user runs it in the VM, reports what
 * the driver reports: its JSON matches GET_PARAM field by field, it finds
 * the device through /dev/accel by driver name when the /dev/lutcore link
 * is missing, and it exits 2 with a message when there is no device.
 */
#include <sys/wait.h>

#include "lutcore_test.h"
#include "kselftest_harness.h"

#define OUT_MAX 8192

/* Runs a shell command; its stdout and stderr in out, its exit status. */
static int run(const char *cmd, char *out, size_t len)
{
	size_t n = 0, got;
	FILE *p = popen(cmd, "r");
	int status;

	if (!p)
		return -1;
	while (n + 1 < len && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += got;
	out[n] = 0;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The number after `"key": ` in JSON text, or -1. */
static long long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static __u64 param(struct __test_metadata *_metadata, int fd, __u32 nr)
{
	__u64 v = 0;

	EXPECT_EQ(0, lt_get_param(fd, nr, &v)) TH_LOG("GET_PARAM %u", nr);
	return v;
}

TEST(info_json_matches_get_param)
{
	static const struct {
		const char *key;
		__u32 param;
	} fields[] = {
		{"device_id", DRM_LUTCORE_PARAM_PCI_DEVICE_ID},
		{"revision", DRM_LUTCORE_PARAM_PCI_REVISION},
		{"cores", DRM_LUTCORE_PARAM_NUM_CORES},
		{"m", DRM_LUTCORE_PARAM_ARRAY_M},
		{"n", DRM_LUTCORE_PARAM_ARRAY_N},
		{"k", DRM_LUTCORE_PARAM_ARRAY_K},
		{"multiplier", DRM_LUTCORE_PARAM_ARRAY_MULT},
		{"clock_mhz", DRM_LUTCORE_PARAM_CLOCK_MHZ},
		{"va_bits", DRM_LUTCORE_PARAM_VA_BITS},
		{"page_size", DRM_LUTCORE_PARAM_PAGE_SIZE},
		{"pt_levels", DRM_LUTCORE_PARAM_PT_LEVELS},
		{"queue_depth", DRM_LUTCORE_PARAM_QUEUE_DEPTH},
	};
	char out[OUT_MAX], want[128];
	unsigned int i;
	int fd;

	fd = lt_open();
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	ASSERT_EQ(0, run("lutcore-info --json 2>&1", out, sizeof(out))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"device\": \"%s\"", lt_dev_path());
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"name\": \"" DRM_LUTCORE_DRIVER_NAME "\""));
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		long long json = json_num(out, fields[i].key);

		EXPECT_EQ((long long)param(_metadata, fd, fields[i].param), json)
		TH_LOG("JSON field %u of %zu", i + 1, ARRAY_SIZE(fields));
	}
	EXPECT_EQ((long long)LUTCORE_PCI_VENDOR_ID, json_num(out, "vendor_id"));
	close(fd);
}

TEST(info_text_names_the_driver)
{
	char out[OUT_MAX];

	ASSERT_EQ(0, run("lutcore-info 2>&1", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, DRM_LUTCORE_DRIVER_NAME)) TH_LOG("%s", out);
}

TEST(info_exits_2_without_a_device)
{
	char out[OUT_MAX];

	EXPECT_EQ(2, run("lutcore-info --device /nonexistent 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "/nonexistent")) TH_LOG("%s", out);
	/* A character device of another driver is not taken for ours. */
	EXPECT_EQ(2, run("lutcore-info --device /dev/null 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "Not a LUTCore device")) TH_LOG("%s", out);
}

/* Without the /dev/lutcore link the search walks /dev/accel. */
FIXTURE(nolink)
{
	char saved[64];
};

FIXTURE_SETUP(nolink)
{
	snprintf(self->saved, sizeof(self->saved), "%s.saved", LUT_DEV_DEFAULT);
	ASSERT_EQ(0, rename(LUT_DEV_DEFAULT, self->saved))
	TH_LOG("rename %s: %s", LUT_DEV_DEFAULT, strerror(errno));
}

FIXTURE_TEARDOWN(nolink)
{
	rename(self->saved, LUT_DEV_DEFAULT);
}

TEST_F(nolink, info_finds_the_accel_node_by_driver)
{
	char out[OUT_MAX], dir[64], node[32], want[128];
	int fd;

	fd = open(self->saved, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lt_sysfs_dir(fd, dir, sizeof(dir)));
	close(fd);
	/* /sys/dev/char/MAJ:MIN links to .../accel/accelN */
	ASSERT_EQ(0, lt_link_name(dir, node, sizeof(node)));
	snprintf(want, sizeof(want), "\"device\": \"/dev/accel/%s\"", node);

	ASSERT_EQ(0, run("env -u " LUT_DEV_ENV " lutcore-info --json 2>&1", out, sizeof(out)))
	TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want %s in %s", want, out);
}

TEST_HARNESS_MAIN
