/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LUTCore accel driver: buffer objects and their per-file mappings.
 */

#ifndef __LUTCORE_GEM_H__
#define __LUTCORE_GEM_H__

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>

#include "lutcore_mmu.h"

struct drm_device;
struct drm_file;

/**
 * struct lutcore_bo - a buffer object: GEM shmem, pinned while mapped
 */
struct lutcore_bo {
	/** @base: the shmem object */
	struct drm_gem_shmem_object base;
	/** @flags: DRM_LUTCORE_BO_* it was created with */
	u32 flags;
	/** @mappings_lock: protects @mappings */
	struct mutex mappings_lock;
	/** @mappings: one &struct lutcore_mapping per file with a handle */
	struct list_head mappings;
	/** @dev_link: in &lutcore_device.bo_list */
	struct list_head dev_link;
};

/**
 * struct lutcore_mapping - a buffer mapped in one file's address space
 *
 * Made when the file gets its first handle to the buffer (GEM .open),
 * removed from the buffer when the file's last handle goes (.close).
 * Reference counted: the handles and every job that uses it, so a job's
 * buffers stay mapped until it is freed even after their handles are
 * closed. It holds a reference to the buffer and to the address space.
 */
struct lutcore_mapping {
	/** @refcount: see above */
	struct kref refcount;
	/** @bo: the buffer */
	struct lutcore_bo *bo;
	/** @vm: the address space */
	struct lutcore_vm *vm;
	/** @node: the VA range (the buffer and its guard page) */
	struct drm_mm_node node;
	/** @handles: GEM .open calls of the file not yet closed */
	unsigned int handles;
	/** @bo_link: in &lutcore_bo.mappings while @handles > 0 */
	struct list_head bo_link;
	/** @deferred: the buffer reference is dropped through this */
	struct lutcore_vm_deferred deferred;
};

static inline struct lutcore_bo *to_lutcore_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct lutcore_bo, base);
}

struct drm_gem_object *lutcore_gem_create_object(struct drm_device *drm,
						 size_t size);

struct lutcore_mapping *lutcore_mapping_get(struct lutcore_bo *bo,
					    struct lutcore_vm *vm);
struct lutcore_mapping *lutcore_mapping_find_va(struct lutcore_vm *vm,
						u64 addr, u64 size);
void lutcore_mapping_put(struct lutcore_mapping *mapping);

u64 lutcore_gem_max_size(struct lutcore_device *ldev);

int lutcore_ioctl_bo_create(struct drm_device *drm, void *data,
			    struct drm_file *file);
int lutcore_ioctl_bo_info(struct drm_device *drm, void *data,
			  struct drm_file *file);
int lutcore_ioctl_wait_bo(struct drm_device *drm, void *data,
			  struct drm_file *file);

#endif /* __LUTCORE_GEM_H__ */
