/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: job submission, waiting, job status and syncobjs.
 *
 * A job runs one instruction stream (stream.h) that lives in a buffer
 * object of the same device. Every job lut_submit() queues also signals
 * the next point of a timeline syncobj that the library keeps per device,
 * so "wait for job N" is lut_wait() on that point, and a point is also
 * what another job waits for (lut_dev_timeline() names the syncobj for
 * in_syncs). Points are signalled in order: point p signals once the jobs
 * of points 1..p have all finished, whatever cores they ran on. A job's
 * success or failure is its status (lut_job_status()), not its wait.
 *
 * The syncobj helpers wrap libdrm's drmSyncobj* calls with the library's
 * conventions: a struct lut_dev, negative errno values, absolute
 * CLOCK_MONOTONIC timeouts in nanoseconds.
 */
#ifndef LUTCORE_SUBMIT_H
#define LUTCORE_SUBMIT_H

#include <stdint.h>

#include "lutcore/bo.h"
#include "lutcore/lutcore.h"
#include "lutcore/stream.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* lut_submit_args.flags */
#define LUT_SUBMIT_PIN_CORE (1u << 0) /* run on .core, not on any core */
#define LUT_SUBMIT_NO_POINT (1u << 1) /* don't signal the device timeline */

/*
 * One job. The stream is [cmd_addr, cmd_addr + cmd_size) of a buffer of
 * the device; bos lists every buffer object the stream uses, so that the
 * kernel keeps them alive and orders the job after earlier jobs writing
 * them (the stream's own buffer need not be listed). in_syncs must have
 * fences already; out_syncs receive the job's fence, in addition to the
 * device timeline.
 */
struct lut_submit_args {
	uint64_t cmd_addr;
	uint32_t cmd_size;
	uint32_t flags; /* LUT_SUBMIT_* */
	uint32_t core;	/* with LUT_SUBMIT_PIN_CORE */
	uint32_t bo_count;
	struct lut_bo *const *bos;
	const struct drm_lutcore_sync *in_syncs;
	uint32_t in_sync_count;
	uint32_t out_sync_count;
	const struct drm_lutcore_sync *out_syncs;
};

/* A queued job: what to wait for and what to ask about. */
struct lut_job {
	uint64_t id;	/* the driver's job id, for lut_job_status() */
	uint64_t point; /* device timeline point; 0 with LUT_SUBMIT_NO_POINT */
};

/*
 * Queue a job (DRM_IOCTL_LUTCORE_SUBMIT) and fill *job. The device
 * timeline is created on first use. Returns 0, -EINVAL for NULL
 * arguments, unknown flags or a count without its array, -ENOMEM, or the
 * driver's error: -EINVAL (a bad field, e.g. a stream outside any buffer,
 * an input syncobj without a fence), -ENOENT (a bad handle), -ECANCELED
 * (this file is banned after a hang), -ENODEV (the device is gone). On
 * failure no job is queued and the timeline does not advance.
 */
int lut_submit(struct lut_dev *dev, const struct lut_submit_args *args, struct lut_job *job);

/*
 * Queue the stream s (its VA and size) with the given buffers: the common
 * case of lut_submit(), on any core and with no syncobjs of the caller's.
 */
int lut_submit_stream(struct lut_dev *dev, const struct lut_stream *s, struct lut_bo *const *bos,
		      uint32_t bo_count, struct lut_job *job);

/*
 * Wait until point of the device timeline has signalled (all jobs up to
 * it have finished) or until the absolute CLOCK_MONOTONIC time
 * abs_timeout_ns (INT64_MAX: forever; the past: poll). Returns 0, -ETIME
 * on timeout, -EINVAL for a NULL dev or a point not handed out yet, or the
 * wait ioctl's error.
 */
int lut_wait(struct lut_dev *dev, uint64_t point, int64_t abs_timeout_ns);

