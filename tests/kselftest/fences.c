// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-fences: ordering and signalling of jobs through syncobjs.
 *
 * Two open files A and B of the device share a buffer S (PRIME). A runs a
 * slow job (hundreds of milliseconds of LMMAs) whose last instruction
 * copies a pattern into S; B runs a short job that copies S into a buffer
 * of its own. Without a dependency B finishes first and sees zeros (the
 * control test proves the window exists, on two cores); with A's
 * out-fence as B's in-fence (a shared syncobj, a sync_file, or implicit
 * sync on S) B must see the pattern. Then out-fences (binary, timeline,
 * sync_file with the job's error as status) and the submission rules
 * for in-syncs.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <linux/sync_file.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xf86drm.h>

#include "kselftest_harness.h"

#include "jobs_util.h"

#define DEADLINE lut_deadline(60 * JT_SEC)
#define LEN	 (64 << 10)

FIXTURE(fences)
{
	struct lut_dev *a, *b;
	uint64_t resets;
	uint32_t cores;
	struct jt_slow sj;
	struct jt_buf src, s, sb, r; /* src, s: A's; sb, r: B's */
	struct lut_bo *s_b;	     /* S imported into B */
};

FIXTURE_SETUP(fences)
{
	int ret = jt_open(&self->a), fd;

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, jt_open(&self->b));
	self->resets = jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT);
	self->cores = (uint32_t)jt_param(self->a, DRM_LUTCORE_PARAM_NUM_CORES);
	ASSERT_EQ(0, jt_slow_new(self->a, 300000000, &self->sj));
	ASSERT_EQ(0, jt_buf_new(self->a, LEN, 0, &self->src));
	ASSERT_EQ(0, jt_buf_new(self->a, LEN, 0, &self->s));
	ASSERT_EQ(0, jt_buf_new(self->b, 4096, 0, &self->sb));
	ASSERT_EQ(0, jt_buf_new(self->b, LEN, 0, &self->r));
	jt_pattern(self->src.p, LEN, 42);
	ASSERT_EQ(0, lut_bo_export(self->s.bo, &fd));
	ASSERT_EQ(0, lut_bo_import(self->b, fd, &self->s_b));
	close(fd);
	ASSERT_EQ(0, jt_slow_build(&self->sj, self->s.va, self->src.va, LEN));
}

FIXTURE_TEARDOWN(fences)
{
	if (!self->a)
		return;
	EXPECT_EQ(self->resets, jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT));
	/* Every job is done before the buffers go (close would wait anyway). */
	lut_bo_wait(self->s.bo, DEADLINE);
	lut_bo_free(self->s_b);
	jt_buf_free(&self->r);
	jt_buf_free(&self->sb);
	jt_buf_free(&self->s);
	jt_buf_free(&self->src);
	jt_slow_free(&self->sj);
	lut_dev_close(self->b);
	lut_dev_close(self->a);
}

/* A's slow job on core 0, listing S (a writer) unless nobos. */
static int submit_slow(FIXTURE_DATA(fences) * self, const struct drm_lutcore_sync *outs,
		       uint32_t nouts, int nobos, struct lut_job *job)
{
	struct lut_submit_args a = {
		.cmd_addr = self->sj.ops.va,
		.cmd_size = self->sj.stream_size,
		.flags = LUT_SUBMIT_PIN_CORE,
		.core = 0,
		.bos = &self->s.bo,
		.bo_count = nobos ? 0 : 1,
		.out_syncs = outs,
		.out_sync_count = nouts,
	};

	return lut_submit(self->a, &a, job);
}

/* B's copy of S into R, on the other core, waiting for ins. */
static int submit_reader(FIXTURE_DATA(fences) * self, const struct drm_lutcore_sync *ins,
			 uint32_t nins, int list_s, struct lut_job *job)
{
	struct lut_submit_args a = {
		.cmd_addr = self->sb.va,
		.flags = LUT_SUBMIT_PIN_CORE,
		.core = self->cores > 1 ? 1 : 0,
		.bos = &self->s_b,
		.bo_count = list_s ? 1 : 0,
		.in_syncs = ins,
		.in_sync_count = nins,
	};
	struct lut_stream *s;
	int ret = jt_stream(&self->sb, &s);

	if (ret)
		return ret;
	lut_stream_memcpy(s, self->r.va, lut_bo_va(self->s_b), LEN);
	a.cmd_size = lut_stream_size(s);
	ret = lut_stream_error(s);
	lut_stream_free(s);
	return ret ? ret : lut_submit(self->b, &a, job);
}

