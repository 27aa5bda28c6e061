/* SPDX-License-Identifier: MIT */
/*
 * A tiny PCI layer over qtest for microvm's PCIe host bridge: config space
 * through the ECAM window, BAR sizing and placement, command bits and
 * MSI-X. There is no firmware enumeration under qtest (no CPU runs), so
 * the test assigns the BARs itself. Config-space layout comes from
 * <linux/pci_regs.h>; the device's identity from lutcore_regs.h.
 */
#ifndef LUTCORE_TEST_QTEST_PCI_H
#define LUTCORE_TEST_QTEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "qtest_client.h"

/*
 * Platform facts of "-M microvm,pcie=on" (QEMU's include/hw/i386/
 * microvm.h, unchanged from 7.2 to 10.x): the GPEX ECAM window and its
 * 32-bit memory window, where the test places the BARs. The only
 * addresses in the device tests that are not the device's own.
 */
#define MICROVM_PCIE_ECAM_BASE 0xe0000000ull
#define MICROVM_PCIE_MMIO_BASE 0xc0000000ull
#define MICROVM_PCIE_MMIO_SIZE 0x20000000ull

/* ECAM: 4 KiB of config space per function, bus 0 at the window's start. */
#define ECAM_ADDR(bus, devfn) (MICROVM_PCIE_ECAM_BASE + ((uint64_t)(bus) << 20) + ((devfn) << 12))

#define QPCI_BARS 6

struct qpci_dev {
	struct qtest *q;
	uint64_t cfg; /* ECAM address of the function */
	uint8_t devfn;
	uint64_t bar[QPCI_BARS];      /* assigned address, 0 if none */
	uint64_t bar_size[QPCI_BARS]; /* 0 if the BAR is not implemented */
	uint8_t msix_cap;	      /* config offset, 0 if none */
	uint16_t msix_vectors;
	uint64_t msix_table, msix_pba; /* addresses, once the BARs are placed */
};

/* Scan bus 0 for vendor:device; 0 or -ENODEV. */
int qpci_find(struct qtest *q, uint16_t vendor, uint16_t device, struct qpci_dev *d);

uint8_t qpci_cfg_readb(struct qpci_dev *d, unsigned off);
uint16_t qpci_cfg_readw(struct qpci_dev *d, unsigned off);
uint32_t qpci_cfg_readl(struct qpci_dev *d, unsigned off);
void qpci_cfg_writew(struct qpci_dev *d, unsigned off, uint16_t val);
void qpci_cfg_writel(struct qpci_dev *d, unsigned off, uint32_t val);

/* Config offset of capability id, or 0. */
uint8_t qpci_find_cap(struct qpci_dev *d, uint8_t id);

/*
 * Size every BAR (all-ones probe) and place the memory BARs one after the
 * other, each aligned to its size, from base on; then enable memory
 * decoding and bus mastering. Returns 0 or -errno (I/O or 64-bit BARs,
 * which this device does not have, are refused).
 */
int qpci_setup_bars(struct qpci_dev *d, uint64_t base);
/* Set or clear PCI_COMMAND_MASTER. */
void qpci_bus_master(struct qpci_dev *d, bool on);

/*
 * MSI-X: find the capability and the table and PBA (call after
 * qpci_setup_bars); 0 or -ENODEV. Then point vectors anywhere (the tests
 * point them at RAM, so that a message is a memory write they can read
 * back), mask or unmask them, and enable MSI-X.
 */
int qpci_msix_init(struct qpci_dev *d);
void qpci_msix_vector(struct qpci_dev *d, unsigned vec, uint64_t addr, uint32_t data);
void qpci_msix_mask(struct qpci_dev *d, unsigned vec, bool masked);
void qpci_msix_enable(struct qpci_dev *d, bool on);
bool qpci_msix_pending(struct qpci_dev *d, unsigned vec);

#endif /* LUTCORE_TEST_QTEST_PCI_H */
