// SPDX-License-Identifier: MIT
/*
 * LUTCore device under qtest: jobs that fail. Every error code of
 * lutcore_regs.h with its ERROR, ERROR_SEQNO, FAULT_ADDR and FAULT_OFFSET
 * (docs/device.md §8), where a stream ends (at CMD_SIZE: there is no END
 * instruction, so bytes past it never run and bytes before it must all be
 * valid descriptors), the halt after an error, and QUEUE_FULL.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "devtest.h"

#define STREAM_VA DEV_VA
#define BUF_VA	  (DEV_VA + 0x100000)
#define RO_VA	  (DEV_VA + 0x200000)
#define DST_VA	  (DEV_VA + 0x300000)
#define HOLE_VA	  (DEV_VA + 0x400000) /* never mapped */

#define NINSN(p) (sizeof(p) / sizeof((p)[0]))

FIXTURE(errors)
{
	struct dev d;
	struct dbuf *buf, *ro;
	uint32_t seqno;
};

FIXTURE_SETUP(errors)
{
	DEV_SETUP(&self->d, ",queue-depth=3", 0);
	self->buf = dbuf_new(&self->d, NULL, BUF_VA, 2 * PAGE, 0);
	self->ro = dbuf_new(&self->d, NULL, RO_VA, PAGE, DB_RO);
	ASSERT_TRUE(self->buf && self->ro);
}

FIXTURE_TEARDOWN(errors)
{
	DEV_TEARDOWN(&self->d);
}

/* What a failed job must leave in core 0's registers. */
struct want {
	uint32_t error;
	uint64_t fault_addr;
	uint32_t fault_offset;
	uint64_t or_fault_addr; /* also allowed ("the operand's VA, or the instruction's") */
};

/*
 * Run bytes of stream (mapped afresh at STREAM_VA) on core 0 with CMD_SIZE
 * size as the next seqno; returns the seqno once the job has finished, 0
 * if it did not.
 */
static uint32_t run_stream(FIXTURE_DATA(errors) * self, const void *stream, uint32_t bytes,
			   uint32_t size)
{
	struct dev *d = &self->d;
	uint32_t seqno = ++self->seqno;
	struct dbuf *s = dbuf_new(d, NULL, STREAM_VA, bytes, DB_RO);

	if (!s)
		return 0;
	dbuf_write(d, s, 0, stream, bytes);
	dev_submit(d, 0, NULL, STREAM_VA, size, seqno);
	return dev_wait_done(d, 0, seqno) ? seqno : 0;
}

/*
 * Check the failure core 0 reports for seqno, then acknowledge it so the
 * core runs on. Returns false (after logging why) on any mismatch.
 */
static bool failed_as(struct __test_metadata *_metadata, struct dev *d, uint32_t seqno,
		      struct want w)
{
	uint64_t fault = core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO);
	bool ok = true;

#define CHECK(cond_, fmt_, ...)                                          \
	do {                                                             \
		if (!(cond_)) {                                          \
			TH_LOG("seqno %u: " fmt_, seqno, ##__VA_ARGS__); \
			ok = false;                                      \
		}                                                        \
	} while (0)
	CHECK(seqno, "the job did not finish");
	CHECK(core_rd(d, 0, LUTCORE_CORE_ERROR) == w.error, "ERROR %u, expected %u",
	      core_rd(d, 0, LUTCORE_CORE_ERROR), w.error);
	CHECK(core_rd(d, 0, LUTCORE_CORE_ERROR_SEQNO) == seqno, "ERROR_SEQNO %u",
	      core_rd(d, 0, LUTCORE_CORE_ERROR_SEQNO));
	CHECK(fault == w.fault_addr || (w.or_fault_addr && fault == w.or_fault_addr),
	      "FAULT_ADDR 0x%llx, expected 0x%llx", (unsigned long long)fault,
	      (unsigned long long)w.fault_addr);
	CHECK(core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET) == w.fault_offset,
	      "FAULT_OFFSET %u, expected %u", core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET),
	      w.fault_offset);
	/* JOB_ERROR, not JOB_DONE; a failed job still counts as finished. */
	CHECK(dev_rd(d, LUTCORE_REG_IRQ_STATUS) == LUTCORE_IRQ_JOB_ERROR(0), "IRQ_STATUS 0x%x",
	      dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	CHECK(core_rd(d, 0, LUTCORE_CORE_QUEUED) == 0, "QUEUED %u",
	      core_rd(d, 0, LUTCORE_CORE_QUEUED));
#undef CHECK
	dev_ack(d, LUTCORE_IRQ_ALL);
	return ok;
}

