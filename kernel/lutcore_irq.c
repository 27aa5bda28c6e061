// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: job completion, from the interrupt handler.
 *
 * Vector c belongs to core c and its handler touches only core c's bits
 * and jobs. Completion is decided by comparing DONE_SEQNO with the seqnos
 * of the jobs in flight, not by counting interrupts, so a lost, late or
 * spurious message is harmless. Everything here runs in hard interrupt
 * context (or with the core's interrupt synchronized away, during a
 * recovery): no sleeping, only core->lock and the fence locks.
 */

#include <linux/dma-fence.h>
#include <drm/drm_print.h>

#include "lutcore_drv.h"
#include "lutcore_job.h"

/**
 * struct lutcore_core_report - what a core's registers say
 * @done: DONE_SEQNO, or the failed job's seqno if that is newer
 * @error: JOB_ERROR(c) was set and the error registers were read
 * @hw_error: ERROR
 * @error_seqno: ERROR_SEQNO
 * @fault_offset: FAULT_OFFSET
 * @fault_addr: FAULT_ADDR
 */
struct lutcore_core_report {
	u32 done;
	bool error;
	u32 hw_error;
	u32 error_seqno;
	u32 fault_offset;
	u64 fault_addr;
};

/**
 * lutcore_hw_errno() - the fence error for a device error code
 * @hw_error: LUTCORE_ERR_* (not NONE)
 *
 * The mapping docs/uapi.md documents: the stream's own mistakes are
 * -EINVAL, addressing mistakes -EFAULT, the rest -EIO.
 *
 * Return: a negative errno.
 */
int lutcore_hw_errno(u32 hw_error)
{
	switch (hw_error) {
	case LUTCORE_ERR_BAD_OPCODE:
	case LUTCORE_ERR_BAD_OPERAND:
	case LUTCORE_ERR_BAD_STREAM:
		return -EINVAL;
	case LUTCORE_ERR_PAGE_FAULT:
	case LUTCORE_ERR_WRITE_FAULT:
		return -EFAULT;
	default:
		return -EIO;
	}
}

static void lutcore_job_fail(struct lutcore_job *job,
			     const struct lutcore_core_report *rep)
{
	lutcore_job_record_fault(job, rep->hw_error, rep->fault_addr,
				 rep->fault_offset);
	dma_fence_set_error(job->hw_fence, lutcore_hw_errno(rep->hw_error));
}

/*
 * A refused KICK made no job and does not move DONE_SEQNO. With the
 * scheduler's credit limit at most the queue depth it cannot happen, so
 * it is a driver bug: fail the job instead of letting it time out.
 */
static void lutcore_core_refused(struct lutcore_core *core,
				 const struct lutcore_core_report *rep)
{
	struct lutcore_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, &core->inflight, hw_link) {
		if (job->seqno != rep->error_seqno)
			continue;
		drm_err_once(&core->ldev->drm, "core %u refused job seqno %u: queue full\n",
			     core->id, job->seqno);
		list_del_init(&job->hw_link);
		lutcore_job_fail(job, rep);
		dma_fence_signal(job->hw_fence);
		break;
	}
}

static void lutcore_core_retire_locked(struct lutcore_core *core,
				       const struct lutcore_core_report *rep)
{
	struct lutcore_job *job, *tmp;

	lockdep_assert_held(&core->lock);

	if (rep->error && rep->hw_error == LUTCORE_ERR_QUEUE_FULL)
		lutcore_core_refused(core, rep);

	list_for_each_entry_safe(job, tmp, &core->inflight, hw_link) {
		/* In KICK order, so the first one not done ends the walk. */
		if ((s32)(rep->done - job->seqno) < 0)
			break;
		list_del_init(&job->hw_link);
		if (rep->error && rep->hw_error &&
		    rep->hw_error != LUTCORE_ERR_QUEUE_FULL &&
		    job->seqno == rep->error_seqno)
			lutcore_job_fail(job, rep);
		/* May free the job (scheduler's free_job); not touched after. */
		dma_fence_signal(job->hw_fence);
	}
}

/**
 * lutcore_core_retire() - complete the jobs a core reports finished
 * @core: the core
 * @ack_error: clear JOB_ERROR(c) afterwards, which lets a core halted
 *             by the error go on; a recovery leaves it to the reset
 *
 * JOB_DONE is acknowledged before DONE_SEQNO is read, so a completion
 * after the read raises a new message. DONE_SEQNO is read before the
 * error bit: the device sets both at once, so a failed job included in
 * DONE_SEQNO has its error visible by then. The error registers are read
 * before JOB_ERROR is cleared; the core halts until then, so they describe
 * exactly one job, and every job up to it has finished.
 */
void lutcore_core_retire(struct lutcore_core *core, bool ack_error)
{
	struct lutcore_core_report rep = { };
	u32 err_bit = LUTCORE_IRQ_JOB_ERROR(core->id);
	unsigned long flags;

	lutcore_write(core->ldev, LUTCORE_REG_IRQ_STATUS,
		      LUTCORE_IRQ_JOB_DONE(core->id) | LUTCORE_IRQ_SIGNAL(core->id));
	rep.done = lutcore_core_read(core, LUTCORE_CORE_DONE_SEQNO);
	rep.error = lutcore_read(core->ldev, LUTCORE_REG_IRQ_STATUS) & err_bit;
	if (rep.error) {
		rep.hw_error = lutcore_core_read(core, LUTCORE_CORE_ERROR);
		rep.error_seqno = lutcore_core_read(core, LUTCORE_CORE_ERROR_SEQNO);
		rep.fault_addr = lutcore_core_read(core, LUTCORE_CORE_FAULT_ADDR_LO) |
			(u64)lutcore_core_read(core, LUTCORE_CORE_FAULT_ADDR_HI) << 32;
		rep.fault_offset = lutcore_core_read(core, LUTCORE_CORE_FAULT_OFFSET);
		/* Failed between the two reads: it is done as well. */
		if (rep.hw_error != LUTCORE_ERR_QUEUE_FULL &&
		    (s32)(rep.error_seqno - rep.done) > 0)
			rep.done = rep.error_seqno;
	}

	spin_lock_irqsave(&core->lock, flags);
	lutcore_core_retire_locked(core, &rep);
	spin_unlock_irqrestore(&core->lock, flags);

	if (rep.error && ack_error)
		lutcore_write(core->ldev, LUTCORE_REG_IRQ_STATUS, err_bit);
}

/**
 * lutcore_core_irq() - the handler of core c's MSI-X vector
 * @irq: the Linux interrupt
 * @data: the &struct lutcore_core
 *
 * Return: IRQ_HANDLED if core c had an event pending.
 */
irqreturn_t lutcore_core_irq(int irq, void *data)
{
	struct lutcore_core *core = data;
	u32 mine = LUTCORE_IRQ_JOB_DONE(core->id) |
		   LUTCORE_IRQ_JOB_ERROR(core->id) |
		   LUTCORE_IRQ_SIGNAL(core->id);

	if (!(lutcore_read(core->ldev, LUTCORE_REG_IRQ_STATUS) & mine))
		return IRQ_NONE;
	lutcore_core_retire(core, true);

	return IRQ_HANDLED;
}
