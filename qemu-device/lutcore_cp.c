/*
 * LUTCore PCIe device: per-core command processors.
 *
 * KICK latches the job registers into a LutcoreJob on the core's queue. A
 * worker thread per core takes jobs in order and runs them without the BQL
 * (lutcore_exec.c); finished jobs go on a completion list and a BH, which
 * runs with the BQL, publishes them in the registers and raises MSI-X.
 *
 * Reset bumps the core's generation, drops queued and finished jobs and
 * asks the running one to abort; a job of an old generation is thrown away
 * when it ends. CTRL.SOFT_RESET and STATUS.RESETTING read 1 until every
 * aborted job has ended, so the guest knows when the device has stopped
 * touching the memory of the dropped jobs.
 *
 * After a failed job the core halts before its next job until the guest
 * clears JOB_ERROR(core) in IRQ_STATUS, so the error registers describe
 * that job until the guest has read them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "lutcore.h"
#include "trace.h"

static void lutcore_cp_free_list(LutcoreCore *c, LutcoreJobList *list)
{
    LutcoreJob *job;

    while ((job = QSIMPLEQ_FIRST(list)) != NULL) {
        QSIMPLEQ_REMOVE_HEAD(list, next);
        trace_lutcore_job_discard(c->index, job->seqno);
        g_free(job);
    }
}

/* Worker: hold a debug-hang job until reset or device teardown. */
static void lutcore_cp_hang(LutcoreCore *c, LutcoreJob *job)
{
    trace_lutcore_job_hang(c->index, job->seqno);
    while (!c->stopping && job->generation == c->generation) {
        qemu_cond_wait(&c->cond, &c->lock);
    }
}

static bool lutcore_cp_can_run(LutcoreCore *c)
{
    return !QSIMPLEQ_EMPTY(&c->queue) && c->halt == LUTCORE_HALT_NONE;
}

static void *lutcore_cp_thread(void *opaque)
{
    LutcoreCore *c = opaque;
    LutcoreJob *job;

    rcu_register_thread();
    qemu_mutex_lock(&c->lock);
    for (;;) {
        while (!c->stopping && !lutcore_cp_can_run(c)) {
            qemu_cond_wait(&c->cond, &c->lock);
        }
        if (c->stopping) {
            break;
        }
        job = QSIMPLEQ_FIRST(&c->queue);
        QSIMPLEQ_REMOVE_HEAD(&c->queue, next);
        c->running = job;
        lutcore_exec_clear_abort(c);

        if (job->hang) {
            lutcore_cp_hang(c, job);
        } else {
            qemu_mutex_unlock(&c->lock);
            lutcore_exec_job(c, job);
            qemu_mutex_lock(&c->lock);
        }
        c->running = NULL;

        if (c->stopping || job->generation != c->generation) {
            trace_lutcore_job_discard(c->index, job->seqno);
            g_free(job);
            continue;
        }
        if (job->error != LUTCORE_ERR_NONE) {
            c->halt = LUTCORE_HALT_PENDING;
        }
        QSIMPLEQ_INSERT_TAIL(&c->done, job, next);
        qemu_bh_schedule(c->bh);
    }
    qemu_mutex_unlock(&c->lock);
    rcu_unregister_thread();
    return NULL;
}

/* BQL: publish one finished job; returns the IRQ_STATUS bit to raise. */
static uint32_t lutcore_cp_retire(LutcoreCore *c, LutcoreJob *job)
{
    if (c->inflight) {
        c->inflight--;
    }
    c->done_seqno = job->seqno;
    c->jobs++;
    c->cycles += job->cycles;
    c->bytes_read += job->bytes_read;
    if (job->error == LUTCORE_ERR_NONE) {
        return LUTCORE_IRQ_JOB_DONE(c->index);
    }
    c->error = job->error;
    c->error_seqno = job->seqno;
    c->fault_addr = job->fault_addr;
    c->fault_offset = job->fault_offset;
    return LUTCORE_IRQ_JOB_ERROR(c->index);
}

static void lutcore_cp_bh(void *opaque)
{
    LutcoreCore *c = opaque;
    LutcoreJobList done = QSIMPLEQ_HEAD_INITIALIZER(done);
    LutcoreJob *job;
    uint32_t raise = 0;

    qemu_mutex_lock(&c->lock);
    QSIMPLEQ_CONCAT(&done, &c->done);
    if (c->signals) {
        c->signals = 0;
        raise |= LUTCORE_IRQ_SIGNAL(c->index);
    }
    qemu_mutex_unlock(&c->lock);

    while ((job = QSIMPLEQ_FIRST(&done)) != NULL) {
        QSIMPLEQ_REMOVE_HEAD(&done, next);
        raise |= lutcore_cp_retire(c, job);
        g_free(job);
    }
    if (raise & LUTCORE_IRQ_JOB_ERROR(c->index)) {
        qemu_mutex_lock(&c->lock);
        if (c->halt == LUTCORE_HALT_PENDING) {
            c->halt = LUTCORE_HALT_REPORTED;
        }
        qemu_mutex_unlock(&c->lock);
    }
    if (raise) {
        lutcore_irq_raise(c->s, raise);
    }
}

