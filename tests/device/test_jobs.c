// SPDX-License-Identifier: MIT
/*
 * LUTCore device under qtest: jobs that succeed. COPY across scattered
 * pages and SIGNAL with its interrupt, MSI-X (vector per core, masking,
 * IRQ_MASK), a 2 MiB buffer mapped from scattered pages, DONE_SEQNO order
 * with several jobs queued, page tables changed between jobs, separate
 * address spaces, the counters (up to their upper halves), an LMMA
 * whose CYCLES must follow the documented cycle model for the array shape
 * in the CAP registers, and page tables changed while a job runs: seen
 * from the job's next instruction after TLB_INVALIDATE of its core, and
 * not before (the cached translations are kept without it).
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "devtest.h"
#include "engine/lut_engine.h"

/* Device VAs of this file's buffers. */
#define STREAM_VA DEV_VA
#define SIG_VA	  (DEV_VA + 0x100000)
#define SRC_VA	  (DEV_VA + 0x400000)
#define DST_VA	  (DEV_VA + 0x800000)
#define VA2	  (DEV_VA + 0x1000000) /* further streams */

#define NINSN(p) (sizeof(p) / sizeof((p)[0]))

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

FIXTURE(jobs)
{
	struct dev d;
};

/* engine-threads changes emulation speed, never results or counters. */
FIXTURE_VARIANT(jobs)
{
	const char *props;
};

FIXTURE_VARIANT_ADD(jobs, threads1){
	.props = ",engine-threads=1",
};

FIXTURE_VARIANT_ADD(jobs, threads2){
	.props = ",engine-threads=2",
};

FIXTURE_SETUP(jobs)
{
	DEV_SETUP(&self->d, variant->props, 0);
}

FIXTURE_TEARDOWN(jobs)
{
	DEV_TEARDOWN(&self->d);
}

/* A one-instruction NOP stream at va; jobs that only need to finish. */
static struct dbuf *nop_stream(struct dev *d, uint64_t va)
{
	union lutc_insn nop = insn_nop();

	return dev_stream(d, NULL, va, &nop, 1);
}

/*
 * NOP, COPY of 3 pages whose source and destination pages are scattered
 * differently, SIGNAL with an interrupt: the Python checks' first job.
 */
TEST_F(jobs, copy_signal)
{
	const size_t len = 3 * PAGE;
	struct dev *d = &self->d;
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct dbuf *s = dbuf_new(d, NULL, SRC_VA, len, DB_RO | DB_REVERSE);
	struct dbuf *t = dbuf_new(d, NULL, DST_VA, len, DB_CHUNKS);
	struct dbuf *sig = dbuf_new(d, NULL, SIG_VA, PAGE, 0);
	union lutc_insn prog[] = {
		insn_nop(),
		insn_copy(SRC_VA, DST_VA, 1, (uint32_t)len),
		insn_signal(SIG_VA, 0x1122334455667788ull, LUTC_SIG_IRQ),
	};
	uint32_t st;

	ASSERT_TRUE(src && dst && s && t && sig);
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, prog, NINSN(prog)));
	fill_pattern(src, len, 1);
	dbuf_write(d, s, 0, src, len);
	dev_log_mark(d);
	dev_submit(d, 0, NULL, STREAM_VA, sizeof(prog), 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_TRUE(dev_wait_msi(d, 0));
	st = dev_rd(d, LUTCORE_REG_IRQ_STATUS);
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0) | LUTCORE_IRQ_SIGNAL(0), st);
	dbuf_read(d, t, 0, dst, len);
	EXPECT_EQ(0, memcmp(src, dst, len));
	EXPECT_EQ(0x1122334455667788ull, dbuf_rd64(d, sig, 0));
	EXPECT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_LT(0, core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO));
	/* Operand bytes read: the COPY's source; fetch and SIGNAL not counted. */
	EXPECT_EQ(len, core_rd64(d, 0, LUTCORE_CORE_BYTES_READ_LO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(LUTCORE_STATUS_ENABLED, dev_rd(d, LUTCORE_REG_STATUS));
	/* The job registers keep their values after KICK. */
	EXPECT_EQ((uint32_t)STREAM_VA, core_rd(d, 0, LUTCORE_CORE_CMD_ADDR_LO));
	EXPECT_EQ((uint32_t)d->as.root, core_rd(d, 0, LUTCORE_CORE_PT_BASE_LO));
	EXPECT_EQ(sizeof(prog), core_rd(d, 0, LUTCORE_CORE_CMD_SIZE));
	EXPECT_EQ(1, core_rd(d, 0, LUTCORE_CORE_SEQNO));
	dev_ack(d, st);
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, dev_log_lines(d)) TH_LOG("guest errors: %s", dev_log_text(d));
	free(src);
	free(dst);
}

