// SPDX-License-Identifier: MIT
/*
 * PCI config space, BARs and MSI-X over qtest; see qtest_pci.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "qtest_pci.h"

/* Slots on bus 0; function 0 only (the device is single-function). */
#define QPCI_SLOTS 32

uint8_t qpci_cfg_readb(struct qpci_dev *d, unsigned off)
{
	return qtest_readb(d->q, d->cfg + off);
}

uint16_t qpci_cfg_readw(struct qpci_dev *d, unsigned off)
{
	return qtest_readw(d->q, d->cfg + off);
}

uint32_t qpci_cfg_readl(struct qpci_dev *d, unsigned off)
{
	return qtest_readl(d->q, d->cfg + off);
}

void qpci_cfg_writew(struct qpci_dev *d, unsigned off, uint16_t val)
{
	qtest_writew(d->q, d->cfg + off, val);
}

void qpci_cfg_writel(struct qpci_dev *d, unsigned off, uint32_t val)
{
	qtest_writel(d->q, d->cfg + off, val);
}

int qpci_find(struct qtest *q, uint16_t vendor, uint16_t device, struct qpci_dev *d)
{
	uint32_t want = (uint32_t)device << 16 | vendor;
	unsigned slot;

	for (slot = 0; slot < QPCI_SLOTS && !qtest_error(q); slot++) {
		uint64_t cfg = ECAM_ADDR(0, slot << 3);

		if (qtest_readl(q, cfg + PCI_VENDOR_ID) != want)
			continue;
		memset(d, 0, sizeof(*d));
		d->q = q;
		d->cfg = cfg;
		d->devfn = (uint8_t)(slot << 3);
		return 0;
	}
	return -ENODEV;
}

uint8_t qpci_find_cap(struct qpci_dev *d, uint8_t id)
{
	uint8_t pos;
	int guard = 48; /* a looped list must not loop the test */

	if (!(qpci_cfg_readw(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = qpci_cfg_readb(d, PCI_CAPABILITY_LIST) & ~3u;
	while (pos && guard--) {
		if (qpci_cfg_readb(d, pos + PCI_CAP_LIST_ID) == id)
			return pos;
		pos = qpci_cfg_readb(d, pos + PCI_CAP_LIST_NEXT) & ~3u;
	}
	return 0;
}

/* Size of BAR i from an all-ones probe; the old value is restored. */
static int bar_probe(struct qpci_dev *d, unsigned i, uint64_t *size)
{
	unsigned off = PCI_BASE_ADDRESS_0 + 4 * i;
	uint32_t old = qpci_cfg_readl(d, off), v;

	qpci_cfg_writel(d, off, 0xffffffff);
	v = qpci_cfg_readl(d, off);
	qpci_cfg_writel(d, off, old);
	*size = 0;
	if (!v)
		return 0;
	if ((v & PCI_BASE_ADDRESS_SPACE) == PCI_BASE_ADDRESS_SPACE_IO ||
	    (v & PCI_BASE_ADDRESS_MEM_TYPE_MASK) != PCI_BASE_ADDRESS_MEM_TYPE_32) {
		fprintf(stderr, "# pci: BAR%u is I/O or 64-bit (0x%08x), not supported\n", i, v);
		return -EOPNOTSUPP;
	}
	*size = (uint32_t)(~(v & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK) + 1);
	return 0;
}

int qpci_setup_bars(struct qpci_dev *d, uint64_t base)
{
	uint64_t next = base;
	unsigned i;
	int err;

	qpci_cfg_writew(d, PCI_COMMAND, 0);
	for (i = 0; i < QPCI_BARS; i++) {
		uint64_t size;

		err = bar_probe(d, i, &size);
		if (err)
			return err;
		d->bar_size[i] = size;
		d->bar[i] = 0;
		if (!size)
			continue;
		next = (next + size - 1) & ~(size - 1);
		d->bar[i] = next;
		qpci_cfg_writel(d, PCI_BASE_ADDRESS_0 + 4 * i, (uint32_t)next);
		next += size;
	}
	if (next > MICROVM_PCIE_MMIO_BASE + MICROVM_PCIE_MMIO_SIZE)
		return -ENOSPC;
	qpci_cfg_writew(d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return qtest_error(d->q);
}

void qpci_bus_master(struct qpci_dev *d, bool on)
{
	uint16_t cmd = qpci_cfg_readw(d, PCI_COMMAND);

	cmd = on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
	qpci_cfg_writew(d, PCI_COMMAND, cmd);
}

/* Address of a table given by a BIR/offset register, or 0. */
static uint64_t msix_where(struct qpci_dev *d, unsigned reg)
{
	uint32_t v = qpci_cfg_readl(d, d->msix_cap + reg);
	unsigned bir = v & PCI_MSIX_TABLE_BIR;

	if (bir >= QPCI_BARS || !d->bar[bir])
		return 0;
	return d->bar[bir] + (v & PCI_MSIX_TABLE_OFFSET);
}

int qpci_msix_init(struct qpci_dev *d)
{
	d->msix_cap = qpci_find_cap(d, PCI_CAP_ID_MSIX);
	if (!d->msix_cap)
		return -ENODEV;
	d->msix_vectors =
		(qpci_cfg_readw(d, d->msix_cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
	d->msix_table = msix_where(d, PCI_MSIX_TABLE);
	d->msix_pba = msix_where(d, PCI_MSIX_PBA);
	return d->msix_table && d->msix_pba ? 0 : -ENODEV;
}

void qpci_msix_vector(struct qpci_dev *d, unsigned vec, uint64_t addr, uint32_t data)
{
	uint64_t e = d->msix_table + (uint64_t)vec * PCI_MSIX_ENTRY_SIZE;

	qtest_writel(d->q, e + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
	qtest_writel(d->q, e + PCI_MSIX_ENTRY_UPPER_ADDR, (uint32_t)(addr >> 32));
	qtest_writel(d->q, e + PCI_MSIX_ENTRY_DATA, data);
}

void qpci_msix_mask(struct qpci_dev *d, unsigned vec, bool masked)
{
	uint64_t e = d->msix_table + (uint64_t)vec * PCI_MSIX_ENTRY_SIZE;

	qtest_writel(d->q, e + PCI_MSIX_ENTRY_VECTOR_CTRL,
		     masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

void qpci_msix_enable(struct qpci_dev *d, bool on)
{
	unsigned off = d->msix_cap + PCI_MSIX_FLAGS;
	uint16_t ctrl = qpci_cfg_readw(d, off);

	ctrl = on ? ctrl | PCI_MSIX_FLAGS_ENABLE : ctrl & ~PCI_MSIX_FLAGS_ENABLE;
	qpci_cfg_writew(d, off, ctrl & ~PCI_MSIX_FLAGS_MASKALL);
}

bool qpci_msix_pending(struct qpci_dev *d, unsigned vec)
{
	uint32_t word = qtest_readl(d->q, d->msix_pba + 4 * (vec / 32));

	return word >> (vec % 32) & 1;
}