/* Run a stream array whole and check how it fails. */
#define FAILS_AS(stream, ...)                                                           \
	EXPECT_TRUE(failed_as(_metadata, &self->d,                                      \
			      run_stream(self, stream, sizeof(stream), sizeof(stream)), \
			      (struct want){__VA_ARGS__}))

TEST_F(errors, page_fault_stream)
{
	struct dev *d = &self->d;

	dev_submit(d, 0, NULL, HOLE_VA, LUTC_INSN_SIZE, 77);
	ASSERT_TRUE(dev_wait_done(d, 0, 77));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(77, core_rd(d, 0, LUTCORE_CORE_ERROR_SEQNO));
	EXPECT_EQ(HOLE_VA, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET));
	EXPECT_EQ(LUTCORE_IRQ_JOB_ERROR(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_TRUE(dev_wait_msi(d, 0));
	/* Failed jobs are counted; they add no cycles of their own. */
	EXPECT_EQ(1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO));
}

/* An operand that runs from a mapped page into an unmapped one. */
TEST_F(errors, page_fault_operand)
{
	union lutc_insn prog[] = {
		insn_nop(),
		insn_nop(),
		insn_copy(BUF_VA + PAGE, DST_VA, 1, 2 * PAGE),
	};

	ASSERT_NE(NULL, dbuf_new(&self->d, NULL, DST_VA, 2 * PAGE, 0));
	/* Source: the buffer's 2nd page, then the unmapped page after it. */
	FAILS_AS(prog, .error = LUTCORE_ERR_PAGE_FAULT, .fault_addr = BUF_VA + 2 * PAGE,
		 .fault_offset = 2 * LUTC_INSN_SIZE);
}

/* VAs of 2^39 and above fault; FAULT_ADDR_HI carries the upper half. */
TEST_F(errors, page_fault_beyond_va_bits)
{
	const uint64_t va = 1ull << LUTCORE_VA_BITS;
	union lutc_insn prog[] = {insn_signal(va, 1, 0)};

	FAILS_AS(prog, .error = LUTCORE_ERR_PAGE_FAULT, .fault_addr = va, .fault_offset = 0);
	EXPECT_EQ((uint32_t)(va >> 32), core_rd(&self->d, 0, LUTCORE_CORE_FAULT_ADDR_HI));
}

/* A write that crosses from a writable page into a read-only one. */
TEST_F(errors, write_fault_exact_addr)
{
	struct dev *d = &self->d;
	struct dbuf *w = dbuf_new(d, NULL, RO_VA - PAGE, PAGE, 0);
	union lutc_insn prog[] = {
		insn_signal(BUF_VA, 5, 0),
		insn_copy(BUF_VA, RO_VA - 64, 1, 128),
	};
	union lutc_insn sig[] = {insn_nop(), insn_signal(RO_VA + 8, 1, LUTC_SIG_IRQ)};
	uint8_t page[PAGE];

	ASSERT_NE(NULL, w);
	FAILS_AS(prog, .error = LUTCORE_ERR_WRITE_FAULT, .fault_addr = RO_VA,
		 .fault_offset = LUTC_INSN_SIZE);
	/* The instruction before the failing one completed. */
	EXPECT_EQ(5, dbuf_rd64(d, self->buf, 0));
	FAILS_AS(sig, .error = LUTCORE_ERR_WRITE_FAULT, .fault_addr = RO_VA + 8,
		 .fault_offset = LUTC_INSN_SIZE);
	/* The read-only page was never written. */
	dbuf_read(d, self->ro, 0, page, PAGE);
	EXPECT_EQ(0, page[0] | page[8] | page[PAGE - 1]);
}

/*
 * Unknown opcodes, unknown flags and non-zero reserved fields: BAD_OPCODE
 * with FAULT_ADDR = the instruction's VA. One row per case; the bad
 * instruction follows a NOP so FAULT_OFFSET is not 0.
 */
