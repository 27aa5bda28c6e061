/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LUTCore accel driver: per-file device address spaces.
 */

#ifndef __LUTCORE_MMU_H__
#define __LUTCORE_MMU_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <drm/drm_mm.h>

struct lutcore_device;
struct lutcore_pt;
struct sg_table;

/*
 * Buffers are placed from 16 MiB up: VA 0 and the pages around it never
 * map anything, so a NULL or small-integer operand faults instead of
 * touching some buffer.
 */
#define LUTCORE_VA_START	SZ_16M

/**
 * struct lutcore_vm_deferred - a release that waits for the device
 *
 * Unmapping takes effect for the device's next translation, but an
 * instruction that already translated a page keeps using it until it ends
 * (docs/device.md, section 9). So the pages of a buffer unmapped while a
 * job of the address space is on the device are released only once every
 * job kicked before the unmap has finished; its VA range is not reused
 * until then either, so those jobs fault on it.
 */
struct lutcore_vm_deferred {
	/** @link: in &lutcore_vm.deferred */
	struct list_head link;
	/** @gen: released once no job of generation <= @gen is on the device */
	u64 gen;
	/** @release: called in process context, no lock held */
	void (*release)(struct lutcore_vm_deferred *item);
};

/**
 * struct lutcore_vm_job - a job's membership in its address space's
 * list of jobs on the device
 */
struct lutcore_vm_job {
	/** @link: in &lutcore_vm.hw_jobs, empty when not on the device */
	struct list_head link;
	/** @gen: &lutcore_vm.gen when the job was first kicked */
	u64 gen;
};

/**
 * struct lutcore_vm - one file's device address space
 *
 * Own three-level page tables in DMA-coherent memory (device format of
 * lutcore_regs.h) and a VA allocator. Reference counted: the file, every
 * mapping of a buffer in it and (through the file) every job.
 */
struct lutcore_vm {
	/** @refcount: see above */
	struct kref refcount;
	/** @ldev: the device */
	struct lutcore_device *ldev;
	/** @client_id: the owning file's DRM client id, for debugfs */
	u64 client_id;
	/** @lock: protects @mm and the page tables */
	struct mutex lock;
	/** @mm: VA allocator; each node is a buffer plus its guard page */
	struct drm_mm mm;
	/** @root: level-0 table, the jobs' PT_BASE */
	struct lutcore_pt *root;
	/** @hw_lock: protects @hw_jobs, @deferred and @gen; irqsave */
	spinlock_t hw_lock;
	/** @hw_jobs: jobs of this space kicked and not yet freed, oldest first */
	struct list_head hw_jobs;
	/** @deferred: releases waiting for @hw_jobs to drain */
	struct list_head deferred;
	/** @gen: bumped by every deferred release */
	u64 gen;
};

struct lutcore_vm *lutcore_vm_create(struct lutcore_device *ldev, u64 client_id);
void lutcore_vm_put(struct lutcore_vm *vm);

static inline struct lutcore_vm *lutcore_vm_get(struct lutcore_vm *vm)
{
	kref_get(&vm->refcount);
	return vm;
}

u64 lutcore_vm_pt_base(struct lutcore_vm *vm);
u64 lutcore_vm_va_end(struct lutcore_device *ldev);

int lutcore_vm_map(struct lutcore_vm *vm, struct drm_mm_node *node, u64 size,
		   struct sg_table *sgt, bool writable);
void lutcore_vm_unmap(struct lutcore_vm *vm, struct drm_mm_node *node,
		      u64 size);
void lutcore_vm_free_va(struct lutcore_vm *vm, struct drm_mm_node *node);

void lutcore_vm_job_start(struct lutcore_vm *vm, struct lutcore_vm_job *job);
void lutcore_vm_job_end(struct lutcore_vm *vm, struct lutcore_vm_job *job);
void lutcore_vm_defer(struct lutcore_vm *vm, struct lutcore_vm_deferred *item);

void lutcore_mmu_flush_tlbs(struct lutcore_device *ldev);

#endif /* __LUTCORE_MMU_H__ */
