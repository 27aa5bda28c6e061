// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: debugfs, for debugging and for the tests.
 *
 * /sys/kernel/debug/accel/<PCI address>/: "bos", "jobs" and "regs" show
 * state; writing "reset" resets the device, "inject_hang" makes the next
 * job hang (test devices only), "fail_bo_alloc" N fails the next N
 * BO_CREATEs, "free_delay_ms" N makes freeing each finished job wait N ms,
 * at most 5 s (so that a test can close its files first), "submit_delay_ms"
 * N makes SUBMIT sleep N ms (at most 5 s) after queueing its job, so that
 * the job can finish and be freed before the ioctl returns. accel minors get no
 * drm_driver.debugfs_init call, so the files are made at probe in the
 * device's debugfs directory, which the DRM core removes (waiting for
 * running handlers) at unplug.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <drm/drm_drv.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"
#include "lutcore_gem.h"
#include "lutcore_job.h"

static int lutcore_bos_show(struct seq_file *m, void *unused)
{
	struct lutcore_device *ldev = m->private;
	struct lutcore_bo *bo;

	seq_puts(m, "size flags imported: [client va]...\n");
	mutex_lock(&ldev->bo_lock);
	list_for_each_entry(bo, &ldev->bo_list, dev_link) {
		struct drm_gem_object *obj = &bo->base.base;
		struct lutcore_mapping *mapping;

		seq_printf(m, "%zu 0x%x %d:", obj->size, bo->flags,
			   !!obj->import_attach);
		mutex_lock(&bo->mappings_lock);
		list_for_each_entry(mapping, &bo->mappings, bo_link)
			seq_printf(m, " [%llu 0x%llx]", mapping->vm->client_id,
				   mapping->node.start);
		mutex_unlock(&bo->mappings_lock);
		seq_putc(m, '\n');
	}
	mutex_unlock(&ldev->bo_lock);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lutcore_bos);

static int lutcore_jobs_show(struct seq_file *m, void *unused)
{
	struct lutcore_device *ldev = m->private;
	unsigned int i;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		struct lutcore_core *core = &ldev->cores[i];
		struct lutcore_job *job;
		unsigned long flags;

		seq_printf(m, "core %u: emitted seqno %llu, scheduler credits %d/%u\n",
			   i, core->emit_seqno,
			   atomic_read(&core->sched.credit_count),
			   core->sched.credit_limit);
		spin_lock_irqsave(&core->lock, flags);
		list_for_each_entry(job, &core->inflight, hw_link)
			seq_printf(m, "  client %llu job %llu seqno %u stream 0x%llx+%u\n",
				   job->lfile->client_id, job->id, job->seqno,
				   job->cmd_addr, job->cmd_size);
		spin_unlock_irqrestore(&core->lock, flags);
	}

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lutcore_jobs);

struct lutcore_reg_name {
	u32 reg;
	const char *name;
};

#define LUTCORE_REG(r) { LUTCORE_REG_##r, #r }
#define LUTCORE_CORE_REG(r) { LUTCORE_CORE_##r, #r }

static const struct lutcore_reg_name lutcore_global_regs[] = {
	LUTCORE_REG(ID), LUTCORE_REG(VERSION), LUTCORE_REG(CAP_FEATURES),
	LUTCORE_REG(CTRL), LUTCORE_REG(STATUS), LUTCORE_REG(IRQ_STATUS),
	LUTCORE_REG(IRQ_MASK), LUTCORE_REG(DEBUG),
};

/* Counters in LO, HI order: reading LO latches HI. */
static const struct lutcore_reg_name lutcore_core_regs[] = {
	LUTCORE_CORE_REG(PT_BASE_LO), LUTCORE_CORE_REG(PT_BASE_HI),
	LUTCORE_CORE_REG(CMD_ADDR_LO), LUTCORE_CORE_REG(CMD_ADDR_HI),
	LUTCORE_CORE_REG(CMD_SIZE), LUTCORE_CORE_REG(SEQNO),
	LUTCORE_CORE_REG(DONE_SEQNO), LUTCORE_CORE_REG(ERROR),
	LUTCORE_CORE_REG(ERROR_SEQNO), LUTCORE_CORE_REG(FAULT_ADDR_LO),
	LUTCORE_CORE_REG(FAULT_ADDR_HI), LUTCORE_CORE_REG(FAULT_OFFSET),
	LUTCORE_CORE_REG(QUEUED), LUTCORE_CORE_REG(JOBS_LO),
	LUTCORE_CORE_REG(JOBS_HI), LUTCORE_CORE_REG(CYCLES_LO),
	LUTCORE_CORE_REG(CYCLES_HI), LUTCORE_CORE_REG(BYTES_READ_LO),
	LUTCORE_CORE_REG(BYTES_READ_HI),
};