TEST_F(errors, bad_opcode)
{
	union lutc_insn cases[8];
	unsigned i;

	memset(cases, 0, sizeof(cases));
	cases[0].hdr.op = 0x7f;
	cases[1].hdr.op = LUTC_OP_INVALID;
	cases[2] = insn_nop();
	cases[2].bytes[LUTC_INSN_SIZE - 1] = 1;
	cases[3] = insn_signal(BUF_VA, 1, ~LUTC_SIG_IRQ);
	cases[4] = insn_signal(BUF_VA, 1, 0);
	cases[4].signal.rsvd1[12] = 1;
	cases[5] = insn_copy(BUF_VA, BUF_VA + PAGE, 1, 8);
	cases[5].copy.flags = 1;
	cases[6] = insn_copy(BUF_VA, BUF_VA + PAGE, 1, 8);
	cases[6].copy.rsvd0 = 1;
	cases[7].hdr.op = 0xff;
	for (i = 0; i < NINSN(cases); i++) {
		union lutc_insn prog[] = {insn_nop(), cases[i]};

		EXPECT_TRUE(failed_as(_metadata, &self->d,
				      run_stream(self, prog, sizeof(prog), sizeof(prog)),
				      (struct want){.error = LUTCORE_ERR_BAD_OPCODE,
						    .fault_addr = STREAM_VA + LUTC_INSN_SIZE,
						    .fault_offset = LUTC_INSN_SIZE}))
		TH_LOG("case %u", i);
	}
}

/* Sizes, alignment, types and overlap: BAD_OPERAND. */
TEST_F(errors, bad_operand)
{
	union lutc_insn cases[5];
	uint64_t fault[5];
	unsigned i;

	cases[0] = insn_signal(BUF_VA + 4, 1, 0); /* 8-byte aligned */
	fault[0] = BUF_VA + 4;
	cases[1] = insn_copy(BUF_VA, BUF_VA + PAGE, 0, 8); /* no rows */
	fault[1] = STREAM_VA + LUTC_INSN_SIZE;
	cases[2] = insn_copy(BUF_VA, BUF_VA + 8, 1, 16); /* overlap */
	fault[2] = BUF_VA + 8;
	cases[3] = insn_copy(BUF_VA, BUF_VA + PAGE, 1, 8);
	cases[3].copy.src_dtype = LUTC_DT_F32; /* F32 -> U8: no conversion */
	fault[3] = STREAM_VA + LUTC_INSN_SIZE;
	cases[4] = insn_copy(BUF_VA + 2, BUF_VA + PAGE, 1, 8);
	cases[4].copy.src_dtype = cases[4].copy.dst_dtype = LUTC_DT_F32; /* misaligned */
	fault[4] = BUF_VA + 2;
	for (i = 0; i < NINSN(cases); i++) {
		union lutc_insn prog[] = {insn_nop(), cases[i]};

		EXPECT_TRUE(failed_as(_metadata, &self->d,
				      run_stream(self, prog, sizeof(prog), sizeof(prog)),
				      (struct want){.error = LUTCORE_ERR_BAD_OPERAND,
						    .fault_addr = fault[i],
						    .fault_offset = LUTC_INSN_SIZE,
						    .or_fault_addr = STREAM_VA + LUTC_INSN_SIZE}))
		TH_LOG("case %u", i);
	}
}

/*
 * Stream errors: FAULT_ADDR = CMD_ADDR, FAULT_OFFSET = 0, nothing runs.
 * The stream (a SIGNAL) would mark the buffer if it ran.
 */
