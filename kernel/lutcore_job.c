// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: the DRM scheduler backend, hardware fences,
 * JOB_STATUS and the per-file job history, the schedulers and entities.
 *
 * One drm_gpu_scheduler per core feeds that core's hardware queue. Each
 * file has one entity per core plus one whose scheduler list holds every
 * core (DRM_LUTCORE_CORE_ANY), so jobs of a file keep their order per core
 * selection and "any core" jobs are balanced by the scheduler.
 *
 * Jobs are built by SUBMIT (lutcore_submit.c); completion is decided by
 * the device's DONE_SEQNO (lutcore_irq.c); hang recovery is in
 * lutcore_reset.c.
 */

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"
#include "lutcore_gem.h"
#include "lutcore_job.h"

/* ---- hardware fences ---------------------------------------------------- */

/*
 * Releases of our fences and jobs run here (see lutcore_fence_release()
 * and lutcore_job_put_resources()), so that dropping the device and module
 * references never runs on the scheduler or in atomic context. Created at
 * module load, destroyed at unload, which waits for the last release.
 */
static struct workqueue_struct *lutcore_fence_wq;

/**
 * struct lutcore_fence - a hardware fence, or one born signalled
 *
 * A fence can outlive the file, the device and the module's last other
 * user: a sync_file exported from an out-syncobj holds the job's finished
 * fence, which holds this one as its parent, and asking the sync_file for
 * its info calls the scheduler fence's get_timeline_name(), which reads
 * the scheduler's name in our device structure. So each fence holds a
 * reference to the DRM device (the schedulers are finalized with it) and
 * to this module (its ops are called when it is dropped): the module
 * cannot be unloaded, nor the device freed, while a fence lives.
 *
 * Not covered, in Linux 6.12: a job that never reached run_job (cancelled
 * in its entity when its process was killed, or without memory for its
 * fence) has no parent fence, and its finished fence still names the
 * scheduler; a sync_file of one that outlives the unbound device reads
 * freed memory. Later kernels make these names safe (RCU, dma-fence
 * helpers), which the 6.12 scheduler does not have.
 */
struct lutcore_fence {
	/** @base: the fence; first, dma_fence_free() frees the whole */
	struct dma_fence base;
	/** @ldev: the device, one reference */
	struct lutcore_device *ldev;
	/** @release_work: drops the references in process context */
	struct work_struct release_work;
};

static struct lutcore_core *to_lutcore_core(struct drm_gpu_scheduler *sched)
{
	return container_of(sched, struct lutcore_core, sched);
}

static const char *lutcore_fence_driver_name(struct dma_fence *fence)
{
	return "lutcore";
}

static const char *lutcore_fence_timeline_name(struct dma_fence *fence)
{
	struct lutcore_core *core =
		container_of(fence->lock, struct lutcore_core, fence_lock);

	return core->name;
}

static void lutcore_fence_release_work(struct work_struct *work)
{
	struct lutcore_fence *f =
		container_of(work, struct lutcore_fence, release_work);
	struct lutcore_device *ldev = f->ldev;

	dma_fence_free(&f->base);
	/* May be the last reference: finalizes the schedulers, sleeps. */
	drm_dev_put(&ldev->drm);
	/*
	 * Last: the unload this may allow destroys lutcore_fence_wq first,
	 * which waits until this function has returned.
	 */
	module_put(THIS_MODULE);
}

/*
 * The last reference can go in any context (a fence callback, an IRQ
 * work), and dropping the device's may free it, which sleeps: defer.
 */
static void lutcore_fence_release(struct dma_fence *fence)
{
	struct lutcore_fence *f = container_of(fence, struct lutcore_fence, base);

	INIT_WORK(&f->release_work, lutcore_fence_release_work);
	queue_work(lutcore_fence_wq, &f->release_work);
}

static const struct dma_fence_ops lutcore_fence_ops = {
	.get_driver_name = lutcore_fence_driver_name,
	.get_timeline_name = lutcore_fence_timeline_name,
	.release = lutcore_fence_release,
};

