// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-hotplug: unbind/rebind and PCI remove/rescan while a file is
 * open, buffers are mapped and jobs are running and queued.
 *
 * Before the device goes: slow jobs run on core 0 with copy jobs queued
 * behind them, each with a binary out-syncobj exported as a sync_file (the
 * DRM core refuses every ioctl of an unplugged device, syncobj waits
 * included, so sync_files are how user space sees the fences after the
 * unplug). After: every sync_file signals, with -ENODEV for the jobs that
 * had not finished, and a job whose fence reports success must have
 * written its output; the CPU mapping still reads and writes the buffer;
 * ioctls fail with -ENODEV. Then the device comes back, a new file runs a job, the old
 * file and mappings are closed, and the kernel's taint has no new bad bit
 * (the host collector also scans the console for warnings).
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <linux/sync_file.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "jobs_util.h"

#define DEADLINE lut_deadline(60 * JT_SEC)
#define NSLOW	 4
#define NQUEUED	 4
#define NJOBS	 (NSLOW + NQUEUED)

FIXTURE(hotplug)
{
	struct lut_dev *dev;
	char pci[32];
	unsigned long taint;
};

FIXTURE_VARIANT(hotplug)
{
	int remove; /* PCI remove/rescan instead of driver unbind/bind */
};

FIXTURE_VARIANT_ADD(hotplug, unbind_bind){
	.remove = 0,
};

FIXTURE_VARIANT_ADD(hotplug, remove_rescan){
	.remove = 1,
};

static char *sysfs(char *buf, size_t len, const char *fmt, const char *pci)
{
	snprintf(buf, len, fmt, pci);
	return buf;
}

/* Bring the device back however a failed test left it. */
static void restore(const char *pci)
{
	char p[160];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", pci);
	if (access(p, F_OK))
		jt_write("/sys/bus/pci/rescan", "1\n");
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", pci);
	if (access(p, F_OK))
		jt_write("/sys/bus/pci/drivers/lutcore/bind", pci);
}

FIXTURE_SETUP(hotplug)
{
	int ret = jt_open(&self->dev);

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, jt_pci_addr(self->dev, self->pci, sizeof(self->pci)));
	if (access("/sys/bus/pci/drivers/lutcore/unbind", W_OK))
		SKIP(return, "cannot unbind (not root?)");
	self->taint = jt_taint();
}

FIXTURE_TEARDOWN(hotplug)
{
	if (!self->pci[0])
		return;
	restore(self->pci);
	jt_fix_link();
	EXPECT_EQ(0, jt_taint() & JT_BAD_TAINT & ~self->taint)
	TH_LOG("taint %#lx -> %#lx", self->taint, jt_taint());
}

static int sync_file_wait(int fd, int ms, int *status)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct sync_file_info info;

	if (poll(&p, 1, ms) != 1)
		return -ETIME;
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	*status = info.status;
	return 0;
}

/*
 * NSLOW slow jobs and NQUEUED copies behind them, all on core 0, with
 * sync_files of all: seconds of work, so most of it is still pending when
 * the device goes (each job stays below the hang timeout).
 */
static void start_jobs(struct __test_metadata *_metadata, struct lut_dev *dev, struct jt_slow *sj,
		       struct jt_buf *w, int fds[NJOBS])
{
	struct drm_lutcore_sync out = {0};
	struct lut_submit_args a = {
		.flags = LUT_SUBMIT_PIN_CORE, .out_syncs = &out, .out_sync_count = 1};
	struct lut_job job;
	uint32_t i;

	ASSERT_EQ(0, jt_slow_build(sj, w->va + 8192, w->va + 4096, 4096));
	for (i = 0; i < NJOBS; i++) {
		struct lut_stream *s;

		a.cmd_addr = sj->ops.va;
		a.cmd_size = sj->stream_size;
		if (i >= NSLOW) {
			a.cmd_addr = w->va + (i - NSLOW) * 256;
			ASSERT_EQ(0, lut_stream_new(&s, w->p + (i - NSLOW) * 256, 256, a.cmd_addr));
			lut_stream_memcpy(s, w->va + 16384 + (i - NSLOW) * 4096, w->va + 4096,
					  4096);
			a.cmd_size = lut_stream_size(s);
			lut_stream_free(s);
		}
		/* A binary syncobj per job: its sync_file carries the job's error. */
		ASSERT_EQ(0, lut_syncobj_new(dev, 0, &out.handle));
		ASSERT_EQ(0, lut_submit(dev, &a, &job));
		ASSERT_EQ(0, lut_syncobj_export(dev, out.handle, 0, &fds[i]));
	}
}

