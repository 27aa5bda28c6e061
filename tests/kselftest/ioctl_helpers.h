/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the raw-ioctl suites (lutcore-ioctl-*): thin wrappers that
 * return 0 or -errno, hand-built instruction streams (lutcore_isa.h) and
 * the device's debugfs files. No liblutcore: these suites test the ABI.
 *
 * Include after lutcore_test.h.
 */
#ifndef LUTCORE_IOCTL_HELPERS_H
#define LUTCORE_IOCTL_HELPERS_H

#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "lutcore_isa.h"

#define IT_SEC 1000000000ll

static inline int it_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int64_t it_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * IT_SEC + ts.tv_nsec;
}

static inline __u64 it_param(int fd, __u32 param)
{
	__u64 v = UINT64_MAX;

	lt_get_param(fd, param, &v);
	return v;
}

/* A buffer: the create arguments as returned, and its CPU mapping. */
struct it_bo {
	struct drm_lutcore_bo_create c;
	void *map;
};

static inline int it_bo_create(int fd, __u64 size, __u32 flags, struct it_bo *bo)
{
	int ret;

	memset(bo, 0, sizeof(*bo));
	bo->c.size = size;
	bo->c.flags = flags;
	ret = it_ioctl(fd, DRM_IOCTL_LUTCORE_BO_CREATE, &bo->c);
	if (ret || (flags & DRM_LUTCORE_BO_NO_MMAP))
		return ret;
	bo->map = mmap(NULL, bo->c.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, bo->c.mmap_offset);
	if (bo->map == MAP_FAILED) {
		bo->map = NULL;
		return -errno;
	}
	return 0;
}

static inline int it_gem_close(int fd, __u32 handle)
{
	struct drm_gem_close gc = {.handle = handle};

	return it_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

static inline void it_bo_free(int fd, struct it_bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->c.size);
	if (bo->c.handle)
		it_gem_close(fd, bo->c.handle);
	memset(bo, 0, sizeof(*bo));
}

static inline int it_bo_info(int fd, __u32 handle, struct drm_lutcore_bo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return it_ioctl(fd, DRM_IOCTL_LUTCORE_BO_INFO, info);
}

static inline int it_wait_bo(int fd, __u32 handle, int64_t abs_ns)
{
	struct drm_lutcore_wait_bo w = {.handle = handle, .timeout_ns = abs_ns};

	return it_ioctl(fd, DRM_IOCTL_LUTCORE_WAIT_BO, &w);
}

static inline int it_job_status(int fd, __u64 id, struct drm_lutcore_job_status *st)
{
	memset(st, 0, sizeof(*st));
	st->job_id = id;
	return it_ioctl(fd, DRM_IOCTL_LUTCORE_JOB_STATUS, st);
}

static inline int it_prime_export(int fd, __u32 handle, int *out)
{
	struct drm_prime_handle p = {.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR};
	int ret = it_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	if (!ret)
		*out = p.fd;
	return ret;
}

static inline int it_prime_import(int fd, int dmabuf, __u32 *handle)
{
	struct drm_prime_handle p = {.fd = dmabuf};
	int ret = it_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!ret)
		*handle = p.handle;
	return ret;
}

/* ---- syncobjs ------------------------------------------------------------ */

static inline int it_syncobj_create(int fd, __u32 flags, __u32 *handle)
{
	struct drm_syncobj_create c = {.flags = flags};
	int ret = it_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	if (!ret)
		*handle = c.handle;
	return ret;
}

static inline int it_syncobj_destroy(int fd, __u32 handle)
{
	struct drm_syncobj_destroy d = {.handle = handle};

	return it_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
}

/* Waits for a binary syncobj (point 0) or a timeline point. */
static inline int it_syncobj_wait(int fd, __u32 handle, __u64 point, int64_t abs_ns)
{
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&handle,
		.points = (uintptr_t)&point,
		.timeout_nsec = abs_ns,
		.count_handles = 1,
	};

	return it_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
}

