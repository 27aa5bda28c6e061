// SPDX-License-Identifier: MIT
/*
 * LUTCore device under qtest: the debug hang, soft reset (what it drops,
 * clears and keeps; jobs queued and running when it comes; a long job
 * aborted in the middle) and device reset through QMP system_reset
 * (docs/device.md §6, §7).
 */
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"

#include "devtest.h"

#define STREAM_VA DEV_VA
#define SIG_VA	  (DEV_VA + 0x100000)
#define SRC_VA	  (DEV_VA + 0x400000)
#define DST_VA	  (DEV_VA + 0x800000)
#define HOLE_VA	  (DEV_VA + 0x3000000) /* never mapped */

/*
 * A soft reset must be over within this: it waits for one engine step,
 * and the large instruction below takes over a second as a whole.
 */
#define RESET_MS 500

FIXTURE(reset)
{
	struct dev d;
	struct dbuf *nop, *sig;
};

FIXTURE_VARIANT(reset)
{
	const char *props;
};

FIXTURE_VARIANT_ADD(reset, threads1){
	.props = ",debug-hooks=on,queue-depth=3",
};

FIXTURE_VARIANT_ADD(reset, threads2){
	.props = ",debug-hooks=on,queue-depth=3,engine-threads=2",
};

FIXTURE_SETUP(reset)
{
	union lutc_insn nop = insn_nop();

	DEV_SETUP(&self->d, variant->props, DEV_QMP);
	self->nop = dev_stream(&self->d, NULL, STREAM_VA, &nop, 1);
	self->sig = dbuf_new(&self->d, NULL, SIG_VA, PAGE, 0);
	ASSERT_TRUE(self->nop && self->sig);
}

FIXTURE_TEARDOWN(reset)
{
	DEV_TEARDOWN(&self->d);
}

static void kick_nop(FIXTURE_DATA(reset) * self, unsigned c, uint32_t seqno)
{
	dev_submit(&self->d, c, NULL, STREAM_VA, LUTC_INSN_SIZE, seqno);
}

/*
 * DEBUG.HANG_NEXT_JOB: the next KICK takes the bit and its job never
 * ends, holding the jobs behind it, until a soft reset drops them all.
 * With queue-depth=3 the 4th KICK is refused meanwhile.
 */
TEST_F(reset, debug_hang)
{
	struct dev *d = &self->d;

	kick_nop(self, 0, 7);
	ASSERT_TRUE(dev_wait_done(d, 0, 7));
	dev_ack(d, LUTCORE_IRQ_ALL);
	dev_wr(d, LUTCORE_REG_DEBUG, LUTCORE_DEBUG_HANG_NEXT_JOB);
	EXPECT_EQ(LUTCORE_DEBUG_HANG_NEXT_JOB, dev_rd(d, LUTCORE_REG_DEBUG));
	kick_nop(self, 0, 8);
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_DEBUG)) TH_LOG("the KICK takes the bit");
	kick_nop(self, 0, 9);
	kick_nop(self, 0, 10);
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(7, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(3, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(LUTCORE_STATUS_ENABLED | LUTCORE_STATUS_BUSY, dev_rd(d, LUTCORE_REG_STATUS));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	/* Only core 0 is stuck. */
	kick_nop(self, 1, 70);
	EXPECT_TRUE(dev_wait_done(d, 1, 70));
	dev_ack(d, LUTCORE_IRQ_ALL);

	kick_nop(self, 0, 11);
	EXPECT_EQ(LUTCORE_ERR_QUEUE_FULL, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(11, core_rd(d, 0, LUTCORE_CORE_ERROR_SEQNO));
	EXPECT_EQ(LUTCORE_IRQ_JOB_ERROR(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));

	ASSERT_TRUE(dev_soft_reset(d, true));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(LUTCORE_STATUS_ENABLED, dev_rd(d, LUTCORE_REG_STATUS));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(7, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO)) TH_LOG("a dropped job completed");
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	kick_nop(self, 0, 12);
	EXPECT_TRUE(dev_wait_done(d, 0, 12));
	EXPECT_EQ(1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO)) TH_LOG("counts from the reset");
}

