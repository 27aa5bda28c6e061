// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-jobs: buffers and real jobs through liblutcore.
 *
 * Buffer objects (sizes, VAs, mappings, PRIME), empty and copy jobs, the
 * device timeline and job status, job errors as the device reports them,
 * and LUT-mpGEMM jobs (PRECOMP + LMMA + EPILOGUE on buffers written
 * through mmap) whose results must equal the library's CPU execution of
 * the same stream: byte for byte on the INT8 path, where the accumulator
 * must also equal the plain integer sum, and within 1e-5 of the output's
 * magnitude on the float path. Every test checks in its teardown that no
 * device reset happened.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../stream/mmjob.h"
#include "jobs_util.h"

#define DEADLINE lut_deadline(60 * JT_SEC)

FIXTURE(jobs)
{
	struct lut_dev *dev;
	uint64_t resets;
};

FIXTURE_SETUP(jobs)
{
	int ret = jt_open(&self->dev);

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	self->resets = jt_param(self->dev, DRM_LUTCORE_PARAM_RESET_COUNT);
	ASSERT_NE(UINT64_MAX, self->resets);
}

FIXTURE_TEARDOWN(jobs)
{
	if (!self->dev)
		return;
	/* A test that resets the device unexpectedly fails (ivpu's rule). */
	EXPECT_EQ(self->resets, jt_param(self->dev, DRM_LUTCORE_PARAM_RESET_COUNT));
	lut_dev_close(self->dev);
}

/* ---- Buffer objects ------------------------------------------------------- */

TEST_F(jobs, bo_sizes_addresses_and_mapping)
{
	static const uint64_t sizes[] = {1, 4096, 4097, 1 << 20, 3 * 4096 + 5};
	uint64_t page = jt_param(self->dev, DRM_LUTCORE_PARAM_PAGE_SIZE);
	uint64_t va_start = jt_param(self->dev, DRM_LUTCORE_PARAM_VA_START);
	struct jt_buf b[5];
	size_t i, j;

	for (i = 0; i < 5; i++) {
		struct drm_lutcore_bo_info info;
		void *again;

		ASSERT_EQ(0, jt_buf_new(self->dev, sizes[i], 0, &b[i]));
		EXPECT_EQ((sizes[i] + page - 1) / page * page, b[i].size);
		EXPECT_EQ(0, b[i].va % page);
		EXPECT_LE(va_start, b[i].va);
		ASSERT_EQ(0, lut_bo_info(b[i].bo, &info));
		EXPECT_EQ(b[i].size, info.size);
		EXPECT_EQ(b[i].va, info.dev_addr);
		EXPECT_EQ(0, info.flags);
		EXPECT_NE(0, info.mmap_offset);
		ASSERT_EQ(0, lut_bo_map(b[i].bo, &again));
		EXPECT_EQ((void *)b[i].p, again);
		for (j = 0; j < b[i].size; j++)
			ASSERT_EQ(0, b[i].p[j]) TH_LOG("bo %zu byte %zu not zero", i, j);
		memset(b[i].p, 0x5a, b[i].size);
	}
	/* Distinct ranges, each followed by an unmapped guard page. */
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++)
			if (i != j && b[i].va < b[j].va)
				EXPECT_LE(b[i].va + b[i].size + page, b[j].va);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(0, lut_bo_unmap(b[i].bo));
		jt_buf_free(&b[i]);
	}
}

TEST_F(jobs, bo_flags)
{
	struct drm_lutcore_bo_info info;
	struct jt_buf ro, nm;
	struct lut_bo *none = (void *)1;
	void *p;

	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, DRM_LUTCORE_BO_DEV_READ_ONLY, &ro));
	ASSERT_EQ(0, lut_bo_info(ro.bo, &info));
	EXPECT_EQ(DRM_LUTCORE_BO_DEV_READ_ONLY, info.flags);
	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, DRM_LUTCORE_BO_NO_MMAP, &nm));
	EXPECT_EQ(NULL, nm.p);
	EXPECT_EQ(-EPERM, lut_bo_map(nm.bo, &p));
	ASSERT_EQ(0, lut_bo_info(nm.bo, &info));
	EXPECT_EQ(0, info.mmap_offset);
	EXPECT_EQ(DRM_LUTCORE_BO_NO_MMAP, lut_bo_flags(nm.bo));
	EXPECT_EQ(-EINVAL,
		  lut_bo_new(self->dev, 4096, DRM_LUTCORE_BO_NO_MMAP | DRM_LUTCORE_BO_DEV_READ_ONLY,
			     &none));
	EXPECT_EQ(NULL, none);
	EXPECT_EQ(-EINVAL, lut_bo_new(self->dev, 0, 0, &none));
	EXPECT_EQ(-EINVAL, lut_bo_new(self->dev, 4096, 1u << 31, &none));
	jt_buf_free(&nm);
	jt_buf_free(&ro);
}

