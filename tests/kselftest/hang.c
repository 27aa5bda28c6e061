// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-hang: hang detection, device reset and recovery.
 *
 * Needs the device's debug hook (-device lutcore,debug-hooks=on) and the
 * driver's debugfs inject_hang, which makes the next job handed to the
 * device hang. File A's job hangs; file B's job, submitted while A's hangs
 * (on the other core, or queued behind it on the same core), must finish
 * normally. A's job must fail with -ETIMEDOUT within the driver's timeout
 * plus a slack for the emulator, the device and A's reset counters must
 * move by exactly one, and A must be refused afterwards with -ECANCELED
 * (docs/uapi.md, "Reset and ban") while B goes on.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "jobs_util.h"

#define DEADLINE lut_deadline(60 * JT_SEC)
/* Detection may be late by the emulator's scheduling, never early. */
#define SLACK_NS (3 * JT_SEC)
#define EARLY_NS (50 * 1000 * 1000ll)

FIXTURE(hang)
{
	struct lut_dev *a, *b;
	char debugfs[128];
	int64_t timeout_ns;
	uint64_t resets;
	uint32_t cores;
	struct jt_buf sa, da, sb, srcb, db;
};

FIXTURE_SETUP(hang)
{
	char pci[32];
	int ret = jt_open(&self->a);

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	if (!(jt_param(self->a, DRM_LUTCORE_PARAM_FEATURES) & LUTCORE_FEATURE_DEBUG_HANG))
		SKIP(return, "the device has no debug hooks (debug-hooks=on)");
	ASSERT_EQ(0, jt_pci_addr(self->a, pci, sizeof(pci)));
	snprintf(self->debugfs, sizeof(self->debugfs), "/sys/kernel/debug/accel/%s", pci);
	if (access(self->debugfs, F_OK))
		SKIP(return, "no debugfs directory %s", self->debugfs);
	self->cores = (uint32_t)jt_param(self->a, DRM_LUTCORE_PARAM_NUM_CORES);
	self->timeout_ns = (int64_t)jt_param(self->a, DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS) * 1000000;
	self->resets = jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT);
	ASSERT_EQ(0, jt_open(&self->b));
	ASSERT_EQ(0, jt_buf_new(self->a, 4096, 0, &self->sa));
	ASSERT_EQ(0, jt_buf_new(self->a, 4096, 0, &self->da));
	ASSERT_EQ(0, jt_buf_new(self->b, 4096, 0, &self->sb));
	ASSERT_EQ(0, jt_buf_new(self->b, 4096, 0, &self->srcb));
	ASSERT_EQ(0, jt_buf_new(self->b, 4096, 0, &self->db));
	jt_pattern(self->sa.p + 2048, 1024, 1);
	jt_pattern(self->srcb.p, 4096, 2);
}

FIXTURE_TEARDOWN(hang)
{
	if (self->b) {
		jt_buf_free(&self->db);
		jt_buf_free(&self->srcb);
		jt_buf_free(&self->sb);
		lut_dev_close(self->b);
	}
	if (self->a) {
		jt_buf_free(&self->da);
		jt_buf_free(&self->sa);
		lut_dev_close(self->a);
	}
}

static int debugfs_write(FIXTURE_DATA(hang) * self, const char *file)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", self->debugfs, file);
	return jt_write(path, "1\n");
}

/* A one-instruction copy job of file dev, pinned to core. */
static int copy_on(struct lut_dev *dev, struct jt_buf *sb, uint64_t dst, uint64_t src,
		   uint32_t core, struct lut_job *job)
{
	struct lut_submit_args a = {.cmd_addr = sb->va, .flags = LUT_SUBMIT_PIN_CORE, .core = core};
	struct lut_stream *s;
	int ret = lut_stream_new(&s, sb->p, 1024, sb->va);

	if (ret)
		return ret;
	lut_stream_memcpy(s, dst, src, 1024);
	a.cmd_size = lut_stream_size(s);
	ret = lut_stream_error(s);
	lut_stream_free(s);
	return ret ? ret : lut_submit(dev, &a, job);
}