/*
 * Jobs queued on two cores (behind a hang and behind a halt after an
 * error) whose SIGNALs would write memory and interrupt: after a soft
 * reset none of them ever runs, completes or interrupts.
 */
TEST_F(reset, drops_queued_jobs)
{
	struct dev *d = &self->d;
	unsigned i;

	for (i = 0; i < 4; i++) {
		union lutc_insn sig = insn_signal(SIG_VA + 8 * i, 0x5100 + i, LUTC_SIG_IRQ);

		ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA + (i + 1) * PAGE, &sig, 1));
	}
	dev_wr(d, LUTCORE_REG_DEBUG, LUTCORE_DEBUG_HANG_NEXT_JOB);
	kick_nop(self, 0, 1);
	dev_submit(d, 1, NULL, HOLE_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 1, 1));
	for (i = 0; i < 4; i++)
		dev_submit(d, i % 2, NULL, STREAM_VA + (i + 1) * PAGE, LUTC_INSN_SIZE, 2 + i / 2);
	EXPECT_EQ(3, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(2, core_rd(d, 1, LUTCORE_CORE_QUEUED));

	dev_msi_clear(d);
	ASSERT_TRUE(dev_soft_reset(d, true));
	qtest_msleep(DEV_QUIET_MS);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, core_rd(d, i, LUTCORE_CORE_QUEUED)) TH_LOG("core %u", i);
		EXPECT_EQ(i, core_rd(d, i, LUTCORE_CORE_DONE_SEQNO)) TH_LOG("core %u", i);
		EXPECT_EQ(0, dev_msi(d, i)) TH_LOG("core %u interrupted", i);
	}
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, dbuf_rd64(d, self->sig, 8 * i)) TH_LOG("dropped job %u ran", i);
	}
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_STATUS) & LUTCORE_STATUS_BUSY);
}

/*
 * What soft reset clears and keeps (docs/device.md §6), and CTRL.ENABLE
 * taken from the written value.
 */
TEST_F(reset, clears_and_keeps)
{
	struct dev *d = &self->d;

	kick_nop(self, 1, 5);
	ASSERT_TRUE(dev_wait_done(d, 1, 5));
	dev_submit(d, 1, NULL, HOLE_VA, LUTC_INSN_SIZE, 6);
	ASSERT_TRUE(dev_wait_done(d, 1, 6));
	dev_wr(d, LUTCORE_REG_SCRATCH, 0xc0ffee);
	dev_wr(d, LUTCORE_REG_IRQ_MASK, LUTCORE_IRQ_JOB_DONE(1) | LUTCORE_IRQ_JOB_ERROR(1));
	dev_wr(d, LUTCORE_REG_DEBUG, LUTCORE_DEBUG_HANG_NEXT_JOB);
	ASSERT_NE(0, core_rd(d, 1, LUTCORE_CORE_ERROR));
	ASSERT_NE(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));

	ASSERT_TRUE(dev_soft_reset(d, false));
	/* Cleared. */
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_DEBUG));
	EXPECT_EQ(0, core_rd(d, 1, LUTCORE_CORE_ERROR));
	EXPECT_EQ(0, core_rd(d, 1, LUTCORE_CORE_ERROR_SEQNO));
	EXPECT_EQ(0, core_rd64(d, 1, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(0, core_rd(d, 1, LUTCORE_CORE_FAULT_OFFSET));
	EXPECT_EQ(0, core_rd(d, 1, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(0, core_rd64(d, 1, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd64(d, 1, LUTCORE_CORE_CYCLES_LO));
	EXPECT_EQ(0, core_rd64(d, 1, LUTCORE_CORE_BYTES_READ_LO));
	/* Kept. */
	EXPECT_EQ(6, core_rd(d, 1, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(6, core_rd(d, 1, LUTCORE_CORE_SEQNO));
	EXPECT_EQ(HOLE_VA, core_rd64(d, 1, LUTCORE_CORE_CMD_ADDR_LO));
	EXPECT_EQ(LUTC_INSN_SIZE, core_rd(d, 1, LUTCORE_CORE_CMD_SIZE));
	EXPECT_EQ(d->as.root, core_rd64(d, 1, LUTCORE_CORE_PT_BASE_LO));
	EXPECT_EQ(0xc0ffee, dev_rd(d, LUTCORE_REG_SCRATCH));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(1) | LUTCORE_IRQ_JOB_ERROR(1),
		  dev_rd(d, LUTCORE_REG_IRQ_MASK));
	/* Written without ENABLE: disabled, and KICKs are ignored. */
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_CTRL));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_STATUS));
	kick_nop(self, 1, 7);
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(6, core_rd(d, 1, LUTCORE_CORE_DONE_SEQNO));
	/* The debug hang was cleared too: this job finishes. */
	dev_wr(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_ENABLE);
	kick_nop(self, 1, 8);
	EXPECT_TRUE(dev_wait_done(d, 1, 8));
}

/*
 * Start a long job on core 0: LONG_INSNS COPYs of 1 MiB each, over a
 * second of work. False if it cannot be set up or is not running 20 ms on.
 */
#define LONG_INSNS 4096
static bool start_long_job(FIXTURE_DATA(reset) * self, uint32_t seqno)
{
	const uint32_t mib = 1u << 20;
	struct dev *d = &self->d;
	union lutc_insn *prog = calloc(LONG_INSNS, sizeof(*prog));
	bool ok;
	unsigned i;

	if (!prog)
		return false;
	for (i = 0; i < LONG_INSNS; i++)
		prog[i] = insn_copy(SRC_VA, DST_VA, 1, mib);
	ok = dbuf_new(d, NULL, SRC_VA, mib, DB_RO) && dbuf_new(d, NULL, DST_VA, mib, 0) &&
	     dev_stream(d, NULL, HOLE_VA + PAGE, prog, LONG_INSNS);
	free(prog);
	if (!ok)
		return false;
	dev_submit(d, 0, NULL, HOLE_VA + PAGE, LONG_INSNS * LUTC_INSN_SIZE, seqno);
	qtest_msleep(20);
	return dev_rd(d, LUTCORE_REG_STATUS) == (LUTCORE_STATUS_ENABLED | LUTCORE_STATUS_BUSY) &&
	       core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO) != seqno;
}