/* B's result, after both jobs: 1 = the pattern, 0 = zeros, -1 = other. */
static int reader_saw(FIXTURE_DATA(fences) * self)
{
	size_t i;

	if (!jt_pattern_check(self->r.p, LEN, 42))
		return 1;
	for (i = 0; i < LEN; i++)
		if (self->r.p[i])
			return -1;
	return 0;
}

/* Shares syncobj h of file from with file to; returns its handle there. */
static uint32_t share_syncobj(struct lut_dev *from, uint32_t h, struct lut_dev *to)
{
	uint32_t out = 0;
	int fd;

	if (drmSyncobjHandleToFD(lut_dev_fd(from), h, &fd))
		return 0;
	if (drmSyncobjFDToHandle(lut_dev_fd(to), fd, &out))
		out = 0;
	close(fd);
	return out;
}

/* The window the other tests close: on two cores, B overtakes A. */
TEST_F(fences, control_without_fence_b_overtakes_a)
{
	struct lut_job ja, jb;

	if (self->cores < 2)
		SKIP(return, "one core: the jobs cannot overlap");
	ASSERT_EQ(0, submit_slow(self, NULL, 0, 1, &ja));
	ASSERT_EQ(0, submit_reader(self, NULL, 0, 0, &jb));
	ASSERT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	ASSERT_EQ(0, lut_job_wait(self->a, &ja, DEADLINE, NULL));
	EXPECT_EQ(0, reader_saw(self))
	TH_LOG("slow job %u x %lld us", self->sj.reps, (long long)self->sj.one_rep_ns / 1000);
	EXPECT_EQ(0, jt_pattern_check(self->s.p, LEN, 42));
}

TEST_F(fences, in_fence_shared_syncobj_orders_files)
{
	struct drm_lutcore_sync out = {0}, in = {0};
	struct drm_lutcore_job_status st;
	struct lut_job ja, jb;

	ASSERT_EQ(0, lut_syncobj_new(self->a, 0, &out.handle));
	ASSERT_EQ(0, submit_slow(self, &out, 1, 1, &ja));
	in.handle = share_syncobj(self->a, out.handle, self->b);
	ASSERT_NE(0, in.handle);
	ASSERT_EQ(0, submit_reader(self, &in, 1, 0, &jb));
	ASSERT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	/* B cannot have finished before A. */
	ASSERT_EQ(0, lut_job_status(self->a, ja.id, &st));
	EXPECT_EQ(DRM_LUTCORE_JOB_DONE, st.state);
	EXPECT_EQ(1, reader_saw(self));
	EXPECT_EQ(0, lut_syncobj_free(self->b, in.handle));
	EXPECT_EQ(0, lut_syncobj_free(self->a, out.handle));
}

TEST_F(fences, in_fence_sync_file_orders_files)
{
	struct drm_lutcore_sync in = {0};
	uint32_t tl;
	struct lut_job ja, jb;
	int fd;

	ASSERT_EQ(0, submit_slow(self, NULL, 0, 1, &ja));
	/* A's device timeline point, as a sync_file, into a syncobj of B. */
	ASSERT_EQ(0, lut_dev_timeline(self->a, &tl, NULL));
	ASSERT_EQ(0, lut_syncobj_export(self->a, tl, ja.point, &fd));
	ASSERT_EQ(0, lut_syncobj_new(self->b, 0, &in.handle));
	ASSERT_EQ(0, lut_syncobj_import(self->b, in.handle, fd));
	close(fd);
	ASSERT_EQ(0, submit_reader(self, &in, 1, 0, &jb));
	ASSERT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	EXPECT_EQ(1, reader_saw(self));
	ASSERT_EQ(0, lut_job_wait(self->a, &ja, DEADLINE, NULL));
}

/* No syncobj at all: both jobs list S, so B waits for A's write. */
TEST_F(fences, implicit_sync_on_shared_buffer)
{
	struct lut_job ja, jb;

	ASSERT_EQ(0, submit_slow(self, NULL, 0, 0, &ja));
	ASSERT_EQ(0, submit_reader(self, NULL, 0, 1, &jb));
	ASSERT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	EXPECT_EQ(1, reader_saw(self));
	ASSERT_EQ(0, lut_job_wait(self->a, &ja, DEADLINE, NULL));
}

static int sync_file_status(int fd)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -1000 - errno;
	return info.status;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* A binary out-syncobj and its sync_file: unsignalled, then signalled. */
