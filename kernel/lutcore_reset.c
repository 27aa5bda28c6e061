// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: hang recovery, manual reset and unplug teardown.
 *
 * The device has one soft reset for all cores: it drops every queued job
 * on every core and aborts the running ones. So a recovery stops every
 * scheduler, lets the cores that are not hung finish what they have
 * (bounded by the job timeout), resets, and then sorts the jobs that were
 * still on the device:
 *
 * - the hung job completes with -ETIMEDOUT, and its file is banned;
 * - a job that may have started (the oldest one left on a core) completes
 *   with -ECANCELED: running half a stream twice could apply its side
 *   effects (an accumulation, say) twice;
 * - jobs that were only queued behind it never started; they are kicked
 *   again, in their order, by drm_sched_resubmit_jobs() (deprecated, but
 *   the 6.12 way to give a stopped scheduler's jobs new hardware fences;
 *   panfrost uses it the same way).
 *
 * All of it runs on the ordered reset workqueue (every scheduler's timeout
 * handler and the debugfs reset), and under reset_lock, which the unplug
 * path takes as well.
 */

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "lutcore_drv.h"
#include "lutcore_job.h"

static void lutcore_reset_stop(struct lutcore_device *ldev,
			       struct lutcore_job *bad)
{
	unsigned int i;

	/* Only the bad job's own scheduler takes it back into its list. */
	for (i = 0; i < ldev->caps.num_cores; i++)
		drm_sched_stop(&ldev->cores[i].sched, bad ? &bad->base : NULL);
}

static void lutcore_reset_restart(struct lutcore_device *ldev)
{
	unsigned int i;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		drm_sched_resubmit_jobs(&ldev->cores[i].sched);
		drm_sched_start(&ldev->cores[i].sched);
	}
}

/*
 * Waits until the cores other than @skip have finished the jobs they
 * hold, or until the job timeout has passed. The schedulers are stopped,
 * so no new job reaches the device meanwhile.
 */
static void lutcore_reset_drain(struct lutcore_device *ldev,
				struct lutcore_core *skip)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ldev->timeout_ms);
	unsigned int i;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		struct lutcore_core *core = &ldev->cores[i];

		while (core != skip) {
			struct dma_fence *fence = NULL;
			struct lutcore_job *last;
			unsigned long flags;
			long left, ret;

			spin_lock_irqsave(&core->lock, flags);
			if (!list_empty(&core->inflight)) {
				last = list_last_entry(&core->inflight,
						       struct lutcore_job, hw_link);
				fence = dma_fence_get(last->hw_fence);
			}
			spin_unlock_irqrestore(&core->lock, flags);
			if (!fence)
				break;

			left = (long)(deadline - jiffies);
			ret = left > 0 ? dma_fence_wait_timeout(fence, false, left) : 0;
			dma_fence_put(fence);
			if (ret <= 0)
				break;
		}
	}
}

/*
 * No handler runs after this and the error registers have been read: the
 * reset clears them and IRQ_STATUS.
 */
static void lutcore_reset_quiesce(struct lutcore_device *ldev)
{
	unsigned int i;

	lutcore_write(ldev, LUTCORE_REG_IRQ_MASK, 0);
	/* Flush the posted write before waiting out the handlers. */
	lutcore_read(ldev, LUTCORE_REG_IRQ_MASK);
	for (i = 0; i < ldev->caps.num_cores; i++)
		synchronize_irq(ldev->cores[i].irq);
	for (i = 0; i < ldev->caps.num_cores; i++)
		lutcore_core_retire(&ldev->cores[i], false);
}

/*
 * Takes every job off the cores after a reset (@hw) or an unplug, and
 * decides how run_job completes it when the scheduler resubmits it. The
 * old hardware fences are signalled; the stopped schedulers no longer
 * listen to them.
 */
static void lutcore_reset_abort(struct lutcore_device *ldev,
				struct lutcore_job *bad, bool hw)
{
	unsigned int i;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		struct lutcore_core *core = &ldev->cores[i];
		struct lutcore_job *job, *tmp;
		unsigned long flags;
		bool head = true;
		u32 done = 0;

		/* Kept by the reset: jobs that ended just before it. */
		if (hw)
			done = lutcore_core_read(core, LUTCORE_CORE_DONE_SEQNO);

		spin_lock_irqsave(&core->lock, flags);
		list_for_each_entry_safe(job, tmp, &core->inflight, hw_link) {
			list_del_init(&job->hw_link);
			if (hw && (s32)(done - job->seqno) >= 0) {
				dma_fence_signal(job->hw_fence);
				continue;
			}
			job->dropped = true;
			if (!hw)
				job->abort_error = -ENODEV;
			else if (job == bad)
				job->abort_error = -ETIMEDOUT;
			else if (head)
				job->abort_error = -ECANCELED;
			else
				job->abort_error = 0;
			head = false;
			dma_fence_set_error(job->hw_fence, -ECANCELED);
			dma_fence_signal(job->hw_fence);
		}
		spin_unlock_irqrestore(&core->lock, flags);
	}
}

