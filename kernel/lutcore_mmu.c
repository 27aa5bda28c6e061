// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: per-file device address spaces.
 *
 * Every open file gets its own page tables, so the device itself keeps one
 * process's jobs out of another's buffers; the kernel never parses a
 * stream. The format is the register map's: three levels of 4 KiB tables
 * of 512 little-endian 64-bit entries, VALID on every level, WRITABLE on
 * leaves. Tables are allocated on first use and kept until the address
 * space is freed: they cost 1/512 of what they map, and keeping them makes
 * unmapping allocation-free.
 */

#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>

#include "lutcore_drv.h"
#include "lutcore_mmu.h"

#define LUTCORE_PT_ENTRIES	BIT(LUTCORE_PT_BITS)

/**
 * struct lutcore_pt - one page table
 * @entries: CPU view of the table, DMA-coherent
 * @dma: bus address of the table, what the parent entry points to
 * @children: the next level's tables (NULL for leaf tables)
 */
struct lutcore_pt {
	__le64 *entries;
	dma_addr_t dma;
	struct lutcore_pt **children;
};

static unsigned int lutcore_pt_index(u64 va, unsigned int level)
{
	unsigned int shift = LUTCORE_PAGE_SHIFT +
			     LUTCORE_PT_BITS * (LUTCORE_PT_LEVELS - 1 - level);

	return (va >> shift) & (LUTCORE_PT_ENTRIES - 1);
}

static struct lutcore_pt *lutcore_pt_alloc(struct lutcore_device *ldev,
					   bool leaf)
{
	struct lutcore_pt *pt;

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return NULL;
	if (!leaf) {
		pt->children = kcalloc(LUTCORE_PT_ENTRIES,
				       sizeof(*pt->children), GFP_KERNEL);
		if (!pt->children)
			goto err_free;
	}
	/* Zeroed: every entry starts invalid. */
	pt->entries = dma_alloc_coherent(ldev->drm.dev, LUTCORE_PAGE_SIZE,
					 &pt->dma, GFP_KERNEL);
	if (!pt->entries)
		goto err_free;

	return pt;

err_free:
	kfree(pt->children);
	kfree(pt);
	return NULL;
}

static void lutcore_pt_free(struct lutcore_device *ldev, struct lutcore_pt *pt)
{
	unsigned int i;

	if (!pt)
		return;
	if (pt->children) {
		for (i = 0; i < LUTCORE_PT_ENTRIES; i++)
			lutcore_pt_free(ldev, pt->children[i]);
		kfree(pt->children);
	}
	dma_free_coherent(ldev->drm.dev, LUTCORE_PAGE_SIZE, pt->entries,
			  pt->dma);
	kfree(pt);
}

static void lutcore_pt_set(struct lutcore_pt *pt, unsigned int index, u64 pte)
{
	/* One 64-bit store: a walk running in parallel sees old or new. */
	WRITE_ONCE(pt->entries[index], cpu_to_le64(pte));
}

/*
 * The leaf table that maps @va, allocated (with the directories above it)
 * if @alloc, else NULL when absent. Called with vm->lock held.
 */
static struct lutcore_pt *lutcore_vm_leaf(struct lutcore_vm *vm, u64 va,
					  bool alloc)
{
	struct lutcore_pt *pt = vm->root;
	unsigned int level;

	for (level = 0; level < LUTCORE_PT_LEVELS - 1; level++) {
		unsigned int i = lutcore_pt_index(va, level);
		bool leaf = level == LUTCORE_PT_LEVELS - 2;
		struct lutcore_pt *child = pt->children[i];

		if (!child) {
			if (!alloc)
				return NULL;
			child = lutcore_pt_alloc(vm->ldev, leaf);
			if (!child)
				return ERR_PTR(-ENOMEM);
			pt->children[i] = child;
			/* The child is zeroed before the parent points to it. */
			dma_wmb();
			lutcore_pt_set(pt, i, (child->dma & LUTCORE_PTE_ADDR_MASK) |
				       LUTCORE_PTE_VALID);
		}
		pt = child;
	}

	return pt;
}

static void lutcore_vm_clear(struct lutcore_vm *vm, u64 start, u64 size)
{
	struct lutcore_pt *leaf = NULL;
	u64 va;

	for (va = start; va < start + size; va += LUTCORE_PAGE_SIZE) {
		if (!leaf || !lutcore_pt_index(va, LUTCORE_PT_LEVELS - 1))
			leaf = lutcore_vm_leaf(vm, va, false);
		if (leaf)
			lutcore_pt_set(leaf, lutcore_pt_index(va, LUTCORE_PT_LEVELS - 1), 0);
	}
}