TEST_F(errors, bad_stream)
{
	static const struct {
		const char *what;
		uint64_t cmd_off; /* CMD_ADDR - the stream's VA */
		uint64_t cmd_abs; /* or an absolute CMD_ADDR */
		uint32_t size;
		uint64_t pt_off; /* PT_BASE - the page-table root */
	} cases[] = {
		{"size 0", 0, 0, 0, 0},
		{"size not a multiple of 128", 0, 0, 100, 0},
		{"size 129", 0, 0, LUTC_INSN_SIZE + 1, 0},
		{"size above LUTC_STREAM_MAX", 0, 0, LUTC_STREAM_MAX + LUTC_INSN_SIZE, 0},
		{"CMD_ADDR not 8-byte aligned", 4, 0, LUTC_INSN_SIZE, 0},
		{"stream wraps at 2^64", 0, 0ull - LUTC_INSN_SIZE, 2 * LUTC_INSN_SIZE, 0},
		{"PT_BASE not 4 KiB aligned", 0, 0, LUTC_INSN_SIZE, 8},
	};
	union lutc_insn sig = insn_signal(BUF_VA, 0xbad, LUTC_SIG_IRQ);
	struct dev *d = &self->d;
	unsigned i;

	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &sig, 1));
	devas_sync(&d->as);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t cmd = cases[i].cmd_abs ? cases[i].cmd_abs : STREAM_VA + cases[i].cmd_off;

		dev_kick(d, 0, d->as.root + cases[i].pt_off, cmd, cases[i].size, 100 + i);
		ASSERT_TRUE(dev_wait_done(d, 0, 100 + i)) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(LUTCORE_ERR_BAD_STREAM, core_rd(d, 0, LUTCORE_CORE_ERROR))
		TH_LOG("%s", cases[i].what);
		EXPECT_EQ(cmd, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO))
		TH_LOG("%s", cases[i].what);
		EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET)) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(LUTCORE_IRQ_JOB_ERROR(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS))
		TH_LOG("%s: the SIGNAL must not run", cases[i].what);
		dev_ack(d, LUTCORE_IRQ_ALL);
	}
	EXPECT_EQ(0, dbuf_rd64(d, self->buf, 0));
}

/*
 * The stream ends at CMD_SIZE. Bytes past it are never fetched, not even
 * across a page boundary into an unmapped page; garbage or a zero-filled
 * (opcode 0) descriptor inside it fails at its own offset, after the
 * instructions before it have run.
 */
