// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: PCI probe and remove, hardware bring-up, interrupts.
 *
 * Everything probe sets up is device-managed, registered in the order it
 * is set up, so an error at any step and the driver's detach both undo it
 * in reverse: hardware quiesced, interrupt handlers freed, MSI-X vectors
 * freed, BAR unmapped, PCI function disabled, DRM device reference dropped.
 */

#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "lutcore_drv.h"
#include "lutcore_job.h"
#include "lutcore_mmu.h"

static unsigned int lutcore_job_timeout_ms = 2000;
static unsigned int lutcore_max_jobs_per_core = 2;

static int lutcore_set_timeout(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 10 * 60 * 1000);
}

static const struct kernel_param_ops lutcore_timeout_ops = {
	.set = lutcore_set_timeout,
	.get = param_get_uint,
};

/* Read when a device binds: a change applies to devices bound later. */
module_param_cb(job_timeout_ms, &lutcore_timeout_ops, &lutcore_job_timeout_ms, 0644);
MODULE_PARM_DESC(job_timeout_ms, "A job running longer is hung: the device is reset (ms, 1..600000, default 2000)");

static int lutcore_set_jobs(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 256);
}

static const struct kernel_param_ops lutcore_jobs_ops = {
	.set = lutcore_set_jobs,
	.get = param_get_uint,
};

/*
 * Two jobs per core by default, like panfrost's two job slots: the core
 * starts the next job the moment one ends instead of idling through the
 * interrupt -> scheduler -> KICK turnaround. More hide it better for tiny
 * jobs, but the scheduler re-arms its timeout whenever a job reaches the
 * hardware, so a hang is detected up to this many timeouts late; 1 makes
 * the timeout measure the running job alone.
 */
module_param_cb(max_jobs_per_core, &lutcore_jobs_ops, &lutcore_max_jobs_per_core, 0644);
MODULE_PARM_DESC(max_jobs_per_core, "Jobs the driver keeps in a core's hardware queue (1..256, at most the device's queue depth, default 2)");

/*
 * A soft reset completes once aborted jobs stop touching memory, which
 * takes up to one engine step (docs/device.md, section 6); enabling is
 * immediate. Both are polled with the device's suggested bounds.
 */
#define LUTCORE_POLL_US		10
#define LUTCORE_TIMEOUT_US	1000000

static int lutcore_check_identity(struct lutcore_device *ldev)
{
	struct device *dev = ldev->drm.dev;
	u32 id, version;

	id = lutcore_read(ldev, LUTCORE_REG_ID);
	if (id != LUTCORE_ID_MAGIC) {
		dev_err(dev, "ID register reads 0x%08x, expected 0x%08x: not a LUTCore register file\n",
			id, LUTCORE_ID_MAGIC);
		return -ENODEV;
	}

	/* Minor versions only add; a new major version changes the layout. */
	version = lutcore_read(ldev, LUTCORE_REG_VERSION);
	if (LUTCORE_VERSION_MAJOR(version) !=
	    LUTCORE_VERSION_MAJOR(LUTCORE_VERSION_1_0)) {
		dev_err(dev, "register interface v%u.%u is not supported, this driver implements v%u.x\n",
			LUTCORE_VERSION_MAJOR(version),
			LUTCORE_VERSION_MINOR(version),
			LUTCORE_VERSION_MAJOR(LUTCORE_VERSION_1_0));
		return -ENODEV;
	}
	ldev->caps.hw_version = version;

	return 0;
}