/* Vector c belongs to core c, and only core c's bits are raised. */
TEST_F(jobs, vector_per_core)
{
	struct dev *d = &self->d;
	unsigned c, v;

	ASSERT_NE(NULL, nop_stream(d, STREAM_VA));
	for (c = 0; c < d->cores; c++) {
		dev_msi_clear(d);
		dev_submit(d, c, NULL, STREAM_VA, LUTC_INSN_SIZE, 100 + c);
		ASSERT_TRUE(dev_wait_done(d, c, 100 + c)) TH_LOG("core %u", c);
		EXPECT_TRUE(dev_wait_msi(d, c)) TH_LOG("core %u", c);
		for (v = 0; v < LUTCORE_MSIX_VECTORS; v++)
			if (v != c) {
				EXPECT_EQ(0, dev_msi(d, v))
				TH_LOG("core %u sent on vector %u", c, v);
			}
		EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(c), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
		dev_ack(d, LUTCORE_IRQ_ALL);
	}
}

/* A masked vector keeps the message pending in the PBA until unmasked. */
TEST_F(jobs, msix_masked_vector)
{
	struct dev *d = &self->d;

	ASSERT_NE(NULL, nop_stream(d, STREAM_VA));
	qpci_msix_mask(&d->pci, 0, true);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 7);
	ASSERT_TRUE(dev_wait_done(d, 0, 7));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, dev_msi(d, 0));
	EXPECT_TRUE(qpci_msix_pending(&d->pci, 0));
	qpci_msix_mask(&d->pci, 0, false);
	EXPECT_TRUE(dev_wait_msi(d, 0));
	EXPECT_FALSE(qpci_msix_pending(&d->pci, 0));
}

/*
 * IRQ_MASK gates messages, not status; enabling a bit that is already
 * set sends one. With MSI-X disabled, events still latch.
 */
TEST_F(jobs, irq_mask_and_msix_enable)
{
	struct dev *d = &self->d;

	ASSERT_NE(NULL, nop_stream(d, STREAM_VA));
	dev_wr(d, LUTCORE_REG_IRQ_MASK, 0);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(0, dev_msi(d, 0));
	dev_wr(d, LUTCORE_REG_IRQ_MASK, LUTCORE_IRQ_JOB_DONE(0));
	EXPECT_TRUE(dev_wait_msi(d, 0));
	dev_ack(d, LUTCORE_IRQ_ALL);

	dev_msi_clear(d);
	qpci_msix_enable(&d->pci, false);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 2);
	ASSERT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_EQ(LUTCORE_IRQ_JOB_DONE(0), dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(0, dev_msi(d, 0));
}

/* One COPY of 2 MiB, source and destination scattered in two ways. */
TEST_F(jobs, copy_2mib_scattered)
{
	const size_t len = 2u << 20;
	struct dev *d = &self->d;
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct dbuf *s = dbuf_new(d, NULL, SRC_VA, len, DB_RO | DB_CHUNKS);
	struct dbuf *t = dbuf_new(d, NULL, DST_VA, len, DB_REVERSE);
	union lutc_insn copy = insn_copy(SRC_VA, DST_VA, len / LUTC_MAX_DIM, LUTC_MAX_DIM);
	struct lut_engine_config cfg;

	ASSERT_TRUE(src && dst && s && t);
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &copy, 1));
	fill_pattern(src, len, 2);
	dbuf_write(d, s, 0, src, len);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 9);
	ASSERT_TRUE(dev_wait_done(d, 0, 9));
	EXPECT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
	dbuf_read(d, t, 0, dst, len);
	EXPECT_EQ(0, memcmp(src, dst, len));
	EXPECT_EQ(len, core_rd64(d, 0, LUTCORE_CORE_BYTES_READ_LO));
	/* At least the memory roofline: 2 MiB read plus 2 MiB written. */
	lut_engine_config_default(&cfg);
	EXPECT_LE(div_up(2 * len, cfg.mem_bytes_per_cycle),
		  core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO));
	free(src);
	free(dst);
}

/*
 * Poll core c's DONE_SEQNO until it reads until (or DEV_WAIT_MS pass),
 * recording each new value in seen[] (at most max); returns how many.
 */
static unsigned watch_done_seqno(struct dev *d, unsigned c, uint32_t from, uint32_t until,
				 uint32_t *seen, unsigned max)
{
	uint64_t end = qtest_now_ms() + DEV_WAIT_MS;
	uint32_t last = from, v;
	unsigned n = 0;

	while (last != until && qtest_now_ms() < end && !qtest_error(d->q)) {
		v = core_rd(d, c, LUTCORE_CORE_DONE_SEQNO);
		if (v != last && n < max)
			seen[n++] = v;
		last = v;
	}
	return n;
}

/* Whether seen[] lists seqnos first .. first + count - 1 in that order. */
static bool in_kick_order(const uint32_t *seen, unsigned n, uint32_t first, unsigned count)
{
	unsigned i, j = 0;

	for (i = 0; i < n; i++) {
		while (j < count && seen[i] != first + j)
			j++;
		if (j == count)
			return false;
	}
	return true;
}

/*
 * Jobs queued behind a failed one (the core halts until JOB_ERROR is
 * cleared) run in KICK order: each copies a shared token into its own
 * slot, then SIGNALs the token to its index + 1, so slot i holds i only
 * if job i - 1 ran just before it. DONE_SEQNO moves through the seqnos
 * in KICK order, across the wrap at 2^32.
 */
