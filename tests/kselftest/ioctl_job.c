// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-ioctl-job: DRM_IOCTL_LUTCORE_JOB_STATUS, the job-error query.
 * Invalid fields and unknown, foreign and expired job ids, each with its
 * errno and the struct untouched; then what it reports for jobs that
 * succeeded and failed, agreeing with their fences.
 */
#include "lutcore_test.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define WAIT_NS (20 * IT_SEC)

FIXTURE(job)
{
	int fd;
	struct it_bo stream;
};

FIXTURE_SETUP(job)
{
	self->fd = lt_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &self->stream));
	it_stream_nops(self->stream.map, 2);
}

FIXTURE_TEARDOWN(job)
{
	it_bo_free(self->fd, &self->stream);
	close(self->fd);
}

/* Submits n NOP jobs; returns the last id. */
static __u64 submit_nops(struct __test_metadata *_metadata, FIXTURE_DATA(job) * self,
			 unsigned int n)
{
	struct drm_lutcore_submit s = {0};
	unsigned int i;

	for (i = 0; i < n; i++) {
		it_submit_init(&s, self->stream.c.dev_addr, 2);
		EXPECT_EQ(0, it_submit(self->fd, &s));
	}
	EXPECT_EQ(0, it_wait_bo(self->fd, self->stream.c.handle, it_now() + WAIT_NS));
	return s.job_id;
}

static int status_expect_untouched(struct __test_metadata *_metadata, int fd,
				   const struct drm_lutcore_job_status *st)
{
	struct drm_lutcore_job_status arg = *st;
	int ret = it_ioctl(fd, DRM_IOCTL_LUTCORE_JOB_STATUS, &arg);

	EXPECT_EQ(0, memcmp(&arg, st, sizeof(arg)));
	return ret;
}

TEST_F(job, flags)
{
	struct drm_lutcore_job_status st = {.job_id = submit_nops(_metadata, self, 1)};
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		st.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, status_expect_untouched(_metadata, self->fd, &st));
	}
}

TEST_F(job, pad)
{
	struct drm_lutcore_job_status st = {.job_id = submit_nops(_metadata, self, 1), .pad = 1};

	EXPECT_EQ(-EINVAL, status_expect_untouched(_metadata, self->fd, &st));
}

TEST_F(job, id_zero)
{
	struct drm_lutcore_job_status st = {.job_id = 0};

	submit_nops(_metadata, self, 1);
	EXPECT_EQ(-EINVAL, status_expect_untouched(_metadata, self->fd, &st));
}

/* Before any submission there is no job at all. */
TEST_F(job, no_job_yet)
{
	struct drm_lutcore_job_status st = {.job_id = 1};

	EXPECT_EQ(-EINVAL, status_expect_untouched(_metadata, self->fd, &st));
}

TEST_F(job, id_beyond_last)
{
	__u64 last = submit_nops(_metadata, self, 3);
	const __u64 ids[] = {last + 1, last + 1000, 1ull << 63, UINT64_MAX};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		struct drm_lutcore_job_status st = {.job_id = ids[i], .state = 77, .error = 5};

		EXPECT_EQ(-EINVAL, status_expect_untouched(_metadata, self->fd, &st));
	}
}

/* Job ids are per file: another file's id means nothing here. */
TEST_F(job, other_files_id)
{
	struct drm_lutcore_job_status st;
	int fd2 = lt_open();

	ASSERT_LE(0, fd2);
	submit_nops(_metadata, self, 2);
	st = (struct drm_lutcore_job_status){.job_id = 2};
	EXPECT_EQ(-EINVAL, status_expect_untouched(_metadata, fd2, &st));
	close(fd2);
}

/* Only the last JOB_HISTORY jobs are remembered. */
TEST_F(job, expired_id)
{
	__u64 history = it_param(self->fd, DRM_LUTCORE_PARAM_JOB_HISTORY);
	struct drm_lutcore_job_status st;
	__u64 last;

	ASSERT_LT((__u64)(0), history);
	ASSERT_GE((__u64)(4096), history);
	last = submit_nops(_metadata, self, history + 2);
	ASSERT_EQ(history + 2, last);
	st = (struct drm_lutcore_job_status){.job_id = 1};
	EXPECT_EQ(-ENOENT, status_expect_untouched(_metadata, self->fd, &st));
	st.job_id = 2;
	EXPECT_EQ(-ENOENT, status_expect_untouched(_metadata, self->fd, &st));
	/* The oldest one still kept, and the newest. */
	EXPECT_EQ(0, it_job_status(self->fd, 3, &st));
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
	EXPECT_EQ(0, it_job_status(self->fd, last, &st));
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
}

TEST_F(job, bad_pointer)
{
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_JOB_STATUS, NULL));
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_JOB_STATUS, (void *)4));
}

/* A successful job: DONE, no error, no device report; outputs all written. */
TEST_F(job, success_report)
{
	struct drm_lutcore_job_status st;
	__u64 id = submit_nops(_metadata, self, 1);

	memset(&st, 0xff, sizeof(st));
	st.job_id = id;
	st.flags = 0;
	st.pad = 0;
	ASSERT_EQ(0, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_JOB_STATUS, &st));
	EXPECT_EQ(id, st.job_id);
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
	EXPECT_EQ(0, st.error);
	EXPECT_EQ((__u64)(0), st.hw_error);
	EXPECT_EQ((__u64)(0), st.fault_addr);
	EXPECT_EQ((__u64)(0), st.fault_offset);
	EXPECT_EQ((__u64)(0), st.pad);
}

/* The report agrees with the out-syncobj's fence, job by job. */
TEST_F(job, agrees_with_fences)
{
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_job_status st;
	struct drm_lutcore_submit s;
	unsigned int i;
	int sf;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &out.handle));
	for (i = 0; i < 6; i++) {
		/* Odd jobs store to VA 0x100, which is never mapped. */
		it_stream_nops(self->stream.map, 2);
		if (i & 1)
			it_insn_signal(self->stream.map, 1, 0x100, i);
		it_submit_init(&s, self->stream.c.dev_addr, 2);
		s.out_syncs = (uintptr_t)&out;
		s.out_sync_count = 1;
		ASSERT_EQ(0, it_submit(self->fd, &s));
		ASSERT_EQ(0, it_syncobj_wait(self->fd, out.handle, 0, it_now() + WAIT_NS));
		sf = it_syncobj_export(self->fd, out.handle);
		ASSERT_LE(0, sf);
		ASSERT_EQ(0, it_job_status(self->fd, s.job_id, &st));
		EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
		if (i & 1) {
			EXPECT_EQ(-EFAULT, st.error);
			EXPECT_EQ(-EFAULT, it_sync_file_wait(sf, 1000));
			EXPECT_EQ((__u64)(LUTCORE_ERR_PAGE_FAULT), st.hw_error);
			EXPECT_EQ((__u64)(0x100), st.fault_addr);
			EXPECT_EQ((__u64)(LUTC_INSN_SIZE), st.fault_offset);
		} else {
			EXPECT_EQ(0, st.error);
			EXPECT_EQ(1, it_sync_file_wait(sf, 1000));
			EXPECT_EQ((__u64)(0), st.hw_error);
		}
		close(sf);
	}
	it_syncobj_destroy(self->fd, out.handle);
}

TEST_HARNESS_MAIN