/* PRIME within one file gives the same object; in another, its own VA. */
TEST_F(jobs, bo_export_import)
{
	struct lut_dev *other;
	struct lut_bo *same, *imp;
	struct jt_buf b;
	void *p;
	int fd;

	ASSERT_EQ(0, jt_buf_new(self->dev, 8192, 0, &b));
	jt_pattern(b.p, b.size, 1);
	ASSERT_EQ(0, lut_bo_export(b.bo, &fd));
	EXPECT_LE(0, fd);
	ASSERT_EQ(0, lut_bo_import(self->dev, fd, &same));
	EXPECT_EQ(b.bo, same);
	lut_bo_free(same); /* one reference left: still usable */
	EXPECT_EQ(8192, lut_bo_size(b.bo));
	ASSERT_EQ(0, jt_open(&other));
	ASSERT_EQ(0, lut_bo_import(other, fd, &imp));
	close(fd);
	EXPECT_EQ(b.size, lut_bo_size(imp));
	EXPECT_NE(0, lut_bo_va(imp));
	ASSERT_EQ(0, lut_bo_map(imp, &p));
	EXPECT_EQ(0, jt_pattern_check(p, b.size, 1));
	((uint8_t *)p)[100] ^= 0xff;
	EXPECT_EQ(b.p[100], ((uint8_t *)p)[100]);
	lut_bo_free(imp);
	lut_dev_close(other);
	jt_buf_free(&b);
}

/* ---- Jobs ----------------------------------------------------------------- */

TEST_F(jobs, empty_jobs_advance_the_timeline)
{
	struct drm_lutcore_job_status st;
	struct lut_stream *s;
	struct lut_job job[3];
	struct jt_buf sb;
	uint64_t last;
	uint32_t tl;
	int i;

	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &sb));
	ASSERT_EQ(0, jt_stream(&sb, &s));
	ASSERT_EQ(0, lut_stream_nop(s));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, lut_submit_stream(self->dev, s, NULL, 0, &job[i]));
		EXPECT_EQ(i + 1, job[i].point);
		if (i)
			EXPECT_LT(job[i - 1].id, job[i].id);
	}
	ASSERT_EQ(0, lut_wait(self->dev, job[2].point, DEADLINE));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, lut_job_status(self->dev, job[i].id, &st));
		EXPECT_EQ(DRM_LUTCORE_JOB_DONE, st.state);
		EXPECT_EQ(0, st.error);
		EXPECT_EQ(0, st.hw_error);
	}
	ASSERT_EQ(0, lut_dev_timeline(self->dev, &tl, &last));
	EXPECT_EQ(3, last);
	EXPECT_EQ(0, lut_syncobj_query(self->dev, tl, &last));
	EXPECT_EQ(3, last);
	EXPECT_EQ(-EINVAL, lut_wait(self->dev, 4, DEADLINE));
	EXPECT_EQ(-EINVAL, lut_wait(self->dev, 0, DEADLINE));
	lut_stream_free(s);
	jt_buf_free(&sb);
}

TEST_F(jobs, copy_and_signal)
{
	struct jt_buf sb, src, dst;
	struct lut_bo *bos[2];
	struct lut_job job;

	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &sb));
	ASSERT_EQ(0, jt_buf_new(self->dev, 3 << 20, DRM_LUTCORE_BO_DEV_READ_ONLY, &src));
	ASSERT_EQ(0, jt_buf_new(self->dev, 3 << 20, 0, &dst));
	jt_pattern(src.p, src.size, 7);
	bos[0] = src.bo;
	bos[1] = dst.bo;
	ASSERT_EQ(0, jt_copy_job(self->dev, &sb, dst.va + 64, src.va, src.size - 64, dst.va,
				 0x0123456789abcdefull, bos, 2, &job));
	ASSERT_EQ(0, lut_job_wait(self->dev, &job, DEADLINE, NULL));
	EXPECT_EQ(0x0123456789abcdefull, *(uint64_t *)dst.p);
	EXPECT_EQ(0, memcmp(dst.p + 64, src.p, src.size - 64));
	/* WAIT_BO on an idle buffer returns at once, even with a past deadline. */
	EXPECT_EQ(0, lut_bo_wait(dst.bo, 0));
	jt_buf_free(&sb);
	jt_buf_free(&src);
	jt_buf_free(&dst);
}

