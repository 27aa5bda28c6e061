// SPDX-License-Identifier: MIT
/*
 * The LUTCore device under qtest: bring-up, registers, buffers, jobs and
 * instruction descriptors; see devtest.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devtest.h"

/* ---- Bring-up ------------------------------------------------------------ */

const char *dev_qemu_path(void)
{
	static char path[PATH_MAX];

	if (qtest_find_qemu(path, sizeof(path)) && !path[0])
		snprintf(path, sizeof(path), "(unknown: /proc/self/exe unreadable)");
	return path;
}

static int dev_msix_setup(struct dev *d)
{
	unsigned v;
	int err = qpci_msix_init(&d->pci);

	if (err) {
		fprintf(stderr, "# dev: no MSI-X capability, table or PBA\n");
		return err;
	}
	qtest_memset(d->q, d->msi_pa, 0, PAGE);
	for (v = 0; v < d->pci.msix_vectors; v++) {
		qpci_msix_vector(&d->pci, v, d->msi_pa + 4 * v, DEV_MSI_DATA(v));
		qpci_msix_mask(&d->pci, v, false);
	}
	qpci_msix_enable(&d->pci, true);
	return qtest_error(d->q);
}

int dev_pci_setup(struct dev *d)
{
	int err = qpci_setup_bars(&d->pci, MICROVM_PCIE_MMIO_BASE);

	if (err) {
		fprintf(stderr, "# dev: cannot place the BARs: %s\n", strerror(-err));
		return err;
	}
	d->bar0 = d->pci.bar[LUTCORE_BAR_REGS];
	if (!d->bar0)
		return -ENODEV;
	return dev_msix_setup(d);
}

static int dev_bringup(struct dev *d, unsigned flags)
{
	int err = qpci_find(d->q, LUTCORE_PCI_VENDOR_ID, LUTCORE_PCI_DEVICE_ID, &d->pci);

	if (err) {
		fprintf(stderr, "# dev: no %04x:%04x on bus 0\n", LUTCORE_PCI_VENDOR_ID,
			LUTCORE_PCI_DEVICE_ID);
		return err;
	}
	gmem_init(&d->mem, DEV_RAM_START, (uint64_t)DEV_RAM_MIB << 20);
	d->msi_pa = gmem_alloc(&d->mem, PAGE);
	err = dev_pci_setup(d);
	if (err)
		return err;
	d->cores = dev_rd(d, LUTCORE_REG_CAP_CORES);
	err = devas_init(&d->as, d->q, &d->mem);
	if (err)
		return err;
	if (!(flags & DEV_NO_ENABLE)) {
		dev_wr(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_ENABLE);
		dev_wr(d, LUTCORE_REG_IRQ_MASK, LUTCORE_IRQ_ALL);
	}
	return qtest_error(d->q);
}

int dev_open(struct dev *d, const char *props, unsigned flags)
{
	char device[256];
	int err;

	memset(d, 0, sizeof(*d));
	snprintf(device, sizeof(device), "lutcore%s", props);
	err = qtest_start(&d->q, device, DEV_RAM_MIB, flags & DEV_QMP ? QT_QMP : 0);
	if (err)
		return err;
	err = dev_bringup(d, flags);
	if (err) {
		dev_close(d);
		return err == -ENOENT ? -ENODEV : err;
	}
	return 0;
}

int dev_close(struct dev *d)
{
	int err, status;

	if (!d->q)
		return 0;
	err = qtest_error(d->q);
	devas_fini(&d->as);
	while (d->bufs) {
		struct dbuf *b = d->bufs;

		d->bufs = b->next;
		free(b);
	}
	status = qtest_stop(d->q);
	d->q = NULL;
	if (err)
		return err;
	if (status)
		fprintf(stderr, "# dev: QEMU exit status %d on SIGTERM (0 expected)\n", status);
	return status;
}

/* ---- Registers ----------------------------------------------------------- */

uint32_t dev_rd(struct dev *d, uint32_t off)
{
	return qtest_readl(d->q, d->bar0 + off);
}

void dev_wr(struct dev *d, uint32_t off, uint32_t val)
{
	qtest_writel(d->q, d->bar0 + off, val);
}

uint32_t core_rd(struct dev *d, unsigned c, uint32_t off)
{
	return dev_rd(d, LUTCORE_CORE_BASE(c) + off);
}

