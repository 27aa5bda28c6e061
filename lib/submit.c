// SPDX-License-Identifier: MIT
/*
 * Job submission, the device timeline, waits, job status and syncobjs.
 *
 * Every job gets one extra out-sync, the next point of a timeline syncobj
 * per device, so that a single 64-bit number identifies "this job and
 * everything submitted before it" for waits and for other jobs' in-syncs
 * without the caller managing syncobjs. The point only advances when the
 * SUBMIT ioctl succeeds, so points stay dense.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "device_priv.h"
#include "lutcore/submit.h"

#define LUT_SUBMIT_FLAGS (LUT_SUBMIT_PIN_CORE | LUT_SUBMIT_NO_POINT)
/* Arrays up to this size live on the stack. */
#define STACK_ITEMS 16

int64_t lut_deadline(int64_t rel_ns)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return rel_ns > INT64_MAX - now ? INT64_MAX : now + rel_ns;
}

static int timeline(struct lut_dev *dev)
{
	if (dev->timeline)
		return 0;
	return drmSyncobjCreate(dev->fd, 0, &dev->timeline) ? -errno : 0;
}

int lut_dev_timeline(struct lut_dev *dev, uint32_t *handle, uint64_t *last_point)
{
	int ret;

	if (!dev)
		return -EINVAL;
	ret = timeline(dev);
	if (ret)
		return ret;
	if (handle)
		*handle = dev->timeline;
	if (last_point)
		*last_point = dev->timeline_point;
	return 0;
}

static int args_ok(const struct lut_submit_args *a)
{
	return !(a->flags & ~LUT_SUBMIT_FLAGS) && (a->bos || !a->bo_count) &&
	       (a->in_syncs || !a->in_sync_count) && (a->out_syncs || !a->out_sync_count) &&
	       a->out_sync_count < UINT32_MAX;
}

/* The caller's out-syncs plus the timeline point, then the ioctl. */
static int do_submit(struct lut_dev *dev, const struct lut_submit_args *a, uint32_t *handles,
		     struct drm_lutcore_sync *outs, struct lut_job *job)
{
	int point = !(a->flags & LUT_SUBMIT_NO_POINT);
	struct drm_lutcore_submit s = {
		.cmd_addr = a->cmd_addr,
		.cmd_size = a->cmd_size,
		.core = a->flags & LUT_SUBMIT_PIN_CORE ? a->core : DRM_LUTCORE_CORE_ANY,
		.bo_handles = (uintptr_t)handles,
		.bo_count = a->bo_count,
		.in_syncs = (uintptr_t)a->in_syncs,
		.in_sync_count = a->in_sync_count,
		.out_syncs = (uintptr_t)outs,
		.out_sync_count = a->out_sync_count + point,
	};
	uint32_t i;

	for (i = 0; i < a->bo_count; i++)
		handles[i] = lut_bo_handle(a->bos[i]);
	if (a->out_sync_count)
		memcpy(outs, a->out_syncs, a->out_sync_count * sizeof(*outs));
	if (point)
		outs[a->out_sync_count] = (struct drm_lutcore_sync){
			.handle = dev->timeline, .point = dev->timeline_point + 1};
	if (!s.out_sync_count)
		s.out_syncs = 0;
	if (!s.bo_count)
		s.bo_handles = 0;
	if (drmIoctl(dev->fd, DRM_IOCTL_LUTCORE_SUBMIT, &s))
		return -errno;
	if (point)
		dev->timeline_point++;
	job->id = s.job_id;
	job->point = point ? dev->timeline_point : 0;
	return 0;
}

int lut_submit(struct lut_dev *dev, const struct lut_submit_args *args, struct lut_job *job)
{
	uint32_t hstack[STACK_ITEMS], *handles = hstack;
	struct drm_lutcore_sync ostack[STACK_ITEMS], *outs = ostack;
	int ret;

	if (!dev || !args || !job || !args_ok(args))
		return -EINVAL;
	if (!(args->flags & LUT_SUBMIT_NO_POINT)) {
		ret = timeline(dev);
		if (ret)
			return ret;
	}
	if (args->bo_count > STACK_ITEMS)
		handles = malloc(args->bo_count * sizeof(*handles));
	if (args->out_sync_count + 1 > STACK_ITEMS)
		outs = malloc((args->out_sync_count + 1ull) * sizeof(*outs));
	ret = handles && outs ? do_submit(dev, args, handles, outs, job) : -ENOMEM;
	if (handles != hstack)
		free(handles);
	if (outs != ostack)
		free(outs);
	return ret;
}

