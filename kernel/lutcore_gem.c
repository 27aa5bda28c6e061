// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: buffer objects (GEM shmem) and their mappings in
 * the files' device address spaces; BO_CREATE, BO_INFO, WAIT_BO.
 *
 * Pages are pinned when a buffer is first mapped (at creation, or when an
 * imported buffer gets its first handle) and stay pinned until the buffer
 * is freed. A stream may address any buffer mapped in its file at any
 * time, listed in SUBMIT or not, so the driver never knows when the device
 * is done with a page; there is no shrinker and no eviction.
 *
 * Mapping per file follows panfrost: GEM .open maps the buffer into the
 * address space of the file that gets a handle, .close unmaps it, so
 * buffers shared through PRIME are mapped in every file that uses them,
 * each at an address of its own.
 */

#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_utils.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"
#include "lutcore_gem.h"

static void lutcore_mapping_free(struct lutcore_vm_deferred *item)
{
	struct lutcore_mapping *mapping =
		container_of(item, struct lutcore_mapping, deferred);

	lutcore_vm_free_va(mapping->vm, &mapping->node);
	drm_gem_object_put(&mapping->bo->base.base);
	lutcore_vm_put(mapping->vm);
	kfree(mapping);
}

static void lutcore_mapping_release(struct kref *kref)
{
	struct lutcore_mapping *mapping =
		container_of(kref, struct lutcore_mapping, refcount);

	lutcore_vm_unmap(mapping->vm, &mapping->node,
			 mapping->bo->base.base.size);
	/*
	 * The pages and the VA range go when no job that could still touch
	 * them is left.
	 */
	mapping->deferred.release = lutcore_mapping_free;
	lutcore_vm_defer(mapping->vm, &mapping->deferred);
}

/**
 * lutcore_mapping_put() - drop a reference to a mapping
 * @mapping: the mapping, or NULL
 *
 * The last reference unmaps the buffer. Process context.
 */
void lutcore_mapping_put(struct lutcore_mapping *mapping)
{
	if (mapping)
		kref_put(&mapping->refcount, lutcore_mapping_release);
}

/**
 * lutcore_mapping_get() - the mapping of @bo in @vm, if the file has a handle
 * @bo: the buffer
 * @vm: the file's address space
 *
 * Return: a new reference, or NULL.
 */
struct lutcore_mapping *lutcore_mapping_get(struct lutcore_bo *bo,
					    struct lutcore_vm *vm)
{
	struct lutcore_mapping *iter, *mapping = NULL;

	mutex_lock(&bo->mappings_lock);
	list_for_each_entry(iter, &bo->mappings, bo_link) {
		if (iter->vm == vm) {
			kref_get(&iter->refcount);
			mapping = iter;
			break;
		}
	}
	mutex_unlock(&bo->mappings_lock);

	return mapping;
}

/**
 * lutcore_mapping_find_va() - the mapping that holds a VA range
 * @vm: the address space
 * @addr: start of the range
 * @size: bytes, at least 1
 *
 * Only buffers the file still has a handle for count.
 *
 * Return: a new reference to the mapping whose buffer contains all of
 * [@addr, @addr + @size), or NULL.
 */
struct lutcore_mapping *lutcore_mapping_find_va(struct lutcore_vm *vm,
						u64 addr, u64 size)
{
	struct lutcore_mapping *mapping = NULL;
	struct drm_mm_node *node;
	bool open;

	mutex_lock(&vm->lock);
	drm_mm_for_each_node_in_range(node, &vm->mm, addr, addr + 1) {
		struct lutcore_mapping *m =
			container_of(node, struct lutcore_mapping, node);

		/* A range running into the guard page is not inside. */
		if (addr - node->start + size > m->bo->base.base.size)
			break;
		/* Zero: being released, its unmap waits for this lock. */
		if (kref_get_unless_zero(&m->refcount))
			mapping = m;
		break;
	}
	mutex_unlock(&vm->lock);
	if (!mapping)
		return NULL;

	/* bo->mappings_lock nests outside vm->lock, so check it now. */
	mutex_lock(&mapping->bo->mappings_lock);
	open = mapping->handles > 0;
	mutex_unlock(&mapping->bo->mappings_lock);
	if (!open) {
		lutcore_mapping_put(mapping);
		return NULL;
	}

	return mapping;
}