static int unplug(const char *pci, int remove)
{
	char p[160];

	if (remove)
		return jt_write(sysfs(p, sizeof(p), "/sys/bus/pci/devices/%s/remove", pci), "1\n");
	return jt_write("/sys/bus/pci/drivers/lutcore/unbind", pci);
}

static int replug(const char *pci, int remove)
{
	if (remove)
		return jt_write("/sys/bus/pci/rescan", "1\n");
	return jt_write("/sys/bus/pci/drivers/lutcore/bind", pci);
}

TEST_F_TIMEOUT(hotplug, with_live_file_mappings_and_jobs, 120)
{
	int fds[NJOBS], status, i, aborted = 0;
	const uint8_t *out;
	int64_t t0, t1;
	struct lut_dev *again;
	struct jt_slow sj;
	struct jt_buf w, x, xs;
	struct lut_job job;
	uint64_t v;

	ASSERT_EQ(0, jt_slow_new(self->dev, 600000000, &sj));
	ASSERT_EQ(0, jt_buf_new(self->dev, 16384 + NQUEUED * 4096, 0, &w));
	jt_pattern(w.p + 4096, 4096, 9);
	t0 = jt_now();
	start_jobs(_metadata, self->dev, &sj, &w, fds);
	ASSERT_EQ(0, unplug(self->pci, variant->remove));
	t1 = jt_now();
	TH_LOG("%d jobs of about %lld ms queued; the unplug returned after %lld ms", NJOBS,
	       (long long)sj.reps * sj.one_rep_ns / 1000000, (long long)(t1 - t0) / 1000000);
	/* Every fence signals; the unfinished jobs with -ENODEV. */
	for (i = 0; i < NJOBS; i++) {
		ASSERT_EQ(0, sync_file_wait(fds[i], 30000, &status)) TH_LOG("job %d", i);
		TH_LOG("job %d: status %d, %lld ms after the unplug", i, status,
		       (long long)(jt_now() - t1) / 1000000);
		EXPECT_TRUE(status == 1 || status == -ENODEV) TH_LOG("job %d: %d", i, status);
		/* A fence that says "done" is only true if the job's copy happened. */
		out = w.p + (i < NSLOW ? 8192 : 16384 + (i - NSLOW) * 4096);
		if (status == 1)
			EXPECT_EQ(0, jt_pattern_check(out, 4096, 9))
		TH_LOG("job %d: its fence signalled success, its output is not there", i);
		aborted += status == -ENODEV;
		close(fds[i]);
	}
	TH_LOG("%d of %d jobs ended with -ENODEV", aborted, NJOBS);
	/* Seconds of work cannot all have finished unless the unplug waited. */
	EXPECT_LT(0, aborted);
	/* The mapping outlives the device; ioctls don't. */
	EXPECT_EQ(0, jt_pattern_check(w.p + 4096, 4096, 9));
	memset(w.p, 0x42, 64);
	EXPECT_EQ(0x42, w.p[63]);
	EXPECT_EQ(-ENODEV, lut_bo_new(self->dev, 4096, 0, &x.bo));
	EXPECT_EQ(-ENODEV, lut_dev_param(self->dev, DRM_LUTCORE_PARAM_NUM_CORES, &v));
	EXPECT_EQ(-ENODEV,
		  jt_copy_job(self->dev, &w, w.va + 8192, w.va + 4096, 64, 0, 0, NULL, 0, &job));
	/* Back again, with the old file still open: a new file works. */
	ASSERT_EQ(0, replug(self->pci, variant->remove));
	ASSERT_EQ(0, jt_reopen(&again, 10000));
	ASSERT_EQ(0, jt_buf_new(again, 4096, 0, &xs));
	ASSERT_EQ(0, jt_buf_new(again, 8192, 0, &x));
	jt_pattern(x.p, 1024, 10);
	ASSERT_EQ(0, jt_copy_job(again, &xs, x.va + 4096, x.va, 1024, 0, 0, NULL, 0, &job));
	EXPECT_EQ(0, lut_job_wait(again, &job, DEADLINE, NULL));
	EXPECT_EQ(0, jt_pattern_check(x.p + 4096, 1024, 10));
	/* Now close everything of the old device. */
	jt_buf_free(&w);
	jt_slow_free(&sj);
	lut_dev_close(self->dev);
	self->dev = NULL;
	jt_buf_free(&x);
	jt_buf_free(&xs);
	lut_dev_close(again);
}

TEST_HARNESS_MAIN