TEST_F(errors, stream_end)
{
	struct dev *d = &self->d;
	/* The stream's last descriptor is the last 128 bytes of a page. */
	const uint64_t va = HOLE_VA - LUTC_INSN_SIZE;
	struct dbuf *page = dbuf_new(d, NULL, HOLE_VA - PAGE, PAGE, DB_RO);
	union lutc_insn sig = insn_signal(BUF_VA, 0x600d, 0), junk;

	ASSERT_NE(NULL, page);
	memset(&junk, 0xa5, sizeof(junk));
	dbuf_write(d, page, PAGE - 2 * LUTC_INSN_SIZE, &junk, sizeof(junk));
	dbuf_write(d, page, PAGE - LUTC_INSN_SIZE, &sig, sizeof(sig));

	/* Exactly one descriptor, right before the unmapped page. */
	dev_submit(d, 0, NULL, va, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(0x600d, dbuf_rd64(d, self->buf, 0));
	self->seqno = 1;
	dev_ack(d, LUTCORE_IRQ_ALL);

	/* One more descriptor's worth: fetched from the unmapped page. */
	dev_submit(d, 0, NULL, va, 2 * LUTC_INSN_SIZE, 2);
	ASSERT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(HOLE_VA, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(LUTC_INSN_SIZE, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET));
	dev_ack(d, LUTCORE_IRQ_ALL);

	/* Garbage inside CMD_SIZE fails at its offset; the SIGNAL ran first. */
	{
		union lutc_insn prog[] = {insn_signal(BUF_VA + 8, 0x5eed, 0), junk};
		union lutc_insn zero[] = {insn_nop(), insn_nop(), {.bytes = {0}}};

		self->seqno = 2;
		FAILS_AS(prog, .error = LUTCORE_ERR_BAD_OPCODE,
			 .fault_addr = STREAM_VA + LUTC_INSN_SIZE, .fault_offset = LUTC_INSN_SIZE);
		EXPECT_EQ(0x5eed, dbuf_rd64(d, self->buf, 8));
		FAILS_AS(zero, .error = LUTCORE_ERR_BAD_OPCODE,
			 .fault_addr = STREAM_VA + 2 * LUTC_INSN_SIZE,
			 .fault_offset = 2 * LUTC_INSN_SIZE);
		/* The same bytes with CMD_SIZE stopping before the garbage: fine. */
		prog[0].signal.value = 0x5eed2;
		ASSERT_NE(0, run_stream(self, prog, sizeof(prog), LUTC_INSN_SIZE));
		EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
		EXPECT_EQ(0x5eed2, dbuf_rd64(d, self->buf, 8));
	}
}

/*
 * A descriptor straddling into an unmapped page: PAGE_FAULT at the first
 * unmapped byte, with FAULT_OFFSET that of the descriptor.
 */
TEST_F(errors, descriptor_straddles_hole)
{
	struct dev *d = &self->d;
	struct dbuf *page = dbuf_new(d, NULL, HOLE_VA - PAGE, PAGE, DB_RO);
	union lutc_insn nop = insn_nop();

	ASSERT_NE(NULL, page);
	dbuf_write(d, page, PAGE - LUTC_INSN_SIZE - 64, &nop, sizeof(nop));
	dev_submit(d, 0, NULL, HOLE_VA - LUTC_INSN_SIZE - 64, 2 * LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(HOLE_VA, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(LUTC_INSN_SIZE, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET));
}

/* Page-table reads outside guest RAM, and bus mastering off: BUS. */
/*
 * An operand page that is not guest RAM is a bus error, before anything
 * is read or written there (docs/device.md §8): the device's own
 * registers, and an address nothing decodes. Reaching MMIO would also
 * make the worker thread take the BQL.
 */
TEST_F(errors, operand_outside_ram_is_bus_error)
{
	struct dev *d = &self->d;
	const uint64_t regs = d->pci.bar[LUTCORE_BAR_REGS];
	const uint64_t beyond_ram = (uint64_t)DEV_RAM_MIB << 20;
	union lutc_insn store[] = {insn_signal(HOLE_VA + LUTCORE_REG_SCRATCH, 0x5eed, 0)};
	union lutc_insn load[] = {insn_copy(HOLE_VA, BUF_VA, 1, 64)};
	union lutc_insn nowhere[] = {insn_signal(HOLE_VA + PAGE, 7, 0)};

	ASSERT_NE(0, regs);
	ASSERT_EQ(0, devas_map(&d->as, HOLE_VA, regs, true));
	ASSERT_EQ(0, devas_map(&d->as, HOLE_VA + PAGE, beyond_ram, true));
	devas_sync(&d->as);
	dev_wr(d, LUTCORE_REG_SCRATCH, 0x1234);

	FAILS_AS(store, .error = LUTCORE_ERR_BUS, .fault_addr = HOLE_VA + LUTCORE_REG_SCRATCH);
	EXPECT_EQ(0x1234, dev_rd(d, LUTCORE_REG_SCRATCH));
	FAILS_AS(load, .error = LUTCORE_ERR_BUS, .fault_addr = HOLE_VA);
	EXPECT_EQ(0, dbuf_rd64(d, self->buf, 0));
	FAILS_AS(nowhere, .error = LUTCORE_ERR_BUS, .fault_addr = HOLE_VA + PAGE);
}

TEST_F(errors, bus_error)
{
	struct dev *d = &self->d;
	union lutc_insn sig = insn_signal(BUF_VA, 1, 0);
	/* Nothing is mapped right above RAM on microvm. */
	const uint64_t beyond_ram = (uint64_t)DEV_RAM_MIB << 20;

	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &sig, 1));
	devas_sync(&d->as);
	dev_kick(d, 0, beyond_ram, STREAM_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(LUTCORE_ERR_BUS, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(STREAM_VA, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	dev_ack(d, LUTCORE_IRQ_ALL);

	dev_msi_clear(d);
	qpci_bus_master(&d->pci, false);
	dev_kick(d, 0, d->as.root, STREAM_VA, LUTC_INSN_SIZE, 2);
	ASSERT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_EQ(LUTCORE_ERR_BUS, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(STREAM_VA, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(0, dbuf_rd64(d, self->buf, 0));
	/* MSI-X is a DMA write too: no message without bus mastering. */
	EXPECT_EQ(0, dev_msi(d, 0));
	dev_ack(d, LUTCORE_IRQ_ALL);
	qpci_bus_master(&d->pci, true);
	dev_kick(d, 0, d->as.root, STREAM_VA, LUTC_INSN_SIZE, 3);
	ASSERT_TRUE(dev_wait_done(d, 0, 3));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(1, dbuf_rd64(d, self->buf, 0));
}

/*
 * Device VAs that map MMIO (the device's own BAR0) instead of RAM "may
 * fail with LUTCORE_ERR_BUS" (docs/device.md §5.2): whatever the outcome,
 * the job ends, and QEMU survives (checked in the teardown).
 */
TEST_F(errors, mmio_instead_of_ram)
{
	struct dev *d = &self->d;
	union lutc_insn nop = insn_nop(),
			prog[] = {
				insn_copy(DST_VA, BUF_VA, 1, 64),
				insn_copy(BUF_VA + 64, DST_VA + LUTCORE_REG_SCRATCH, 1, 4),
			};
	uint32_t err;

	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &nop, 1));
	devas_sync(&d->as);
	/* Page tables in MMIO: whatever the walk reads is not a table. */
	dev_kick(d, 0, d->bar0, STREAM_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	err = core_rd(d, 0, LUTCORE_CORE_ERROR);
	EXPECT_TRUE(err == LUTCORE_ERR_BUS || err == LUTCORE_ERR_PAGE_FAULT)
	TH_LOG("ERROR %u", err);
	dev_ack(d, LUTCORE_IRQ_ALL);

	/* Operands in MMIO: read registers, write SCRATCH. */
	ASSERT_EQ(0, devas_map(&d->as, DST_VA, d->bar0, true));
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA + PAGE, prog, NINSN(prog)));
	dev_submit(d, 0, NULL, STREAM_VA + PAGE, sizeof(prog), 2);
	ASSERT_TRUE(dev_wait_done(d, 0, 2));
	err = dev_job_error(d, 0, 2);
	EXPECT_TRUE(err == LUTCORE_ERR_NONE || err == LUTCORE_ERR_BUS) TH_LOG("ERROR %u", err);
	EXPECT_EQ(LUTCORE_ID_MAGIC, dev_rd(d, LUTCORE_REG_ID));
}

/*
 * After a failed job the core waits until JOB_ERROR is cleared; the
 * error registers keep describing the failed job meanwhile, and clearing
 * other bits does not release it.
 */
TEST_F(errors, halt_after_error)
{
	struct dev *d = &self->d;
	union lutc_insn sig = insn_signal(BUF_VA, 2, 0);

	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &sig, 1));
	dev_submit(d, 0, NULL, HOLE_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 2);
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_ERROR_SEQNO));
	EXPECT_EQ(0, dbuf_rd64(d, self->buf, 0));
	dev_ack(d, LUTCORE_IRQ_JOB_DONE(0) | LUTCORE_IRQ_SIGNAL(0) | LUTCORE_IRQ_JOB_ERROR(1));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO)) TH_LOG("released by other bits");
	dev_ack(d, LUTCORE_IRQ_JOB_ERROR(0));
	EXPECT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_EQ(2, dbuf_rd64(d, self->buf, 0));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
}