/* A sync_file of the syncobj's fence; the fd or -errno. */
static inline int it_syncobj_export(int fd, __u32 handle)
{
	struct drm_syncobj_handle h = {
		.handle = handle,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	int ret = it_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);

	return ret ? ret : h.fd;
}

/* Waits for a sync_file; its status (1 signalled, <0 error) or -ETIME. */
static inline int it_sync_file_wait(int sf, int timeout_ms)
{
	struct pollfd p = {.fd = sf, .events = POLLIN};
	struct sync_file_info info;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIME;
	memset(&info, 0, sizeof(info));
	if (ioctl(sf, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.status;
}

/* ---- streams ------------------------------------------------------------- */

/* A stream of n NOPs at the start of map. */
static inline void it_stream_nops(void *map, unsigned int n)
{
	union lutc_insn *insn = map;
	unsigned int i;

	memset(map, 0, (size_t)n * LUTC_INSN_SIZE);
	for (i = 0; i < n; i++)
		insn[i].hdr.op = LUTC_OP_NOP;
}

/* Instruction i: store value at device address addr. */
static inline void it_insn_signal(void *map, unsigned int i, __u64 addr, __u64 value)
{
	union lutc_insn *insn = (union lutc_insn *)map + i;

	memset(insn, 0, sizeof(*insn));
	insn->signal.op = LUTC_OP_SIGNAL;
	insn->signal.addr = addr;
	insn->signal.value = value;
}

/* Instruction i: copy len bytes from src to dst (device addresses). */
static inline void it_insn_copy(void *map, unsigned int i, __u64 dst, __u64 src, __u32 len)
{
	union lutc_insn *insn = (union lutc_insn *)map + i;

	memset(insn, 0, sizeof(*insn));
	insn->copy.op = LUTC_OP_COPY;
	insn->copy.src_dtype = LUTC_DT_U8;
	insn->copy.dst_dtype = LUTC_DT_U8;
	insn->copy.rows = 1;
	insn->copy.cols = len;
	insn->copy.src = src;
	insn->copy.dst = dst;
}

/* SUBMIT of a stream of n instructions at va, with optional buffers/syncs. */
static inline void it_submit_init(struct drm_lutcore_submit *s, __u64 va, unsigned int n)
{
	memset(s, 0, sizeof(*s));
	s->cmd_addr = va;
	s->cmd_size = n * LUTC_INSN_SIZE;
	s->core = DRM_LUTCORE_CORE_ANY;
}

static inline int it_submit(int fd, struct drm_lutcore_submit *s)
{
	return it_ioctl(fd, DRM_IOCTL_LUTCORE_SUBMIT, s);
}

/* ---- debugfs ------------------------------------------------------------- */

/* /sys/kernel/debug/accel/<PCI address>/name for the device behind fd. */
static inline int it_debugfs_path(int fd, const char *name, char *buf, size_t len)
{
	char dir[64], link[128], bdf[64];
	int ret;

	ret = lt_sysfs_dir(fd, dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(link, sizeof(link), "%s/device", dir);
	ret = lt_link_name(link, bdf, sizeof(bdf));
	if (ret)
		return ret;
	snprintf(buf, len, "/sys/kernel/debug/accel/%s/%s", bdf, name);
	return 0;
}

static inline int it_debugfs_write(int fd, const char *name, const char *val)
{
	char path[192];
	int ret = it_debugfs_path(fd, name, path, sizeof(path));

	return ret ? ret : lt_write_file(path, val);
}

static inline int it_debugfs_read(int fd, const char *name, char *buf, size_t len)
{
	char path[192];
	int ret = it_debugfs_path(fd, name, path, sizeof(path));

	return ret ? ret : lt_read_file(path, buf, len);
}

#endif /* LUTCORE_IOCTL_HELPERS_H */