static int lutcore_read_caps(struct lutcore_device *ldev)
{
	struct lutcore_caps *caps = &ldev->caps;
	struct device *dev = ldev->drm.dev;
	u32 array, va;

	array = lutcore_read(ldev, LUTCORE_REG_CAP_ARRAY);
	caps->array_m = LUTCORE_CAP_ARRAY_M(array);
	caps->array_n = LUTCORE_CAP_ARRAY_N(array);
	caps->array_k = LUTCORE_CAP_ARRAY_K(array);
	caps->num_cores = lutcore_read(ldev, LUTCORE_REG_CAP_CORES);
	caps->array_mult = lutcore_read(ldev, LUTCORE_REG_CAP_ARRAY_MULT);
	caps->clock_mhz = lutcore_read(ldev, LUTCORE_REG_CAP_CLOCK_MHZ);
	caps->weight_formats = lutcore_read(ldev, LUTCORE_REG_CAP_WEIGHTS);
	caps->act_types = lutcore_read(ldev, LUTCORE_REG_CAP_ACTS);
	va = lutcore_read(ldev, LUTCORE_REG_CAP_VA);
	caps->va_bits = LUTCORE_CAP_VA_BITS(va);
	caps->page_shift = LUTCORE_CAP_VA_PAGE_SHIFT(va);
	caps->pt_levels = LUTCORE_CAP_VA_LEVELS(va);
	caps->queue_depth = lutcore_read(ldev, LUTCORE_REG_CAP_QUEUE_DEPTH);
	caps->features = lutcore_read(ldev, LUTCORE_REG_CAP_FEATURES);

	/* Per-core arrays, IRQ bits and MSI-X vectors are sized for this. */
	if (!caps->num_cores || caps->num_cores > LUTCORE_MAX_CORES) {
		dev_err(dev, "device reports %u cores, supported are 1 to %u\n",
			caps->num_cores, LUTCORE_MAX_CORES);
		return -ENODEV;
	}
	if (!caps->array_m || !caps->array_n || !caps->array_k ||
	    !caps->array_mult || !caps->queue_depth) {
		dev_err(dev, "device reports an empty LUT array M%uN%uK%u x%u or queue depth %u\n",
			caps->array_m, caps->array_n, caps->array_k,
			caps->array_mult, caps->queue_depth);
		return -ENODEV;
	}
	/* The page-table format of the register map is the only one we build. */
	if (caps->page_shift != LUTCORE_PAGE_SHIFT ||
	    caps->pt_levels != LUTCORE_PT_LEVELS ||
	    caps->va_bits > LUTCORE_PAGE_SHIFT + LUTCORE_PT_LEVELS * LUTCORE_PT_BITS ||
	    /* Buffers start at LUTCORE_VA_START: the space must reach past it. */
	    BIT_ULL(caps->va_bits) <= LUTCORE_VA_START) {
		dev_err(dev, "unsupported address space: %u-bit VA, page shift %u, %u levels\n",
			caps->va_bits, caps->page_shift, caps->pt_levels);
		return -ENODEV;
	}

	return 0;
}

/*
 * A register file that only looks right (a stale ID in an unrelated BAR, a
 * read-only window) fails here instead of misbehaving later. Two
 * complementary patterns catch bits stuck at either level.
 */
static int lutcore_check_scratch(struct lutcore_device *ldev)
{
	static const u32 patterns[] = { 0x5a5aa5a5, 0xa5a55a5a };
	unsigned int i;
	u32 val;

	for (i = 0; i < ARRAY_SIZE(patterns); i++) {
		lutcore_write(ldev, LUTCORE_REG_SCRATCH, patterns[i]);
		val = lutcore_read(ldev, LUTCORE_REG_SCRATCH);
		if (val != patterns[i]) {
			dev_err(ldev->drm.dev, "scratch register reads 0x%08x after writing 0x%08x\n",
				val, patterns[i]);
			return -EIO;
		}
	}
	lutcore_write(ldev, LUTCORE_REG_SCRATCH, 0);

	return 0;
}

static bool lutcore_reset_done(struct lutcore_device *ldev)
{
	return !(lutcore_read(ldev, LUTCORE_REG_CTRL) & LUTCORE_CTRL_SOFT_RESET) &&
	       !(lutcore_read(ldev, LUTCORE_REG_STATUS) & LUTCORE_STATUS_RESETTING);
}

/**
 * lutcore_hw_soft_reset() - soft-reset the device and wait for it
 * @ldev: the device, registers mapped
 * @ctrl: CTRL bits to leave set (ENABLE, or 0 to stay disabled)
 *
 * Drops every queued job, aborts the running ones and returns once they
 * have stopped touching memory (docs/device.md, section 6), so their
 * buffers and page tables may be freed afterwards. Keeps IRQ_MASK and
 * DONE_SEQNO; clears IRQ_STATUS.
 *
 * Return: 0, -ENODEV if the device no longer answers (surprise removal),
 * -ETIMEDOUT if the reset does not complete.
 */