#define ORDER_JOBS 6
TEST_F(jobs, done_seqno_order)
{
	const uint32_t first = 0xfffffffdu;
	struct dev *d = &self->d;
	struct dbuf *tok = dbuf_new(d, NULL, SIG_VA, PAGE, 0);
	struct dbuf *slots = dbuf_new(d, NULL, DST_VA, PAGE, 0);
	uint32_t seen[64] = {0};
	unsigned i, nseen;

	ASSERT_LE(ORDER_JOBS, dev_rd(d, LUTCORE_REG_CAP_QUEUE_DEPTH));
	ASSERT_TRUE(tok && slots && nop_stream(d, VA2));
	for (i = 0; i < ORDER_JOBS; i++) {
		union lutc_insn prog[] = {
			insn_copy(SIG_VA, DST_VA + 8 * i, 1, 8),
			insn_signal(SIG_VA, i + 1, 0),
		};

		ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA + i * PAGE, prog, NINSN(prog)));
	}
	/* Unmapped stream: fails, and the core halts behind it. */
	dev_submit(d, 0, NULL, DEV_VA + 0x3000000, LUTC_INSN_SIZE, first);
	ASSERT_TRUE(dev_wait_done(d, 0, first));
	for (i = 0; i < ORDER_JOBS; i++)
		dev_submit(d, 0, NULL, STREAM_VA + i * PAGE, 2 * LUTC_INSN_SIZE, first + 1 + i);
	EXPECT_EQ(ORDER_JOBS, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(LUTCORE_STATUS_ENABLED | LUTCORE_STATUS_BUSY, dev_rd(d, LUTCORE_REG_STATUS));
	/* Cores are independent: core 1 runs while core 0 is halted. */
	dev_submit(d, 1, NULL, VA2, LUTC_INSN_SIZE, 42);
	EXPECT_TRUE(dev_wait_done(d, 1, 42));
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(first, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));

	dev_ack(d, LUTCORE_IRQ_JOB_ERROR(0));
	nseen = watch_done_seqno(d, 0, first, first + ORDER_JOBS, seen, 64);
	ASSERT_EQ(first + ORDER_JOBS, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_TRUE(in_kick_order(seen, nseen, first + 1, ORDER_JOBS));
	for (i = 0; i < ORDER_JOBS; i++) {
		EXPECT_EQ(i, dbuf_rd64(d, slots, 8 * i)) TH_LOG("job %u", i);
	}
	EXPECT_EQ(ORDER_JOBS, dbuf_rd64(d, tok, 0));
	EXPECT_EQ(ORDER_JOBS + 1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_QUEUED));
}

/*
 * The stream need only be 8-byte aligned: a descriptor may straddle two
 * pages, here not contiguous in RAM.
 */
TEST_F(jobs, descriptor_straddles_pages)
{
	struct dev *d = &self->d;
	union lutc_insn prog[] = {
		insn_signal(SIG_VA, 0x57d1, 0),
		insn_signal(SIG_VA + 8, 0x57d2, 0),
	};
	struct dbuf *s = dbuf_new(d, NULL, VA2, 2 * PAGE, DB_RO | DB_REVERSE);
	struct dbuf *sig = dbuf_new(d, NULL, SIG_VA, PAGE, 0);

	ASSERT_TRUE(s && sig);
	dbuf_write(d, s, PAGE - 72, prog, sizeof(prog));
	dev_submit(d, 0, NULL, VA2 + PAGE - 72, sizeof(prog), 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(0x57d1, dbuf_rd64(d, sig, 0));
	EXPECT_EQ(0x57d2, dbuf_rd64(d, sig, 8));
}

/*
 * The TLB is emptied at the start of every job, so page tables changed
 * while no job is in flight need no TLB_INVALIDATE.
 */
TEST_F(jobs, remap_between_jobs)
{
	static const uint64_t a = 0xaaaaaaaaaaaaaaaaull, b = 0xbbbbbbbbbbbbbbbbull;
	struct dev *d = &self->d;
	union lutc_insn copy = insn_copy(SRC_VA, DST_VA, 1, 8);
	struct dbuf *pa = dbuf_new(d, NULL, SRC_VA, PAGE, DB_RO);
	struct dbuf *dst = dbuf_new(d, NULL, DST_VA, PAGE, 0);
	uint64_t other = gmem_alloc(&d->mem, PAGE);

	ASSERT_TRUE(pa && dst && other);
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &copy, 1));
	dbuf_write(d, pa, 0, &a, 8);
	qtest_memwrite(d->q, other, &b, 8);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_EQ(a, dbuf_rd64(d, dst, 0));
	ASSERT_EQ(0, devas_map(&d->as, SRC_VA, other, false));
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 2);
	ASSERT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_EQ(b, dbuf_rd64(d, dst, 0));
	EXPECT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
}

