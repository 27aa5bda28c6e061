// SPDX-License-Identifier: MIT
/*
 * LUTCore device under qtest: PCI identity, BARs and capabilities, the
 * CAP registers against the device's properties, reset values, access
 * rules (read-only registers, access sizes, unknown offsets, reserved
 * bits) and their guest-error log lines, and properties QEMU must refuse.
 */
#include <stdio.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"

#include "devtest.h"

/* ---- CAP registers vs properties ----------------------------------------- */

FIXTURE(caps)
{
	struct dev d;
};

/* The properties a variant sets and what the device must report. */
FIXTURE_VARIANT(caps)
{
	const char *props;
	uint32_t cores, m, n, k, mult, mhz, depth;
	bool debug;
};

/* docs/device.md §10 defaults (LUTCORE_DEFAULT_* of the register map). */
FIXTURE_VARIANT_ADD(caps, defaults){
	.props = "",
	.cores = LUTCORE_DEFAULT_CORES,
	.m = LUTCORE_DEFAULT_ARRAY_M,
	.n = LUTCORE_DEFAULT_ARRAY_N,
	.k = LUTCORE_DEFAULT_ARRAY_K,
	.mult = LUTCORE_DEFAULT_ARRAY_MULT,
	.mhz = LUTCORE_DEFAULT_CLOCK_MHZ,
	.depth = LUTCORE_DEFAULT_QUEUE_DEPTH,
};

FIXTURE_VARIANT_ADD(caps, custom){
	.props = ",num-cores=3,array-m=4,array-n=128,array-k=8,array-mult=2,clock-mhz=1500,"
		 "queue-depth=4,debug-hooks=on",
	.cores = 3,
	.m = 4,
	.n = 128,
	.k = 8,
	.mult = 2,
	.mhz = 1500,
	.depth = 4,
	.debug = true,
};

/* The top of every range (docs/device.md §10). */
FIXTURE_VARIANT_ADD(caps, limits){
	.props = ",num-cores=8,array-m=64,array-n=4096,array-k=16,queue-depth=256",
	.cores = 8,
	.m = 64,
	.n = 4096,
	.k = 16,
	.mult = 1,
	.mhz = 1000,
	.depth = 256,
};

FIXTURE_VARIANT_ADD(caps, one_core){
	.props = ",num-cores=1,array-m=1,array-n=1,array-k=1,queue-depth=1",
	.cores = 1,
	.m = 1,
	.n = 1,
	.k = 1,
	.mult = 1,
	.mhz = 1000,
	.depth = 1,
};

FIXTURE_SETUP(caps)
{
	DEV_SETUP(&self->d, variant->props, DEV_NO_ENABLE);
}

FIXTURE_TEARDOWN(caps)
{
	DEV_TEARDOWN(&self->d);
}

TEST_F(caps, pci_identity)
{
	struct qpci_dev *p = &self->d.pci;

	EXPECT_EQ(LUTCORE_PCI_VENDOR_ID, qpci_cfg_readw(p, PCI_VENDOR_ID));
	EXPECT_EQ(LUTCORE_PCI_DEVICE_ID, qpci_cfg_readw(p, PCI_DEVICE_ID));
	/* Class code is base:sub:prog-if (prog-if 0), then the revision. */
	EXPECT_EQ((uint32_t)LUTCORE_PCI_CLASS << 16 | LUTCORE_PCI_REVISION,
		  qpci_cfg_readl(p, PCI_CLASS_REVISION));
	EXPECT_EQ(PCI_HEADER_TYPE_NORMAL, qpci_cfg_readb(p, PCI_HEADER_TYPE));
	EXPECT_EQ(0, qpci_cfg_readb(p, PCI_INTERRUPT_PIN)) TH_LOG("no INTx");
	EXPECT_NE(0, qpci_find_cap(p, PCI_CAP_ID_EXP));
	EXPECT_EQ(0, qpci_find_cap(p, PCI_CAP_ID_MSI));
	EXPECT_EQ(0, qpci_find_cap(p, PCI_CAP_ID_PM));
	EXPECT_EQ(LUTCORE_MSIX_VECTORS, p->msix_vectors);
}