int lutcore_hw_soft_reset(struct lutcore_device *ldev, u32 ctrl)
{
	bool done;
	int ret;

	lutcore_write(ldev, LUTCORE_REG_CTRL, ctrl | LUTCORE_CTRL_SOFT_RESET);
	/* A removed PCI function reads all ones: nothing left to wait for. */
	if (lutcore_read(ldev, LUTCORE_REG_CTRL) == ~0u)
		return -ENODEV;
	ret = read_poll_timeout(lutcore_reset_done, done, done, LUTCORE_POLL_US,
				LUTCORE_TIMEOUT_US, false, ldev);
	if (ret) {
		dev_err(ldev->drm.dev, "soft reset did not complete: CTRL 0x%08x STATUS 0x%08x\n",
			lutcore_read(ldev, LUTCORE_REG_CTRL),
			lutcore_read(ldev, LUTCORE_REG_STATUS));
		return ret;
	}
	lutcore_write(ldev, LUTCORE_REG_IRQ_STATUS, LUTCORE_IRQ_ALL);

	return 0;
}

/*
 * Soft reset drops every queued and running job and leaves the device
 * disabled with interrupts masked: the state in which it neither starts
 * DMA nor raises interrupts, whatever an earlier driver instance left.
 */
static int lutcore_hw_reset(struct lutcore_device *ldev)
{
	lutcore_write(ldev, LUTCORE_REG_IRQ_MASK, 0);
	return lutcore_hw_soft_reset(ldev, 0);
}

static void lutcore_hw_disable(void *data)
{
	struct lutcore_device *ldev = data;
	unsigned int i;

	/* The reset also clears ENABLE; a failure is logged, detach goes on. */
	lutcore_hw_reset(ldev);
	/* No handler may still be running once the caller moves on. */
	for (i = 0; i < ldev->caps.num_cores; i++)
		synchronize_irq(ldev->cores[i].irq);
}

static int lutcore_hw_enable(struct lutcore_device *ldev)
{
	u32 mask = 0, status;
	unsigned int i;
	int ret;

	/* SIGNAL(c) stays masked: no uapi waits for in-stream signals. */
	for (i = 0; i < ldev->caps.num_cores; i++)
		mask |= LUTCORE_IRQ_JOB_DONE(i) | LUTCORE_IRQ_JOB_ERROR(i);
	ldev->irq_mask = mask;
	lutcore_write(ldev, LUTCORE_REG_IRQ_MASK, mask);
	lutcore_write(ldev, LUTCORE_REG_CTRL, LUTCORE_CTRL_ENABLE);

	ret = readl_poll_timeout(ldev->regs + LUTCORE_REG_STATUS, status,
				 status & LUTCORE_STATUS_ENABLED,
				 LUTCORE_POLL_US, LUTCORE_TIMEOUT_US);
	if (ret)
		dev_err(ldev->drm.dev, "device did not enable: STATUS 0x%08x\n",
			status);

	return ret;
}

static int lutcore_irq_init(struct lutcore_device *ldev)
{
	struct pci_dev *pdev = to_pci_dev(ldev->drm.dev);
	unsigned int i, n = ldev->caps.num_cores;
	struct device *dev = &pdev->dev;
	int ret;

	/* Vector n is core n; sharing one vector would serialize the cores. */
	ret = pci_alloc_irq_vectors(pdev, n, n, PCI_IRQ_MSIX);
	if (ret < 0)
		return dev_err_probe(dev, ret, "cannot allocate %u MSI-X vectors\n", n);

	for (i = 0; i < n; i++) {
		struct lutcore_core *core = &ldev->cores[i];
		const char *name;

		core->ldev = ldev;
		core->id = i;
		core->irq = pci_irq_vector(pdev, i);
		if (core->irq < 0)
			return core->irq;

		name = devm_kasprintf(dev, GFP_KERNEL, "%s-core%u",
				      KBUILD_MODNAME, i);
		if (!name)
			return -ENOMEM;
		ret = devm_request_irq(dev, core->irq, lutcore_core_irq, 0,
				       name, core);
		if (ret)
			return dev_err_probe(dev, ret, "cannot request IRQ of core %u\n", i);
	}

	return 0;
}

static int lutcore_map_regs(struct lutcore_device *ldev)
{
	struct pci_dev *pdev = to_pci_dev(ldev->drm.dev);

	if (pci_resource_len(pdev, LUTCORE_BAR_REGS) < LUTCORE_REGS_SIZE) {
		dev_err(&pdev->dev, "BAR%d is %llu bytes, expected at least %u\n",
			LUTCORE_BAR_REGS,
			(u64)pci_resource_len(pdev, LUTCORE_BAR_REGS),
			LUTCORE_REGS_SIZE);
		return -ENODEV;
	}
	ldev->regs = pcim_iomap_region(pdev, LUTCORE_BAR_REGS, KBUILD_MODNAME);
	if (IS_ERR(ldev->regs))
		return dev_err_probe(&pdev->dev, PTR_ERR(ldev->regs),
				     "cannot map BAR%d\n", LUTCORE_BAR_REGS);

	return 0;
}