/* Two address spaces: the same VA means different memory, or nothing. */
TEST_F(jobs, address_spaces)
{
	static const uint64_t one = 0x1111111111111111ull, two = 0x2222222222222222ull;
	struct dev *d = &self->d;
	struct devas as2;
	union lutc_insn sig1 = insn_signal(SIG_VA, one, 0), sig2 = insn_signal(SIG_VA, two, 0);
	struct dbuf *b1, *b2;

	ASSERT_EQ(0, devas_init(&as2, d->q, &d->mem));
	b1 = dbuf_new(d, NULL, SIG_VA, PAGE, 0);
	b2 = dbuf_new(d, &as2, SIG_VA, PAGE, 0);
	ASSERT_TRUE(b1 && b2);
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &sig1, 1));
	ASSERT_NE(NULL, dev_stream(d, &as2, STREAM_VA, &sig2, 1));
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 1);
	dev_submit(d, 1, &as2, STREAM_VA, LUTC_INSN_SIZE, 2);
	EXPECT_TRUE(dev_wait_done(d, 0, 1));
	EXPECT_TRUE(dev_wait_done(d, 1, 2));
	EXPECT_EQ(one, dbuf_rd64(d, b1, 0));
	EXPECT_EQ(two, dbuf_rd64(d, b2, 0));

	/* A VA mapped only in the first space faults in the second. */
	ASSERT_NE(NULL, dev_stream(d, NULL, VA2, &sig1, 1));
	dev_submit(d, 1, &as2, VA2, LUTC_INSN_SIZE, 3);
	EXPECT_TRUE(dev_wait_done(d, 1, 3));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, core_rd(d, 1, LUTCORE_CORE_ERROR));
	EXPECT_EQ(VA2, core_rd64(d, 1, LUTCORE_CORE_FAULT_ADDR_LO));
	devas_fini(&as2);
}

/* Counters add up over jobs; BYTES_READ counts exactly the operands. */
TEST_F(jobs, counters_accumulate)
{
	struct dev *d = &self->d;
	union lutc_insn prog[] = {
		insn_copy(SRC_VA, DST_VA, 1, 1000),
		insn_copy(SRC_VA + 1000, DST_VA + 1000, 3, 24),
	};
	uint64_t cycles1;

	ASSERT_TRUE(dbuf_new(d, NULL, SRC_VA, PAGE, DB_RO) && dbuf_new(d, NULL, DST_VA, PAGE, 0));
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, prog, NINSN(prog)));
	dev_submit(d, 1, NULL, STREAM_VA, sizeof(prog), 1);
	ASSERT_TRUE(dev_wait_done(d, 1, 1));
	cycles1 = core_rd64(d, 1, LUTCORE_CORE_CYCLES_LO);
	EXPECT_LT(0, cycles1);
	EXPECT_EQ(1000 + 3 * 24, core_rd64(d, 1, LUTCORE_CORE_BYTES_READ_LO));
	dev_submit(d, 1, NULL, STREAM_VA, sizeof(prog), 2);
	ASSERT_TRUE(dev_wait_done(d, 1, 2));
	EXPECT_EQ(2, core_rd64(d, 1, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(2 * cycles1, core_rd64(d, 1, LUTCORE_CORE_CYCLES_LO))
	TH_LOG("same job, same cycles");
	EXPECT_EQ(2 * (1000 + 3 * 24), core_rd64(d, 1, LUTCORE_CORE_BYTES_READ_LO));
	/* Core 0 ran nothing. */
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO));
}

/* ---- The cycle model ----------------------------------------------------- */

FIXTURE(model)
{
	struct dev d;
};

FIXTURE_VARIANT(model)
{
	const char *props;
};

FIXTURE_VARIANT_ADD(model, m2n64k4){
	.props = "",
};

FIXTURE_VARIANT_ADD(model, n128_x2_threads2){
	.props = ",array-n=128,array-mult=2,engine-threads=2",
};

FIXTURE_VARIANT_ADD(model, m3k8){
	.props = ",array-m=3,array-k=8,clock-mhz=700",
};

FIXTURE_SETUP(model)
{
	DEV_SETUP(&self->d, variant->props, 0);
}

FIXTURE_TEARDOWN(model)
{
	DEV_TEARDOWN(&self->d);
}

/* An LMMA of integer tables into I32 sums, no scales (lutcore_isa.h). */
static union lutc_insn insn_lmma_i32(uint32_t m, uint32_t n, uint32_t k, uint32_t wfmt,
				     uint64_t table, uint64_t weights, uint64_t acc)
{
	union lutc_insn in = {.lmma = {
				      .op = LUTC_OP_LMMA,
				      .table_dtype = LUTC_DT_I8,
				      .wfmt = (uint8_t)wfmt,
				      .acc_dtype = LUTC_DT_I32,
				      .m = m,
				      .n = n,
				      .k = k,
				      .table = table,
				      .weights = weights,
				      .acc = acc,
			      }};

	return in;
}

/*
 * The array term of the LMMA cycle model for the device's array shape
 * (CAP_ARRAY) and multiplier (CAP_ARRAY_MULT): docs/device.md §5.4,
 * docs/isa.md §6: ceil(m/M) * ceil(n/N) * ceil(k/K) * B / X, rounded up.
 */
