/* SPDX-License-Identifier: MIT */
/*
 * Guest memory and device page tables for the device tests.
 *
 * gmem hands out guest-physical pages from a bump allocator (no guest OS
 * owns the RAM under qtest). devas builds one device address space: the
 * 3-level tables of lutcore_regs.h ("Device MMU"), kept as host shadows
 * and written to guest RAM by devas_sync(), so that mapping thousands of
 * pages costs one qtest write per 4 KiB table instead of one per entry.
 */
#ifndef LUTCORE_TEST_DEVMMU_H
#define LUTCORE_TEST_DEVMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "lutcore_regs.h"
#include "qtest_client.h"

#define PT_ENTRIES (1u << LUTCORE_PT_BITS)

struct gmem {
	uint64_t next, end; /* free guest-physical range */
};

/* Page orders of gmem_pages(): how VA-consecutive pages lie in RAM. */
enum gmem_order {
	GM_CONTIG,  /* one physically contiguous run */
	GM_REVERSE, /* descending: no two neighbours are contiguous */
	GM_CHUNKS,  /* runs of 3 contiguous pages, the runs in reverse order */
};

void gmem_init(struct gmem *g, uint64_t start, uint64_t end);
/* size bytes, page-aligned, zero-filled by QEMU at startup; 0 if full. */
uint64_t gmem_alloc(struct gmem *g, uint64_t size);
/* n pages in the given order, into pa[]; false if RAM is exhausted. */
bool gmem_pages(struct gmem *g, unsigned n, enum gmem_order order, uint64_t *pa);

struct pt_table;

struct devas {
	struct qtest *q;
	struct gmem *g;
	uint64_t root; /* PT_BASE: bus address of the level-0 table */
	struct pt_table *tables;
};

/* A new, empty address space; 0 or -ENOMEM. */
int devas_init(struct devas *as, struct qtest *q, struct gmem *g);
void devas_fini(struct devas *as);
/*
 * Map the page at va to the guest page pa (both page-aligned), with
 * LUTCORE_PTE_WRITABLE if writable. Creates missing tables. Returns 0, or
 * -ENOMEM if guest RAM for tables is exhausted.
 */
int devas_map(struct devas *as, uint64_t va, uint64_t pa, bool writable);
/* Clear the leaf entry of va (the tables stay). */
void devas_unmap(struct devas *as, uint64_t va);
/* Leaf entry of va, 0 if any level is missing. */
uint64_t devas_pte(struct devas *as, uint64_t va);
/* Write every changed table to guest RAM. */
void devas_sync(struct devas *as);

#endif /* LUTCORE_TEST_DEVMMU_H */
