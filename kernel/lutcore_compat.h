/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LUTCore accel driver: shims for API differences inside 6.12.y.
 *
 * Debian ships 6.12.y kernels from before and after stable backports that
 * changed DRM scheduler signatures. kernel/Kbuild greps the headers of the
 * kernel being built against and defines:
 *
 *   LUTCORE_SCHED_INIT_ARGS  drm_sched_init() takes struct drm_sched_init_args
 *                            (6.12.114 and later)
 *   LUTCORE_JOB_CLIENT_ID    drm_sched_job_init() takes the file's client id
 *                            (6.12.103 and later)
 *
 * Feature tests rather than LINUX_VERSION_CODE, because backports make
 * version arithmetic lie. Every such difference is handled here and nowhere
 * else; the rest of the driver calls only the lutcore_* wrappers.
 *
 * The wrappers are static inline, so a module that does not call them has
 * no reference to gpu-sched and does not load it.
 */
#ifndef __LUTCORE_COMPAT_H__
#define __LUTCORE_COMPAT_H__

#include <drm/drm_file.h>
#include <drm/gpu_scheduler.h>

/**
 * lutcore_sched_init() - drm_sched_init() for either 6.12.y signature
 * @sched: scheduler to initialize
 * @ops: backend operations
 * @timeout_wq: workqueue for the timeout handler, NULL for system_wq
 * @credit_limit: credits (jobs, for us) the hardware queue holds
 * @timeout: job timeout in jiffies
 * @name: name for debugging output
 * @dev: device for debugging output
 *
 * One run queue per priority: on 6.12 a zero num_rqs makes drm_sched_init()
 * succeed with an empty run-queue array that entity init then indexes out
 * of bounds.
 *
 * Return: 0 or a negative errno.
 */
static inline int lutcore_sched_init(struct drm_gpu_scheduler *sched,
				     const struct drm_sched_backend_ops *ops,
				     struct workqueue_struct *timeout_wq,
				     u32 credit_limit, long timeout,
				     const char *name, struct device *dev)
{
#ifdef LUTCORE_SCHED_INIT_ARGS
	const struct drm_sched_init_args args = {
		.ops = ops,
		.timeout_wq = timeout_wq,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.credit_limit = credit_limit,
		.timeout = timeout,
		.name = name,
		.dev = dev,
	};

	return drm_sched_init(sched, &args);
#else
	return drm_sched_init(sched, ops, NULL, DRM_SCHED_PRIORITY_COUNT,
			      credit_limit, 0, timeout, timeout_wq, NULL,
			      name, dev);
#endif
}

/**
 * lutcore_sched_job_init() - drm_sched_job_init() for either 6.12.y signature
 * @job: job to initialize
 * @entity: entity the job is queued on
 * @credits: credits the job takes from its scheduler
 * @owner: job owner, for debugging
 * @file: the file submitting the job, whose client id newer kernels record
 *
 * Return: 0 or a negative errno.
 */
static inline int lutcore_sched_job_init(struct drm_sched_job *job,
					 struct drm_sched_entity *entity,
					 u32 credits, void *owner,
					 struct drm_file *file)
{
#ifdef LUTCORE_JOB_CLIENT_ID
	return drm_sched_job_init(job, entity, credits, owner, file->client_id);
#else
	return drm_sched_job_init(job, entity, credits, owner);
#endif
}

#endif /* __LUTCORE_COMPAT_H__ */