/* LUT_SUBMIT_NO_POINT: the job signals only the caller's syncobj. */
TEST_F(jobs, submit_without_timeline_point)
{
	struct drm_lutcore_sync out = {0};
	struct lut_submit_args a = {
		.flags = LUT_SUBMIT_NO_POINT, .out_syncs = &out, .out_sync_count = 1};
	struct drm_lutcore_job_status st;
	uint64_t before, after;
	struct lut_stream *s;
	struct lut_job job;
	struct jt_buf sb;

	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &sb));
	ASSERT_EQ(0, jt_stream(&sb, &s));
	ASSERT_EQ(0, lut_stream_nop(s));
	a.cmd_addr = lut_stream_va(s);
	a.cmd_size = lut_stream_size(s);
	ASSERT_EQ(0, lut_syncobj_new(self->dev, 0, &out.handle));
	ASSERT_EQ(0, lut_dev_timeline(self->dev, NULL, &before));
	ASSERT_EQ(0, lut_submit(self->dev, &a, &job));
	EXPECT_EQ(0, job.point);
	ASSERT_EQ(0, lut_dev_timeline(self->dev, NULL, &after));
	EXPECT_EQ(before, after);
	ASSERT_EQ(0, lut_syncobj_wait(self->dev, &out.handle, NULL, 1, DEADLINE, 0));
	ASSERT_EQ(0, lut_job_status(self->dev, job.id, &st));
	EXPECT_EQ(DRM_LUTCORE_JOB_DONE, st.state);
	EXPECT_EQ(0, st.error);
	EXPECT_EQ(-EINVAL, lut_job_wait(self->dev, &job, DEADLINE, NULL)); /* no point to wait */
	EXPECT_EQ(-EINVAL, lut_submit_stream(self->dev, NULL, NULL, 0, &job));
	EXPECT_EQ(0, lut_syncobj_free(self->dev, out.handle));
	lut_stream_free(s);
	jt_buf_free(&sb);
}

/* One job per kind of device error; each reported, none bans the file. */
TEST_F(jobs, job_errors_are_reported)
{
	struct drm_lutcore_job_status st;
	struct jt_buf sb, ro, dst;
	union lutc_insn bad;
	struct lut_stream *s;
	struct lut_job job;
	uint64_t hole;

	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &sb));
	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, DRM_LUTCORE_BO_DEV_READ_ONLY, &ro));
	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &dst));
	hole = dst.va + dst.size; /* the guard page */
	/* Page fault: the third instruction reads the guard page. */
	ASSERT_EQ(0, jt_stream(&sb, &s));
	lut_stream_nop(s);
	lut_stream_memcpy(s, dst.va, ro.va, 64);
	lut_stream_memcpy(s, dst.va, hole, 64);
	ASSERT_EQ(0, lut_submit_stream(self->dev, s, NULL, 0, &job));
	EXPECT_EQ(-EFAULT, lut_job_wait(self->dev, &job, DEADLINE, &st));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, st.hw_error);
	EXPECT_EQ(hole, st.fault_addr);
	EXPECT_EQ(2 * LUTC_INSN_SIZE, st.fault_offset);
	/* Write fault: a copy into the read-only buffer, which stays as it was. */
	memset(ro.p, 0x11, 64);
	lut_stream_reset(s);
	lut_stream_memcpy(s, ro.va, dst.va, 64);
	ASSERT_EQ(0, lut_submit_stream(self->dev, s, NULL, 0, &job));
	EXPECT_EQ(-EFAULT, lut_job_wait(self->dev, &job, DEADLINE, &st));
	EXPECT_EQ(LUTCORE_ERR_WRITE_FAULT, st.hw_error);
	EXPECT_EQ(ro.va, st.fault_addr);
	EXPECT_EQ(0, st.fault_offset);
	EXPECT_EQ(0x11, ro.p[63]);
	/* Bad opcode, placed with the unchecked append. */
	memset(&bad, 0, sizeof(bad));
	bad.hdr.op = 0x7f;
	lut_stream_reset(s);
	lut_stream_nop(s);
	lut_stream_raw(s, &bad);
	ASSERT_EQ(0, lut_submit_stream(self->dev, s, NULL, 0, &job));
	EXPECT_EQ(-EINVAL, lut_job_wait(self->dev, &job, DEADLINE, &st));
	EXPECT_EQ(LUTCORE_ERR_BAD_OPCODE, st.hw_error);
	EXPECT_EQ(sb.va + LUTC_INSN_SIZE, st.fault_addr);
	EXPECT_EQ(LUTC_INSN_SIZE, st.fault_offset);
	/* The file still runs jobs. */
	EXPECT_EQ(0, jt_param(self->dev, DRM_LUTCORE_PARAM_FILE_BANNED));
	ASSERT_EQ(0, jt_copy_job(self->dev, &sb, dst.va, ro.va, 64, 0, 0, NULL, 0, &job));
	EXPECT_EQ(0, lut_job_wait(self->dev, &job, DEADLINE, &st));
	EXPECT_EQ(0, memcmp(dst.p, ro.p, 64));
	lut_stream_free(s);
	jt_buf_free(&sb);
	jt_buf_free(&ro);
	jt_buf_free(&dst);
}