/*
 * Memory for a fence, holding the device and the module until its
 * release. The module is live: its caller is SUBMIT or run_job, whose job
 * holds the module.
 */
static struct dma_fence *lutcore_fence_alloc(struct lutcore_device *ldev,
					     gfp_t gfp)
{
	struct lutcore_fence *f;

	f = kzalloc(sizeof(*f), gfp);
	if (!f)
		return NULL;
	__module_get(THIS_MODULE);
	drm_dev_get(&ldev->drm);
	f->ldev = ldev;

	return &f->base;
}

/*
 * A fence for run_job: the one SUBMIT allocated, or, when a recovery runs
 * the job again, a new one without sleeping: run_job is on the path that
 * signals fences, where memory reclaim may wait for them.
 */
static struct dma_fence *lutcore_job_fence(struct lutcore_job *job)
{
	struct dma_fence *fence = job->prealloc;

	if (fence) {
		job->prealloc = NULL;
		return fence;
	}
	return lutcore_fence_alloc(job->ldev, GFP_NOWAIT | __GFP_NOWARN);
}

/* Frees a fence that was never initialized (a job that never ran). */
static void lutcore_fence_discard(struct dma_fence *fence)
{
	lutcore_fence_release(fence);
}

/* A fence for the next KICK; the caller holds core->lock. */
static void lutcore_fence_init(struct lutcore_core *core, struct dma_fence *fence)
{
	dma_fence_init(fence, &lutcore_fence_ops, &core->fence_lock,
		       core->fence_context, ++core->emit_seqno);
}

/*
 * The result of a job that is completed instead of run: a fence born
 * signalled with @error, on its own timeline so the hardware timeline
 * stays in signalling order. ERR_PTR() without memory, which the
 * scheduler turns into the same error on the job's finished fence.
 */
static struct dma_fence *lutcore_fence_error(struct lutcore_core *core,
					     struct lutcore_job *job, int error)
{
	struct dma_fence *fence;
	unsigned long flags;

	fence = lutcore_job_fence(job);
	if (!fence)
		return ERR_PTR(error);

	spin_lock_irqsave(&core->fence_lock, flags);
	dma_fence_init(fence, &lutcore_fence_ops, &core->fence_lock,
		       core->error_context, ++core->error_seqno);
	dma_fence_set_error(fence, error);
	dma_fence_signal_locked(fence);
	spin_unlock_irqrestore(&core->fence_lock, flags);

	return fence;
}

/**
 * lutcore_fence_wq_init() - create the fence release workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int lutcore_fence_wq_init(void)
{
	lutcore_fence_wq = alloc_workqueue("lutcore-fence", 0, 0);

	return lutcore_fence_wq ? 0 : -ENOMEM;
}

/**
 * lutcore_fence_wq_flush() - wait for the fence releases queued so far
 *
 * After a file's close, so that the module and device references of the
 * fences the close dropped are gone when close() returns.
 */
void lutcore_fence_wq_flush(void)
{
	flush_workqueue(lutcore_fence_wq);
}

/**
 * lutcore_fence_wq_fini() - destroy the fence release workqueue
 *
 * At module unload: no fence is left, but the last release may still be
 * returning from its work function.
 */
void lutcore_fence_wq_fini(void)
{
	destroy_workqueue(lutcore_fence_wq);
}

/* ---- scheduler backend -------------------------------------------------- */

static void lutcore_job_kick(struct lutcore_core *core, struct lutcore_job *job,
			     struct dma_fence *fence)
{
	u64 pt_base = lutcore_vm_pt_base(job->lfile->vm);
	unsigned long flags;

