// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-stress: several processes, many jobs, fences between them.
 *
 * NPROC processes, each with its own open file, submit NJOBS jobs each.
 * The jobs form one global chain in the order (job 0 of every process,
 * then job 1 of every process, ...): job g adds its own increments to the
 * chain slot job g - 1 wrote, in a buffer all processes share through
 * PRIME, and waits for job g - 1 through the timeline syncobj of the
 * process that ran it (shared as syncobj fds). The chain buffer is not in
 * any job's buffer list, so only those explicit fences order the jobs.
 * Every job also copies a pattern of its own. At the end every job's
 * status, every pattern and every chain slot (exact prefix sums; an
 * out-of-order job would read NaN or a stale sum) is checked.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "kselftest_harness.h"

#include "jobs_util.h"

#define DEADLINE lut_deadline(120 * JT_SEC)
#define NPROC	 4
#define NJOBS	 40
#define VEC	 16 /* floats per chain slot */
#define SLOT	 (VEC * 4)
#define PAT	 256 /* bytes of each job's own pattern */
#define JOB_INSN 2

/* Job g's increment i: small integers, so every sum is exact. */
static float inc(uint32_t g, uint32_t i)
{
	return (float)(g % 7 + i);
}

struct proc {
	struct lut_dev *dev;
	struct lut_bo *chain; /* imported */
	uint32_t tl[NPROC];   /* every process's timeline, in this file */
	struct jt_buf work;   /* streams, increments, patterns, results */
	struct lut_job job[NJOBS];
};

/* Offsets in a process's work buffer. */
#define W_STREAM(j) ((uint64_t)(j)*JOB_INSN * LUTC_INSN_SIZE)
#define W_INC(j)    (W_STREAM(NJOBS) + (uint64_t)(j)*SLOT)
#define W_SRC(j)    (W_INC(NJOBS) + (uint64_t)(j)*PAT)
#define W_DST(j)    (W_SRC(NJOBS) + (uint64_t)(j)*PAT)
#define W_SIZE	    W_DST(NJOBS)

enum { P_OK, P_OPEN, P_IMPORT, P_BUF, P_AVAIL, P_BUILD, P_SUBMIT, P_WAIT, P_STATUS, P_DATA };

static int p_setup(struct proc *pr, uint32_t p, int chain_fd, const int *tl_fd)
{
	uint32_t i, j;

	if (jt_open(&pr->dev))
		return P_OPEN;
	if (lut_bo_import(pr->dev, chain_fd, &pr->chain))
		return P_IMPORT;
	for (i = 0; i < NPROC; i++)
		if (drmSyncobjFDToHandle(lut_dev_fd(pr->dev), tl_fd[i], &pr->tl[i]))
			return P_IMPORT;
	if (jt_buf_new(pr->dev, W_SIZE, 0, &pr->work))
		return P_BUF;
	for (j = 0; j < NJOBS; j++) {
		float *v = (float *)(void *)(pr->work.p + W_INC(j));

		for (i = 0; i < VEC; i++)
			v[i] = inc(j * NPROC + p, i);
		jt_pattern(pr->work.p + W_SRC(j), PAT, j * NPROC + p);
	}
	return P_OK;
}

/* Job j of process p: wait for job g - 1's point, add, copy, signal. */
static int p_submit(struct proc *pr, uint32_t p, uint32_t j)
{
	uint32_t g = j * NPROC + p, prev = (p + NPROC - 1) % NPROC;
	uint64_t cva = lut_bo_va(pr->chain), wva = pr->work.va;
	struct drm_lutcore_sync in = {.handle = pr->tl[prev], .point = p ? j + 1 : j};
	struct drm_lutcore_sync out = {.handle = pr->tl[p], .point = j + 1};
	const struct lutc_eltwise add = {.fn = LUTC_ELT_ADD,
					 .dtype = LUTC_DT_F32,
					 .rows = 1,
					 .n = VEC,
					 .a = cva + (uint64_t)g * SLOT,
					 .b = wva + W_INC(j),
					 .y = cva + (uint64_t)(g + 1) * SLOT};
	struct lut_submit_args a = {.cmd_addr = wva + W_STREAM(j),
				    .in_syncs = &in,
				    .in_sync_count = g ? 1 : 0,
				    .out_syncs = &out,
				    .out_sync_count = 1,
				    .bos = &pr->work.bo,
				    .bo_count = 1};
	uint64_t point = in.point;
	struct lut_stream *s;
	int ret;

	if (!g)
		a.in_syncs = NULL;
	/* An in-sync must exist at submission: wait until job g - 1 is queued. */
	if (g && lut_syncobj_wait(pr->dev, &in.handle, &point, 1, DEADLINE,
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
					  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE))
		return P_AVAIL;
	if (lut_stream_new(&s, pr->work.p + W_STREAM(j), JOB_INSN * LUTC_INSN_SIZE, a.cmd_addr))
		return P_BUILD;
	lut_stream_eltwise(s, &add);
	lut_stream_memcpy(s, wva + W_DST(j), wva + W_SRC(j), PAT);
	a.cmd_size = lut_stream_size(s);
	ret = lut_stream_error(s);
	lut_stream_free(s);
	if (ret)
		return P_BUILD;
	return lut_submit(pr->dev, &a, &pr->job[j]) ? P_SUBMIT : P_OK;
}

