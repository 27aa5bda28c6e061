/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LUTCore accel driver: jobs, their hardware fences, completion and reset.
 */

#ifndef __LUTCORE_JOB_H__
#define __LUTCORE_JOB_H__

#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/types.h>
#include <drm/gpu_scheduler.h>

#include "lutcore_mmu.h"

struct dma_fence;
struct drm_device;
struct drm_file;
struct lutcore_core;
struct lutcore_device;
struct lutcore_file_priv;
struct lutcore_mapping;

/**
 * struct lutcore_job - one submitted stream
 *
 * Owned by the DRM scheduler from the push until &drm_sched_backend_ops.free_job.
 * It holds its file (for the address space, the ban and the history) and
 * the mappings of its buffers, so all of them outlive their handles and
 * the file until the job is freed.
 */
struct lutcore_job {
	/** @base: the scheduler job */
	struct drm_sched_job base;
	/** @ldev: the device */
	struct lutcore_device *ldev;
	/** @lfile: the submitting file, one reference */
	struct lutcore_file_priv *lfile;
	/** @mappings: the listed buffers and the stream's, one reference each */
	struct lutcore_mapping **mappings;
	/** @mapping_count: entries in @mappings */
	unsigned int mapping_count;
	/** @id: the file's job id, for JOB_STATUS */
	u64 id;
	/** @cmd_addr: stream device VA */
	u64 cmd_addr;
	/** @cmd_size: stream size */
	u32 cmd_size;
	/** @vm_job: keeps buffers unmapped meanwhile from being freed */
	struct lutcore_vm_job vm_job;
	/** @core: the core run_job kicked it to */
	struct lutcore_core *core;
	/** @hw_link: in &lutcore_core.inflight; under &lutcore_core.lock */
	struct list_head hw_link;
	/** @seqno: SEQNO of the last KICK; under &lutcore_core.lock */
	u32 seqno;
	/**
	 * @hw_fence: the fence of the last KICK, signalled when the device
	 * reports the job done (or a reset drops it); one reference
	 */
	struct dma_fence *hw_fence;
	/**
	 * @dropped: a reset removed the job from the device; run_job then
	 * completes it with @abort_error, or kicks it again if that is 0
	 */
	bool dropped;
	/** @abort_error: see @dropped */
	int abort_error;
	/** @prealloc: memory for the first hardware fence, until run_job */
	struct dma_fence *prealloc;
	/** @release_work: frees the job and drops its device and module */
	struct work_struct release_work;
};

static inline struct lutcore_job *to_lutcore_job(struct drm_sched_job *job)
{
	return container_of(job, struct lutcore_job, base);
}

/* lutcore_job.c */
int lutcore_fence_wq_init(void);
void lutcore_fence_wq_flush(void);
void lutcore_fence_wq_fini(void);
int lutcore_sched_init_all(struct lutcore_device *ldev);
int lutcore_file_entities_init(struct lutcore_file_priv *lfile);
void lutcore_file_entities_fini(struct lutcore_file_priv *lfile);
void lutcore_file_history_fini(struct lutcore_file_priv *lfile);
void lutcore_job_record_fault(struct lutcore_job *job, u32 hw_error,
			      u64 fault_addr, u32 fault_offset);
int lutcore_job_hold(struct lutcore_job *job, struct lutcore_device *ldev);
void lutcore_job_put_resources(struct lutcore_job *job);
u64 lutcore_job_record(struct lutcore_file_priv *lfile,
		       struct dma_fence *finished);
int lutcore_ioctl_job_status(struct drm_device *drm, void *data,
			     struct drm_file *file);

/* lutcore_submit.c */
int lutcore_ioctl_submit(struct drm_device *drm, void *data,
			 struct drm_file *file);

/* lutcore_irq.c */
irqreturn_t lutcore_core_irq(int irq, void *data);
void lutcore_core_retire(struct lutcore_core *core, bool ack_error);
int lutcore_hw_errno(u32 hw_error);

/* lutcore_reset.c */
void lutcore_reset_recover(struct lutcore_device *ldev, struct lutcore_job *bad);
void lutcore_reset_requeue(struct lutcore_device *ldev, struct lutcore_job *job);
void lutcore_reset_unplug(struct lutcore_device *ldev);
int lutcore_reset_manual(struct lutcore_device *ldev);

#endif /* __LUTCORE_JOB_H__ */