static uint64_t lmma_array_cycles(struct dev *d, uint32_t m, uint32_t n, uint32_t k,
				  uint32_t planes)
{
	uint32_t arr = dev_rd(d, LUTCORE_REG_CAP_ARRAY), x = dev_rd(d, LUTCORE_REG_CAP_ARRAY_MULT);
	uint64_t steps = (uint64_t)div_up(m, LUTCORE_CAP_ARRAY_M(arr)) *
			 div_up(n, LUTCORE_CAP_ARRAY_N(arr)) * div_up(k, LUTCORE_CAP_ARRAY_K(arr)) *
			 planes;

	return x ? div_up(steps, x) : 0;
}

/*
 * With all weight bits 0 every nibble is 0, which (sign inversion of
 * lutcore_isa.h with w3 = 0) looks up entry 0 of each group's table, and
 * B planes weigh 1, 2, .., 2^(B-1), so acc[i][j] = (2^B - 1) * sum_g
 * T[i][g][0] whatever the other seven entries hold. Row sums into want[].
 */
static void lmma_zero_weight_sums(const int8_t *tab, uint32_t m, uint32_t groups, uint32_t planes,
				  int32_t *want)
{
	uint32_t i, g;

	for (i = 0; i < m; i++) {
		want[i] = 0;
		for (g = 0; g < groups; g++)
			want[i] += ((1 << planes) - 1) *
				   tab[((size_t)i * groups + g) * LUTC_TABLE_ENTRIES];
	}
}

/*
 * A 32 x 128 x 256 LMMA with two planes of zero weights and random I8
 * tables: exact I32 sums, BYTES_READ = tables + weights, and CYCLES = the
 * issue overhead plus the array term. The shape keeps the array term
 * above the memory roofline and the scale stage for every variant, which
 * is checked, so the expected value is exact.
 */
TEST_F(model, lmma_cycles)
{
	const uint32_t m = 32, n = 128, k = 256, wfmt = LUTC_WF_INT2, groups = k / LUTC_GROUP_K;
	const uint64_t tbytes = lutc_table_bytes(m, k, LUTC_DT_I8);
	const uint64_t wbytes = lutc_weight_bytes(n, k, wfmt);
	const uint64_t abytes = (uint64_t)m * n * sizeof(int32_t);
	struct dev *d = &self->d;
	int8_t *tab = malloc(tbytes);
	int32_t *acc = malloc(abytes), want[32];
	struct dbuf *tb = dbuf_new(d, NULL, SRC_VA, tbytes, DB_RO | DB_REVERSE);
	struct dbuf *ab = dbuf_new(d, NULL, DST_VA, abytes, DB_CHUNKS);
	union lutc_insn lmma = insn_lmma_i32(m, n, k, wfmt, SRC_VA, SRC_VA + 0x100000, DST_VA);
	uint64_t array = lmma_array_cycles(d, m, n, k, lutc_wfmt_planes(wfmt));
	struct lut_engine_config cfg;
	uint32_t i;

	ASSERT_TRUE(tab && acc && tb && ab && dbuf_new(d, NULL, SRC_VA + 0x100000, wbytes, DB_RO));
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &lmma, 1));
	fill_pattern(tab, tbytes, 3);
	for (i = 0; i < tbytes; i++)
		tab[i] = (int8_t)(tab[i] % 100); /* within the I8 limit */
	dbuf_write(d, tb, 0, tab, tbytes);
	dbuf_fill(d, ab, 0xcd);
	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	ASSERT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));

	dbuf_read(d, ab, 0, acc, abytes);
	lmma_zero_weight_sums(tab, m, groups, lutc_wfmt_planes(wfmt), want);
	for (i = 0; i < m * n; i++) {
		ASSERT_EQ(want[i / n], acc[i]) TH_LOG("acc[%u][%u]", i / n, i % n);
	}

	lut_engine_config_default(&cfg);
	ASSERT_GT(array, div_up(tbytes + wbytes + abytes, cfg.mem_bytes_per_cycle));
	ASSERT_GT(array, div_up((uint64_t)m * n * lutc_ngroups(k, 0) * 3, cfg.vector_lanes));
	EXPECT_EQ(cfg.insn_overhead + array, core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO))
	TH_LOG("CAP_ARRAY 0x%08x, X %u", dev_rd(d, LUTCORE_REG_CAP_ARRAY),
	       dev_rd(d, LUTCORE_REG_CAP_ARRAY_MULT));
	EXPECT_EQ(tbytes + wbytes, core_rd64(d, 0, LUTCORE_CORE_BYTES_READ_LO));
	free(tab);
	free(acc);
}

/*
 * A 1x1x1 array makes one LMMA model more than 2^32 cycles: the 64-bit
 * counters carry into _HI, and a _HI read returns what the last _LO read
 * latched (docs/device.md §3.4), so LO-then-HI pairs are consistent.
 */
FIXTURE(wide)
{
	struct dev d;
};

FIXTURE_SETUP(wide)
{
	DEV_SETUP(&self->d, ",array-m=1,array-n=1,array-k=1", 0);
}

FIXTURE_TEARDOWN(wide)
{
	DEV_TEARDOWN(&self->d);
}