/**
 * lutcore_mmu_flush_tlbs() - drop every core's cached translations
 * @ldev: the device
 *
 * Done after every page-table change: a job of the changed address space
 * may be on any core, and the invalidate is one register write per core.
 * Nothing to do once the device is gone.
 */
void lutcore_mmu_flush_tlbs(struct lutcore_device *ldev)
{
	unsigned int i;
	int idx;

	if (!drm_dev_enter(&ldev->drm, &idx))
		return;
	for (i = 0; i < ldev->caps.num_cores; i++)
		lutcore_core_write(&ldev->cores[i], LUTCORE_CORE_TLB_INVALIDATE, 1);
	drm_dev_exit(idx);
}

/**
 * lutcore_vm_map() - give a buffer a device address and map its pages
 * @vm: the address space
 * @node: receives the VA range: the buffer plus one unmapped guard page,
 *        so that running off a buffer's end faults instead of reaching
 *        the next one
 * @size: the buffer's size, page aligned
 * @sgt: the buffer's DMA-mapped pages, at least @size bytes
 * @writable: whether the device may write the pages
 *
 * Return: 0, -ENOSPC when no range is left, -ENOMEM.
 */
int lutcore_vm_map(struct lutcore_vm *vm, struct drm_mm_node *node, u64 size,
		   struct sg_table *sgt, bool writable)
{
	u64 flags = LUTCORE_PTE_VALID | (writable ? LUTCORE_PTE_WRITABLE : 0);
	struct lutcore_pt *leaf = NULL;
	struct sg_dma_page_iter iter;
	u64 va, end;
	int ret;

	/* One PTE per CPU page of the scatterlist. */
	BUILD_BUG_ON(PAGE_SIZE != LUTCORE_PAGE_SIZE);
	mutex_lock(&vm->lock);
	ret = drm_mm_insert_node_generic(&vm->mm, node, size + LUTCORE_PAGE_SIZE,
					 LUTCORE_PAGE_SIZE, 0, DRM_MM_INSERT_BEST);
	if (ret)
		goto out_unlock;

	va = node->start;
	end = node->start + size;
	for_each_sgtable_dma_page(sgt, &iter, 0) {
		dma_addr_t addr = sg_page_iter_dma_address(&iter);

		if (va >= end)
			break;
		if (!leaf || !lutcore_pt_index(va, LUTCORE_PT_LEVELS - 1)) {
			leaf = lutcore_vm_leaf(vm, va, true);
			if (IS_ERR(leaf)) {
				ret = PTR_ERR(leaf);
				goto err_unmap;
			}
		}
		lutcore_pt_set(leaf, lutcore_pt_index(va, LUTCORE_PT_LEVELS - 1),
			       (addr & LUTCORE_PTE_ADDR_MASK) | flags);
		va += LUTCORE_PAGE_SIZE;
	}
	mutex_unlock(&vm->lock);

	/* A job of this space may hold invalid entries of the new range. */
	lutcore_mmu_flush_tlbs(vm->ldev);
	return 0;

err_unmap:
	lutcore_vm_clear(vm, node->start, va - node->start);
	drm_mm_remove_node(node);
	mutex_unlock(&vm->lock);
	/* A running job may have cached the entries just cleared. */
	lutcore_mmu_flush_tlbs(vm->ldev);
	return ret;
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * lutcore_vm_unmap() - unmap a buffer, keeping its VA range
 * @vm: the address space
 * @node: the range lutcore_vm_map() allocated
 * @size: the buffer's size
 *
 * The pages themselves may still be in use by an instruction that
 * translated them before; see &struct lutcore_vm_deferred. The range stays
 * allocated until lutcore_vm_free_va(), so that a job still on the device
 * that uses the buffer without listing it faults on the address instead of
 * reaching a buffer created there meanwhile.
 */
void lutcore_vm_unmap(struct lutcore_vm *vm, struct drm_mm_node *node,
		      u64 size)
{
	mutex_lock(&vm->lock);
	lutcore_vm_clear(vm, node->start, size);
	mutex_unlock(&vm->lock);
	lutcore_mmu_flush_tlbs(vm->ldev);
}

/**
 * lutcore_vm_free_va() - give an unmapped buffer's VA range back
 * @vm: the address space
 * @node: the range, unmapped by lutcore_vm_unmap()
 *
 * Called from the deferred release, once no job that could use the range
 * is left on the device.
 */
void lutcore_vm_free_va(struct lutcore_vm *vm, struct drm_mm_node *node)
{
	mutex_lock(&vm->lock);
	drm_mm_remove_node(node);
	mutex_unlock(&vm->lock);
}

/**
 * lutcore_vm_job_start() - note that a job of @vm is on the device
 * @vm: the job's address space
 * @job: the job's membership; a second call (a job run again after a
 *       reset) changes nothing
 */
void lutcore_vm_job_start(struct lutcore_vm *vm, struct lutcore_vm_job *job)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->hw_lock, flags);
	if (list_empty(&job->link)) {
		job->gen = vm->gen;
		list_add_tail(&job->link, &vm->hw_jobs);
	}
	spin_unlock_irqrestore(&vm->hw_lock, flags);
}