/*
 * A long job is aborted within one engine step: the reset completes
 * quickly, and the job leaves no completion, interrupt or count behind.
 * The core then runs new jobs.
 */
TEST_F(reset, aborts_running_job)
{
	struct dev *d = &self->d;
	uint64_t t0, took;

	ASSERT_TRUE(start_long_job(self, 1));
	t0 = qtest_now_ms();
	ASSERT_TRUE(dev_soft_reset(d, true));
	took = qtest_now_ms() - t0;
	EXPECT_LT(took, RESET_MS) TH_LOG("reset took %llu ms", (unsigned long long)took);
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO));
	EXPECT_EQ(LUTCORE_STATUS_ENABLED, dev_rd(d, LUTCORE_REG_STATUS));
	kick_nop(self, 0, 2);
	EXPECT_TRUE(dev_wait_done(d, 0, 2));
}

/*
 * KICKs are accepted right after the SOFT_RESET write, while the aborted
 * job may still be stopping: they queue behind it and run, and only they
 * are reported.
 */
TEST_F(reset, kick_right_after_reset)
{
	struct dev *d = &self->d;

	ASSERT_TRUE(start_long_job(self, 1));
	dev_wr(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_SOFT_RESET | LUTCORE_CTRL_ENABLE);
	kick_nop(self, 0, 2);
	kick_nop(self, 1, 3);
	EXPECT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_TRUE(dev_wait_done(d, 1, 3));
	EXPECT_TRUE(dev_wait_reg(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_SOFT_RESET, 0));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(2, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0) | LUTCORE_IRQ_JOB_DONE(1),
		  dev_rd(d, LUTCORE_REG_IRQ_STATUS));
}

/*
 * One LMMA big enough to run for over a second (1024 x 4096 x 4096, four
 * planes; zero operands) is stopped between its work chunks: the reset
 * does not wait for the instruction to end.
 */
