/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LUTCore accel driver: device, core and file state shared by all files.
 *
 * Locking, outermost first (each lock protects what its kernel-doc says):
 *
 *   lutcore_device.reset_lock     serializes recoveries, debugfs reset, unplug
 *   lutcore_bo.mappings_lock      a buffer's per-file mappings (held while
 *                                 a new mapping pins the pages, which takes
 *                                 the buffer's dma_resv)
 *   dma_resv (ww)                 the buffers of one submission
 *   lutcore_file_priv.submit_lock arm + push order of one file's jobs
 *   lutcore_vm.lock               an address space's VA allocator, page tables
 *   lutcore_core.lock (irqsave)   a core's hardware queue and KICK registers
 *   lutcore_file_priv.history_lock, lutcore_vm.hw_lock (irqsave, leaves)
 *
 * No lock is held while waiting for a fence, except reset_lock.
 */

#ifndef __LUTCORE_DRV_H__
#define __LUTCORE_DRV_H__

#include <linux/io.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <drm/drm_device.h>
#include <drm/gpu_scheduler.h>

#include "lutcore_compat.h"
#include "lutcore_regs.h"

struct dma_fence;
struct drm_file;
struct pci_dev;
struct pci_device_id;
struct workqueue_struct;
struct lutcore_vm;

#define LUTCORE_DRIVER_DESC	"LUTCore lookup-table accelerator"
#define LUTCORE_DRIVER_MAJOR	1
#define LUTCORE_DRIVER_MINOR	2

/* Jobs per file that JOB_STATUS can report on (a power of two). */
#define LUTCORE_JOB_HISTORY	256
/* Caps on SUBMIT's arrays: bound the kernel memory one call can pin. */
#define LUTCORE_MAX_SUBMIT_BOS		4096
#define LUTCORE_MAX_SUBMIT_SYNCS	64

/**
 * struct lutcore_caps - what the device reported when the driver bound
 *
 * Read once at probe and never again: capabilities are fixed by the
 * device's configuration, and caching them lets GET_PARAM answer without
 * touching the hardware.
 */
struct lutcore_caps {
	/** @hw_version: LUTCORE_REG_VERSION, major << 16 | minor */
	u32 hw_version;
	/** @num_cores: cores present, 1 to %LUTCORE_MAX_CORES */
	u32 num_cores;
	/** @array_m: LUT array rows */
	u32 array_m;
	/** @array_n: LUT array columns */
	u32 array_n;
	/** @array_k: reduction depth per step */
	u32 array_k;
	/** @array_mult: array multiplier of the cycle model */
	u32 array_mult;
	/** @clock_mhz: modeled array clock */
	u32 clock_mhz;
	/** @weight_formats: LUTCORE_CAP_WEIGHTS_* bits */
	u32 weight_formats;
	/** @act_types: LUTCORE_CAP_ACT_* bits */
	u32 act_types;
	/** @va_bits: width of a device virtual address */
	u32 va_bits;
	/** @page_shift: log2 of the device MMU page size */
	u32 page_shift;
	/** @pt_levels: page-table levels */
	u32 pt_levels;
	/** @queue_depth: jobs each core's queue holds */
	u32 queue_depth;
	/** @features: LUTCORE_FEATURE_* bits */
	u32 features;
};

/**
 * struct lutcore_core - one command processor
 *
 * Each core has its own register block, MSI-X vector, hardware queue and
 * DRM scheduler, so cores never share a lock on the submission or the
 * completion path.
 */
struct lutcore_core {
	/** @ldev: the device this core belongs to */
	struct lutcore_device *ldev;
	/** @id: core number: MSI-X vector and IRQ_STATUS bit position */
	unsigned int id;
	/** @irq: Linux interrupt number of the core's MSI-X vector */
	int irq;
	/** @name: scheduler and fence timeline name */
	char name[16];
	/** @sched: feeds this core's hardware queue */
	struct drm_gpu_scheduler sched;
	/** @sched_ready: @sched was initialized (for the teardown) */
	bool sched_ready;
	/**
	 * @lock: protects @inflight, @emit_seqno and the job registers from
	 * the write of PT_BASE to the KICK; taken in the IRQ handler
	 */
	spinlock_t lock;
	/**
	 * @inflight: jobs kicked to the core and not yet retired, in KICK
	 * order (hence in seqno order)
	 */
	struct list_head inflight;
	/** @emit_seqno: seqno of the last hardware fence created on @fence_context */
	u64 emit_seqno;
	/** @fence_context: timeline of the hardware fences, signalled in order */
	u64 fence_context;
	/**
	 * @error_context: timeline of fences that are born signalled (jobs
	 * cancelled instead of run); separate so @fence_context stays ordered
	 */
	u64 error_context;
	/** @error_seqno: last seqno on @error_context, under @fence_lock */
	u64 error_seqno;
	/** @fence_lock: the lock of every fence of this core */
	spinlock_t fence_lock;
};

/**
 * struct lutcore_device - one LUTCore PCI function
 *
 * Allocated with devm_drm_dev_alloc(), so it lives as long as the DRM
 * device: past the PCI remove while files are still open. Only @drm, the
 * cached fields and the software state may be used after unplug; @regs
 * needs drm_dev_enter() (or the remove path itself).
 */