TEST_F(caps, bars)
{
	struct qpci_dev *p = &self->d.pci;
	unsigned i;

	EXPECT_EQ(LUTCORE_REGS_SIZE, p->bar_size[LUTCORE_BAR_REGS]);
	EXPECT_EQ(PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32,
		  qpci_cfg_readl(p, PCI_BASE_ADDRESS_0 + 4 * LUTCORE_BAR_REGS) &
			  ~PCI_BASE_ADDRESS_MEM_MASK)
	TH_LOG("BAR0: 32-bit memory, not prefetchable");
	EXPECT_NE(0, p->bar_size[LUTCORE_BAR_MSIX]);
	/* Table and PBA both live in the MSI-X BAR. */
	EXPECT_EQ(p->bar[LUTCORE_BAR_MSIX], p->msix_table & ~(p->bar_size[LUTCORE_BAR_MSIX] - 1));
	EXPECT_EQ(p->bar[LUTCORE_BAR_MSIX], p->msix_pba & ~(p->bar_size[LUTCORE_BAR_MSIX] - 1));
	for (i = 0; i < QPCI_BARS; i++)
		if (i != LUTCORE_BAR_REGS && i != LUTCORE_BAR_MSIX) {
			EXPECT_EQ(0, p->bar_size[i]) TH_LOG("BAR%u implemented", i);
		}
	/* No expansion ROM. */
	qpci_cfg_writel(p, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK);
	EXPECT_EQ(0, qpci_cfg_readl(p, PCI_ROM_ADDRESS));
}

TEST_F(caps, cap_registers)
{
	struct dev *d = &self->d;
	uint32_t va = dev_rd(d, LUTCORE_REG_CAP_VA);
	uint32_t arr = dev_rd(d, LUTCORE_REG_CAP_ARRAY);

	EXPECT_EQ(LUTCORE_ID_MAGIC, dev_rd(d, LUTCORE_REG_ID));
	EXPECT_EQ(LUTCORE_VERSION_1_0, dev_rd(d, LUTCORE_REG_VERSION));
	EXPECT_EQ(1, LUTCORE_VERSION_MAJOR(dev_rd(d, LUTCORE_REG_VERSION)));
	EXPECT_EQ(LUTCORE_CAP_ARRAY(variant->m, variant->n, variant->k), arr);
	EXPECT_EQ(variant->m, LUTCORE_CAP_ARRAY_M(arr));
	EXPECT_EQ(variant->n, LUTCORE_CAP_ARRAY_N(arr));
	EXPECT_EQ(variant->k, LUTCORE_CAP_ARRAY_K(arr));
	EXPECT_EQ(variant->cores, dev_rd(d, LUTCORE_REG_CAP_CORES));
	EXPECT_EQ(variant->mult, dev_rd(d, LUTCORE_REG_CAP_ARRAY_MULT));
	EXPECT_EQ(variant->mhz, dev_rd(d, LUTCORE_REG_CAP_CLOCK_MHZ));
	EXPECT_EQ(LUTCORE_CAP_WEIGHTS_BITS(1) | LUTCORE_CAP_WEIGHTS_BITS(2) |
			  LUTCORE_CAP_WEIGHTS_BITS(3) | LUTCORE_CAP_WEIGHTS_BITS(4) |
			  LUTCORE_CAP_WEIGHTS_TERNARY,
		  dev_rd(d, LUTCORE_REG_CAP_WEIGHTS));
	EXPECT_EQ(LUTCORE_CAP_ACT_FP32 | LUTCORE_CAP_ACT_FP16 | LUTCORE_CAP_ACT_BF16 |
			  LUTCORE_CAP_ACT_INT8,
		  dev_rd(d, LUTCORE_REG_CAP_ACTS));
	EXPECT_EQ(LUTCORE_VA_BITS, LUTCORE_CAP_VA_BITS(va));
	EXPECT_EQ(LUTCORE_PAGE_SHIFT, LUTCORE_CAP_VA_PAGE_SHIFT(va));
	EXPECT_EQ(LUTCORE_PT_LEVELS, LUTCORE_CAP_VA_LEVELS(va));
	EXPECT_EQ(0, va >> 24) TH_LOG("CAP_VA reserved bits");
	EXPECT_EQ(variant->depth, dev_rd(d, LUTCORE_REG_CAP_QUEUE_DEPTH));
	EXPECT_EQ(LUTCORE_FEATURE_MMU | (variant->debug ? LUTCORE_FEATURE_DEBUG_HANG : 0),
		  dev_rd(d, LUTCORE_REG_CAP_FEATURES));
}

