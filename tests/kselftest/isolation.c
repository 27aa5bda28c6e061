// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-isolation: every open file has its own device address space.
 *
 * Process A fills a buffer T at device VA t. Process B (its own open file,
 * forked after T exists so that it knows t) runs streams that read and
 * write t: in B's address space nothing is mapped there, so the jobs fault
 * (-EFAULT, LUTCORE_ERR_PAGE_FAULT at t), and A's data is unchanged, seen
 * through A's mapping and by A's own job. When B does have a buffer at the
 * same numeric VA, B's writes land in B's buffer, never in A's.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "jobs_util.h"

#define DEADLINE lut_deadline(60 * JT_SEC)
#define TSIZE	 (64 << 10)

FIXTURE(iso)
{
	struct lut_dev *a;
	uint64_t resets;
	struct jt_buf pad, t, sb, dst;
};

FIXTURE_SETUP(iso)
{
	int ret = jt_open(&self->a);

	if (ret == -ENOENT)
		SKIP(return, "no LUTCore device");
	ASSERT_EQ(0, ret);
	self->resets = jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT);
	/* The padding puts T above anything B's few small buffers get. */
	ASSERT_EQ(0, jt_buf_new(self->a, 1 << 20, 0, &self->pad));
	ASSERT_EQ(0, jt_buf_new(self->a, TSIZE, 0, &self->t));
	ASSERT_EQ(0, jt_buf_new(self->a, 4096, 0, &self->sb));
	ASSERT_EQ(0, jt_buf_new(self->a, TSIZE, 0, &self->dst));
	jt_pattern(self->t.p, TSIZE, 77);
}

FIXTURE_TEARDOWN(iso)
{
	if (!self->a)
		return;
	EXPECT_EQ(self->resets, jt_param(self->a, DRM_LUTCORE_PARAM_RESET_COUNT));
	jt_buf_free(&self->dst);
	jt_buf_free(&self->sb);
	jt_buf_free(&self->t);
	jt_buf_free(&self->pad);
	lut_dev_close(self->a);
}

/* B's steps; each failure exits with its own code, for the parent's log. */
enum { B_OK, B_OPEN, B_BUF, B_OVERLAP, B_SUBMIT, B_READ, B_WRITE, B_OWN, B_SAMEVA };

/* Run one copy job in B and check that it faulted at va. */
static int b_fault(struct lut_dev *b, struct jt_buf *sb, uint64_t dst, uint64_t src, uint64_t va)
{
	struct drm_lutcore_job_status st;
	struct lut_job job;

	if (jt_copy_job(b, sb, dst, src, 4096, 0, 0, NULL, 0, &job))
		return B_SUBMIT;
	if (lut_job_wait(b, &job, DEADLINE, &st) != -EFAULT ||
	    st.hw_error != LUTCORE_ERR_PAGE_FAULT || st.fault_addr != va)
		return -1;
	return 0;
}

static int process_b(uint64_t t_va)
{
	struct jt_buf sb, own;
	struct lut_dev *b;
	struct lut_job job;

	if (jt_open(&b))
		return B_OPEN;
	if (jt_buf_new(b, 4096, 0, &sb) || jt_buf_new(b, TSIZE, 0, &own))
		return B_BUF;
	/* Nothing of B may sit at t, or the test proves nothing. */
	if ((t_va >= sb.va && t_va < sb.va + sb.size) ||
	    (t_va >= own.va && t_va < own.va + own.size))
		return B_OVERLAP;
	if (b_fault(b, &sb, own.va, t_va, t_va))
		return B_READ;
	jt_pattern(own.p, TSIZE, 5);
	if (b_fault(b, &sb, t_va, own.va, t_va))
		return B_WRITE;
	/* B itself is fine: its own copy works. */
	if (jt_copy_job(b, &sb, own.va + 8192, own.va, 4096, 0, 0, NULL, 0, &job) ||
	    lut_job_wait(b, &job, DEADLINE, NULL) || memcmp(own.p + 8192, own.p, 4096))
		return B_OWN;
	jt_buf_free(&own);
	jt_buf_free(&sb);
	lut_dev_close(b);
	return B_OK;
}