/*
 * With queue-depth=3 jobs held behind a failed one, the 4th KICK is
 * refused: QUEUE_FULL for its seqno, no job, DONE_SEQNO unchanged, and a
 * guest error. Releasing the core runs the queued jobs, never the refused.
 */
TEST_F(errors, queue_full)
{
	struct dev *d = &self->d;
	union lutc_insn sig = insn_signal(BUF_VA, 3, 0);

	ASSERT_EQ(3, dev_rd(d, LUTCORE_REG_CAP_QUEUE_DEPTH));
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &sig, 1));
	dev_submit(d, 0, NULL, HOLE_VA, LUTC_INSN_SIZE, 1);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 2);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 3);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(2, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 4);
	EXPECT_EQ(3, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	dev_log_mark(d);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 5);
	EXPECT_EQ(LUTCORE_ERR_QUEUE_FULL, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(5, core_rd(d, 0, LUTCORE_CORE_ERROR_SEQNO));
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET));
	EXPECT_EQ(3, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(LUTCORE_IRQ_JOB_ERROR(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("log: %s", dev_log_text(d));
	dev_ack(d, LUTCORE_IRQ_JOB_ERROR(0));
	EXPECT_TRUE(dev_wait_done(d, 0, 4));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(4, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO)) TH_LOG("the refused job ran");
	EXPECT_EQ(4, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_QUEUED));
}

TEST_HARNESS_MAIN