static void sleep_ms(long ms)
{
	const struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * A's job hangs on core 0; B's job is submitted while it hangs, on core 1
 * or (same_core) queued behind it on core 0.
 */
static void guilty_banned_others_continue(struct __test_metadata *_metadata,
					  FIXTURE_DATA(hang) * self, int same_core)
{
	struct drm_lutcore_job_status st;
	struct lut_job ja, ja2, jb;
	int64_t t0, t;

	ASSERT_EQ(0, debugfs_write(self, "inject_hang"));
	ASSERT_EQ(0, copy_on(self->a, &self->sa, self->da.va, self->sa.va + 2048, 0, &ja));
	t0 = jt_now();
	/* A second job of A's, queued behind the hung one: never runs. */
	ASSERT_EQ(0, copy_on(self->a, &self->sa, self->da.va + 2048, self->sa.va + 2048, 0, &ja2));
	sleep_ms(300); /* A's job is on the device and has taken the hang */
	ASSERT_EQ(0,
		  copy_on(self->b, &self->sb, self->db.va, self->srcb.va, same_core ? 0 : 1, &jb));
	EXPECT_EQ(-ETIMEDOUT, lut_job_wait(self->a, &ja, t0 + self->timeout_ns + SLACK_NS, &st));
	t = jt_now() - t0;
	TH_LOG("hang detected after %lld ms (timeout %lld ms)", (long long)t / 1000000,
	       (long long)self->timeout_ns / 1000000);
	EXPECT_LE(self->timeout_ns - EARLY_NS, t);
	EXPECT_GE(self->timeout_ns + SLACK_NS, t);
	EXPECT_EQ(0, st.hw_error);
	EXPECT_EQ(-ECANCELED, lut_job_wait(self->a, &ja2, DEADLINE, NULL));
	EXPECT_EQ(0, self->da.p[2048]);
	/* B's job ran (again, if the reset dropped it from the queue). */
	EXPECT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, &st));
	EXPECT_EQ(0, memcmp(self->db.p, self->srcb.p, 1024));
	/* Exactly one reset, blamed on A. */
	EXPECT_EQ(self->resets + 1, jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT));
	EXPECT_EQ(1, jt_param(self->a, DRM_LUTCORE_PARAM_FILE_RESET_COUNT));
	EXPECT_EQ(0, jt_param(self->b, DRM_LUTCORE_PARAM_FILE_RESET_COUNT));
	EXPECT_EQ(1, jt_param(self->a, DRM_LUTCORE_PARAM_FILE_BANNED));
	EXPECT_EQ(0, jt_param(self->b, DRM_LUTCORE_PARAM_FILE_BANNED));
	/* A is refused; its buffers still work; B and a new file go on. */
	EXPECT_EQ(-ECANCELED, copy_on(self->a, &self->sa, self->da.va, self->sa.va + 2048, 0, &ja));
	EXPECT_EQ(0, lut_bo_wait(self->da.bo, DEADLINE));
	ASSERT_EQ(0, copy_on(self->b, &self->sb, self->db.va + 2048, self->srcb.va, 0, &jb));
	EXPECT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	EXPECT_EQ(0, memcmp(self->db.p + 2048, self->srcb.p, 1024));
	EXPECT_EQ(self->resets + 1, jt_param(self->b, DRM_LUTCORE_PARAM_RESET_COUNT));
}

TEST_F(hang, other_core_continues)
{
	if (self->cores < 2)
		SKIP(return, "one core");
	guilty_banned_others_continue(_metadata, self, 0);
}

TEST_F(hang, same_core_queue_continues)
{
	guilty_banned_others_continue(_metadata, self, 1);
}

/* debugfs reset: one reset, nobody guilty, every file keeps working. */
TEST_F(hang, debugfs_reset_bans_nobody)
{
	struct lut_job ja, jb;
	ASSERT_EQ(0, debugfs_write(self, "reset"));
	EXPECT_EQ(self->resets + 1, jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT));
	EXPECT_EQ(0, jt_param(self->a, DRM_LUTCORE_PARAM_FILE_BANNED));
	EXPECT_EQ(0, jt_param(self->a, DRM_LUTCORE_PARAM_FILE_RESET_COUNT));
	ASSERT_EQ(0, copy_on(self->a, &self->sa, self->da.va, self->sa.va + 2048, 0, &ja));
	ASSERT_EQ(0, copy_on(self->b, &self->sb, self->db.va, self->srcb.va, self->cores - 1, &jb));
	EXPECT_EQ(0, lut_job_wait(self->a, &ja, DEADLINE, NULL));
	EXPECT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	EXPECT_EQ(0, memcmp(self->da.p, self->sa.p + 2048, 1024));
}

TEST_HARNESS_MAIN