/* KICK with the queue full: report it like a failed job, run nothing. */
static void lutcore_cp_queue_full(LutcoreCore *c)
{
    qemu_log_mask(LOG_GUEST_ERROR, "lutcore: core %u: KICK of seqno %" PRIu32
                  " with %" PRIu32 " jobs queued (queue full)\n",
                  c->index, c->seqno, c->inflight);
    c->error = LUTCORE_ERR_QUEUE_FULL;
    c->error_seqno = c->seqno;
    c->fault_addr = 0;
    c->fault_offset = 0;
    lutcore_irq_raise(c->s, LUTCORE_IRQ_JOB_ERROR(c->index));
}

void lutcore_cp_kick(LutcoreCore *c)
{
    LutcoreState *s = c->s;
    LutcoreJob *job;

    if (!(s->ctrl & LUTCORE_CTRL_ENABLE)) {
        qemu_log_mask(LOG_GUEST_ERROR, "lutcore: core %u: KICK of seqno %"
                      PRIu32 " ignored, CTRL.ENABLE is clear\n",
                      c->index, c->seqno);
        return;
    }
    if (c->inflight >= s->queue_depth) {
        lutcore_cp_queue_full(c);
        return;
    }

    job = g_new0(LutcoreJob, 1);
    job->pt_base = c->pt_base;
    job->cmd_addr = c->cmd_addr;
    job->cmd_size = c->cmd_size;
    job->seqno = c->seqno;
    job->hang = s->debug & LUTCORE_DEBUG_HANG_NEXT_JOB;
    s->debug &= ~LUTCORE_DEBUG_HANG_NEXT_JOB;
    trace_lutcore_job_kick(c->index, job->seqno, job->cmd_addr,
                           job->cmd_size, job->pt_base);
    c->inflight++;

    qemu_mutex_lock(&c->lock);
    job->generation = c->generation;
    QSIMPLEQ_INSERT_TAIL(&c->queue, job, next);
    qemu_cond_broadcast(&c->cond);
    qemu_mutex_unlock(&c->lock);
}

void lutcore_cp_signal(LutcoreCore *c, LutcoreJob *job)
{
    qemu_mutex_lock(&c->lock);
    if (!c->stopping && job->generation == c->generation) {
        c->signals++;
        qemu_bh_schedule(c->bh);
    }
    qemu_mutex_unlock(&c->lock);
}

void lutcore_cp_error_acked(LutcoreCore *c)
{
    qemu_mutex_lock(&c->lock);
    if (c->halt == LUTCORE_HALT_REPORTED) {
        c->halt = LUTCORE_HALT_NONE;
        qemu_cond_broadcast(&c->cond);
    }
    qemu_mutex_unlock(&c->lock);
}

/* Soft reset and device reset (BQL). */
void lutcore_cp_reset(LutcoreState *s)
{
    unsigned i;

    for (i = 0; i < s->num_cores; i++) {
        LutcoreCore *c = &s->core[i];

        qemu_mutex_lock(&c->lock);
        c->generation++;
        lutcore_cp_free_list(c, &c->queue);
        lutcore_cp_free_list(c, &c->done);
        if (c->running) {
            lutcore_exec_abort(c);
        }
        c->halt = LUTCORE_HALT_NONE;
        c->signals = 0;
        qemu_cond_broadcast(&c->cond);
        qemu_mutex_unlock(&c->lock);

        c->inflight = 0;
        c->error = LUTCORE_ERR_NONE;
        c->error_seqno = 0;
        c->fault_addr = 0;
        c->fault_offset = 0;
        c->jobs = 0;
        c->cycles = 0;
        c->bytes_read = 0;
        memset(c->counter_hi, 0, sizeof(c->counter_hi));
        lutcore_mmu_invalidate(&c->mmu);
    }
}

bool lutcore_cp_resetting(LutcoreState *s)
{
    bool busy = false;
    unsigned i;

    for (i = 0; i < s->num_cores && !busy; i++) {
        LutcoreCore *c = &s->core[i];

        qemu_mutex_lock(&c->lock);
        busy = c->running && c->running->generation != c->generation;
        qemu_mutex_unlock(&c->lock);
    }
    return busy;
}

void lutcore_cp_init(LutcoreState *s)
{
    unsigned i;

    for (i = 0; i < s->num_cores; i++) {
        LutcoreCore *c = &s->core[i];
        g_autofree char *name = g_strdup_printf("lutcore-core%u", i);

        c->s = s;
        c->index = i;
        lutcore_mmu_init(&c->mmu, PCI_DEVICE(s));
        qemu_mutex_init(&c->lock);
        qemu_cond_init(&c->cond);
        QSIMPLEQ_INIT(&c->queue);
        QSIMPLEQ_INIT(&c->done);
        c->bh = lutcore_bh_new(lutcore_cp_bh, c, s);
        qemu_thread_create(&c->thread, name, lutcore_cp_thread, c,
                           QEMU_THREAD_JOINABLE);
    }
}

void lutcore_cp_fini(LutcoreState *s)
{
    unsigned i;

    for (i = 0; i < s->num_cores; i++) {
        LutcoreCore *c = &s->core[i];

        qemu_mutex_lock(&c->lock);
        c->stopping = true;
        lutcore_exec_abort(c);
        qemu_cond_broadcast(&c->cond);
        qemu_mutex_unlock(&c->lock);
        qemu_thread_join(&c->thread);

        lutcore_cp_free_list(c, &c->queue);
        lutcore_cp_free_list(c, &c->done);
        qemu_bh_delete(c->bh);
        qemu_cond_destroy(&c->cond);
        qemu_mutex_destroy(&c->lock);
    }
}
