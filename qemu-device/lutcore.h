/*
 * LUTCore PCIe device: state shared by the device's source files.
 *
 * Locking: everything the guest sees through BAR0 (the register file, the
 * counters, IRQ_STATUS) belongs to the BQL; MMIO handlers and the per-core
 * completion BH run with it held. Each core's worker thread never takes the
 * BQL: it shares only the job queue, the completion list and its flags with
 * the rest of the device, under the core's own mutex. Lock order is BQL,
 * then a core mutex.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_LUTCORE_H
#define HW_MISC_LUTCORE_H

#include "lutcore-compat.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "qom/object.h"
#include "lutcore_regs.h"
#include "lutcore_mmu.h"

#define TYPE_LUTCORE "lutcore"
struct lut_engine;
OBJECT_DECLARE_SIMPLE_TYPE(LutcoreState, LUTCORE)

/* One latched KICK: its inputs, then the results the worker fills in. */
typedef struct LutcoreJob {
    QSIMPLEQ_ENTRY(LutcoreJob) next;
    uint64_t pt_base;
    uint64_t cmd_addr;
    uint32_t cmd_size;
    uint32_t seqno;
    uint32_t generation;
    bool hang;

    uint32_t error;
    uint64_t fault_addr;
    uint32_t fault_offset;
    uint64_t cycles;
    uint64_t bytes_read;
} LutcoreJob;

typedef QSIMPLEQ_HEAD(LutcoreJobList, LutcoreJob) LutcoreJobList;

/* The worker stops after a failed job until the driver has seen the error. */
typedef enum LutcoreHalt {
    LUTCORE_HALT_NONE,
    LUTCORE_HALT_PENDING,       /* failed job not yet reported (BH pending) */
    LUTCORE_HALT_REPORTED,      /* JOB_ERROR raised; W1C of it resumes */
} LutcoreHalt;

typedef struct LutcoreCore {
    struct LutcoreState *s;
    unsigned index;

    /* Job registers as last written by the guest (BQL). */
    uint64_t pt_base;
    uint64_t cmd_addr;
    uint32_t cmd_size;
    uint32_t seqno;

    /* Completion registers and counters (BQL). */
    uint32_t done_seqno;
    uint32_t error;
    uint32_t error_seqno;
    uint64_t fault_addr;
    uint32_t fault_offset;
    uint64_t jobs;
    uint64_t cycles;
    uint64_t bytes_read;
    uint32_t counter_hi[3];     /* HI halves latched by the _LO reads */
    uint32_t inflight;          /* accepted, not yet in DONE_SEQNO */

    /* Shared with the worker, under @lock. */
    QemuThread thread;
    QemuMutex lock;
    QemuCond cond;
    LutcoreJobList queue;       /* kicked, not started */
    LutcoreJobList done;        /* finished, not yet published by the BH */
    LutcoreJob *running;
    uint32_t generation;
    LutcoreHalt halt;
    bool stopping;
    uint32_t signals;           /* SIGNAL interrupts not yet raised */
    QEMUBH *bh;

    struct lut_engine *engine;  /* worker only, but for abort */
    LutcoreMmu mmu;             /* worker only, but for invalidation */
} LutcoreCore;

struct LutcoreState {
    PCIDevice parent_obj;
    MemoryRegion mmio;

    /* Properties. */
    uint32_t num_cores;
    uint32_t array_m;
    uint32_t array_n;
    uint32_t array_k;
    uint32_t array_mult;
    uint32_t clock_mhz;
    uint32_t queue_depth;
    uint32_t engine_threads;
    bool debug_hooks;

    /* Global registers (BQL). */
    uint32_t ctrl;
    uint32_t scratch;
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t debug;

    LutcoreCore core[LUTCORE_MAX_CORES];
};

/* lutcore_mmio.c */
extern const MemoryRegionOps lutcore_mmio_ops;

/* lutcore_irq.c */
void lutcore_irq_raise(LutcoreState *s, uint32_t bits);
void lutcore_irq_ack(LutcoreState *s, uint32_t bits);
void lutcore_irq_set_mask(LutcoreState *s, uint32_t mask);

/* lutcore_cp.c: the per-core command processors */
void lutcore_cp_init(LutcoreState *s);
void lutcore_cp_fini(LutcoreState *s);
void lutcore_cp_kick(LutcoreCore *c);
void lutcore_cp_reset(LutcoreState *s);
void lutcore_cp_error_acked(LutcoreCore *c);
bool lutcore_cp_resetting(LutcoreState *s);

/* lutcore_exec.c: the LUT engine of each core */
bool lutcore_exec_init(LutcoreState *s, Error **errp);
void lutcore_exec_fini(LutcoreState *s);
/* Run one job's stream: worker thread, no BQL, core lock not held. */
void lutcore_exec_job(LutcoreCore *c, LutcoreJob *job);
/* Stop / allow the running stream; any thread, core lock held. */
void lutcore_exec_abort(LutcoreCore *c);
void lutcore_exec_clear_abort(LutcoreCore *c);
/* A SIGNAL instruction asked for an interrupt (worker thread). */
void lutcore_cp_signal(LutcoreCore *c, LutcoreJob *job);

#endif /* HW_MISC_LUTCORE_H */