static int p_check(struct proc *pr, uint32_t p)
{
	struct drm_lutcore_job_status st;
	uint64_t last = NJOBS;
	uint32_t j;

	if (lut_syncobj_wait(pr->dev, &pr->tl[p], &last, 1, DEADLINE, 0))
		return P_WAIT;
	for (j = 0; j < NJOBS; j++) {
		if (lut_job_wait(pr->dev, &pr->job[j], DEADLINE, &st))
			return P_STATUS;
		if (memcmp(pr->work.p + W_DST(j), pr->work.p + W_SRC(j), PAT))
			return P_DATA;
	}
	return P_OK;
}

static int process(uint32_t p, int chain_fd, const int *tl_fd)
{
	struct proc pr;
	uint32_t j;
	int ret;

	memset(&pr, 0, sizeof(pr));
	ret = p_setup(&pr, p, chain_fd, tl_fd);
	for (j = 0; !ret && j < NJOBS; j++)
		ret = p_submit(&pr, p, j);
	if (!ret)
		ret = p_check(&pr, p);
	if (ret)
		fprintf(stderr, "# process %u: step %d at job %u\n", p, ret, j);
	return ret;
}

FIXTURE(stress)
{
	struct lut_dev *dev;
	uint64_t resets;
};

FIXTURE_SETUP(stress)
{
	int ret = jt_open(&self->dev);

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	self->resets = jt_param(self->dev, DRM_LUTCORE_PARAM_RESET_COUNT);
}

FIXTURE_TEARDOWN(stress)
{
	if (!self->dev)
		return;
	EXPECT_EQ(self->resets, jt_param(self->dev, DRM_LUTCORE_PARAM_RESET_COUNT));
	lut_dev_close(self->dev);
}

TEST_F_TIMEOUT(stress, processes_chained_by_fences, 300)
{
	uint64_t nslots = (uint64_t)NPROC * NJOBS + 1;
	int chain_fd, tl_fd[NPROC], status, bad = 0;
	uint32_t tl[NPROC], p, g, i;
	pid_t pid[NPROC];
	struct jt_buf chain;
	float sum[VEC];

	ASSERT_EQ(0, jt_buf_new(self->dev, nslots * SLOT, 0, &chain));
	memset(chain.p, 0xff, chain.size); /* NaN: what an early reader sees */
	memset(chain.p, 0, SLOT);
	ASSERT_EQ(0, lut_bo_export(chain.bo, &chain_fd));
	for (p = 0; p < NPROC; p++) {
		ASSERT_EQ(0, lut_syncobj_new(self->dev, 0, &tl[p]));
		ASSERT_EQ(0, drmSyncobjHandleToFD(lut_dev_fd(self->dev), tl[p], &tl_fd[p]));
	}
	for (p = 0; p < NPROC; p++) {
		pid[p] = fork();
		if (!pid[p])
			_exit(process(p, chain_fd, tl_fd));
		ASSERT_LT(0, pid[p]);
	}
	for (p = 0; p < NPROC; p++) {
		ASSERT_EQ(pid[p], waitpid(pid[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == P_OK)
		TH_LOG("process %u: status %#x", p, status);
	}
	memset(sum, 0, sizeof(sum));
	for (g = 0; g < NPROC * NJOBS; g++) {
		const float *slot =
			(const float *)(const void *)(chain.p + (uint64_t)(g + 1) * SLOT);

		for (i = 0; i < VEC; i++) {
			sum[i] += inc(g, i);
			if (slot[i] != sum[i] && !bad++)
				TH_LOG("chain slot %u[%u] = %g, want %g", g, i, slot[i], sum[i]);
		}
	}
	EXPECT_EQ(0, bad);
	for (p = 0; p < NPROC; p++) {
		close(tl_fd[p]);
		lut_syncobj_free(self->dev, tl[p]);
	}
	close(chain_fd);
	jt_buf_free(&chain);
}

/* One file, many independent jobs on any core, all in flight at once. */
TEST_F_TIMEOUT(stress, many_jobs_in_flight, 300)
{
	enum { N = 256, SZ = 512 }; /* every job's status stays in the history */
	struct lut_job *job = calloc(N, sizeof(*job));
	struct jt_buf w;
	uint32_t i;

	ASSERT_NE(NULL, job);
	ASSERT_LE(N, jt_param(self->dev, DRM_LUTCORE_PARAM_JOB_HISTORY));
	ASSERT_EQ(0, jt_buf_new(self->dev, (uint64_t)N * (LUTC_INSN_SIZE + 2 * SZ), 0, &w));
	for (i = 0; i < N; i++) {
		uint64_t src = (uint64_t)N * LUTC_INSN_SIZE + (uint64_t)i * 2 * SZ;
		struct jt_buf sb = {.p = w.p + (uint64_t)i * LUTC_INSN_SIZE,
				    .va = w.va + (uint64_t)i * LUTC_INSN_SIZE,
				    .size = LUTC_INSN_SIZE};

		jt_pattern(w.p + src, SZ, i);
		ASSERT_EQ(0, jt_copy_job(self->dev, &sb, w.va + src + SZ, w.va + src, SZ, 0, 0,
					 NULL, 0, &job[i]));
	}
	ASSERT_EQ(0, lut_wait(self->dev, job[N - 1].point, DEADLINE));
	for (i = 0; i < N; i++) {
		uint64_t src = (uint64_t)N * LUTC_INSN_SIZE + (uint64_t)i * 2 * SZ;

		ASSERT_EQ(0, lut_job_wait(self->dev, &job[i], DEADLINE, NULL)) TH_LOG("job %u", i);
		ASSERT_EQ(0, jt_pattern_check(w.p + src + SZ, SZ, i)) TH_LOG("job %u", i);
	}
	jt_buf_free(&w);
	free(job);
}

TEST_HARNESS_MAIN