TEST_F(fences, out_fence_signals_when_the_job_ends)
{
	struct drm_lutcore_sync out = {0};
	struct lut_job ja;
	int fd;

	ASSERT_EQ(0, lut_syncobj_new(self->a, 0, &out.handle));
	EXPECT_EQ(-EINVAL, lut_syncobj_wait(self->a, &out.handle, NULL, 1, jt_now(), 0));
	ASSERT_EQ(0, submit_slow(self, &out, 1, 1, &ja));
	ASSERT_EQ(0, lut_syncobj_export(self->a, out.handle, 0, &fd));
	EXPECT_EQ(-ETIME, lut_syncobj_wait(self->a, &out.handle, NULL, 1, jt_now(), 0));
	EXPECT_EQ(0, sync_file_status(fd));
	EXPECT_FALSE(readable(fd, 0));
	ASSERT_EQ(0, lut_syncobj_wait(self->a, &out.handle, NULL, 1, DEADLINE, 0));
	EXPECT_TRUE(readable(fd, 10000));
	EXPECT_EQ(1, sync_file_status(fd));
	EXPECT_EQ(0, jt_pattern_check(self->s.p, LEN, 42));
	close(fd);
	EXPECT_EQ(0, lut_syncobj_free(self->a, out.handle));
}

/*
 * A faulting job's fence carries its error (the sync_file status); a job
 * waiting for it still runs (errors do not propagate through in-syncs).
 */
TEST_F(fences, failed_job_fence_error_and_dependents_run)
{
	struct drm_lutcore_sync out = {0}, in = {0};
	struct lut_submit_args a = {.out_syncs = &out, .out_sync_count = 1};
	struct lut_stream *s;
	struct lut_job ja, jb;
	struct jt_buf sa;
	int fd;

	ASSERT_EQ(0, jt_buf_new(self->a, 4096, 0, &sa));
	ASSERT_EQ(0, lut_syncobj_new(self->a, 0, &out.handle));
	ASSERT_EQ(0, jt_stream(&sa, &s));
	lut_stream_memcpy(s, self->s.va, sa.va + sa.size, 64); /* the guard page */
	a.cmd_addr = sa.va;
	a.cmd_size = lut_stream_size(s);
	lut_stream_free(s);
	ASSERT_EQ(0, lut_submit(self->a, &a, &ja));
	ASSERT_EQ(0, lut_syncobj_export(self->a, out.handle, 0, &fd));
	EXPECT_EQ(-EFAULT, lut_job_wait(self->a, &ja, DEADLINE, NULL));
	EXPECT_TRUE(readable(fd, 10000));
	EXPECT_EQ(-EFAULT, sync_file_status(fd));
	in.handle = share_syncobj(self->a, out.handle, self->b);
	ASSERT_NE(0, in.handle);
	jt_pattern(self->s.p, LEN, 42); /* what B copies */
	ASSERT_EQ(0, submit_reader(self, &in, 1, 0, &jb));
	EXPECT_EQ(0, lut_job_wait(self->b, &jb, DEADLINE, NULL));
	EXPECT_EQ(1, reader_saw(self));
	close(fd);
	jt_buf_free(&sa);
}

/*
 * A user timeline: jobs signal points 2, 5 and 9, each waiting for the
 * previous point; the query follows; a point not submitted yet cannot be
 * waited for without WAIT_FOR_SUBMIT, and the CPU can signal later points.
 */
TEST_F(fences, timeline_points)
{
	struct drm_lutcore_sync out = {0}, in = {0};
	static const uint64_t pts[] = {2, 5, 9};
	struct lut_job job[3];
	uint64_t q, p;
	uint32_t tl, i;
	struct jt_buf buf;

	ASSERT_EQ(0, jt_buf_new(self->a, 3 * 4096 + 3 * LEN, 0, &buf));
	ASSERT_EQ(0, lut_syncobj_new(self->a, 0, &tl));
	out.handle = in.handle = tl;
	/* Job i copies the previous job's output (job 0: src) one slot on. */
	for (i = 0; i < 3; i++) {
		struct jt_buf sb = {.p = buf.p + i * 4096, .va = buf.va + i * 4096, .size = 4096};
		uint64_t from = i ? buf.va + 3 * 4096 + (i - 1) * LEN : self->src.va;
		struct lut_submit_args a = {.cmd_addr = sb.va,
					    .out_syncs = &out,
					    .out_sync_count = 1,
					    .in_syncs = &in,
					    .in_sync_count = i ? 1 : 0,
					    .flags = LUT_SUBMIT_PIN_CORE,
					    .core = i % self->cores};
		struct lut_stream *s;

		ASSERT_EQ(0, jt_stream(&sb, &s));
		lut_stream_memcpy(s, buf.va + 3 * 4096 + i * LEN, from, LEN);
		a.cmd_size = lut_stream_size(s);
		lut_stream_free(s);
		out.point = pts[i];
		in.point = i ? pts[i - 1] : 0;
		if (!i)
			a.in_syncs = NULL;
		ASSERT_EQ(0, lut_submit(self->a, &a, &job[i]));
	}
	p = 9;
	ASSERT_EQ(0, lut_syncobj_wait(self->a, &tl, &p, 1, DEADLINE, 0));
	ASSERT_EQ(0, lut_syncobj_query(self->a, tl, &q));
	EXPECT_EQ(9, q);
	EXPECT_EQ(0, jt_pattern_check(buf.p + 3 * 4096 + 2 * LEN, LEN, 42));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, lut_job_wait(self->a, &job[i], DEADLINE, NULL));
	p = 12;
	EXPECT_EQ(-EINVAL, lut_syncobj_wait(self->a, &tl, &p, 1, jt_now(), 0));
	EXPECT_EQ(-ETIME, lut_syncobj_wait(self->a, &tl, &p, 1, jt_now(),
					   DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT));
	EXPECT_EQ(0, lut_syncobj_signal(self->a, tl, 12));
	EXPECT_EQ(0, lut_syncobj_wait(self->a, &tl, &p, 1, jt_now(), 0));
	ASSERT_EQ(0, lut_syncobj_query(self->a, tl, &q));
	EXPECT_EQ(12, q);
	EXPECT_EQ(0, lut_syncobj_free(self->a, tl));
	jt_buf_free(&buf);
}