/* Returns true if the device was reset. */
static bool lutcore_reset_hw(struct lutcore_device *ldev,
			     struct lutcore_job *bad)
{
	if (bad)
		lutcore_reset_drain(ldev, bad->core);
	lutcore_reset_quiesce(ldev);

	/* It finished while the others drained: nothing is hung. */
	if (bad && dma_fence_is_signaled(bad->hw_fence)) {
		lutcore_write(ldev, LUTCORE_REG_IRQ_MASK, ldev->irq_mask);
		return false;
	}

	/* A failure is logged; the jobs are failed all the same. */
	lutcore_hw_soft_reset(ldev, LUTCORE_CTRL_ENABLE);
	atomic_inc(&ldev->reset_count);
	if (bad) {
		/* Before the resubmit, which cancels the file's other jobs. */
		atomic_set(&bad->lfile->banned, 1);
		atomic_inc(&bad->lfile->reset_count);
	}
	lutcore_reset_abort(ldev, bad, true);
	lutcore_write(ldev, LUTCORE_REG_IRQ_MASK, ldev->irq_mask);

	return true;
}

/**
 * lutcore_reset_recover() - reset the device and recover its jobs
 * @ldev: the device
 * @bad: the job that timed out, or NULL for a reset on request
 *
 * Called from a scheduler's timeout handler (on the reset workqueue) with
 * @bad taken off its scheduler's list, or from the debugfs reset work.
 */
void lutcore_reset_recover(struct lutcore_device *ldev, struct lutcore_job *bad)
{
	int idx;

	mutex_lock(&ldev->reset_lock);
	lutcore_reset_stop(ldev, bad);
	/* Unplugged: the remove path fails every job; just requeue. */
	if (!ldev->unplugged && drm_dev_enter(&ldev->drm, &idx)) {
		if (lutcore_reset_hw(ldev, bad)) {
			if (bad)
				drm_warn(&ldev->drm, "core %u: job %llu of client %llu timed out after %u ms; device reset, client banned\n",
					 bad->core->id, bad->id,
					 bad->lfile->client_id, ldev->timeout_ms);
			else
				drm_info(&ldev->drm, "device reset on request\n");
		}
		drm_dev_exit(idx);
	}
	lutcore_reset_restart(ldev);
	mutex_unlock(&ldev->reset_lock);
}

/**
 * lutcore_reset_requeue() - undo a timeout that found the job finished
 * @ldev: the device
 * @job: the job the timeout handler was called for
 *
 * The scheduler took the job off its list before calling the timeout
 * handler; stopping and restarting every scheduler puts it back and lets
 * it be freed. Jobs on the device keep running: run_job hands their
 * existing hardware fences back.
 */
void lutcore_reset_requeue(struct lutcore_device *ldev, struct lutcore_job *job)
{
	mutex_lock(&ldev->reset_lock);
	lutcore_reset_stop(ldev, job);
	lutcore_reset_restart(ldev);
	mutex_unlock(&ldev->reset_lock);
}

/**
 * lutcore_reset_unplug() - fail every job once the device is gone
 * @ldev: the device, unplugged and quiesced (no DMA, no interrupt)
 *
 * Every job on the device, and every job reaching run_job later,
 * completes with -ENODEV, so all fences signal while files stay open.
 */
void lutcore_reset_unplug(struct lutcore_device *ldev)
{
	mutex_lock(&ldev->reset_lock);
	ldev->unplugged = true;
	lutcore_reset_stop(ldev, NULL);
	lutcore_reset_abort(ldev, NULL, false);
	lutcore_reset_restart(ldev);
	mutex_unlock(&ldev->reset_lock);
}

struct lutcore_reset_work {
	struct work_struct work;
	struct lutcore_device *ldev;
};

static void lutcore_reset_work_fn(struct work_struct *work)
{
	struct lutcore_reset_work *rw =
		container_of(work, struct lutcore_reset_work, work);

	lutcore_reset_recover(rw->ldev, NULL);
}

/**
 * lutcore_reset_manual() - reset the device now (debugfs ``reset``)
 * @ldev: the device
 *
 * Runs on the reset workqueue, so it never overlaps a timeout handler
 * (which holds its job outside the scheduler's list meanwhile).
 *
 * Return: 0, or -ENODEV once the device is gone.
 */
int lutcore_reset_manual(struct lutcore_device *ldev)
{
	struct lutcore_reset_work rw = { .ldev = ldev };

	if (drm_dev_is_unplugged(&ldev->drm))
		return -ENODEV;
	INIT_WORK_ONSTACK(&rw.work, lutcore_reset_work_fn);
	queue_work(ldev->reset_wq, &rw.work);
	flush_work(&rw.work);
	destroy_work_on_stack(&rw.work);

	return 0;
}
