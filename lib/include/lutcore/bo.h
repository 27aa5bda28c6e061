/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: buffer objects.
 *
 * A buffer object (BO) is zero-filled system memory that the driver maps
 * into the device address space of the open file at creation, so it has a
 * device VA (lut_bo_va()) that instruction streams use as is, and, unless
 * created with DRM_LUTCORE_BO_NO_MMAP, a CPU mapping (lut_bo_map()).
 * Buffers are shared between files and processes with PRIME: lut_bo_export()
 * gives a dma-buf fd, lut_bo_import() turns one into a BO of another file,
 * mapped at that file's own device VA.
 *
 * Like every liblutcore object, a struct lut_bo belongs to the struct
 * lut_dev it was made from, must be freed before that device is closed,
 * and may be used from one thread at a time together with its device.
 * Functions return 0 or a negative errno and never print.
 */
#ifndef LUTCORE_BO_H
#define LUTCORE_BO_H

#include <stdint.h>

#include "lutcore/lutcore.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* A buffer object; opaque. */
struct lut_bo;

/*
 * Create a buffer object of at least size bytes (rounded up to the page
 * size by the driver) with flags DRM_LUTCORE_BO_* and store it in *out.
 * Returns 0, -EINVAL for a NULL argument, or the driver's error: -EINVAL
 * (size 0, unknown or conflicting flags), -E2BIG (above
 * DRM_LUTCORE_PARAM_MAX_BO_SIZE), -ENOSPC (address space full), -ENOMEM,
 * -ENODEV. *out is NULL on failure.
 */
int lut_bo_new(struct lut_dev *dev, uint64_t size, uint32_t flags, struct lut_bo **out);

/*
 * Release the object: unmap it if mapped and close its handle. The kernel
 * keeps the memory alive for jobs still using it. An object imported more
 * than once into the same device (same handle) is closed when the last of
 * those references is freed. NULL is ignored.
 */
void lut_bo_free(struct lut_bo *bo);

/*
 * Map the whole object into the CPU's address space (read and write) and
 * store the address in *ptr. Repeated calls return the same mapping.
 * Returns 0, -EINVAL for NULL arguments, -EPERM for a
 * DRM_LUTCORE_BO_NO_MMAP object (or another driver's dma-buf), or mmap()'s
 * errno.
 */
int lut_bo_map(struct lut_bo *bo, void **ptr);

/*
 * Remove the CPU mapping made by lut_bo_map(), if any. Returns 0, -EINVAL
 * for a NULL bo, or munmap()'s errno.
 */
int lut_bo_unmap(struct lut_bo *bo);

/* The object's GEM handle in its file; 0 for NULL. */
uint32_t lut_bo_handle(const struct lut_bo *bo);

/* The object's size in bytes (page aligned); 0 for NULL. */
uint64_t lut_bo_size(const struct lut_bo *bo);

/* The object's device VA in its file's address space; 0 for NULL. */
uint64_t lut_bo_va(const struct lut_bo *bo);

/* The DRM_LUTCORE_BO_* flags of the object; 0 for NULL. */
uint32_t lut_bo_flags(const struct lut_bo *bo);

/*
 * Ask the driver about the object (DRM_IOCTL_LUTCORE_BO_INFO) and fill
 * *info. Returns 0, -EINVAL for NULL arguments, or the ioctl's error.
 */
int lut_bo_info(const struct lut_bo *bo, struct drm_lutcore_bo_info *info);

/*
 * Export the object as a dma-buf file descriptor (close-on-exec,
 * read-write) into *fd, to share it with another file or process. Returns
 * 0, -EINVAL for NULL arguments, or the PRIME ioctl's error.
 */
int lut_bo_export(const struct lut_bo *bo, int *fd);

/*
 * Import a dma-buf (from lut_bo_export() in any process, or another
 * driver) into dev and store the object in *out; the driver maps it at a
 * device VA of dev's own. fd stays the caller's. Importing a buffer dev
 * already has a handle for returns another reference to the same
 * object. Returns 0, -EINVAL for NULL arguments, or the PRIME or BO_INFO
 * ioctl's error; *out is NULL on failure.
 */
int lut_bo_import(struct lut_dev *dev, int fd, struct lut_bo **out);

/*
 * Wait until no job uses the object any more or until the absolute
 * CLOCK_MONOTONIC time abs_timeout_ns (INT64_MAX: forever; a time in the
 * past polls). Whether the jobs succeeded is their own status
 * (lut_job_status()). Returns 0, -ETIME on timeout, -EINVAL, or the
 * driver's error (-ENODEV after unplug). Interrupted waits are restarted.
 */
int lut_bo_wait(const struct lut_bo *bo, int64_t abs_timeout_ns);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_BO_H */
