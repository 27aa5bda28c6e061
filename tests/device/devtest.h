/* SPDX-License-Identifier: MIT */
/*
 * The LUTCore device under qtest, as the device tests see it: one QEMU
 * with the device found, its BARs placed, MSI-X vectors pointed at RAM,
 * an address space to map buffers in, and helpers for registers, jobs and
 * instructions. Every register offset, bit, error code and descriptor
 * layout comes from lutcore_regs.h and lutcore_isa.h.
 *
 * Include after kselftest_harness.h (DEV_SETUP/DEV_TEARDOWN use it).
 * Note that "EXPECT_EQ(a, b) TH_LOG(...)" is two statements in the 6.12
 * harness: a loop or if around it needs braces.
 */
#ifndef LUTCORE_TEST_DEVTEST_H
#define LUTCORE_TEST_DEVTEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "lutcore_regs.h"
#include "lutcore_isa.h"
#include "devmmu.h"
#include "qtest_client.h"
#include "qtest_pci.h"

/* Guest RAM; tests use it from 1 MiB up (the BIOS shadow lives below). */
#define DEV_RAM_MIB   96
#define DEV_RAM_START (1ull << 20)
/* How long a test waits for something that should happen. */
#define DEV_WAIT_MS 5000
/* How long it watches for something that must not happen. */
#define DEV_QUIET_MS 100
/* Device VAs the tests use start here, so that VA 0 stays unmapped. */
#define DEV_VA ((uint64_t)0x10000000)
#define PAGE   LUTCORE_PAGE_SIZE

/* MSI-X vector v writes this to RAM (so a test can tell vectors apart). */
#define DEV_MSI_DATA(v) (0x4c550000u | (v))

/* dev_open() flags. */
#define DEV_QMP	      (1u << 0) /* QMP monitor, for system_reset */
#define DEV_NO_ENABLE (1u << 1) /* leave CTRL and IRQ_MASK at their reset values */

/* A buffer mapped at va in an address space; pa[] per page. */
struct dbuf {
	uint64_t va, size;
	unsigned npages;
	struct dbuf *next;
	uint64_t pa[];
};

/* dbuf_new() flags. */
#define DB_RO	   (1u << 0) /* leaf PTEs without WRITABLE */
#define DB_REVERSE (1u << 1) /* pages in descending physical order */
#define DB_CHUNKS  (1u << 2) /* runs of 3 pages, runs in reverse order */

struct dev {
	struct qtest *q;
	struct qpci_dev pci;
	uint64_t bar0;
	uint32_t cores;
	struct gmem mem;
	struct devas as; /* the address space most tests use */
	uint64_t msi_pa; /* MSI-X messages: 4 bytes per vector */
	struct dbuf *bufs;
};

/*
 * Start QEMU with "-device lutcore<props>" (props "" or ",name=value,...")
 * and bring the device up as a driver would: BARs, bus mastering, MSI-X
 * vectors at RAM, and unless DEV_NO_ENABLE, CTRL.ENABLE with every
 * interrupt unmasked. Returns 0, -ENOENT without a QEMU binary, or -errno.
 */
int dev_open(struct dev *d, const char *props, unsigned flags);
/* Place the BARs and set up MSI-X again (after a system reset). */
int dev_pci_setup(struct dev *d);
/*
 * Stop QEMU and free everything. Returns 0 if the client saw no error and
 * QEMU exited cleanly on SIGTERM; otherwise says why on stderr.
 */
int dev_close(struct dev *d);
/* The QEMU binary the tests use (for SKIP messages). */
const char *dev_qemu_path(void);

/* Registers (BAR0): global ones, and core c's at LUTCORE_CORE_BASE(c). */
uint32_t dev_rd(struct dev *d, uint32_t off);
void dev_wr(struct dev *d, uint32_t off, uint32_t val);
uint32_t core_rd(struct dev *d, unsigned c, uint32_t off);
void core_wr(struct dev *d, unsigned c, uint32_t off, uint32_t val);
/* A _LO/_HI pair, read LO first (the device latches HI on the LO read). */
uint64_t core_rd64(struct dev *d, unsigned c, uint32_t lo);

