/*
 * LUTCore PCIe device: device MMU.
 *
 * 3-level page tables of 512 64-bit entries in guest memory (see
 * lutcore_regs.h): a 39-bit VA splits into three 9-bit indices and a 12-bit
 * page offset. Every level needs VALID; only the leaf's WRITABLE counts.
 *
 * Operands are large and walked in address order, so a TLB miss reads a
 * batch of consecutive leaf entries with one DMA read and caches them all
 * in a direct-mapped TLB, and the leaf table of the last 2 MiB is
 * remembered so that consecutive misses skip the upper levels. All cached
 * state is dropped at each job start and after TLB_INVALIDATE.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "lutcore.h"
#include "trace.h"

#define LUTCORE_PT_ENTRIES      (1u << LUTCORE_PT_BITS)
#define LUTCORE_LEAF_SHIFT      (LUTCORE_PAGE_SHIFT + LUTCORE_PT_BITS)
/* Leaf entries read per TLB miss; a batch never wraps the TLB. */
#define LUTCORE_MMU_BATCH       LUTCORE_TLB_ENTRIES

bool lutcore_mmu_fault(LutcoreMmuFault *f, uint32_t error, uint64_t va)
{
    f->error = error;
    f->va = va;
    return false;
}

static void lutcore_mmu_flush(LutcoreMmu *m)
{
    memset(m->tlb, 0, sizeof(m->tlb));
    m->leaf_tag = 0;
}

bool lutcore_mmu_is_ram(PCIDevice *pdev, uint64_t addr, bool write)
{
    MemoryRegion *mr;
    hwaddr xlat, len = 1;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(pci_get_address_space(pdev), addr, &xlat,
                                 &len, write, MEMTXATTRS_UNSPECIFIED);
    return memory_region_is_ram(mr) && !memory_region_is_ram_device(mr) &&
           !(write && mr->readonly);
}

void lutcore_mmu_init(LutcoreMmu *m, PCIDevice *pdev)
{
    memset(m, 0, sizeof(*m));
    m->pdev = pdev;
}

void lutcore_mmu_start(LutcoreMmu *m, uint64_t pt_base)
{
    m->pt_base = pt_base;
    m->epoch_seen = qatomic_read(&m->epoch);
    lutcore_mmu_flush(m);
}

void lutcore_mmu_invalidate(LutcoreMmu *m)
{
    qatomic_inc(&m->epoch);
}

static bool lutcore_mmu_fail(LutcoreMmuFault *f, uint32_t error, uint64_t va,
                             int level)
{
    trace_lutcore_mmu_fault(va, error, level);
    return lutcore_mmu_fault(f, error, va);
}