int lut_submit_stream(struct lut_dev *dev, const struct lut_stream *s, struct lut_bo *const *bos,
		      uint32_t bo_count, struct lut_job *job)
{
	const struct lut_submit_args a = {
		.cmd_addr = lut_stream_va(s),
		.cmd_size = lut_stream_size(s),
		.bos = bos,
		.bo_count = bo_count,
	};

	if (!s)
		return -EINVAL;
	return lut_submit(dev, &a, job);
}

int lut_wait(struct lut_dev *dev, uint64_t point, int64_t abs_timeout_ns)
{
	if (!dev || !point || point > dev->timeline_point)
		return -EINVAL;
	return lut_syncobj_wait(dev, &dev->timeline, &point, 1, abs_timeout_ns, 0);
}

int lut_job_status(struct lut_dev *dev, uint64_t id, struct drm_lutcore_job_status *st)
{
	struct drm_lutcore_job_status s = {.job_id = id};

	if (!dev || !st)
		return -EINVAL;
	if (drmIoctl(dev->fd, DRM_IOCTL_LUTCORE_JOB_STATUS, &s))
		return -errno;
	*st = s;
	return 0;
}

int lut_job_wait(struct lut_dev *dev, const struct lut_job *job, int64_t abs_timeout_ns,
		 struct drm_lutcore_job_status *st)
{
	struct drm_lutcore_job_status s;
	int ret;

	if (!job)
		return -EINVAL;
	ret = lut_wait(dev, job->point, abs_timeout_ns);
	if (!ret)
		ret = lut_job_status(dev, job->id, &s);
	if (ret)
		return ret;
	if (st)
		*st = s;
	return s.error;
}

/* ---- syncobjs ------------------------------------------------------------ */

int lut_syncobj_new(struct lut_dev *dev, int signaled, uint32_t *handle)
{
	if (!dev || !handle)
		return -EINVAL;
	return drmSyncobjCreate(dev->fd, signaled ? DRM_SYNCOBJ_CREATE_SIGNALED : 0, handle)
		       ? -errno
		       : 0;
}

int lut_syncobj_free(struct lut_dev *dev, uint32_t handle)
{
	if (!dev)
		return -EINVAL;
	return drmSyncobjDestroy(dev->fd, handle) ? -errno : 0;
}

int lut_syncobj_wait(struct lut_dev *dev, const uint32_t *handles, const uint64_t *points,
		     uint32_t count, int64_t abs_timeout_ns, uint32_t flags)
{
	/* libdrm's prototypes lack const; the arrays are only read. */
	uint32_t *h = (uint32_t *)handles;
	uint64_t *p = (uint64_t *)points;
	int ret;

	if (!dev || !handles || !count)
		return -EINVAL;
	if (points)
		ret = drmSyncobjTimelineWait(dev->fd, h, p, count, abs_timeout_ns, flags, NULL);
	else
		ret = drmSyncobjWait(dev->fd, h, count, abs_timeout_ns, flags, NULL);
	/* libdrm returns -errno from the waits but -1 from other calls. */
	return ret ? -errno : 0;
}

int lut_syncobj_signal(struct lut_dev *dev, uint32_t handle, uint64_t point)
{
	if (!dev)
		return -EINVAL;
	if (!point)
		return drmSyncobjSignal(dev->fd, &handle, 1) ? -errno : 0;
	return drmSyncobjTimelineSignal(dev->fd, &handle, &point, 1) ? -errno : 0;
}

int lut_syncobj_query(struct lut_dev *dev, uint32_t handle, uint64_t *point)
{
	if (!dev || !point)
		return -EINVAL;
	return drmSyncobjQuery(dev->fd, &handle, point, 1) ? -errno : 0;
}

/* A timeline point is exported through a temporary binary syncobj. */
int lut_syncobj_export(struct lut_dev *dev, uint32_t handle, uint64_t point, int *fd)
{
	uint32_t tmp;
	int ret;

	if (!dev || !fd)
		return -EINVAL;
	if (!point)
		return drmSyncobjExportSyncFile(dev->fd, handle, fd) ? -errno : 0;
	if (drmSyncobjCreate(dev->fd, 0, &tmp))
		return -errno;
	ret = drmSyncobjTransfer(dev->fd, tmp, 0, handle, point, 0) ? -errno : 0;
	if (!ret)
		ret = drmSyncobjExportSyncFile(dev->fd, tmp, fd) ? -errno : 0;
	drmSyncobjDestroy(dev->fd, tmp);
	return ret;
}

int lut_syncobj_import(struct lut_dev *dev, uint32_t handle, int fd)
{
	if (!dev)
		return -EINVAL;
	return drmSyncobjImportSyncFile(dev->fd, handle, fd) ? -errno : 0;
}