/* Each core's window works; the windows of absent cores do not exist. */
TEST_F(caps, core_windows)
{
	struct dev *d = &self->d;
	unsigned c;

	for (c = 0; c < variant->cores; c++)
		core_wr(d, c, LUTCORE_CORE_SEQNO, 0x5e000000 | c);
	for (c = 0; c < variant->cores; c++) {
		EXPECT_EQ(0x5e000000 | c, core_rd(d, c, LUTCORE_CORE_SEQNO)) TH_LOG("core %u", c);
	}
	if (variant->cores == LUTCORE_MAX_CORES)
		return;
	dev_log_mark(d);
	core_wr(d, variant->cores, LUTCORE_CORE_SEQNO, 1);
	EXPECT_EQ(0, core_rd(d, variant->cores, LUTCORE_CORE_SEQNO));
	EXPECT_EQ(2, dev_log_lines(d)) TH_LOG("log: %s", dev_log_text(d));
}

/* ---- Register semantics on a default device ------------------------------- */

FIXTURE(regs)
{
	struct dev d;
};

FIXTURE_SETUP(regs)
{
	DEV_SETUP(&self->d, "", DEV_NO_ENABLE);
}

FIXTURE_TEARDOWN(regs)
{
	DEV_TEARDOWN(&self->d);
}

static const uint32_t core_regs[] = {
	LUTCORE_CORE_PT_BASE_LO,   LUTCORE_CORE_PT_BASE_HI,    LUTCORE_CORE_CMD_ADDR_LO,
	LUTCORE_CORE_CMD_ADDR_HI,  LUTCORE_CORE_CMD_SIZE,      LUTCORE_CORE_SEQNO,
	LUTCORE_CORE_KICK,	   LUTCORE_CORE_DONE_SEQNO,    LUTCORE_CORE_ERROR,
	LUTCORE_CORE_ERROR_SEQNO,  LUTCORE_CORE_FAULT_ADDR_LO, LUTCORE_CORE_FAULT_ADDR_HI,
	LUTCORE_CORE_FAULT_OFFSET, LUTCORE_CORE_QUEUED,	       LUTCORE_CORE_TLB_INVALIDATE,
	LUTCORE_CORE_JOBS_LO,	   LUTCORE_CORE_JOBS_HI,       LUTCORE_CORE_CYCLES_LO,
	LUTCORE_CORE_CYCLES_HI,	   LUTCORE_CORE_BYTES_READ_LO, LUTCORE_CORE_BYTES_READ_HI,
};

TEST_F(regs, reset_values)
{
	static const uint32_t global[] = {
		LUTCORE_REG_CTRL,	LUTCORE_REG_STATUS,   LUTCORE_REG_SCRATCH,
		LUTCORE_REG_IRQ_STATUS, LUTCORE_REG_IRQ_MASK, LUTCORE_REG_DEBUG,
	};
	struct dev *d = &self->d;
	unsigned c, i;

	dev_log_mark(d);
	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		EXPECT_EQ(0, dev_rd(d, global[i])) TH_LOG("register 0x%03x", global[i]);
	}
	for (c = 0; c < d->cores; c++)
		for (i = 0; i < sizeof(core_regs) / sizeof(core_regs[0]); i++) {
			EXPECT_EQ(0, core_rd(d, c, core_regs[i]))
			TH_LOG("core %u register 0x%02x", c, core_regs[i]);
		}
	EXPECT_EQ(0, dev_log_lines(d))
	TH_LOG("reads of defined registers logged: %s", dev_log_text(d));
}

TEST_F(regs, scratch)
{
	static const uint32_t pat[] = {0xdeadbeef, 0, 0xffffffff, 0x5a5aa5a5, 1};
	struct dev *d = &self->d;
	unsigned i;

	dev_log_mark(d);
	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		dev_wr(d, LUTCORE_REG_SCRATCH, pat[i]);
		EXPECT_EQ(pat[i], dev_rd(d, LUTCORE_REG_SCRATCH));
	}
	EXPECT_EQ(0, dev_log_lines(d));
}