void core_wr(struct dev *d, unsigned c, uint32_t off, uint32_t val)
{
	dev_wr(d, LUTCORE_CORE_BASE(c) + off, val);
}

uint64_t core_rd64(struct dev *d, unsigned c, uint32_t lo)
{
	uint64_t v = core_rd(d, c, lo);

	return v | (uint64_t)core_rd(d, c, lo + 4) << 32;
}

/* ---- Buffers ------------------------------------------------------------- */

struct dbuf *dbuf_new(struct dev *d, struct devas *as, uint64_t va, uint64_t size, unsigned flags)
{
	unsigned n = (unsigned)((size + PAGE - 1) / PAGE), i;
	enum gmem_order order = flags & DB_REVERSE  ? GM_REVERSE
				: flags & DB_CHUNKS ? GM_CHUNKS
						    : GM_CONTIG;
	struct dbuf *b = calloc(1, sizeof(*b) + n * sizeof(b->pa[0]));

	if (!b)
		return NULL;
	if (!gmem_pages(&d->mem, n, order, b->pa)) {
		fprintf(stderr, "# dev: guest RAM exhausted (%u pages)\n", n);
		free(b);
		return NULL;
	}
	as = as ? as : &d->as;
	for (i = 0; i < n; i++) {
		if (devas_map(as, va + (uint64_t)i * PAGE, b->pa[i], !(flags & DB_RO))) {
			free(b);
			return NULL;
		}
	}
	b->va = va;
	b->size = size;
	b->npages = n;
	b->next = d->bufs;
	d->bufs = b;
	return b;
}

/* Bytes from off that are physically contiguous in b (at most len). */
static size_t dbuf_run(const struct dbuf *b, uint64_t off, size_t len)
{
	uint64_t page = off / PAGE;
	size_t run = (size_t)(PAGE - off % PAGE);

	while (run < len && page + 1 < b->npages && b->pa[page + 1] == b->pa[page] + PAGE) {
		run += PAGE;
		page++;
	}
	return run < len ? run : len;
}

void dbuf_write(struct dev *d, const struct dbuf *b, uint64_t off, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		size_t n = dbuf_run(b, off, len);

		qtest_memwrite(d->q, b->pa[off / PAGE] + off % PAGE, p, n);
		off += n;
		p += n;
		len -= n;
	}
}

void dbuf_read(struct dev *d, const struct dbuf *b, uint64_t off, void *data, size_t len)
{
	uint8_t *p = data;

	while (len) {
		size_t n = dbuf_run(b, off, len);

		qtest_memread(d->q, b->pa[off / PAGE] + off % PAGE, p, n);
		off += n;
		p += n;
		len -= n;
	}
}

void dbuf_fill(struct dev *d, const struct dbuf *b, uint8_t val)
{
	uint64_t off = 0;

	while (off < b->size) {
		size_t n = dbuf_run(b, off, b->size - off);

		qtest_memset(d->q, b->pa[off / PAGE] + off % PAGE, val, n);
		off += n;
	}
}

uint64_t dbuf_rd64(struct dev *d, const struct dbuf *b, uint64_t off)
{
	uint64_t v;

	dbuf_read(d, b, off, &v, sizeof(v));
	return v;
}

struct dbuf *dev_stream(struct dev *d, struct devas *as, uint64_t va, const union lutc_insn *insn,
			unsigned n)
{
	struct dbuf *b = dbuf_new(d, as, va, (uint64_t)n * LUTC_INSN_SIZE, DB_RO);

	if (b)
		dbuf_write(d, b, 0, insn, (size_t)n * LUTC_INSN_SIZE);
	return b;
}

/* ---- Jobs ---------------------------------------------------------------- */

void dev_kick(struct dev *d, unsigned c, uint64_t pt_base, uint64_t cmd, uint32_t size,
	      uint32_t seqno)
{
	core_wr(d, c, LUTCORE_CORE_PT_BASE_LO, (uint32_t)pt_base);
	core_wr(d, c, LUTCORE_CORE_PT_BASE_HI, (uint32_t)(pt_base >> 32));
	core_wr(d, c, LUTCORE_CORE_CMD_ADDR_LO, (uint32_t)cmd);
	core_wr(d, c, LUTCORE_CORE_CMD_ADDR_HI, (uint32_t)(cmd >> 32));
	core_wr(d, c, LUTCORE_CORE_CMD_SIZE, size);
	core_wr(d, c, LUTCORE_CORE_SEQNO, seqno);
	core_wr(d, c, LUTCORE_CORE_KICK, 1);
}