/* Buffers: size bytes of guest RAM mapped at va in as (NULL: d->as). */
struct dbuf *dbuf_new(struct dev *d, struct devas *as, uint64_t va, uint64_t size, unsigned flags);
void dbuf_write(struct dev *d, const struct dbuf *b, uint64_t off, const void *data, size_t len);
void dbuf_read(struct dev *d, const struct dbuf *b, uint64_t off, void *data, size_t len);
void dbuf_fill(struct dev *d, const struct dbuf *b, uint8_t val);
uint64_t dbuf_rd64(struct dev *d, const struct dbuf *b, uint64_t off);
/* A read-only buffer at va holding n instructions. */
struct dbuf *dev_stream(struct dev *d, struct devas *as, uint64_t va, const union lutc_insn *insn,
			unsigned n);

/*
 * Submit a job on core c: write the page tables of as (NULL: d->as) to
 * RAM, then PT_BASE, CMD_ADDR, CMD_SIZE, SEQNO and KICK. dev_kick() takes
 * a raw PT_BASE instead (for bad ones).
 */
void dev_submit(struct dev *d, unsigned c, struct devas *as, uint64_t cmd, uint32_t size,
		uint32_t seqno);
void dev_kick(struct dev *d, unsigned c, uint64_t pt_base, uint64_t cmd, uint32_t size,
	      uint32_t seqno);
/* Wait (DEV_WAIT_MS) until core c's DONE_SEQNO is seqno. */
bool dev_wait_done(struct dev *d, unsigned c, uint32_t seqno);
/* Wait until (register & mask) == val; global and per-core. */
bool dev_wait_reg(struct dev *d, uint32_t off, uint32_t mask, uint32_t val);
bool dev_wait_core(struct dev *d, unsigned c, uint32_t off, uint32_t val);
/*
 * How job seqno on core c ended, as a driver decides it (docs/device.md
 * §5.3): ERROR if ERROR_SEQNO is seqno, else LUTCORE_ERR_NONE. (ERROR
 * alone may still describe an earlier failed job.)
 */
uint32_t dev_job_error(struct dev *d, unsigned c, uint32_t seqno);
/* Write IRQ_STATUS (write 1 to clear). */
void dev_ack(struct dev *d, uint32_t bits);
/*
 * Soft reset: write CTRL = SOFT_RESET (| ENABLE), then wait until
 * CTRL.SOFT_RESET and STATUS.RESETTING read 0. False on timeout.
 */
bool dev_soft_reset(struct dev *d, bool enable);

/* The last message on vector v (0 = none since the last clear). */
uint32_t dev_msi(struct dev *d, unsigned v);
void dev_msi_clear(struct dev *d);
bool dev_wait_msi(struct dev *d, unsigned v);

/* Instruction descriptors (every other field zero). */
union lutc_insn insn_nop(void);
union lutc_insn insn_signal(uint64_t addr, uint64_t value, uint32_t flags);
/* COPY of rows x cols bytes (U8), packed rows. */
union lutc_insn insn_copy(uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols);

/*
 * Guest errors (-d guest_errors): dev_log_mark() starts a window;
 * dev_log_lines() counts the lines the device logged since, so a test can
 * check that each bad access was logged once and good ones not at all.
 */
void dev_log_mark(struct dev *d);
unsigned dev_log_lines(struct dev *d);
/* The text logged since the mark (for TH_LOG). */
const char *dev_log_text(struct dev *d);

/* Deterministic test data: byte i of a pattern named by seed. */
void fill_pattern(void *buf, size_t len, uint32_t seed);

/* Fixture plumbing shared by the test files. */
#define DEV_SETUP(d, props, flags)                                                                 \
	do {                                                                                       \
		int err_ = dev_open((d), (props), (flags));                                        \
		if (err_ == -ENOENT)                                                               \
			SKIP(return, "no QEMU binary at %s (run 'make qemu' or set LUTCORE_QEMU)", \
				   dev_qemu_path());                                               \
		ASSERT_EQ(0, err_) TH_LOG("cannot bring up -device lutcore%s", (props));           \
	} while (0)

#define DEV_TEARDOWN(d)                                                                          \
	do {                                                                                     \
		EXPECT_EQ(0, dev_close(d)) TH_LOG("qtest client error or QEMU failure (above)"); \
	} while (0)

#endif /* LUTCORE_TEST_DEVTEST_H */