/* The device timeline: point p means all jobs up to p, across cores. */
TEST_F(fences, device_timeline_is_ordered)
{
	struct lut_job ja, jb;
	struct jt_buf sa;
	uint64_t q;
	uint32_t tl;

	ASSERT_EQ(0, jt_buf_new(self->a, 4096, 0, &sa));
	ASSERT_EQ(0, submit_slow(self, NULL, 0, 1, &ja));
	ASSERT_EQ(0, jt_copy_job(self->a, &sa, sa.va + 2048, sa.va + 1024, 64, 0, 0, NULL, 0, &jb));
	EXPECT_EQ(ja.point + 1, jb.point);
	ASSERT_EQ(0, lut_wait(self->a, jb.point, DEADLINE));
	ASSERT_EQ(0, lut_dev_timeline(self->a, &tl, NULL));
	ASSERT_EQ(0, lut_syncobj_query(self->a, tl, &q));
	EXPECT_EQ(jb.point, q);
	EXPECT_EQ(0, jt_pattern_check(self->s.p, LEN, 42)); /* the slow job is done too */
	jt_buf_free(&sa);
}

/* In-syncs need a fence at submission; failures leave no job behind. */
TEST_F(fences, in_sync_without_fence_is_einval)
{
	struct drm_lutcore_sync in = {0};
	struct lut_job job;
	uint64_t last, after;

	ASSERT_EQ(0, lut_syncobj_new(self->b, 0, &in.handle));
	ASSERT_EQ(0, lut_dev_timeline(self->b, NULL, &last));
	EXPECT_EQ(-EINVAL, submit_reader(self, &in, 1, 0, &job));
	in.point = 3; /* a timeline point that does not exist */
	EXPECT_EQ(-EINVAL, submit_reader(self, &in, 1, 0, &job));
	ASSERT_EQ(0, lut_dev_timeline(self->b, NULL, &after));
	EXPECT_EQ(last, after);
	in.handle = 0xdead;
	in.point = 0;
	EXPECT_EQ(-ENOENT, submit_reader(self, &in, 1, 0, &job));
	/* A signalled syncobj is fine. */
	ASSERT_EQ(0, lut_syncobj_new(self->b, 1, &in.handle));
	ASSERT_EQ(0, submit_reader(self, &in, 1, 0, &job));
	EXPECT_EQ(0, lut_job_wait(self->b, &job, DEADLINE, NULL));
}

/* More out-syncs than the library keeps on its stack. */
TEST_F(fences, many_out_syncs)
{
	struct drm_lutcore_sync outs[24];
	uint32_t h[24], i;
	struct lut_job job;

	memset(outs, 0, sizeof(outs));
	for (i = 0; i < 24; i++) {
		ASSERT_EQ(0, lut_syncobj_new(self->a, 0, &h[i]));
		outs[i].handle = h[i];
	}
	ASSERT_EQ(0, submit_slow(self, outs, 24, 1, &job));
	EXPECT_EQ(0, lut_syncobj_wait(self->a, h, NULL, 24, DEADLINE,
				      DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL));
	EXPECT_EQ(0, lut_job_wait(self->a, &job, DEADLINE, NULL));
	for (i = 0; i < 24; i++)
		EXPECT_EQ(0, lut_syncobj_free(self->a, h[i]));
}

TEST_HARNESS_MAIN