struct lutcore_device {
	/** @drm: the DRM device, registered as an accel node */
	struct drm_device drm;
	/** @regs: BAR0, the device registers */
	void __iomem *regs;
	/** @caps: capabilities read at probe */
	struct lutcore_caps caps;
	/** @cores: the first @caps.num_cores entries are in use */
	struct lutcore_core cores[LUTCORE_MAX_CORES];
	/** @scheds: every core's scheduler, the list of the "any core" entities */
	struct drm_gpu_scheduler *scheds[LUTCORE_MAX_CORES];
	/** @irq_mask: the IRQ_MASK the driver runs with */
	u32 irq_mask;
	/** @timeout_ms: job timeout, the module parameter at probe */
	u32 timeout_ms;
	/** @credit_limit: jobs each scheduler keeps in its core's queue */
	u32 credit_limit;
	/**
	 * @reset_wq: ordered; runs every scheduler's timeout handler and the
	 * debugfs reset, so at most one recovery runs at a time
	 */
	struct workqueue_struct *reset_wq;
	/** @reset_lock: serializes recoveries with the unplug teardown */
	struct mutex reset_lock;
	/** @reset_count: device resets since probe */
	atomic_t reset_count;
	/** @unplugged: the remove path has failed every job; under @reset_lock */
	bool unplugged;
	/** @bo_lock: protects @bo_list */
	struct mutex bo_lock;
	/** @bo_list: every buffer object of the device, for debugfs */
	struct list_head bo_list;
	/** @fail_bo_alloc: debugfs fault injection: BO_CREATEs left to fail */
	atomic_t fail_bo_alloc;
	/**
	 * @free_delay_ms: debugfs fault injection: how long the scheduler's
	 * free_job sleeps first, so tests can close files before a finished
	 * job is freed
	 */
	u32 free_delay_ms;
	/**
	 * @submit_delay_ms: debugfs fault injection: how long SUBMIT sleeps
	 * after handing the job to the scheduler, so tests can let the job
	 * finish and be freed before the ioctl returns
	 */
	u32 submit_delay_ms;
};

/* Test-only debugfs delays are bounded, so no value wedges a core. */
#define LUTCORE_TEST_DELAY_MAX_MS 5000

/**
 * struct lutcore_job_record - what JOB_STATUS reports about one job
 *
 * Slot id % %LUTCORE_JOB_HISTORY of a file's history. The finished fence
 * gives state and error exactly as syncobj waiters see them; the device's
 * error report is filled in by the interrupt handler before the fence
 * signals.
 */
struct lutcore_job_record {
	/** @id: the job's id, 0 for an unused slot */
	u64 id;
	/** @fence: reference to the job's finished fence */
	struct dma_fence *fence;
	/** @fault_addr: FAULT_ADDR of the job's device error */
	u64 fault_addr;
	/** @hw_error: the job's LUTCORE_ERR_*, 0 if none */
	u32 hw_error;
	/** @fault_offset: FAULT_OFFSET of the job's device error */
	u32 fault_offset;
};

/**
 * struct lutcore_file_priv - per-open-file state
 *
 * A file is the unit of isolation (its own device address space) and of
 * reset accounting. Reference counted: jobs still on the device keep it,
 * and with it the page tables they run on, after the file is closed.
 */
struct lutcore_file_priv {
	/** @refcount: the open file and each job of it */
	struct kref refcount;
	/** @ldev: the device the file was opened on */
	struct lutcore_device *ldev;
	/** @vm: the file's device address space */
	struct lutcore_vm *vm;
	/** @client_id: the DRM file's client id, for debugfs */
	u64 client_id;
	/**
	 * @entities: one per core, then one for any core; destroyed at
	 * postclose, while the file priv may live on
	 */
	struct drm_sched_entity entities[LUTCORE_MAX_CORES + 1];
	/** @num_entities: initialized entries of @entities */
	unsigned int num_entities;
	/**
	 * @banned: non-zero once a job of the file hung the device; the
	 * entities' guilty flag, so their queued jobs are cancelled
	 */
	atomic_t banned;
	/** @reset_count: device resets the file's jobs caused */
	atomic_t reset_count;
	/** @submit_lock: keeps job arm and push in one order per file */
	struct mutex submit_lock;
	/** @history_lock: protects @last_job_id and @history */
	spinlock_t history_lock;
	/** @last_job_id: id of the file's last submitted job */
	u64 last_job_id;
	/** @history: the last %LUTCORE_JOB_HISTORY jobs */
	struct lutcore_job_record history[LUTCORE_JOB_HISTORY];
};

static inline struct lutcore_device *to_lutcore_device(struct drm_device *drm)
{
	return container_of(drm, struct lutcore_device, drm);
}

static inline u32 lutcore_read(struct lutcore_device *ldev, u32 reg)
{
	return readl(ldev->regs + reg);
}

static inline void lutcore_write(struct lutcore_device *ldev, u32 reg, u32 val)
{
	writel(val, ldev->regs + reg);
}

static inline u32 lutcore_core_read(struct lutcore_core *core, u32 reg)
{
	return lutcore_read(core->ldev, LUTCORE_CORE_BASE(core->id) + reg);
}

static inline void lutcore_core_write(struct lutcore_core *core, u32 reg,
				      u32 val)
{
	lutcore_write(core->ldev, LUTCORE_CORE_BASE(core->id) + reg, val);
}

extern const struct drm_driver lutcore_drm_driver;

/* lutcore_drv.c */
void lutcore_file_put(struct lutcore_file_priv *lfile);

/* lutcore_device.c */
int lutcore_device_probe(struct pci_dev *pdev, const struct pci_device_id *id);
void lutcore_device_remove(struct pci_dev *pdev);
void lutcore_device_shutdown(struct pci_dev *pdev);
int lutcore_hw_soft_reset(struct lutcore_device *ldev, u32 ctrl);

/* lutcore_params.c */
int lutcore_ioctl_get_param(struct drm_device *drm, void *data,
			    struct drm_file *file);

/* lutcore_debugfs.c */
void lutcore_debugfs_init(struct lutcore_device *ldev);

#endif /* __LUTCORE_DRV_H__ */