/* Bus address of the leaf table that maps @va: walk levels 0 and 1. */
static bool lutcore_mmu_leaf_table(LutcoreMmu *m, uint64_t va,
                                   uint64_t *table, LutcoreMmuFault *fault)
{
    uint64_t tag = (va >> LUTCORE_LEAF_SHIFT) + 1;
    uint64_t next = m->pt_base;
    int level;

    if (m->leaf_tag == tag) {
        *table = m->leaf_table;
        return true;
    }
    for (level = 0; level < LUTCORE_PT_LEVELS - 1; level++) {
        int shift = LUTCORE_PAGE_SHIFT +
                    LUTCORE_PT_BITS * (LUTCORE_PT_LEVELS - 1 - level);
        uint64_t index = (va >> shift) & (LUTCORE_PT_ENTRIES - 1);
        uint64_t pte;

        if (!lutcore_mmu_is_ram(m->pdev, next, false) ||
            ldq_le_pci_dma(m->pdev, next + index * sizeof(pte), &pte,
                           MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
            return lutcore_mmu_fail(fault, LUTCORE_ERR_BUS, va, level);
        }
        if (!(pte & LUTCORE_PTE_VALID)) {
            return lutcore_mmu_fail(fault, LUTCORE_ERR_PAGE_FAULT, va, level);
        }
        next = pte & LUTCORE_PTE_ADDR_MASK;
    }
    m->leaf_tag = tag;
    m->leaf_table = next;
    *table = next;
    return true;
}

/*
 * TLB miss at @va: read the leaf entries of up to @pages pages from @va on
 * (not past the leaf table) and cache the valid ones.
 */
static bool lutcore_mmu_fill(LutcoreMmu *m, uint64_t va, uint64_t pages,
                             LutcoreMmuFault *fault)
{
    uint64_t pte[LUTCORE_MMU_BATCH];
    uint64_t vpn = va >> LUTCORE_PAGE_SHIFT;
    uint64_t index = vpn & (LUTCORE_PT_ENTRIES - 1);
    uint64_t table, i, n;

    if (!lutcore_mmu_leaf_table(m, va, &table, fault)) {
        return false;
    }
    n = MIN(MIN(pages, LUTCORE_MMU_BATCH), LUTCORE_PT_ENTRIES - index);
    n = MAX(n, 1);
    if (!lutcore_mmu_is_ram(m->pdev, table, false) ||
        pci_dma_read(m->pdev, table + index * sizeof(pte[0]), pte,
                     n * sizeof(pte[0])) != MEMTX_OK) {
        return lutcore_mmu_fail(fault, LUTCORE_ERR_BUS, va, 2);
    }
    for (i = 0; i < n; i++) {
        LutcoreTlbEntry *e = &m->tlb[(vpn + i) % LUTCORE_TLB_ENTRIES];
        uint64_t v = le64_to_cpu(pte[i]);

        if (v & LUTCORE_PTE_VALID) {
            e->tag = vpn + i + 1;
            e->pte = v;
        } else if (e->tag == vpn + i + 1) {
            e->tag = 0;
        }
    }
    if (!(le64_to_cpu(pte[0]) & LUTCORE_PTE_VALID)) {
        return lutcore_mmu_fail(fault, LUTCORE_ERR_PAGE_FAULT, va, 2);
    }
    return true;
}

/* Translate with a hint of how many pages from @va will follow. */
static bool lutcore_mmu_lookup(LutcoreMmu *m, uint64_t va, uint64_t pages,
                               bool write, uint64_t *bus,
                               LutcoreMmuFault *fault)
{
    uint64_t vpn = va >> LUTCORE_PAGE_SHIFT;
    LutcoreTlbEntry *e = &m->tlb[vpn % LUTCORE_TLB_ENTRIES];

    if (va >> LUTCORE_VA_BITS) {
        return lutcore_mmu_fail(fault, LUTCORE_ERR_PAGE_FAULT, va, -1);
    }
    if (e->tag != vpn + 1 && !lutcore_mmu_fill(m, va, pages, fault)) {
        return false;
    }
    if (write && !(e->pte & LUTCORE_PTE_WRITABLE)) {
        return lutcore_mmu_fail(fault, LUTCORE_ERR_WRITE_FAULT, va, 2);
    }
    *bus = (e->pte & LUTCORE_PTE_ADDR_MASK) |
           (va & (LUTCORE_PAGE_SIZE - 1));
    return true;
}

static void lutcore_mmu_check_epoch(LutcoreMmu *m)
{
    uint32_t epoch = qatomic_read(&m->epoch);

    if (epoch != m->epoch_seen) {
        m->epoch_seen = epoch;
        lutcore_mmu_flush(m);
    }
}

bool lutcore_mmu_translate(LutcoreMmu *m, uint64_t va, bool write,
                           uint64_t *bus, LutcoreMmuFault *fault)
{
    lutcore_mmu_check_epoch(m);
    return lutcore_mmu_lookup(m, va, 1, write, bus, fault);
}

uint64_t lutcore_mmu_run(LutcoreMmu *m, uint64_t va, uint64_t len, bool write,
                         uint64_t *bus, LutcoreMmuFault *fault)
{
    uint64_t in_page = LUTCORE_PAGE_SIZE - (va & (LUTCORE_PAGE_SIZE - 1));
    uint64_t run, next_bus;
    LutcoreMmuFault ignored;

    if (!len) {
        return 0;
    }
    lutcore_mmu_check_epoch(m);
    if (!lutcore_mmu_lookup(m, va, DIV_ROUND_UP(len, LUTCORE_PAGE_SIZE),
                            write, bus, fault)) {
        return 0;
    }
    /*
     * Extend while the next page follows physically. A fault further on
     * only ends the run; the caller meets it when it gets there.
     */
    for (run = in_page; run < len; run += LUTCORE_PAGE_SIZE) {
        uint64_t pages = DIV_ROUND_UP(len - run, LUTCORE_PAGE_SIZE);

        if (!lutcore_mmu_lookup(m, va + run, pages, write, &next_bus,
                                &ignored) || next_bus != *bus + run) {
            break;
        }
    }
    return MIN(run, len);
}