static struct lutcore_mapping *lutcore_mapping_create(struct lutcore_bo *bo,
						      struct lutcore_vm *vm)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct lutcore_mapping *mapping;
	struct sg_table *sgt;
	int ret;

	/* Pins the pages; drm_gem_shmem_free() unpins them. */
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt))
		return ERR_CAST(sgt);

	mapping = kzalloc(sizeof(*mapping), GFP_KERNEL);
	if (!mapping)
		return ERR_PTR(-ENOMEM);
	kref_init(&mapping->refcount);
	INIT_LIST_HEAD(&mapping->bo_link);
	mapping->handles = 1;
	/*
	 * Complete before the map makes the node visible: a SUBMIT of
	 * another thread may find it by address as soon as it is.
	 */
	drm_gem_object_get(obj);
	mapping->bo = bo;
	mapping->vm = lutcore_vm_get(vm);

	ret = lutcore_vm_map(vm, &mapping->node, obj->size, sgt,
			     !(bo->flags & DRM_LUTCORE_BO_DEV_READ_ONLY));
	if (ret) {
		lutcore_vm_put(vm);
		drm_gem_object_put(obj);
		kfree(mapping);
		return ERR_PTR(ret);
	}

	return mapping;
}

static int lutcore_gem_open(struct drm_gem_object *obj, struct drm_file *file)
{
	struct lutcore_device *ldev = to_lutcore_device(obj->dev);
	struct lutcore_file_priv *lfile = file->driver_priv;
	struct lutcore_bo *bo = to_lutcore_bo(obj);
	struct lutcore_mapping *mapping;
	int ret = 0;

	mutex_lock(&bo->mappings_lock);
	list_for_each_entry(mapping, &bo->mappings, bo_link) {
		/* Another handle of the same file (GEM_OPEN by name). */
		if (mapping->vm == lfile->vm) {
			mapping->handles++;
			goto out_unlock;
		}
	}
	mapping = lutcore_mapping_create(bo, lfile->vm);
	if (IS_ERR(mapping)) {
		ret = PTR_ERR(mapping);
		goto out_unlock;
	}
	list_add_tail(&mapping->bo_link, &bo->mappings);
out_unlock:
	mutex_unlock(&bo->mappings_lock);
	if (ret)
		return ret;

	/*
	 * Listed on first use, not at allocation: the shmem helper frees
	 * an object that fails to initialize without calling .free.
	 */
	mutex_lock(&ldev->bo_lock);
	if (list_empty(&bo->dev_link))
		list_add_tail(&bo->dev_link, &ldev->bo_list);
	mutex_unlock(&ldev->bo_lock);

	return 0;
}

static void lutcore_gem_close(struct drm_gem_object *obj, struct drm_file *file)
{
	struct lutcore_file_priv *lfile = file->driver_priv;
	struct lutcore_bo *bo = to_lutcore_bo(obj);
	struct lutcore_mapping *iter, *mapping = NULL;

	mutex_lock(&bo->mappings_lock);
	list_for_each_entry(iter, &bo->mappings, bo_link) {
		if (iter->vm == lfile->vm) {
			if (!--iter->handles) {
				list_del_init(&iter->bo_link);
				mapping = iter;
			}
			break;
		}
	}
	mutex_unlock(&bo->mappings_lock);

	/* Jobs that use the buffer keep it mapped until they are freed. */
	lutcore_mapping_put(mapping);
}

static void lutcore_gem_free(struct drm_gem_object *obj)
{
	struct lutcore_device *ldev = to_lutcore_device(obj->dev);
	struct lutcore_bo *bo = to_lutcore_bo(obj);

	mutex_lock(&ldev->bo_lock);
	list_del(&bo->dev_link);
	mutex_unlock(&ldev->bo_lock);
	mutex_destroy(&bo->mappings_lock);
	drm_gem_shmem_free(&bo->base);
}

static int lutcore_gem_mmap(struct drm_gem_object *obj,
			    struct vm_area_struct *vma)
{
	/* NO_MMAP objects have no offset; this catches dma-buf mmap. */
	if (to_lutcore_bo(obj)->flags & DRM_LUTCORE_BO_NO_MMAP)
		return -EPERM;

	return drm_gem_shmem_object_mmap(obj, vma);
}