/* A's buffer, through A's mapping and A's own job, still holds the pattern. */
static void check_a(struct __test_metadata *_metadata, FIXTURE_DATA(iso) * self)
{
	struct lut_job job;

	EXPECT_EQ(0, jt_pattern_check(self->t.p, TSIZE, 77));
	ASSERT_EQ(0, jt_copy_job(self->a, &self->sb, self->dst.va, self->t.va, TSIZE, 0, 0, NULL, 0,
				 &job));
	ASSERT_EQ(0, lut_job_wait(self->a, &job, DEADLINE, NULL));
	EXPECT_EQ(0, jt_pattern_check(self->dst.p, TSIZE, 77));
}

static int run_child(int (*fn)(uint64_t), uint64_t arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(iso, other_process_faults_on_my_va)
{
	int rc = run_child(process_b, self->t.va);

	EXPECT_EQ(B_OK, rc)
	TH_LOG("process B failed at step %d (t at %#llx)", rc, (unsigned long long)self->t.va);
	check_a(_metadata, self);
}

/* Below VA_START (VA 0 included) nothing is ever mapped, in any file. */
static int process_low(uint64_t va)
{
	struct jt_buf sb, own;
	struct lut_dev *b;
	int ret;

	if (jt_open(&b))
		return B_OPEN;
	if (jt_buf_new(b, 4096, 0, &sb) || jt_buf_new(b, 8192, 0, &own))
		return B_BUF;
	ret = b_fault(b, &sb, own.va, va, va) ? B_READ : B_OK;
	jt_buf_free(&own);
	jt_buf_free(&sb);
	lut_dev_close(b);
	return ret;
}

TEST_F(iso, low_addresses_fault)
{
	uint64_t start = jt_param(self->a, DRM_LUTCORE_PARAM_VA_START);

	ASSERT_LT(4096, start);
	EXPECT_EQ(B_OK, run_child(process_low, 0));
	EXPECT_EQ(B_OK, run_child(process_low, 4096));
	EXPECT_EQ(B_OK, run_child(process_low, start - 4096));
	check_a(_metadata, self);
}

/*
 * B maps a buffer of its own at A's padding VA (both files' first buffers
 * start at VA_START) and overwrites it through the device: A's buffer at
 * the same number is untouched.
 */
static int process_same_va(uint64_t a_va)
{
	struct jt_buf first, sb, src;
	struct lut_dev *b;
	struct lut_job job;
	int ret = B_OK;

	if (jt_open(&b))
		return B_OPEN;
	if (jt_buf_new(b, 1 << 20, 0, &first) || jt_buf_new(b, 4096, 0, &sb) ||
	    jt_buf_new(b, 4096, 0, &src))
		return B_BUF;
	if (first.va != a_va)
		return B_SAMEVA;
	memset(src.p, 0xee, 4096);
	if (jt_copy_job(b, &sb, a_va, src.va, 4096, 0, 0, NULL, 0, &job) ||
	    lut_job_wait(b, &job, DEADLINE, NULL))
		ret = B_SUBMIT;
	else if (first.p[0] != 0xee || first.p[4095] != 0xee)
		ret = B_OWN;
	jt_buf_free(&src);
	jt_buf_free(&sb);
	jt_buf_free(&first);
	lut_dev_close(b);
	return ret;
}

TEST_F(iso, same_va_is_a_different_buffer)
{
	int rc;

	memset(self->pad.p, 0x33, 4096);
	rc = run_child(process_same_va, self->pad.va);
	if (rc == B_SAMEVA)
		SKIP(return, "the two files' first buffers got different VAs");
	EXPECT_EQ(B_OK, rc);
	EXPECT_EQ(0x33, self->pad.p[0]);
	EXPECT_EQ(0x33, self->pad.p[4095]);
	check_a(_metadata, self);
}

TEST_HARNESS_MAIN