	spin_lock_irqsave(&core->lock, flags);
	lutcore_fence_init(core, fence);
	job->seqno = lower_32_bits(fence->seqno);
	job->core = core;
	/* Set before the KICK: the interrupt handler signals it. */
	job->hw_fence = dma_fence_get(fence);
	list_add_tail(&job->hw_link, &core->inflight);
	/* The job registers are latched by KICK; writel orders the PTEs. */
	lutcore_core_write(core, LUTCORE_CORE_PT_BASE_LO, lower_32_bits(pt_base));
	lutcore_core_write(core, LUTCORE_CORE_PT_BASE_HI, upper_32_bits(pt_base));
	lutcore_core_write(core, LUTCORE_CORE_CMD_ADDR_LO, lower_32_bits(job->cmd_addr));
	lutcore_core_write(core, LUTCORE_CORE_CMD_ADDR_HI, upper_32_bits(job->cmd_addr));
	lutcore_core_write(core, LUTCORE_CORE_CMD_SIZE, job->cmd_size);
	lutcore_core_write(core, LUTCORE_CORE_SEQNO, job->seqno);
	lutcore_core_write(core, LUTCORE_CORE_KICK, 1);
	spin_unlock_irqrestore(&core->lock, flags);
}

static struct dma_fence *lutcore_job_run(struct drm_sched_job *sched_job)
{
	struct lutcore_core *core = to_lutcore_core(sched_job->sched);
	struct lutcore_job *job = to_lutcore_job(sched_job);
	struct dma_fence *fence;
	int idx;

	/*
	 * Cancelled before it ran: its entity's file was banned. A fence
	 * rather than NULL, so the finished fence holds the device too.
	 */
	if (unlikely(sched_job->s_fence->finished.error))
		return lutcore_fence_error(core, job,
					   sched_job->s_fence->finished.error);

	if (job->hw_fence) {
		/* Run again by a recovery (lutcore_reset.c). */
		if (!job->dropped)
			return dma_fence_get(job->hw_fence);
		job->dropped = false;
		dma_fence_put(job->hw_fence);
		job->hw_fence = NULL;
		if (job->abort_error)
			return lutcore_fence_error(core, job, job->abort_error);
	}
	if (atomic_read(&job->lfile->banned))
		return lutcore_fence_error(core, job, -ECANCELED);
	if (!drm_dev_enter(&job->ldev->drm, &idx))
		return lutcore_fence_error(core, job, -ENODEV);

	fence = lutcore_job_fence(job);
	if (!fence) {
		drm_dev_exit(idx);
		return ERR_PTR(-ENOMEM);
	}
	/* Before the KICK, so that an unmap from now on waits for the job. */
	lutcore_vm_job_start(job->lfile->vm, &job->vm_job);
	lutcore_job_kick(core, job, fence);
	drm_dev_exit(idx);

	return fence;
}

static enum drm_gpu_sched_stat lutcore_job_timedout(struct drm_sched_job *sched_job)
{
	struct lutcore_core *core = to_lutcore_core(sched_job->sched);
	struct lutcore_job *job = to_lutcore_job(sched_job);

	/*
	 * A job whose interrupt is only late is not hung: wait for the
	 * handler and look again (panfrost does the same). The scheduler
	 * took the job off its list for this call; the requeue puts it back.
	 */
	if (!job->hw_fence || dma_fence_is_signaled(job->hw_fence))
		goto spurious;
	synchronize_irq(core->irq);
	if (dma_fence_is_signaled(job->hw_fence)) {
		drm_dbg(&job->ldev->drm, "core %u: job completed late, not hung\n",
			core->id);
		goto spurious;
	}