TEST_F(wide, counters_64bit)
{
	const uint32_t m = 64, n = 4096, k = 4096, wfmt = LUTC_WF_INT4;
	const uint64_t tbytes = lutc_table_bytes(m, k, LUTC_DT_I8);
	const uint64_t wbytes = lutc_weight_bytes(n, k, wfmt);
	struct dev *d = &self->d;
	union lutc_insn lmma = insn_lmma_i32(m, n, k, wfmt, SRC_VA, SRC_VA + tbytes, DST_VA);
	struct lut_engine_config cfg;
	uint64_t want;

	/* Zero tables and weights (RAM starts zeroed): only the size matters. */
	ASSERT_TRUE(dbuf_new(d, NULL, SRC_VA, tbytes + wbytes, DB_RO) &&
		    dbuf_new(d, NULL, DST_VA, (uint64_t)m * n * sizeof(int32_t), 0));
	ASSERT_NE(NULL, dev_stream(d, NULL, STREAM_VA, &lmma, 1));
	lut_engine_config_default(&cfg);
	want = cfg.insn_overhead + lmma_array_cycles(d, m, n, k, lutc_wfmt_planes(wfmt));
	ASSERT_LT(UINT32_MAX, want);
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_CYCLES_LO)); /* latches HI = 0 */

	dev_submit(d, 0, NULL, STREAM_VA, LUTC_INSN_SIZE, 1);
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	ASSERT_EQ(LUTCORE_ERR_NONE, core_rd(d, 0, LUTCORE_CORE_ERROR));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_CYCLES_HI)) TH_LOG("HI without a LO read first");
	EXPECT_EQ((uint32_t)want, core_rd(d, 0, LUTCORE_CORE_CYCLES_LO));
	EXPECT_EQ(want >> 32, core_rd(d, 0, LUTCORE_CORE_CYCLES_HI));
	EXPECT_EQ(want, core_rd64(d, 0, LUTCORE_CORE_CYCLES_LO));
	EXPECT_EQ(tbytes + wbytes, core_rd64(d, 0, LUTCORE_CORE_BYTES_READ_LO));
	EXPECT_EQ(1, core_rd64(d, 0, LUTCORE_CORE_JOBS_LO));
}

/* ---- TLB_INVALIDATE while a job runs ------------------------------------- */

/*
 * One 2 MiB region holds everything the job touches, so the device's
 * cached leaf table stays that of the region for the whole job. The TLB
 * is direct-mapped by VA page number modulo its size, and the region
 * starts at a multiple of it: in blocks of TLB_ENTRIES pages, every buffer
 * but X and Y lies in slots 0..41, and X and Y alone use slots 60 and 61,
 * so nothing but a flush evicts their translations during the job.
 */
#define TLB_ENTRIES	   64 /* docs/device.md section 9 */
#define TLB_REGION	   (DEV_VA + 0x2000000)
#define TLB_BLOCK(b, slot) (TLB_REGION + (TLB_ENTRIES * (uint64_t)(b) + (slot)) * PAGE)
#define TLB_STREAM	   TLB_BLOCK(0, 0)
#define TLB_FLAG	   TLB_BLOCK(0, 40) /* SIGNAL 1 at +0, SIGNAL 2 at +8 */
#define TLB_DST		   TLB_BLOCK(0, 41) /* the four COPY results, 8 bytes each */
#define TLB_TABLE	   TLB_BLOCK(1, 0)
#define TLB_WEIGHT	   TLB_BLOCK(2, 0)
#define TLB_ACC		   TLB_BLOCK(3, 0)
#define TLB_X		   TLB_BLOCK(5, 60)
#define TLB_Y		   TLB_BLOCK(5, 61)

/*
 * The LMMAs between the two halves: host time (a few hundred ms) for the
 * test to change the page tables. Each operand fits in 32 pages, which
 * bounds one LMMA's work, hence their number.
 */
#define TLB_LMMA_M     64
#define TLB_LMMA_NK    512
#define TLB_LMMA_COUNT 900
/* Instruction offsets in the stream. */
#define TLB_GO		 2			       /* SIGNAL 1: X and Y translated and read */
#define TLB_LATE	 (TLB_GO + 1 + TLB_LMMA_COUNT) /* SIGNAL 2: the second half begins */
#define TLB_NINSN	 (TLB_LATE + 3)
#define TLB_STREAM_BYTES (TLB_NINSN * LUTC_INSN_SIZE)
_Static_assert(TLB_STREAM_BYTES <= 40 * PAGE, "the stream runs into the flags");

FIXTURE(tlb)
{
	struct dev d;
	struct dbuf *flag, *dst, *x, *y;
	uint64_t x_new; /* the page X is remapped to */
};

static const uint64_t tlb_a = 0xa0a0a0a0a0a0a0a0ull, tlb_b = 0xb0b0b0b0b0b0b0b0ull,
		      tlb_c = 0xc0c0c0c0c0c0c0c0ull;

