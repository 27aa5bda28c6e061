// SPDX-License-Identifier: MIT
/*
 * Tests of the qtest client itself: that a hung, dying or crashing peer
 * fails a test within the deadline instead of hanging it, that replies
 * are parsed and refusals are not fatal, and that bulk memory transfers
 * round-trip. Stand-in peers are /bin/sh one-liners; the last tests use
 * the real QEMU and skip without it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "qtest_client.h"

/* Short deadlines: these tests wait for them on purpose. */
#define SHORT_MS 300
/* Slack on top of a deadline for process start and scheduling. */
#define SLACK_MS 2000

static struct qtest *sh(const char *script)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct qtest *q = NULL;

	if (qtest_spawn(&q, argv))
		return NULL;
	qtest_set_timeout(q, SHORT_MS);
	return q;
}

TEST(hung_peer_times_out)
{
	struct qtest *q = sh("exec sleep 60");
	uint64_t t0;

	ASSERT_NE(NULL, q);
	t0 = qtest_now_ms();
	EXPECT_EQ(0, qtest_readl(q, 0x1000));
	EXPECT_EQ(-ETIMEDOUT, qtest_error(q));
	EXPECT_LE(qtest_now_ms() - t0, SHORT_MS + SLACK_MS);
	EXPECT_GE(qtest_now_ms() - t0, SHORT_MS);
	/* Errors are sticky and fail fast. */
	t0 = qtest_now_ms();
	qtest_writel(q, 0x1000, 1);
	EXPECT_EQ(0, qtest_readq(q, 0x1000));
	EXPECT_LT(qtest_now_ms() - t0, SHORT_MS);
	EXPECT_EQ(-1, qtest_stop(q)) TH_LOG("the client had to kill the peer");
}

/* A peer that stops reading must not block a large write either. */
TEST(stuck_reader_times_out)
{
	static char big[4 << 20];
	struct qtest *q = sh("exec sleep 60");
	uint64_t t0;

	ASSERT_NE(NULL, q);
	t0 = qtest_now_ms();
	qtest_memwrite(q, 0, big, sizeof(big));
	EXPECT_EQ(-ETIMEDOUT, qtest_error(q));
	EXPECT_LE(qtest_now_ms() - t0, SHORT_MS + SLACK_MS);
	qtest_stop(q);
}

TEST(dead_peer)
{
	struct qtest *q = sh("exit 3");

	ASSERT_NE(NULL, q);
	EXPECT_EQ(0, qtest_readl(q, 0));
	EXPECT_EQ(-EPIPE, qtest_error(q));
	EXPECT_EQ(3, qtest_stop(q));
}

TEST(crashing_peer)
{
	struct qtest *q = sh("read line; kill -SEGV $$");

	ASSERT_NE(NULL, q);
	qtest_writel(q, 0, 0);
	EXPECT_EQ(-EPIPE, qtest_error(q));
	EXPECT_EQ(128 + SIGSEGV, qtest_stop(q));
}

/* Unrelated lines (asynchronous IRQ notes) are skipped; values parse. */
TEST(replies)
{
	struct qtest *q =
		sh("while read l; do echo 'IRQ raise 3'; echo 'OK 0x00000000deadbeef'; done");
	char reply[32];

	ASSERT_NE(NULL, q);
	EXPECT_EQ(0xdeadbeef, qtest_readl(q, 0));
	EXPECT_EQ(0xbeef, qtest_readw(q, 0));
	EXPECT_EQ(0, qtest_cmd(q, reply, sizeof(reply), "anything"));
	EXPECT_STREQ("0x00000000deadbeef", reply);
	EXPECT_EQ(0, qtest_error(q));
	qtest_stop(q);
}

/* FAIL and ERR refuse one command; the connection stays usable. */
TEST(refusals_are_not_fatal)
{
	struct qtest *q = sh("read l; echo 'FAIL Unknown device'; read l; echo 'ERR invalid';"
			     "read l; echo OK; exec sleep 60");

	ASSERT_NE(NULL, q);
	EXPECT_EQ(-EPROTO, qtest_cmd(q, NULL, 0, "irq_intercept_in /nothing"));
	EXPECT_EQ(-EPROTO, qtest_cmd(q, NULL, 0, "write 0 1 0"));
	EXPECT_EQ(0, qtest_cmd(q, NULL, 0, "endianness"));
	EXPECT_EQ(0, qtest_error(q));
	qtest_stop(q);
}

TEST(missing_qemu)
{
	struct qtest *q = NULL;
	char path[64];

	setenv("LUTCORE_QEMU", "/nonexistent/qemu-system-x86_64", 1);
	EXPECT_EQ(-ENOENT, qtest_find_qemu(path, sizeof(path)));
	EXPECT_EQ(-ENOENT, qtest_start(&q, "lutcore", 64, 0));
	EXPECT_EQ(NULL, q);
}

/* ---- Against the real QEMU ----------------------------------------------- */

FIXTURE(qemu)
{
	struct qtest *q;
};

FIXTURE_SETUP(qemu)
{
	char path[4096];
	int err;

	if (qtest_find_qemu(path, sizeof(path)))
		SKIP(return, "no QEMU binary at %.200s", path);
	err = qtest_start(&self->q, "lutcore", 64, QT_QMP);
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(qemu)
{
	EXPECT_EQ(0, qtest_error(self->q)) TH_LOG("%s", qtest_errmsg(self->q));
	EXPECT_EQ(0, qtest_stop(self->q)) TH_LOG("QEMU exits cleanly on SIGTERM");
}

/* Larger than one chunk, and not a multiple of one. */
TEST_F(qemu, bulk_memory)
{
	size_t len = (3u << 20) + 4096 + 7, i;
	uint8_t *out = malloc(len), *in = malloc(len);

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 131 + (i >> 12));
	qtest_memwrite(self->q, 0x200001, out, len);
	qtest_memread(self->q, 0x200001, in, len);
	EXPECT_EQ(0, memcmp(out, in, len));
	/* memset touches exactly its range; RAM below it is still 0. */
	qtest_memset(self->q, 0x200001, 0x5a, 4096);
	qtest_memread(self->q, 0x200000, in, 4098);
	EXPECT_EQ(0, in[0]);
	EXPECT_EQ(0x5a, in[1]);
	EXPECT_EQ(0x5a, in[4096]);
	EXPECT_EQ(out[4096], in[4097]);
	qtest_writeq(self->q, 0x300000, 0x1122334455667788ull);
	EXPECT_EQ(0x1122334455667788ull, qtest_readq(self->q, 0x300000));
	EXPECT_EQ(0x55667788, qtest_readl(self->q, 0x300000)) TH_LOG("little-endian");
	free(out);
	free(in);
}

TEST_F(qemu, clock_step)
{
	uint64_t t0 = qtest_clock_step(self->q, 0);
	uint64_t t1 = qtest_clock_step(self->q, 1000000);

	EXPECT_EQ(t0 + 1000000, t1);
}

TEST_F(qemu, refused_command)
{
	EXPECT_EQ(-EPROTO, qtest_cmd(self->q, NULL, 0, "irq_intercept_in /machine/nonexistent"));
	EXPECT_EQ(0, qtest_cmd(self->q, NULL, 0, "endianness"));
}

TEST_F(qemu, system_reset)
{
	EXPECT_EQ(0, qtest_qmp_system_reset(self->q));
	EXPECT_EQ(0, qtest_qmp_system_reset(self->q)) TH_LOG("twice: events do not confuse it");
	EXPECT_EQ(0, qtest_cmd(self->q, NULL, 0, "endianness"));
}

TEST_HARNESS_MAIN
