/*
 * LUTCore PCIe device: run jobs on the LUT engine.
 *
 * Each core owns one engine (engine/lut_engine.h). A job's stream and all
 * its operands are device VAs; the engine reaches them only through the
 * memory accessor below, which translates with the core's MMU and maps
 * guest RAM in place, one mapping per physically contiguous run. Runs on
 * the core's worker thread without the BQL.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "lutcore.h"
#include "lut_engine.h"
#include "trace.h"

/* What the accessor callbacks need: the core and the job they serve. */
typedef struct LutcoreExec {
    LutcoreCore *core;
    LutcoreJob *job;
} LutcoreExec;

static DMADirection lutcore_exec_dir(enum lut_access acc)
{
    return acc == LUT_READ ? DMA_DIRECTION_TO_DEVICE
                           : DMA_DIRECTION_FROM_DEVICE;
}

static int lutcore_exec_map(void *opaque, uint64_t va, uint64_t len,
                            enum lut_access acc, void **host,
                            uint64_t *host_len, uint64_t *fault_va)
{
    LutcoreExec *x = opaque;
    LutcoreMmu *m = &x->core->mmu;
    LutcoreMmuFault fault;
    uint64_t bus;
    dma_addr_t run;
    void *p;

    run = lutcore_mmu_run(m, va, len, acc != LUT_READ, &bus, &fault);
    if (!run) {
        *fault_va = fault.va;
        return fault.error;
    }
    /*
     * Only guest RAM, mapped in place: anything else would go through
     * QEMU's bounce buffer (under the BQL, written back whole) and is a
     * bus error. A RAM run is never extended into another region.
     */
    p = lutcore_mmu_is_ram(m->pdev, bus, acc != LUT_READ) ?
        pci_dma_map(m->pdev, bus, &run, lutcore_exec_dir(acc)) : NULL;
    if (!p) {
        *fault_va = va;
        return LUTCORE_ERR_BUS;
    }
    trace_lutcore_mmu_map(va, bus, run, acc != LUT_READ);
    *host = p;
    *host_len = run;
    return LUTCORE_ERR_NONE;
}

static void lutcore_exec_unmap(void *opaque, void *host, uint64_t host_len,
                               enum lut_access acc, uint64_t written)
{
    LutcoreExec *x = opaque;

    pci_dma_unmap(x->core->mmu.pdev, host, host_len, lutcore_exec_dir(acc),
                  written);
}

static void lutcore_exec_signal(void *opaque, uint64_t va, uint64_t value,
                                uint32_t flags)
{
    LutcoreExec *x = opaque;

    if (flags & LUTC_SIG_IRQ) {
        lutcore_cp_signal(x->core, x->job);
    }
}

static const struct lut_mem_ops lutcore_exec_mem_ops = {
    .map = lutcore_exec_map,
    .unmap = lutcore_exec_unmap,
    .signal = lutcore_exec_signal,
};

void lutcore_exec_job(LutcoreCore *c, LutcoreJob *job)
{
    LutcoreExec x = { .core = c, .job = job };
    struct lut_mem mem = { .ops = &lutcore_exec_mem_ops, .opaque = &x };
    struct lut_exec_result res = { 0 };

    trace_lutcore_job_start(c->index, job->seqno);
    lutcore_mmu_start(&c->mmu, job->pt_base);
    if (job->pt_base & (LUTCORE_PAGE_SIZE - 1)) {
        res.error = LUTCORE_ERR_BAD_STREAM;
        res.fault_va = job->cmd_addr;
    } else {
        lut_engine_run(c->engine, &mem, job->cmd_addr, job->cmd_size, &res);
    }

    job->error = res.error;
    job->fault_addr = res.error ? res.fault_va : 0;
    job->fault_offset = res.error ? res.fault_offset : 0;
    job->cycles = res.cycles;
    job->bytes_read = res.bytes_read;
    if (job->error) {
        trace_lutcore_job_fault(c->index, job->seqno, job->error,
                                job->fault_addr, job->fault_offset);
    }
    trace_lutcore_job_end(c->index, job->seqno, job->error, job->cycles,
                          job->bytes_read);
}

void lutcore_exec_abort(LutcoreCore *c)
{
    if (c->engine) {
        lut_engine_abort(c->engine);
    }
}

void lutcore_exec_clear_abort(LutcoreCore *c)
{
    if (c->engine) {
        lut_engine_clear_abort(c->engine);
    }
}

static void lutcore_exec_config(LutcoreState *s, struct lut_engine_config *cfg)
{
    lut_engine_config_default(cfg);
    cfg->array_m = s->array_m;
    cfg->array_n = s->array_n;
    cfg->array_k = s->array_k;
    cfg->array_mult = s->array_mult;
    cfg->cores = s->num_cores;
    cfg->clock_mhz = s->clock_mhz;
    cfg->threads = s->engine_threads;
}

bool lutcore_exec_init(LutcoreState *s, Error **errp)
{
    struct lut_engine_config cfg;
    sigset_t all, old;
    unsigned i;
    int ret = 0;

    if (s->engine_threads < 1 || s->engine_threads > LUT_ENGINE_MAX_THREADS) {
        error_setg(errp, "engine-threads must be 1..%d",
                   LUT_ENGINE_MAX_THREADS);
        return false;
    }
    lutcore_exec_config(s, &cfg);
    /* Engine helper threads must not take QEMU's signals, as QemuThreads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (i = 0; i < s->num_cores && !ret; i++) {
        ret = lut_engine_init(&s->core[i].engine, &cfg);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ret) {
        error_setg_errno(errp, -ret, "cannot create the LUT engine");
        lutcore_exec_fini(s);
        return false;
    }
    return true;
}

void lutcore_exec_fini(LutcoreState *s)
{
    unsigned i;

    for (i = 0; i < s->num_cores; i++) {
        if (s->core[i].engine) {
            lut_engine_fini(s->core[i].engine);
            s->core[i].engine = NULL;
        }
    }
}