FIXTURE_SETUP(tlb)
{
	const uint64_t tbytes = lutc_table_bytes(TLB_LMMA_M, TLB_LMMA_NK, LUTC_DT_I8);
	const uint64_t wbytes = lutc_weight_bytes(TLB_LMMA_NK, TLB_LMMA_NK, LUTC_WF_INT4);
	const uint64_t abytes = (uint64_t)TLB_LMMA_M * TLB_LMMA_NK * sizeof(int32_t);
	struct dev *d = &self->d;
	static union lutc_insn prog[TLB_NINSN];
	unsigned i;

	DEV_SETUP(d, "", 0);
	/* Each operand within slots 0..31 of its block. */
	ASSERT_GE(32 * PAGE, tbytes);
	ASSERT_GE(32 * PAGE, wbytes);
	ASSERT_GE(32 * PAGE, abytes);
	prog[0] = insn_copy(TLB_X, TLB_DST, 1, 8);
	prog[1] = insn_copy(TLB_Y, TLB_DST + 8, 1, 8);
	prog[TLB_GO] = insn_signal(TLB_FLAG, 1, 0);
	for (i = TLB_GO + 1; i < TLB_LATE; i++)
		prog[i] = insn_lmma_i32(TLB_LMMA_M, TLB_LMMA_NK, TLB_LMMA_NK, LUTC_WF_INT4,
					TLB_TABLE, TLB_WEIGHT, TLB_ACC);
	prog[TLB_LATE] = insn_signal(TLB_FLAG + 8, 2, 0);
	prog[TLB_LATE + 1] = insn_copy(TLB_X, TLB_DST + 16, 1, 8);
	prog[TLB_LATE + 2] = insn_copy(TLB_Y, TLB_DST + 24, 1, 8);
	ASSERT_NE(NULL, dev_stream(d, NULL, TLB_STREAM, prog, TLB_NINSN));
	/* Zero tables and weights (RAM starts zeroed): only the work counts. */
	ASSERT_TRUE(dbuf_new(d, NULL, TLB_TABLE, tbytes, DB_RO) &&
		    dbuf_new(d, NULL, TLB_WEIGHT, wbytes, DB_RO) &&
		    dbuf_new(d, NULL, TLB_ACC, abytes, 0));
	self->flag = dbuf_new(d, NULL, TLB_FLAG, PAGE, 0);
	self->dst = dbuf_new(d, NULL, TLB_DST, PAGE, 0);
	self->x = dbuf_new(d, NULL, TLB_X, PAGE, DB_RO);
	self->y = dbuf_new(d, NULL, TLB_Y, PAGE, DB_RO);
	self->x_new = gmem_alloc(&d->mem, PAGE);
	ASSERT_TRUE(self->flag && self->dst && self->x && self->y && self->x_new);
	dbuf_write(d, self->x, 0, &tlb_a, 8);
	dbuf_write(d, self->y, 0, &tlb_c, 8);
	qtest_memwrite(d->q, self->x_new, &tlb_b, 8);
}

FIXTURE_TEARDOWN(tlb)
{
	DEV_TEARDOWN(&self->d);
}

/* Wait until the 64-bit word at off in b reads val. */
static bool tlb_wait_word(struct dev *d, struct dbuf *b, uint64_t off, uint64_t val)
{
	uint64_t end = qtest_now_ms() + DEV_WAIT_MS;

	while (dbuf_rd64(d, b, off) != val) {
		if (qtest_error(d->q) || qtest_now_ms() > end)
			return false;
		qtest_msleep(1);
	}
	return true;
}

/* Bus address of the level-1 table entry that points to va's leaf table. */
static uint64_t tlb_l1_entry(struct dev *d, uint64_t va)
{
	const unsigned l0 = (va >> (LUTCORE_PAGE_SHIFT + 2 * LUTCORE_PT_BITS)) % PT_ENTRIES;
	const unsigned l1 = (va >> (LUTCORE_PAGE_SHIFT + LUTCORE_PT_BITS)) % PT_ENTRIES;
	uint64_t pte;

	qtest_memread(d->q, d->as.root + 8 * l0, &pte, 8);
	return (pte & LUTCORE_PTE_ADDR_MASK) + 8 * l1;
}

/*
 * Points the region's level-1 entry to a new leaf table: a copy of the old
 * one in which X maps x_new and Y is unmapped. The old table is left as
 * it was, so only a walk that starts again at the root sees the change.
 */
static bool tlb_swap_leaf_table(FIXTURE_DATA(tlb) * self)
{
	struct dev *d = &self->d;
	uint64_t l1 = tlb_l1_entry(d, TLB_REGION), pte, leaf = gmem_alloc(&d->mem, PAGE);
	uint64_t e[PT_ENTRIES];

	if (!leaf)
		return false;
	qtest_memread(d->q, l1, &pte, 8);
	qtest_memread(d->q, pte & LUTCORE_PTE_ADDR_MASK, e, sizeof(e));
	e[(TLB_X >> LUTCORE_PAGE_SHIFT) % PT_ENTRIES] = self->x_new | LUTCORE_PTE_VALID;
	e[(TLB_Y >> LUTCORE_PAGE_SHIFT) % PT_ENTRIES] = 0;
	qtest_memwrite(d->q, leaf, e, sizeof(e));
	pte = leaf | LUTCORE_PTE_VALID;
	qtest_memwrite(d->q, l1, &pte, 8);
	return true;
}