static int lutcore_regs_show(struct seq_file *m, void *unused)
{
	struct lutcore_device *ldev = m->private;
	unsigned int i, r;
	int idx;

	if (!drm_dev_enter(&ldev->drm, &idx))
		return -ENODEV;
	for (r = 0; r < ARRAY_SIZE(lutcore_global_regs); r++)
		seq_printf(m, "%-16s 0x%08x\n", lutcore_global_regs[r].name,
			   lutcore_read(ldev, lutcore_global_regs[r].reg));
	for (i = 0; i < ldev->caps.num_cores; i++) {
		struct lutcore_core *core = &ldev->cores[i];
		u32 val[ARRAY_SIZE(lutcore_core_regs)];
		unsigned long flags;

		/* A counter's LO read latches its HI half: as GET_PARAM does. */
		spin_lock_irqsave(&core->lock, flags);
		for (r = 0; r < ARRAY_SIZE(lutcore_core_regs); r++)
			val[r] = lutcore_core_read(core, lutcore_core_regs[r].reg);
		spin_unlock_irqrestore(&core->lock, flags);
		seq_printf(m, "core %u:\n", i);
		for (r = 0; r < ARRAY_SIZE(lutcore_core_regs); r++)
			seq_printf(m, "  %-14s 0x%08x\n", lutcore_core_regs[r].name,
				   val[r]);
	}
	drm_dev_exit(idx);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lutcore_regs);

static ssize_t lutcore_reset_write(struct file *f, const char __user *buf,
				   size_t len, loff_t *pos)
{
	struct lutcore_device *ldev = file_inode(f)->i_private;
	int ret;

	ret = lutcore_reset_manual(ldev);

	return ret ? ret : len;
}

static const struct file_operations lutcore_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = lutcore_reset_write,
};

static ssize_t lutcore_inject_hang_write(struct file *f, const char __user *buf,
					 size_t len, loff_t *pos)
{
	struct lutcore_device *ldev = file_inode(f)->i_private;
	int idx;

	if (!(ldev->caps.features & LUTCORE_FEATURE_DEBUG_HANG))
		return -EOPNOTSUPP;
	if (!drm_dev_enter(&ldev->drm, &idx))
		return -ENODEV;
	lutcore_write(ldev, LUTCORE_REG_DEBUG, LUTCORE_DEBUG_HANG_NEXT_JOB);
	drm_dev_exit(idx);

	return len;
}

static const struct file_operations lutcore_inject_hang_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = lutcore_inject_hang_write,
};

/**
 * lutcore_debugfs_init() - create the device's debugfs files
 * @ldev: the registered device
 */
void lutcore_debugfs_init(struct lutcore_device *ldev)
{
	struct dentry *root = ldev->drm.debugfs_root;

	debugfs_create_file("bos", 0400, root, ldev, &lutcore_bos_fops);
	debugfs_create_file("jobs", 0400, root, ldev, &lutcore_jobs_fops);
	debugfs_create_file("regs", 0400, root, ldev, &lutcore_regs_fops);
	debugfs_create_file("reset", 0200, root, ldev, &lutcore_reset_fops);
	debugfs_create_file("inject_hang", 0200, root, ldev,
			    &lutcore_inject_hang_fops);
	debugfs_create_atomic_t("fail_bo_alloc", 0600, root,
				&ldev->fail_bo_alloc);
	debugfs_create_u32("free_delay_ms", 0600, root, &ldev->free_delay_ms);
	debugfs_create_u32("submit_delay_ms", 0600, root, &ldev->submit_delay_ms);
}