TEST_F(reset, aborts_inside_instruction)
{
	const uint32_t m = 1024, n = 4096, k = 4096, wfmt = LUTC_WF_INT4;
	const uint64_t tbytes = lutc_table_bytes(m, k, LUTC_DT_I8);
	const uint64_t wbytes = lutc_weight_bytes(n, k, wfmt);
	struct dev *d = &self->d;
	union lutc_insn lmma = {.lmma = {
					.op = LUTC_OP_LMMA,
					.table_dtype = LUTC_DT_I8,
					.wfmt = wfmt,
					.acc_dtype = LUTC_DT_I32,
					.m = m,
					.n = n,
					.k = k,
					.table = SRC_VA,
					.weights = SRC_VA + tbytes,
					.acc = DST_VA + 0x4000000,
				}};
	uint64_t t0, took;

	ASSERT_TRUE(dbuf_new(d, NULL, SRC_VA, tbytes + wbytes, DB_RO) &&
		    dbuf_new(d, NULL, DST_VA + 0x4000000, (uint64_t)m * n * sizeof(int32_t), 0));
	ASSERT_NE(NULL, dev_stream(d, NULL, HOLE_VA + PAGE, &lmma, 1));
	dev_submit(d, 0, NULL, HOLE_VA + PAGE, LUTC_INSN_SIZE, 1);
	qtest_msleep(50);
	ASSERT_EQ(0, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO)) TH_LOG("the LMMA ended too soon");
	t0 = qtest_now_ms();
	ASSERT_TRUE(dev_soft_reset(d, true));
	took = qtest_now_ms() - t0;
	EXPECT_LT(took, RESET_MS) TH_LOG("reset took %llu ms", (unsigned long long)took);
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	kick_nop(self, 0, 2);
	EXPECT_TRUE(dev_wait_done(d, 0, 2));
}

/*
 * Device reset (QMP system_reset) with a hung job: every register goes
 * back to its reset value, config space too, and the device works again
 * once set up anew.
 */
TEST_F(reset, system_reset)
{
	static const uint32_t global[] = {
		LUTCORE_REG_CTRL,	LUTCORE_REG_STATUS,   LUTCORE_REG_SCRATCH,
		LUTCORE_REG_IRQ_STATUS, LUTCORE_REG_IRQ_MASK, LUTCORE_REG_DEBUG,
	};
	static const uint32_t core[] = {
		LUTCORE_CORE_PT_BASE_LO, LUTCORE_CORE_CMD_ADDR_LO, LUTCORE_CORE_CMD_SIZE,
		LUTCORE_CORE_SEQNO,	 LUTCORE_CORE_DONE_SEQNO,  LUTCORE_CORE_ERROR,
		LUTCORE_CORE_QUEUED,	 LUTCORE_CORE_JOBS_LO,
	};
	struct dev *d = &self->d;
	unsigned c, i;

	dev_wr(d, LUTCORE_REG_SCRATCH, 0x55);
	kick_nop(self, 0, 9);
	ASSERT_TRUE(dev_wait_done(d, 0, 9));
	dev_wr(d, LUTCORE_REG_DEBUG, LUTCORE_DEBUG_HANG_NEXT_JOB);
	kick_nop(self, 0, 10);
	dev_submit(d, 1, NULL, HOLE_VA, LUTC_INSN_SIZE, 3);
	ASSERT_TRUE(dev_wait_done(d, 1, 3));
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_QUEUED));

	ASSERT_EQ(0, qtest_qmp_system_reset(d->q));
	EXPECT_EQ(0, qpci_cfg_readl(&d->pci, PCI_BASE_ADDRESS_0 + 4 * LUTCORE_BAR_REGS));
	ASSERT_EQ(0, dev_pci_setup(d));
	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		EXPECT_EQ(0, dev_rd(d, global[i])) TH_LOG("register 0x%03x", global[i]);
	}
	for (c = 0; c < d->cores; c++)
		for (i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
			EXPECT_EQ(0, core_rd(d, c, core[i]))
			TH_LOG("core %u register 0x%02x", c, core[i]);
		}

	dev_wr(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_ENABLE);
	dev_wr(d, LUTCORE_REG_IRQ_MASK, LUTCORE_IRQ_ALL);
	kick_nop(self, 0, 11);
	EXPECT_TRUE(dev_wait_done(d, 0, 11));
	EXPECT_TRUE(dev_wait_msi(d, 0));
	EXPECT_EQ(1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
}

TEST_HARNESS_MAIN