void dev_submit(struct dev *d, unsigned c, struct devas *as, uint64_t cmd, uint32_t size,
		uint32_t seqno)
{
	as = as ? as : &d->as;
	devas_sync(as);
	dev_kick(d, c, as->root, cmd, size, seqno);
}

/* Poll every millisecond: each read is a round trip through QEMU. */
bool dev_wait_reg(struct dev *d, uint32_t off, uint32_t mask, uint32_t val)
{
	uint64_t end = qtest_now_ms() + DEV_WAIT_MS;

	for (;;) {
		if ((dev_rd(d, off) & mask) == val)
			return true;
		if (qtest_error(d->q) || qtest_now_ms() > end)
			return false;
		qtest_msleep(1);
	}
}

bool dev_wait_core(struct dev *d, unsigned c, uint32_t off, uint32_t val)
{
	return dev_wait_reg(d, LUTCORE_CORE_BASE(c) + off, ~0u, val);
}

bool dev_wait_done(struct dev *d, unsigned c, uint32_t seqno)
{
	return dev_wait_core(d, c, LUTCORE_CORE_DONE_SEQNO, seqno);
}

uint32_t dev_job_error(struct dev *d, unsigned c, uint32_t seqno)
{
	if (core_rd(d, c, LUTCORE_CORE_ERROR_SEQNO) != seqno)
		return LUTCORE_ERR_NONE;
	return core_rd(d, c, LUTCORE_CORE_ERROR);
}

void dev_ack(struct dev *d, uint32_t bits)
{
	dev_wr(d, LUTCORE_REG_IRQ_STATUS, bits);
}

bool dev_soft_reset(struct dev *d, bool enable)
{
	dev_wr(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_SOFT_RESET | (enable ? LUTCORE_CTRL_ENABLE : 0));
	return dev_wait_reg(d, LUTCORE_REG_CTRL, LUTCORE_CTRL_SOFT_RESET, 0) &&
	       dev_wait_reg(d, LUTCORE_REG_STATUS, LUTCORE_STATUS_RESETTING, 0);
}

/* ---- MSI-X --------------------------------------------------------------- */

uint32_t dev_msi(struct dev *d, unsigned v)
{
	return qtest_readl(d->q, d->msi_pa + 4 * v);
}

void dev_msi_clear(struct dev *d)
{
	qtest_memset(d->q, d->msi_pa, 0, 4 * LUTCORE_MSIX_VECTORS);
}

bool dev_wait_msi(struct dev *d, unsigned v)
{
	uint64_t end = qtest_now_ms() + DEV_WAIT_MS;

	for (;;) {
		if (dev_msi(d, v) == DEV_MSI_DATA(v))
			return true;
		if (qtest_error(d->q) || qtest_now_ms() > end)
			return false;
		qtest_msleep(1);
	}
}

/* ---- Guest-error log ----------------------------------------------------- */

void dev_log_mark(struct dev *d)
{
	qtest_log_mark(d->q);
}

const char *dev_log_text(struct dev *d)
{
	return qtest_log_since(d->q);
}

/* Lines from the device; QEMU's own (e.g. "Invalid write at addr") don't count. */
unsigned dev_log_lines(struct dev *d)
{
	const char *p = qtest_log_since(d->q);
	unsigned n = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, "lutcore", 7))
			n++;
		p += len + (nl ? 1 : 0);
	}
	return n;
}

/* ---- Instructions and data ----------------------------------------------- */

union lutc_insn insn_nop(void)
{
	union lutc_insn in = {.hdr.op = LUTC_OP_NOP};

	return in;
}

union lutc_insn insn_signal(uint64_t addr, uint64_t value, uint32_t flags)
{
	union lutc_insn in = {.signal = {
				      .op = LUTC_OP_SIGNAL,
				      .flags = flags,
				      .addr = addr,
				      .value = value,
			      }};

	return in;
}

union lutc_insn insn_copy(uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols)
{
	union lutc_insn in = {.copy = {
				      .op = LUTC_OP_COPY,
				      .src_dtype = LUTC_DT_U8,
				      .dst_dtype = LUTC_DT_U8,
				      .rows = rows,
				      .cols = cols,
				      .src = src,
				      .dst = dst,
			      }};

	return in;
}

void fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	/* xorshift: no period that a page-sized misplacement could hide in. */
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}