/* A write to a read-only register changes nothing and is logged once. */
TEST_F(regs, read_only)
{
	static const uint32_t global[] = {
		LUTCORE_REG_ID,
		LUTCORE_REG_VERSION,
		LUTCORE_REG_CAP_ARRAY,
		LUTCORE_REG_CAP_CORES,
		LUTCORE_REG_CAP_ARRAY_MULT,
		LUTCORE_REG_CAP_CLOCK_MHZ,
		LUTCORE_REG_CAP_WEIGHTS,
		LUTCORE_REG_CAP_ACTS,
		LUTCORE_REG_CAP_VA,
		LUTCORE_REG_CAP_QUEUE_DEPTH,
		LUTCORE_REG_CAP_FEATURES,
		LUTCORE_REG_STATUS,
	};
	static const uint32_t core[] = {
		LUTCORE_CORE_DONE_SEQNO,    LUTCORE_CORE_ERROR,		LUTCORE_CORE_ERROR_SEQNO,
		LUTCORE_CORE_FAULT_ADDR_LO, LUTCORE_CORE_FAULT_ADDR_HI, LUTCORE_CORE_FAULT_OFFSET,
		LUTCORE_CORE_QUEUED,	    LUTCORE_CORE_JOBS_LO,	LUTCORE_CORE_JOBS_HI,
		LUTCORE_CORE_CYCLES_LO,	    LUTCORE_CORE_CYCLES_HI,	LUTCORE_CORE_BYTES_READ_LO,
		LUTCORE_CORE_BYTES_READ_HI,
	};
	struct dev *d = &self->d;
	unsigned i;

	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		uint32_t before = dev_rd(d, global[i]);

		dev_log_mark(d);
		dev_wr(d, global[i], ~before);
		EXPECT_EQ(before, dev_rd(d, global[i])) TH_LOG("register 0x%03x", global[i]);
		EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("register 0x%03x", global[i]);
	}
	for (i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
		dev_log_mark(d);
		core_wr(d, 1, core[i], 0xffffffff);
		EXPECT_EQ(0, core_rd(d, 1, core[i])) TH_LOG("core register 0x%02x", core[i]);
		EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("core register 0x%02x", core[i]);
	}
}

/* Only aligned 32-bit accesses: others read 0, write nothing, and log. */
TEST_F(regs, access_sizes)
{
	struct dev *d = &self->d;
	struct qtest *q = d->q;
	uint64_t scratch = d->bar0 + LUTCORE_REG_SCRATCH;

	dev_wr(d, LUTCORE_REG_SCRATCH, 0x11223344);
	dev_log_mark(d);
	EXPECT_EQ(0, qtest_readb(q, d->bar0 + LUTCORE_REG_ID));
	EXPECT_EQ(0, qtest_readw(q, d->bar0 + LUTCORE_REG_ID));
	EXPECT_EQ(0, qtest_readq(q, d->bar0 + LUTCORE_REG_ID));
	EXPECT_EQ(0, qtest_readl(q, d->bar0 + LUTCORE_REG_ID + 2)) TH_LOG("unaligned 32-bit read");
	EXPECT_EQ(0, qtest_readw(q, scratch + 2));
	EXPECT_EQ(5, dev_log_lines(d)) TH_LOG("log: %s", dev_log_text(d));

	dev_log_mark(d);
	qtest_writeb(q, scratch, 0xaa);
	qtest_writew(q, scratch, 0xaaaa);
	qtest_writeq(q, scratch, 0xaaaaaaaaaaaaaaaaull);
	qtest_writel(q, scratch + 1, 0xaaaaaaaa);
	EXPECT_EQ(0x11223344, dev_rd(d, LUTCORE_REG_SCRATCH));
	EXPECT_EQ(4, dev_log_lines(d)) TH_LOG("log: %s", dev_log_text(d));
}

/* Holes in the map, the end of the BAR and the core window's hole. */
TEST_F(regs, unknown_offsets)
{
	static const uint32_t holes[] = {
		LUTCORE_REG_CAP_FEATURES + 4,
		LUTCORE_REG_SCRATCH + 4,
		LUTCORE_REG_IRQ_MASK + 4,
		LUTCORE_REG_DEBUG + 4,
		LUTCORE_CORE_BASE(0) - 4,
		LUTCORE_CORE_BASE(0) + LUTCORE_CORE_KICK + 4,
		LUTCORE_CORE_BASE(1) + LUTCORE_CORE_BYTES_READ_HI + 4,
		LUTCORE_CORE_BASE(LUTCORE_MAX_CORES),
		LUTCORE_REGS_SIZE - 4,
	};
	struct dev *d = &self->d;
	unsigned i;

	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		dev_log_mark(d);
		EXPECT_EQ(0, dev_rd(d, holes[i])) TH_LOG("offset 0x%04x", holes[i]);
		dev_wr(d, holes[i], 0xffffffff);
		EXPECT_EQ(0, dev_rd(d, holes[i])) TH_LOG("offset 0x%04x", holes[i]);
		EXPECT_EQ(3, dev_log_lines(d))
		TH_LOG("offset 0x%04x: %s", holes[i], dev_log_text(d));
	}
}