	lutcore_reset_recover(job->ldev, job);
	return DRM_GPU_SCHED_STAT_NOMINAL;

spurious:
	lutcore_reset_requeue(job->ldev, job);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void lutcore_job_release_work(struct work_struct *work)
{
	struct lutcore_job *job =
		container_of(work, struct lutcore_job, release_work);
	struct lutcore_device *ldev = job->ldev;

	kfree(job);
	/* May be the last reference: finalizes the schedulers, sleeps. */
	drm_dev_put(&ldev->drm);
	/* Last, as in lutcore_fence_release_work(). */
	module_put(THIS_MODULE);
}

/**
 * lutcore_job_hold() - a new job holds the device and the module
 * @job: the job, just allocated
 * @ldev: the device it is submitted to
 *
 * Until it is freed: a job the scheduler cancels in its entity (its file
 * closed while it waited) is freed later from a system workqueue, once
 * its dependencies signal, through the scheduler and ops in @ldev and in
 * this module, which the closed file no longer holds. Also allocates the
 * job's first hardware fence here, where sleeping is allowed.
 *
 * Return: 0, or -ENOMEM with nothing held.
 */
int lutcore_job_hold(struct lutcore_job *job, struct lutcore_device *ldev)
{
	job->prealloc = lutcore_fence_alloc(ldev, GFP_KERNEL);
	if (!job->prealloc)
		return -ENOMEM;
	__module_get(THIS_MODULE);
	drm_dev_get(&ldev->drm);
	job->ldev = ldev;
	INIT_WORK(&job->release_work, lutcore_job_release_work);

	return 0;
}

/**
 * lutcore_job_put_resources() - free a job that holds no scheduler state
 * @job: the job; its scheduler job is cleaned up or was never initialized
 *
 * The device and module references go on the release workqueue: this may
 * run on the scheduler's free worker, which the last device reference
 * would cancel and wait for.
 */
void lutcore_job_put_resources(struct lutcore_job *job)
{
	unsigned int i;

	for (i = 0; i < job->mapping_count; i++)
		lutcore_mapping_put(job->mappings[i]);
	kvfree(job->mappings);
	lutcore_file_put(job->lfile);
	if (job->prealloc)
		lutcore_fence_discard(job->prealloc);
	queue_work(lutcore_fence_wq, &job->release_work);
}

static void lutcore_job_release(struct drm_sched_job *sched_job)
{
	struct lutcore_job *job = to_lutcore_job(sched_job);
	struct dma_fence *hw_fence = job->hw_fence;

	drm_sched_job_cleanup(sched_job);
	/* Off the device for good: deferred unmaps may release pages. */
	lutcore_vm_job_end(job->lfile->vm, &job->vm_job);
	lutcore_job_put_resources(job);
	/* Last: it may hold the last reference to the device. */
	dma_fence_put(hw_fence);
}

/* The scheduler's free_job, on its free worker. */
static void lutcore_job_free(struct drm_sched_job *sched_job)
{
	struct lutcore_job *job = to_lutcore_job(sched_job);
	u32 delay_ms = READ_ONCE(job->ldev->free_delay_ms);

	if (unlikely(delay_ms))
		msleep(min_t(u32, delay_ms, LUTCORE_TEST_DELAY_MAX_MS));
	lutcore_job_release(sched_job);
}

static const struct drm_sched_backend_ops lutcore_sched_ops = {
	.run_job = lutcore_job_run,
	.timedout_job = lutcore_job_timedout,
	.free_job = lutcore_job_free,
};

/* ---- JOB_STATUS and the history ------------------------------------------ */

/**
 * lutcore_job_record() - give an armed job its id and history slot
 * @lfile: the submitting file, its submit lock held
 * @finished: the job's finished fence
 *
 * Return: the job's id.
 */
u64 lutcore_job_record(struct lutcore_file_priv *lfile,
		       struct dma_fence *finished)
{
	struct lutcore_job_record *rec;
	struct dma_fence *old;
	u64 id;

	spin_lock_irq(&lfile->history_lock);
	id = ++lfile->last_job_id;
	rec = &lfile->history[id % LUTCORE_JOB_HISTORY];
	old = rec->fence;
	*rec = (struct lutcore_job_record) {
		.id = id,
		.fence = dma_fence_get(finished),
	};
	spin_unlock_irq(&lfile->history_lock);
	dma_fence_put(old);