static const struct drm_gem_object_funcs lutcore_gem_funcs = {
	.free = lutcore_gem_free,
	.open = lutcore_gem_open,
	.close = lutcore_gem_close,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = lutcore_gem_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * lutcore_gem_create_object() - &drm_driver.gem_create_object
 * @drm: the DRM device
 * @size: object size
 *
 * Allocates our subclass for created and PRIME-imported objects alike.
 *
 * Return: the embedded GEM object or an ERR_PTR.
 */
struct drm_gem_object *lutcore_gem_create_object(struct drm_device *drm,
						 size_t size)
{
	struct lutcore_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	mutex_init(&bo->mappings_lock);
	INIT_LIST_HEAD(&bo->mappings);
	INIT_LIST_HEAD(&bo->dev_link);
	bo->base.base.funcs = &lutcore_gem_funcs;

	return &bo->base.base;
}

/**
 * lutcore_gem_max_size() - the largest buffer BO_CREATE accepts
 * @ldev: the device
 *
 * A buffer must fit in the address space with its guard page, and since
 * it is pinned whole, in memory.
 *
 * Return: size in bytes, page aligned.
 */
u64 lutcore_gem_max_size(struct lutcore_device *ldev)
{
	u64 va = lutcore_vm_va_end(ldev) - LUTCORE_VA_START - LUTCORE_PAGE_SIZE;
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	return min(va, ram);
}

int lutcore_ioctl_bo_create(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct lutcore_device *ldev = to_lutcore_device(drm);
	struct lutcore_file_priv *lfile = file->driver_priv;
	struct drm_lutcore_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct lutcore_mapping *mapping;
	u64 size, offset = 0;
	u32 handle;
	int ret;

	if (!args->size || args->flags & ~DRM_LUTCORE_BO_FLAGS ||
	    (args->flags & DRM_LUTCORE_BO_DEV_READ_ONLY &&
	     args->flags & DRM_LUTCORE_BO_NO_MMAP) ||
	    args->handle || args->dev_addr || args->mmap_offset) {
		drm_dbg(drm, "BO_CREATE: bad size %llu, flags 0x%x or non-zero output fields\n",
			args->size, args->flags);
		return -EINVAL;
	}
	if (args->size > lutcore_gem_max_size(ldev)) {
		drm_dbg(drm, "BO_CREATE: size %llu too large\n", args->size);
		return -E2BIG;
	}
	size = PAGE_ALIGN(args->size);

	if (atomic_add_unless(&ldev->fail_bo_alloc, -1, 0))
		return -ENOMEM;

	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	to_lutcore_bo(&shmem->base)->flags = args->flags;

	if (!(args->flags & DRM_LUTCORE_BO_NO_MMAP)) {
		ret = drm_gem_create_mmap_offset(&shmem->base);
		if (ret)
			goto out_put;
		offset = drm_vma_node_offset_addr(&shmem->base.vma_node);
	}

	/* Maps the object in this file's address space (.open). */
	ret = drm_gem_handle_create(file, &shmem->base, &handle);
	if (ret)
		goto out_put;

	mapping = lutcore_mapping_get(to_lutcore_bo(&shmem->base), lfile->vm);
	if (!mapping) {
		/* Another thread closed the new handle already. */
		ret = -ENOENT;
		goto out_put;
	}
	args->dev_addr = mapping->node.start;
	lutcore_mapping_put(mapping);
	args->size = size;
	args->handle = handle;
	args->mmap_offset = offset;

out_put:
	/* The handle holds the object from here on. */
	drm_gem_object_put(&shmem->base);
	return ret;
}

int lutcore_ioctl_bo_info(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct lutcore_file_priv *lfile = file->driver_priv;
	struct drm_lutcore_bo_info *args = data;
	struct lutcore_mapping *mapping;
	struct drm_gem_object *obj;
	struct lutcore_bo *bo;
	u64 offset = 0;
	int ret = 0;

	if (args->pad || args->pad2) {
		drm_dbg(drm, "BO_INFO: non-zero padding\n");
		return -EINVAL;
	}

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj) {
		drm_dbg(drm, "BO_INFO: no handle %u\n", args->handle);
		return -ENOENT;
	}
	bo = to_lutcore_bo(obj);

	mapping = lutcore_mapping_get(bo, lfile->vm);
	if (!mapping) {
		ret = -ENOENT;
		goto out_put;
	}

	if (!(bo->flags & DRM_LUTCORE_BO_NO_MMAP)) {
		/* Imported objects get their offset on first query. */
		ret = drm_gem_create_mmap_offset(obj);
		if (ret)
			goto out_unmap;
		offset = drm_vma_node_offset_addr(&obj->vma_node);
	}

	args->size = obj->size;
	args->dev_addr = mapping->node.start;
	args->mmap_offset = offset;
	args->flags = bo->flags;

out_unmap:
	lutcore_mapping_put(mapping);
out_put:
	drm_gem_object_put(obj);
	return ret;
}

int lutcore_ioctl_wait_bo(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_lutcore_wait_bo *args = data;
	struct drm_gem_object *obj;
	long ret;

	if (args->flags || args->timeout_ns < 0) {
		drm_dbg(drm, "WAIT_BO: bad flags 0x%x or timeout %lld\n",
			args->flags, args->timeout_ns);
		return -EINVAL;
	}

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj) {
		drm_dbg(drm, "WAIT_BO: no handle %u\n", args->handle);
		return -ENOENT;
	}

	/* READ usage: every job, reading or writing, that uses the object. */
	ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ, true,
				    drm_timeout_abs_to_jiffies(args->timeout_ns));
	drm_gem_object_put(obj);
	if (ret == 0)
		return -ETIME;

	return ret < 0 ? ret : 0;
}
