/*
 * LUTCore PCIe device: the device MMU (page-table walk, TLB, mappings).
 *
 * One LutcoreMmu per core, used only by that core's worker thread: no
 * locking inside. The walk reads page tables from guest memory through the
 * device's PCI address space, so bus mastering and a vIOMMU are honoured.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_LUTCORE_MMU_H
#define HW_MISC_LUTCORE_MMU_H

#include "lutcore-compat.h"

#define LUTCORE_TLB_ENTRIES     64

typedef struct LutcoreTlbEntry {
    uint64_t tag;               /* VA page number + 1; 0 = empty */
    uint64_t pte;               /* leaf PTE: bus address and flags */
} LutcoreTlbEntry;

typedef struct LutcoreMmu {
    PCIDevice *pdev;
    uint64_t pt_base;
    uint32_t epoch;             /* bumped by any thread to invalidate */
    uint32_t epoch_seen;        /* epoch the cached entries belong to */
    uint64_t leaf_tag;          /* VA >> 21, + 1, of leaf_table; 0 = none */
    uint64_t leaf_table;        /* bus address of the last leaf table */
    LutcoreTlbEntry tlb[LUTCORE_TLB_ENTRIES];
} LutcoreMmu;

/* Why a translation or an access failed; error is a LUTCORE_ERR_* code. */
typedef struct LutcoreMmuFault {
    uint32_t error;
    uint64_t va;
} LutcoreMmuFault;

/* Fill @f and return false, for the error paths of callers. */
bool lutcore_mmu_fault(LutcoreMmuFault *f, uint32_t error, uint64_t va);

/* Walks and mappings go through @pdev's bus-master address space. */
void lutcore_mmu_init(LutcoreMmu *m, PCIDevice *pdev);

/*
 * Whether the device may touch @addr directly: guest RAM (or ROM, for a
 * read) in @pdev's bus-master address space. Page tables and operands
 * anywhere else are a bus error; reaching MMIO would make the worker take
 * the BQL, and QEMU's bounce buffer would expose uninitialized host
 * memory for write-back.
 */
bool lutcore_mmu_is_ram(PCIDevice *pdev, uint64_t addr, bool write);

/* Begin a job: new page-table root, empty TLB. Worker thread only. */
void lutcore_mmu_start(LutcoreMmu *m, uint64_t pt_base);

/* TLB_INVALIDATE: safe from any thread; the worker flushes lazily. */
void lutcore_mmu_invalidate(LutcoreMmu *m);

/*
 * Translate @va for a read or a write. Returns the bus address of the byte
 * at @va, or fills @fault and returns false.
 */
bool lutcore_mmu_translate(LutcoreMmu *m, uint64_t va, bool write,
                           uint64_t *bus, LutcoreMmuFault *fault);

/*
 * Length, from @va, of the run that is both virtually and physically
 * contiguous and has the access rights asked for, capped at @len. Fills
 * @fault and returns 0 when the first page cannot be accessed.
 */
uint64_t lutcore_mmu_run(LutcoreMmu *m, uint64_t va, uint64_t len, bool write,
                         uint64_t *bus, LutcoreMmuFault *fault);

#endif /* HW_MISC_LUTCORE_MMU_H */