	return id;
}

/**
 * lutcore_job_record_fault() - store a device error for JOB_STATUS
 * @job: the failed job
 * @hw_error: LUTCORE_ERR_*
 * @fault_addr: FAULT_ADDR
 * @fault_offset: FAULT_OFFSET
 *
 * Called from the interrupt handler before the job's fence signals, so a
 * query that sees the job done also sees this.
 */
void lutcore_job_record_fault(struct lutcore_job *job, u32 hw_error,
			      u64 fault_addr, u32 fault_offset)
{
	struct lutcore_file_priv *lfile = job->lfile;
	struct lutcore_job_record *rec;
	unsigned long flags;

	spin_lock_irqsave(&lfile->history_lock, flags);
	rec = &lfile->history[job->id % LUTCORE_JOB_HISTORY];
	if (rec->id == job->id) {
		rec->hw_error = hw_error;
		rec->fault_addr = fault_addr;
		rec->fault_offset = fault_offset;
	}
	spin_unlock_irqrestore(&lfile->history_lock, flags);
}

int lutcore_ioctl_job_status(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	struct lutcore_file_priv *lfile = file->driver_priv;
	struct drm_lutcore_job_status *args = data;
	struct lutcore_job_record rec;
	struct dma_fence *fence;
	int status;

	if (args->flags || args->pad) {
		drm_dbg(drm, "JOB_STATUS: non-zero flags or padding\n");
		return -EINVAL;
	}

	spin_lock_irq(&lfile->history_lock);
	if (!args->job_id || args->job_id > lfile->last_job_id) {
		spin_unlock_irq(&lfile->history_lock);
		drm_dbg(drm, "JOB_STATUS: no job %llu\n", args->job_id);
		return -EINVAL;
	}
	rec = lfile->history[args->job_id % LUTCORE_JOB_HISTORY];
	if (rec.id != args->job_id) {
		spin_unlock_irq(&lfile->history_lock);
		return -ENOENT;
	}
	fence = dma_fence_get(rec.fence);
	spin_unlock_irq(&lfile->history_lock);

	/*
	 * The fence first, then the device's report: the report is stored
	 * before the fence signals, so a signalled fence finds it in place.
	 */
	status = dma_fence_get_status(fence);
	dma_fence_put(fence);
	spin_lock_irq(&lfile->history_lock);
	rec = lfile->history[args->job_id % LUTCORE_JOB_HISTORY];
	spin_unlock_irq(&lfile->history_lock);
	if (rec.id != args->job_id)
		return -ENOENT;

	args->state = status ? DRM_LUTCORE_JOB_DONE : DRM_LUTCORE_JOB_PENDING;
	args->error = status < 0 ? status : 0;
	args->hw_error = rec.hw_error;
	args->fault_addr = rec.fault_addr;
	args->fault_offset = rec.fault_offset;

	return 0;
}

/**
 * lutcore_file_history_fini() - drop the fences of a file's history
 * @lfile: the file, no longer reachable by ioctls or jobs
 */
void lutcore_file_history_fini(struct lutcore_file_priv *lfile)
{
	unsigned int i;

	for (i = 0; i < LUTCORE_JOB_HISTORY; i++)
		dma_fence_put(lfile->history[i].fence);
}

/* ---- per-file entities, per-core schedulers ----------------------------- */

/**
 * lutcore_file_entities_init() - the file's scheduler entities
 * @lfile: the new file
 *
 * The banned counter is every entity's guilty flag: once set, the
 * scheduler cancels the file's queued jobs with -ECANCELED.
 *
 * Return: 0 or a negative errno, with nothing left initialized.
 */
int lutcore_file_entities_init(struct lutcore_file_priv *lfile)
{
	struct lutcore_device *ldev = lfile->ldev;
	unsigned int i, n = ldev->caps.num_cores;
	int ret;

	for (i = 0; i <= n; i++) {
		/* A one-core list is not kept by the entity; the any list is. */
		struct drm_gpu_scheduler *one = &ldev->cores[i < n ? i : 0].sched;

		ret = drm_sched_entity_init(&lfile->entities[i],
					    DRM_SCHED_PRIORITY_NORMAL,
					    i < n ? &one : ldev->scheds,
					    i < n ? 1 : n, &lfile->banned);
		if (ret)
			goto err_fini;
		lfile->num_entities++;
	}

	return 0;

err_fini:
	lutcore_file_entities_fini(lfile);
	return ret;
}

/**
 * lutcore_file_entities_fini() - destroy the file's entities
 * @lfile: the file being closed
 *
 * Waits a bounded time for queued jobs to reach the device (the
 * scheduler's flush); jobs still waiting then are cancelled (-ESRCH).
 * Jobs on the device finish on their own and keep the file priv alive.
 */
void lutcore_file_entities_fini(struct lutcore_file_priv *lfile)
{
	while (lfile->num_entities)
		drm_sched_entity_destroy(&lfile->entities[--lfile->num_entities]);
}

/*
 * After the last file no entity is left, but finished jobs may still wait
 * for the scheduler's free worker: after an unplug their fences signal at
 * once, and the last close can come before the worker runs. 6.12's
 * drm_sched_fini() stops the worker and leaves them on the pending list,
 * where they would keep their buffers, and with them the DRM device's
 * mmap offsets, alive past the device. The worker is stopped now, so
 * nothing else walks the list.
 */
static void lutcore_sched_fini_core(struct lutcore_core *core)
{
	struct drm_sched_job *sched_job, *tmp;

	drm_sched_fini(&core->sched);
	list_for_each_entry_safe(sched_job, tmp, &core->sched.pending_list,
				 list) {
		struct dma_fence *parent = sched_job->s_fence->parent;

		/*
		 * The unplug signalled every hardware fence; should one not
		 * have, its callback must not reach the freed job.
		 */
		if (parent && !dma_fence_remove_callback(parent, &sched_job->cb))
			WARN_ON_ONCE(!dma_fence_is_signaled(parent));
		list_del_init(&sched_job->list);
		lutcore_job_release(sched_job);
	}
}

static void lutcore_sched_fini_all(struct drm_device *drm, void *data)
{
	struct lutcore_device *ldev = data;
	unsigned int i;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		if (ldev->cores[i].sched_ready)
			lutcore_sched_fini_core(&ldev->cores[i]);
	}
	destroy_workqueue(ldev->reset_wq);
}