/* Bring-up order matters: nothing may DMA or interrupt before it is quiet. */
static int lutcore_hw_init(struct lutcore_device *ldev)
{
	struct pci_dev *pdev = to_pci_dev(ldev->drm.dev);
	struct device *dev = &pdev->dev;
	int ret;

	ret = lutcore_map_regs(ldev);
	if (ret)
		return ret;
	ret = lutcore_check_identity(ldev);
	if (ret)
		return ret;
	ret = lutcore_read_caps(ldev);
	if (ret)
		return ret;
	ldev->credit_limit = min(READ_ONCE(lutcore_max_jobs_per_core),
				 ldev->caps.queue_depth);
	ret = lutcore_check_scratch(ldev);
	if (ret)
		return ret;
	ret = lutcore_hw_reset(ldev);
	if (ret)
		return ret;

	/* Page-table entries carry bus addresses up to the PTE address mask. */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(fls64(LUTCORE_PTE_ADDR_MASK)));
	if (ret)
		return dev_err_probe(dev, ret, "no usable DMA mask\n");
	pci_set_master(pdev);

	/* Before the interrupts: the handlers complete the schedulers' jobs. */
	ret = lutcore_sched_init_all(ldev);
	if (ret)
		return ret;

	ret = lutcore_irq_init(ldev);
	if (ret)
		return ret;

	/* Registered before enabling, so a failed enable is undone too. */
	ret = devm_add_action_or_reset(dev, lutcore_hw_disable, ldev);
	if (ret)
		return ret;

	return lutcore_hw_enable(ldev);
}

int lutcore_device_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct lutcore_device *ldev;
	struct lutcore_caps *caps;
	int ret;

	ldev = devm_drm_dev_alloc(&pdev->dev, &lutcore_drm_driver,
				  struct lutcore_device, drm);
	if (IS_ERR(ldev))
		return PTR_ERR(ldev);
	pci_set_drvdata(pdev, ldev);
	ldev->timeout_ms = READ_ONCE(lutcore_job_timeout_ms);
	ret = drmm_mutex_init(&ldev->drm, &ldev->reset_lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(&ldev->drm, &ldev->bo_lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&ldev->bo_list);

	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "cannot enable PCI device\n");

	ret = lutcore_hw_init(ldev);
	if (ret)
		return ret;

	ret = drm_dev_register(&ldev->drm, 0);
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "cannot register DRM device\n");
	lutcore_debugfs_init(ldev);

	caps = &ldev->caps;
	drm_info(&ldev->drm, "LUTCore v%u.%u, cores: %u, LUT array M%uN%uK%u x%u at %u MHz, VA bits: %u, jobs per core: %u, timeout: %u ms\n",
		 LUTCORE_VERSION_MAJOR(caps->hw_version),
		 LUTCORE_VERSION_MINOR(caps->hw_version), caps->num_cores,
		 caps->array_m, caps->array_n, caps->array_k, caps->array_mult,
		 caps->clock_mhz, caps->va_bits, ldev->credit_limit,
		 ldev->timeout_ms);

	return 0;
}

void lutcore_device_remove(struct pci_dev *pdev)
{
	struct lutcore_device *ldev = pci_get_drvdata(pdev);

	/*
	 * Unplug first: new ioctls fail with -ENODEV and running ones are
	 * waited for, so none touches the registers after this. Then stop
	 * the device's DMA, and only then fail the jobs it had (-ENODEV):
	 * failing a job may free its buffers and page tables. The devres
	 * actions of probe release the rest; the DRM device, the schedulers
	 * and every buffer live on until the last file and mapping are gone.
	 */
	drm_dev_unplug(&ldev->drm);
	lutcore_hw_disable(ldev);
	lutcore_reset_unplug(ldev);
}

/* Quiesce before kexec or power-off, so the device stops DMA into memory. */
void lutcore_device_shutdown(struct pci_dev *pdev)
{
	struct lutcore_device *ldev = pci_get_drvdata(pdev);

	lutcore_hw_disable(ldev);
}