/* A stream outside every buffer is refused at submission, not run. */
TEST_F(jobs, submit_rejects_stream_outside_buffers)
{
	struct lut_submit_args a = {.cmd_size = LUTC_INSN_SIZE};
	struct lut_job job;
	struct jt_buf sb;

	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &sb));
	a.cmd_addr = sb.va + sb.size;
	EXPECT_EQ(-EINVAL, lut_submit(self->dev, &a, &job));
	a.cmd_addr = sb.va + sb.size - LUTC_INSN_SIZE / 2;
	EXPECT_EQ(-EINVAL, lut_submit(self->dev, &a, &job));
	a.flags = 1u << 7;
	EXPECT_EQ(-EINVAL, lut_submit(self->dev, &a, &job));
	jt_buf_free(&sb);
}

/* WAIT_BO and lut_wait() time out on a running job, then succeed. */
TEST_F(jobs, waits_time_out_then_succeed)
{
	struct lut_submit_args a = {.bo_count = 1};
	struct jt_buf sb, dst;
	struct jt_slow sj;
	struct lut_job job;

	ASSERT_EQ(0, jt_slow_new(self->dev, 400000000, &sj));
	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &dst));
	ASSERT_EQ(0, jt_buf_new(self->dev, 4096, 0, &sb));
	jt_pattern(sb.p, 64, 3);
	ASSERT_EQ(0, jt_slow_build(&sj, dst.va, sb.va, 64));
	a.cmd_addr = sj.ops.va;
	a.cmd_size = sj.stream_size;
	a.bos = &dst.bo;
	ASSERT_EQ(0, lut_submit(self->dev, &a, &job));
	TH_LOG("slow job: %u x %lld us", sj.reps, (long long)sj.one_rep_ns / 1000);
	EXPECT_EQ(-ETIME, lut_bo_wait(dst.bo, jt_now()));
	EXPECT_EQ(-ETIME, lut_wait(self->dev, job.point, jt_now() + 1000000));
	EXPECT_EQ(0, lut_bo_wait(dst.bo, DEADLINE));
	EXPECT_EQ(0, lut_job_wait(self->dev, &job, DEADLINE, NULL));
	EXPECT_EQ(0, jt_pattern_check(dst.p, 64, 3));
	jt_slow_free(&sj);
	jt_buf_free(&sb);
	jt_buf_free(&dst);
}

/* ---- LUT-mpGEMM against the library's CPU execution ------------------------ */

FIXTURE(mm)
{
	struct lut_dev *dev;
	uint64_t resets;
};

FIXTURE_VARIANT(mm)
{
	struct mmjob_shape sh;
};

#define MM_VARIANT(name, ...)         \
	FIXTURE_VARIANT_ADD(mm, name) \
	{                             \
		.sh = {__VA_ARGS__},  \
	}