/* Reserved bits read 0; a write with them set still sets the defined ones. */
TEST_F(regs, reserved_bits)
{
	struct dev *d = &self->d;

	dev_log_mark(d);
	dev_wr(d, LUTCORE_REG_IRQ_MASK, 0xffffffff);
	EXPECT_EQ(LUTCORE_IRQ_ALL, dev_rd(d, LUTCORE_REG_IRQ_MASK));
	dev_wr(d, LUTCORE_REG_IRQ_MASK, 0);
	EXPECT_EQ(0, dev_log_lines(d)) TH_LOG("IRQ_MASK: %s", dev_log_text(d));

	dev_log_mark(d);
	dev_wr(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_ENABLE | 0x80000000u);
	EXPECT_EQ(LUTCORE_CTRL_ENABLE, dev_rd(d, LUTCORE_REG_CTRL));
	EXPECT_EQ(LUTCORE_STATUS_ENABLED, dev_rd(d, LUTCORE_REG_STATUS));
	EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("CTRL: %s", dev_log_text(d));
	dev_wr(d, LUTCORE_REG_CTRL, 0);
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_STATUS));

	/* Command registers read 0; reserved bits of a write are logged. */
	dev_log_mark(d);
	core_wr(d, 0, LUTCORE_CORE_TLB_INVALIDATE, 0x3);
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_TLB_INVALIDATE));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_KICK));
	EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("TLB_INVALIDATE: %s", dev_log_text(d));
}

/* IRQ_STATUS is write-1-to-clear: writing bits that are not set does nothing. */
TEST_F(regs, irq_status_w1c)
{
	struct dev *d = &self->d;

	dev_log_mark(d);
	dev_ack(d, LUTCORE_IRQ_ALL);
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, dev_log_lines(d));
}

TEST_F(regs, debug_needs_hooks)
{
	struct dev *d = &self->d;

	dev_log_mark(d);
	dev_wr(d, LUTCORE_REG_DEBUG, LUTCORE_DEBUG_HANG_NEXT_JOB);
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_DEBUG));
	EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("log: %s", dev_log_text(d));
}

/* With CTRL.ENABLE clear a KICK makes no job, no interrupt, and a log line. */
TEST_F(regs, kick_while_disabled)
{
	union lutc_insn nop = insn_nop();
	struct dev *d = &self->d;

	dev_wr(d, LUTCORE_REG_IRQ_MASK, LUTCORE_IRQ_ALL);
	ASSERT_NE(NULL, dev_stream(d, NULL, DEV_VA, &nop, 1));
	dev_log_mark(d);
	dev_submit(d, 0, NULL, DEV_VA, LUTC_INSN_SIZE, 5);
	qtest_msleep(DEV_QUIET_MS);
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_QUEUED));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_DONE_SEQNO));
	EXPECT_EQ(0, core_rd(d, 0, LUTCORE_CORE_JOBS_LO));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_IRQ_STATUS));
	EXPECT_EQ(0, dev_rd(d, LUTCORE_REG_STATUS));
	EXPECT_EQ(0, dev_msi(d, 0));
	EXPECT_EQ(1, dev_log_lines(d)) TH_LOG("log: %s", dev_log_text(d));
	/* The job registers were written all the same. */
	EXPECT_EQ(5, core_rd(d, 0, LUTCORE_CORE_SEQNO));
	EXPECT_EQ(LUTC_INSN_SIZE, core_rd(d, 0, LUTCORE_CORE_CMD_SIZE));
}

/* ---- Properties QEMU must refuse ----------------------------------------- */

TEST(bad_properties)
{
	static const char *const props[] = {
		",num-cores=0",	  ",num-cores=9",     ",array-m=0",	   ",array-m=65",
		",array-n=4097",  ",array-k=17",      ",array-mult=0",	   ",clock-mhz=0",
		",queue-depth=0", ",queue-depth=257", ",engine-threads=0", ",engine-threads=65",
	};
	unsigned i;

	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		struct dev d;
		int err = dev_open(&d, props[i], DEV_NO_ENABLE);

		if (err == -ENOENT)
			SKIP(return, "no QEMU binary at %s", dev_qemu_path());
		EXPECT_NE(0, err) TH_LOG("-device lutcore%s was accepted", props[i]);
		if (!err)
			dev_close(&d);
	}
}

TEST_HARNESS_MAIN