/* Moves the releases no job on the device can still need to @done. */
static void lutcore_vm_collect(struct lutcore_vm *vm, struct list_head *done)
{
	struct lutcore_vm_deferred *item, *tmp;
	struct lutcore_vm_job *oldest;

	oldest = list_first_entry_or_null(&vm->hw_jobs, struct lutcore_vm_job,
					  link);
	list_for_each_entry_safe(item, tmp, &vm->deferred, link) {
		if (oldest && oldest->gen <= item->gen)
			break;
		list_move_tail(&item->link, done);
	}
}

static void lutcore_vm_release_items(struct list_head *done)
{
	struct lutcore_vm_deferred *item, *tmp;

	list_for_each_entry_safe(item, tmp, done, link) {
		list_del(&item->link);
		item->release(item);
	}
}

/**
 * lutcore_vm_job_end() - a job of @vm is off the device for good
 * @vm: the job's address space
 * @job: the job's membership
 *
 * Runs the deferred releases that were waiting for it. Process context.
 */
void lutcore_vm_job_end(struct lutcore_vm *vm, struct lutcore_vm_job *job)
{
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&vm->hw_lock, flags);
	list_del_init(&job->link);
	lutcore_vm_collect(vm, &done);
	spin_unlock_irqrestore(&vm->hw_lock, flags);

	lutcore_vm_release_items(&done);
}

/**
 * lutcore_vm_defer() - release @item once the device is done with @vm
 * @vm: the address space @item was unmapped from (after the unmap)
 * @item: the release; runs now if no job of @vm is on the device
 */
void lutcore_vm_defer(struct lutcore_vm *vm, struct lutcore_vm_deferred *item)
{
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&vm->hw_lock, flags);
	item->gen = vm->gen++;
	list_add_tail(&item->link, &vm->deferred);
	lutcore_vm_collect(vm, &done);
	spin_unlock_irqrestore(&vm->hw_lock, flags);

	lutcore_vm_release_items(&done);
}

/**
 * lutcore_vm_va_end() - end of the VA range buffers are placed in
 * @ldev: the device
 *
 * Return: 2^va_bits, the first address the device cannot translate.
 */
u64 lutcore_vm_va_end(struct lutcore_device *ldev)
{
	return 1ull << ldev->caps.va_bits;
}

/**
 * lutcore_vm_create() - a new, empty address space
 * @ldev: the device
 * @client_id: the owning file's DRM client id
 *
 * Return: the address space with one reference, or NULL without memory.
 */
struct lutcore_vm *lutcore_vm_create(struct lutcore_device *ldev, u64 client_id)
{
	struct lutcore_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return NULL;
	vm->root = lutcore_pt_alloc(ldev, false);
	if (!vm->root) {
		kfree(vm);
		return NULL;
	}
	kref_init(&vm->refcount);
	vm->ldev = ldev;
	vm->client_id = client_id;
	mutex_init(&vm->lock);
	drm_mm_init(&vm->mm, LUTCORE_VA_START,
		    lutcore_vm_va_end(ldev) - LUTCORE_VA_START);
	spin_lock_init(&vm->hw_lock);
	INIT_LIST_HEAD(&vm->hw_jobs);
	INIT_LIST_HEAD(&vm->deferred);

	return vm;
}

static void lutcore_vm_release(struct kref *kref)
{
	struct lutcore_vm *vm = container_of(kref, struct lutcore_vm, refcount);

	/*
	 * Mappings and jobs hold references, so nothing is mapped, deferred
	 * or on the device any more.
	 */
	drm_mm_takedown(&vm->mm);
	lutcore_pt_free(vm->ldev, vm->root);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

/**
 * lutcore_vm_put() - drop a reference to an address space
 * @vm: the address space, or NULL
 */
void lutcore_vm_put(struct lutcore_vm *vm)
{
	if (vm)
		kref_put(&vm->refcount, lutcore_vm_release);
}

/**
 * lutcore_vm_pt_base() - the value of a job's PT_BASE for @vm
 * @vm: the address space
 *
 * Return: bus address of the level-0 table.
 */
u64 lutcore_vm_pt_base(struct lutcore_vm *vm)
{
	return vm->root->dma;
}