MM_VARIANT(int1_1x64x128, .m = 1, .n = 64, .k = 128, .wfmt = LUTC_WF_INT1);
MM_VARIANT(int2_3x70x1000, .m = 3, .n = 70, .k = 1000, .wfmt = LUTC_WF_INT2);
MM_VARIANT(int3_5x33x7, .m = 5, .n = 33, .k = 7, .wfmt = LUTC_WF_INT3);
MM_VARIANT(int4_2x130x260, .m = 2, .n = 130, .k = 260, .wfmt = LUTC_WF_INT4);
MM_VARIANT(ternary_1x256x4096, .m = 1, .n = 256, .k = 4096, .wfmt = LUTC_WF_TERNARY);
MM_VARIANT(int2_16x512x1024, .m = 16, .n = 512, .k = 1024, .wfmt = LUTC_WF_INT2);
MM_VARIANT(float_int3_3x70x256_g64, .m = 3, .n = 70, .k = 256, .wfmt = LUTC_WF_INT3, .group = 64,
	   .float_path = 1);
MM_VARIANT(float_int4_8x300x1024_g128, .m = 8, .n = 300, .k = 1024, .wfmt = LUTC_WF_INT4,
	   .group = 128, .float_path = 1);
MM_VARIANT(float_ternary_1x128x512, .m = 1, .n = 128, .k = 512, .wfmt = LUTC_WF_TERNARY,
	   .float_path = 1);

FIXTURE_SETUP(mm)
{
	int ret = jt_open(&self->dev);

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	self->resets = jt_param(self->dev, DRM_LUTCORE_PARAM_RESET_COUNT);
}

FIXTURE_TEARDOWN(mm)
{
	if (!self->dev)
		return;
	EXPECT_EQ(self->resets, jt_param(self->dev, DRM_LUTCORE_PARAM_RESET_COUNT));
	lut_dev_close(self->dev);
}

TEST_F(mm, matches_cpu)
{
	const struct mmjob_shape *sh = &variant->sh;
	uint64_t size = mmjob_arena_size(sh);
	struct lut_submit_args a = {.bo_count = 1};
	struct drm_lutcore_job_status st;
	struct lut_cpu_result r;
	struct lut_cpu *cpu;
	struct lut_job job;
	struct mmjob j;
	struct jt_buf b;
	char why[160] = "";
	uint64_t cycles;
	uint8_t *host;

	ASSERT_EQ(0, jt_buf_new(self->dev, size, 0, &b));
	ASSERT_EQ(0, mmjob_build(&j, sh, b.p, b.size, b.va, 0x1234 + sh->k));
	host = malloc(size);
	ASSERT_NE(NULL, host);
	memcpy(host, b.p, size); /* the same inputs for the CPU */
	a.cmd_addr = b.va;
	a.cmd_size = j.stream_size;
	a.bos = &b.bo;
	cycles = jt_param(self->dev, DRM_LUTCORE_PARAM_CYCLES);
	ASSERT_EQ(0, lut_submit(self->dev, &a, &job));
	ASSERT_EQ(0, lut_job_wait(self->dev, &job, DEADLINE, &st))
	TH_LOG("hw_error %u at +%u va %#llx", st.hw_error, st.fault_offset,
	       (unsigned long long)st.fault_addr);
	cycles = jt_param(self->dev, DRM_LUTCORE_PARAM_CYCLES) - cycles;
	ASSERT_EQ(0, lut_cpu_new(&cpu, 1));
	ASSERT_EQ(0, lut_cpu_map(cpu, b.va, host, size, 0));
	ASSERT_EQ(0, lut_cpu_run(cpu, b.va, j.stream_size, &r));
	if (!sh->float_path)
		EXPECT_EQ(0, mmjob_check_acc(&j, b.p, why, sizeof(why))) TH_LOG("device: %s", why);
	EXPECT_EQ(0, mmjob_compare(&j, b.p, host, why, sizeof(why)))
	TH_LOG("device vs CPU: %s", why);
	/* The device counts the same performance model the CPU run does. */
	EXPECT_NE(0ull, r.cycles);
	EXPECT_EQ(r.cycles, cycles);
	lut_cpu_free(cpu);
	mmjob_free(&j);
	free(host);
	jt_buf_free(&b);
}

TEST_HARNESS_MAIN
