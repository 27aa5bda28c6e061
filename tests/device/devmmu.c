// SPDX-License-Identifier: MIT
/*
 * Guest-memory allocator and device page-table builder; see devmmu.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devmmu.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "PTEs are copied to guest RAM as they are");

#define PT_PAGE	 LUTCORE_PAGE_SIZE
#define PT_CHUNK 3 /* pages per run of GM_CHUNKS */

/* The host shadow of one table and where it lives in guest RAM. */
struct pt_table {
	uint64_t pa;
	bool dirty;
	uint64_t e[PT_ENTRIES];
	struct pt_table *next;
};

void gmem_init(struct gmem *g, uint64_t start, uint64_t end)
{
	g->next = (start + PT_PAGE - 1) & ~(PT_PAGE - 1);
	g->end = end;
}

uint64_t gmem_alloc(struct gmem *g, uint64_t size)
{
	uint64_t pa = g->next;

	size = (size + PT_PAGE - 1) & ~(PT_PAGE - 1);
	if (!size || size > g->end - g->next)
		return 0;
	g->next += size;
	return pa;
}

bool gmem_pages(struct gmem *g, unsigned n, enum gmem_order order, uint64_t *pa)
{
	uint64_t base = gmem_alloc(g, (uint64_t)n * PT_PAGE);
	unsigned i;

	if (!base)
		return false;
	for (i = 0; i < n; i++) {
		unsigned slot = i;

		if (order == GM_REVERSE) {
			slot = n - 1 - i;
		} else if (order == GM_CHUNKS) {
			unsigned chunks = (n + PT_CHUNK - 1) / PT_CHUNK;
			unsigned c = i / PT_CHUNK;

			/*
			 * Chunk c goes to the mirror position. If the last
			 * chunk is short (r pages), it lands on slots 0..r-1,
			 * and the pages of chunk 0 that would fall off the end
			 * take the free slots r..PT_CHUNK-1, i.e. slot i.
			 */
			slot = (chunks - 1 - c) * PT_CHUNK + i % PT_CHUNK;
			if (slot >= n)
				slot = i;
		}
		pa[i] = base + (uint64_t)slot * PT_PAGE;
	}
	return true;
}

static struct pt_table *pt_new(struct devas *as)
{
	struct pt_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pa = gmem_alloc(as->g, PT_PAGE);
	if (!t->pa) {
		free(t);
		return NULL;
	}
	t->dirty = true;
	t->next = as->tables;
	as->tables = t;
	return t;
}

static struct pt_table *pt_at(const struct devas *as, uint64_t pa)
{
	struct pt_table *t;

	for (t = as->tables; t; t = t->next)
		if (t->pa == pa)
			return t;
	return NULL;
}

int devas_init(struct devas *as, struct qtest *q, struct gmem *g)
{
	struct pt_table *root;

	memset(as, 0, sizeof(*as));
	as->q = q;
	as->g = g;
	root = pt_new(as);
	if (!root)
		return -ENOMEM;
	as->root = root->pa;
	return 0;
}

void devas_fini(struct devas *as)
{
	while (as->tables) {
		struct pt_table *t = as->tables;

		as->tables = t->next;
		free(t);
	}
}

static unsigned pt_index(uint64_t va, int level)
{
	int shift = LUTCORE_PAGE_SHIFT + LUTCORE_PT_BITS * (LUTCORE_PT_LEVELS - 1 - level);

	return (unsigned)(va >> shift) & (PT_ENTRIES - 1);
}

/* The leaf table of va; created on the way down if create is set. */
static struct pt_table *pt_leaf(struct devas *as, uint64_t va, bool create)
{
	struct pt_table *t = pt_at(as, as->root);
	int level;

	for (level = 0; t && level < LUTCORE_PT_LEVELS - 1; level++) {
		uint64_t *e = &t->e[pt_index(va, level)];
		struct pt_table *child;

		if (*e & LUTCORE_PTE_VALID) {
			t = pt_at(as, *e & LUTCORE_PTE_ADDR_MASK);
			continue;
		}
		if (!create)
			return NULL;
		child = pt_new(as);
		if (!child)
			return NULL;
		*e = child->pa | LUTCORE_PTE_VALID;
		t->dirty = true;
		t = child;
	}
	return t;
}

int devas_map(struct devas *as, uint64_t va, uint64_t pa, bool writable)
{
	struct pt_table *leaf = pt_leaf(as, va, true);

	if (!leaf)
		return -ENOMEM;
	leaf->e[pt_index(va, LUTCORE_PT_LEVELS - 1)] = (pa & LUTCORE_PTE_ADDR_MASK) |
						       LUTCORE_PTE_VALID |
						       (writable ? LUTCORE_PTE_WRITABLE : 0);
	leaf->dirty = true;
	return 0;
}

void devas_unmap(struct devas *as, uint64_t va)
{
	struct pt_table *leaf = pt_leaf(as, va, false);

	if (!leaf)
		return;
	leaf->e[pt_index(va, LUTCORE_PT_LEVELS - 1)] = 0;
	leaf->dirty = true;
}

uint64_t devas_pte(struct devas *as, uint64_t va)
{
	struct pt_table *leaf = pt_leaf(as, va, false);

	return leaf ? leaf->e[pt_index(va, LUTCORE_PT_LEVELS - 1)] : 0;
}

void devas_sync(struct devas *as)
{
	struct pt_table *t;

	/* Entries are little-endian in the device's tables, as on the host. */
	for (t = as->tables; t; t = t->next) {
		if (!t->dirty)
			continue;
		qtest_memwrite(as->q, t->pa, t->e, sizeof(t->e));
		t->dirty = false;
	}
}