/*
 * The driver's report on job id of this device (DRM_IOCTL_LUTCORE_JOB_STATUS)
 * into *st: st->state is DRM_LUTCORE_JOB_PENDING or _DONE, st->error the
 * job's result (0, or a negative errno: -EFAULT for a device page fault,
 * -EINVAL for a stream the device rejected, -ETIMEDOUT for a hang, ...;
 * see lutcore_accel.h), st->hw_error, st->fault_addr and st->fault_offset
 * the device's error report. Returns 0 when *st was filled, -EINVAL, or
 * the ioctl's error (-ENOENT for a job older than the driver's history).
 */
int lut_job_status(struct lut_dev *dev, uint64_t id, struct drm_lutcore_job_status *st);

/*
 * lut_wait() for the job, then lut_job_status(): returns the job's own
 * result (0 or st->error, a negative errno) once it has finished, or the
 * error of the wait or the query (-ETIME on timeout). st may be NULL.
 * Because wait and query errors are negative errnos too, use the two
 * calls separately when the difference matters.
 */
int lut_job_wait(struct lut_dev *dev, const struct lut_job *job, int64_t abs_timeout_ns,
		 struct drm_lutcore_job_status *st);

/*
 * The device timeline syncobj's handle (created on first use), to list a
 * point of it in drm_lutcore_sync arrays; and the last point handed out.
 * Returns 0 or a negative errno.
 */
int lut_dev_timeline(struct lut_dev *dev, uint32_t *handle, uint64_t *last_point);

/* The absolute CLOCK_MONOTONIC time rel_ns from now, for timeouts. */
int64_t lut_deadline(int64_t rel_ns);

/* ---- syncobjs ------------------------------------------------------------ */

/*
 * Create a syncobj in dev, signalled already if signaled is non-zero.
 * Returns 0 and the handle in *handle, -EINVAL, or the ioctl's error.
 */
int lut_syncobj_new(struct lut_dev *dev, int signaled, uint32_t *handle);

/* Destroy a syncobj. Returns 0, -EINVAL, or the ioctl's error. */
int lut_syncobj_free(struct lut_dev *dev, uint32_t handle);

/*
 * Wait for count syncobjs (binary when points is NULL, else point i of
 * handle i) until abs_timeout_ns; flags are drm.h's
 * DRM_SYNCOBJ_WAIT_FLAGS_* (WAIT_ALL: all of them rather than the first;
 * WAIT_FOR_SUBMIT: wait for missing fences to appear). Returns 0, -ETIME
 * on timeout, -EINVAL for NULL arguments or count 0, or the ioctl's error
 * (-EINVAL for a syncobj without a fence and no WAIT_FOR_SUBMIT).
 */
int lut_syncobj_wait(struct lut_dev *dev, const uint32_t *handles, const uint64_t *points,
		     uint32_t count, int64_t abs_timeout_ns, uint32_t flags);

/*
 * Signal point of timeline syncobj handle from the CPU (point 0: signal a
 * binary syncobj). Returns 0, -EINVAL, or the ioctl's error.
 */
int lut_syncobj_signal(struct lut_dev *dev, uint32_t handle, uint64_t point);

/*
 * The last signalled point of a timeline syncobj into *point. Returns 0,
 * -EINVAL, or the ioctl's error.
 */
int lut_syncobj_query(struct lut_dev *dev, uint32_t handle, uint64_t *point);

/*
 * Export the fence of a syncobj (binary when point is 0, else its timeline
 * point, which must exist) as a sync_file fd (close-on-exec) into *fd, for
 * poll() or for another driver. The sync_file of a binary out-syncobj has
 * the job's error as its status (SYNC_IOC_FILE_INFO); that of a timeline
 * point only says when it signalled (status 1 even for a failed job: the
 * kernel's fence chain does not carry the error), so give a job a binary
 * out-syncobj when a sync_file must report failures. Returns 0, -EINVAL,
 * or the ioctl's error.
 */
int lut_syncobj_export(struct lut_dev *dev, uint32_t handle, uint64_t point, int *fd);

/*
 * Make the fence of sync_file fd (from lut_syncobj_export() of any device
 * or another driver) the fence of binary syncobj handle, so that a job can
 * wait for it. fd stays the caller's. Returns 0, -EINVAL, or the ioctl's
 * error.
 */
int lut_syncobj_import(struct lut_dev *dev, uint32_t handle, int fd);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_SUBMIT_H */
