// SPDX-License-Identifier: MIT
/*
 * Buffer objects: create, map, share (PRIME), wait, free.
 *
 * GEM handles are per file and not reference counted: PRIME-importing a
 * buffer the file already holds returns the handle it has, and closing
 * that handle once closes it for every holder. So the device keeps a list
 * of its live objects and an import of a known handle takes another
 * reference to the existing struct lut_bo instead of making a second one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "device_priv.h"
#include "lutcore/bo.h"

struct lut_bo {
	struct lut_dev *dev;
	struct lut_bo *next; /* in dev->bos */
	unsigned int refs;
	uint32_t handle;
	uint32_t flags;
	uint64_t size;
	uint64_t va;
	uint64_t mmap_offset;
	void *map;
};

static struct lut_bo *bo_alloc(struct lut_dev *dev, uint32_t handle)
{
	struct lut_bo *bo = calloc(1, sizeof(*bo));

	if (!bo)
		return NULL;
	bo->dev = dev;
	bo->handle = handle;
	bo->refs = 1;
	bo->next = dev->bos;
	dev->bos = bo;
	return bo;
}

static void bo_unlink(struct lut_bo *bo)
{
	struct lut_bo **p;

	for (p = &bo->dev->bos; *p; p = &(*p)->next) {
		if (*p == bo) {
			*p = bo->next;
			return;
		}
	}
}

int lut_bo_new(struct lut_dev *dev, uint64_t size, uint32_t flags, struct lut_bo **out)
{
	struct drm_lutcore_bo_create c = {.size = size, .flags = flags};
	struct lut_bo *bo;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev)
		return -EINVAL;
	if (drmIoctl(dev->fd, DRM_IOCTL_LUTCORE_BO_CREATE, &c))
		return -errno;
	bo = bo_alloc(dev, c.handle);
	if (!bo) {
		drmCloseBufferHandle(dev->fd, c.handle);
		return -ENOMEM;
	}
	bo->flags = flags;
	bo->size = c.size;
	bo->va = c.dev_addr;
	bo->mmap_offset = c.mmap_offset;
	*out = bo;
	return 0;
}

void lut_bo_free(struct lut_bo *bo)
{
	if (!bo || --bo->refs)
		return;
	lut_bo_unmap(bo);
	bo_unlink(bo);
	drmCloseBufferHandle(bo->dev->fd, bo->handle);
	free(bo);
}

int lut_bo_map(struct lut_bo *bo, void **ptr)
{
	void *p;

	if (!bo || !ptr)
		return -EINVAL;
	if (!bo->map) {
		if (!bo->mmap_offset)
			return -EPERM;
		p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, bo->dev->fd,
			 (off_t)bo->mmap_offset);
		if (p == MAP_FAILED)
			return -errno;
		bo->map = p;
	}
	*ptr = bo->map;
	return 0;
}

int lut_bo_unmap(struct lut_bo *bo)
{
	if (!bo)
		return -EINVAL;
	if (bo->map && munmap(bo->map, bo->size))
		return -errno;
	bo->map = NULL;
	return 0;
}

uint32_t lut_bo_handle(const struct lut_bo *bo)
{
	return bo ? bo->handle : 0;
}

uint64_t lut_bo_size(const struct lut_bo *bo)
{
	return bo ? bo->size : 0;
}

uint64_t lut_bo_va(const struct lut_bo *bo)
{
	return bo ? bo->va : 0;
}

uint32_t lut_bo_flags(const struct lut_bo *bo)
{
	return bo ? bo->flags : 0;
}

static int bo_query(int fd, uint32_t handle, struct drm_lutcore_bo_info *info)
{
	struct drm_lutcore_bo_info i = {.handle = handle};

	if (drmIoctl(fd, DRM_IOCTL_LUTCORE_BO_INFO, &i))
		return -errno;
	*info = i;
	return 0;
}

int lut_bo_info(const struct lut_bo *bo, struct drm_lutcore_bo_info *info)
{
	if (!bo || !info)
		return -EINVAL;
	return bo_query(bo->dev->fd, bo->handle, info);
}

int lut_bo_export(const struct lut_bo *bo, int *fd)
{
	if (!bo || !fd)
		return -EINVAL;
	return drmPrimeHandleToFD(bo->dev->fd, bo->handle, DRM_CLOEXEC | DRM_RDWR, fd) ? -errno : 0;
}

static struct lut_bo *find_handle(struct lut_dev *dev, uint32_t handle)
{
	struct lut_bo *bo;

	for (bo = dev->bos; bo; bo = bo->next)
		if (bo->handle == handle)
			return bo;
	return NULL;
}

int lut_bo_import(struct lut_dev *dev, int fd, struct lut_bo **out)
{
	struct drm_lutcore_bo_info info;
	struct lut_bo *bo;
	uint32_t handle;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev)
		return -EINVAL;
	if (drmPrimeFDToHandle(dev->fd, fd, &handle))
		return -errno;
	bo = find_handle(dev, handle);
	if (bo) {
		bo->refs++;
		*out = bo;
		return 0;
	}
	ret = bo_query(dev->fd, handle, &info);
	bo = ret ? NULL : bo_alloc(dev, handle);
	if (!bo) {
		drmCloseBufferHandle(dev->fd, handle);
		return ret ? ret : -ENOMEM;
	}
	bo->flags = info.flags;
	bo->size = info.size;
	bo->va = info.dev_addr;
	bo->mmap_offset = info.mmap_offset;
	*out = bo;
	return 0;
}

int lut_bo_wait(const struct lut_bo *bo, int64_t abs_timeout_ns)
{
	struct drm_lutcore_wait_bo w = {.timeout_ns = abs_timeout_ns};

	if (!bo)
		return -EINVAL;
	w.handle = bo->handle;
	return drmIoctl(bo->dev->fd, DRM_IOCTL_LUTCORE_WAIT_BO, &w) ? -errno : 0;
}