enum tlb_change {
	TLB_CHANGE_PTES,  /* X's leaf entry rewritten, Y's cleared */
	TLB_CHANGE_TABLE, /* the same through a new leaf table (level-1 entry) */
};

/*
 * Runs the job on core 0. Once its first half has read X and Y (the
 * device now holds their translations), remaps X to x_new and unmaps Y
 * as change says, writes TLB_INVALIDATE of core inval_core (none if
 * negative), and checks that the second half had not begun by then: the
 * page tables changed between the two halves of one running job.
 */
static void tlb_run(struct __test_metadata *_metadata, FIXTURE_DATA(tlb) * self,
		    enum tlb_change change, int inval_core)
{
	struct dev *d = &self->d;

	dev_submit(d, 0, NULL, TLB_STREAM, TLB_STREAM_BYTES, 1);
	ASSERT_TRUE(tlb_wait_word(d, self->flag, 0, 1)) TH_LOG("the job's first half never ended");
	if (change == TLB_CHANGE_PTES) {
		ASSERT_EQ(0, devas_map(&d->as, TLB_X, self->x_new, false));
		devas_unmap(&d->as, TLB_Y);
		devas_sync(&d->as);
	} else {
		ASSERT_TRUE(tlb_swap_leaf_table(self));
	}
	if (inval_core >= 0)
		core_wr(d, (unsigned)inval_core, LUTCORE_CORE_TLB_INVALIDATE, 1);
	ASSERT_EQ(0, dbuf_rd64(d, self->flag, 8))
	TH_LOG("the LMMAs ended before the page tables changed; the host is too slow for this "
	       "test");
	ASSERT_TRUE(dev_wait_done(d, 0, 1));
	/* The first half read the old pages. */
	EXPECT_EQ(tlb_a, dbuf_rd64(d, self->dst, 0));
	EXPECT_EQ(tlb_c, dbuf_rd64(d, self->dst, 8));
}

/*
 * After TLB_INVALIDATE the job's next translation uses the new entries:
 * the second half reads X's new page and faults on Y, at Y and at the
 * second COPY of Y.
 */
static void tlb_expect_new(struct __test_metadata *_metadata, FIXTURE_DATA(tlb) * self)
{
	struct dev *d = &self->d;

	EXPECT_EQ(tlb_b, dbuf_rd64(d, self->dst, 16));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, dev_job_error(d, 0, 1));
	EXPECT_EQ(TLB_Y, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ((TLB_LATE + 2) * LUTC_INSN_SIZE, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET));
	EXPECT_EQ(0, dbuf_rd64(d, self->dst, 24));
}

TEST_F(tlb, invalidate_within_job)
{
	tlb_run(_metadata, self, TLB_CHANGE_PTES, 0);
	tlb_expect_new(_metadata, self);
}

/* The cached leaf-table address goes too: the walk starts at the root. */
TEST_F(tlb, invalidate_within_job_new_leaf_table)
{
	tlb_run(_metadata, self, TLB_CHANGE_TABLE, 0);
	tlb_expect_new(_metadata, self);
}

/*
 * Without TLB_INVALIDATE of its core the running job keeps its cached
 * translations (docs/device.md section 9: a driver must invalidate every
 * core), so the two tests above see the flush and not a translation that
 * happened to be read again. The next job starts with an empty TLB.
 */
static void tlb_expect_stale(struct __test_metadata *_metadata, FIXTURE_DATA(tlb) * self)
{
	struct dev *d = &self->d;

	EXPECT_EQ(tlb_a, dbuf_rd64(d, self->dst, 16));
	EXPECT_EQ(tlb_c, dbuf_rd64(d, self->dst, 24));
	EXPECT_EQ(LUTCORE_ERR_NONE, dev_job_error(d, 0, 1));
	dev_submit(d, 0, NULL, TLB_STREAM, TLB_STREAM_BYTES, 2);
	ASSERT_TRUE(dev_wait_done(d, 0, 2));
	EXPECT_EQ(tlb_b, dbuf_rd64(d, self->dst, 0));
	EXPECT_EQ(LUTCORE_ERR_PAGE_FAULT, dev_job_error(d, 0, 2));
	EXPECT_EQ(TLB_Y, core_rd64(d, 0, LUTCORE_CORE_FAULT_ADDR_LO));
	EXPECT_EQ(1 * LUTC_INSN_SIZE, core_rd(d, 0, LUTCORE_CORE_FAULT_OFFSET));
}

TEST_F(tlb, stale_without_invalidate)
{
	tlb_run(_metadata, self, TLB_CHANGE_PTES, -1);
	tlb_expect_stale(_metadata, self);
}

/* TLB_INVALIDATE is per core: another core's leaves core 0's TLB alone. */
TEST_F(tlb, stale_after_other_core_invalidate)
{
	ASSERT_LE(2, self->d.cores);
	tlb_run(_metadata, self, TLB_CHANGE_PTES, 1);
	tlb_expect_stale(_metadata, self);
}

TEST_HARNESS_MAIN