/**
 * lutcore_sched_init_all() - one scheduler per core
 * @ldev: the device, after its reset and before interrupts are enabled
 *
 * The schedulers live as long as the DRM device, not the PCI binding:
 * open files' entities point to them until the last close.
 *
 * Return: 0 or a negative errno; a managed action undoes it.
 */
int lutcore_sched_init_all(struct lutcore_device *ldev)
{
	long timeout = msecs_to_jiffies(ldev->timeout_ms);
	unsigned int i;
	int ret;

	ldev->reset_wq = alloc_ordered_workqueue("lutcore-reset", 0);
	if (!ldev->reset_wq)
		return -ENOMEM;
	ret = drmm_add_action_or_reset(&ldev->drm, lutcore_sched_fini_all, ldev);
	if (ret)
		return ret;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		struct lutcore_core *core = &ldev->cores[i];

		core->ldev = ldev;
		core->id = i;
		spin_lock_init(&core->lock);
		spin_lock_init(&core->fence_lock);
		INIT_LIST_HEAD(&core->inflight);
		core->fence_context = dma_fence_context_alloc(2);
		core->error_context = core->fence_context + 1;
		/* A soft reset keeps DONE_SEQNO: continue after it. */
		core->emit_seqno = lutcore_core_read(core, LUTCORE_CORE_DONE_SEQNO);
		snprintf(core->name, sizeof(core->name), "lutcore-core%u", i);

		ret = lutcore_sched_init(&core->sched, &lutcore_sched_ops,
					 ldev->reset_wq, ldev->credit_limit,
					 timeout, core->name, ldev->drm.dev);
		if (ret)
			return ret;
		core->sched_ready = true;
		ldev->scheds[i] = &core->sched;
	}

	return 0;
}
