/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LUTCore accel driver: device, core and file state shared by all files.
 */

#ifndef __LUTCORE_DRV_H__
#define __LUTCORE_DRV_H__

#include <linux/io.h>
#include <linux/types.h>
#include <drm/drm_device.h>

#include "lutcore_compat.h"
#include "lutcore_regs.h"

struct drm_file;
struct pci_dev;
struct pci_device_id;

#define LUTCORE_DRIVER_DESC	"LUTCore lookup-table accelerator"
#define LUTCORE_DRIVER_MAJOR	1
#define LUTCORE_DRIVER_MINOR	0

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
 * Each core has its own register block, its own MSI-X vector and its own
 * job queue; the job scheduler and completion state of each core will live
 * here, so that cores never share a lock on the submission path.
 */
struct lutcore_core {
	/** @ldev: the device this core belongs to */
	struct lutcore_device *ldev;
	/** @id: core number: MSI-X vector and IRQ_STATUS bit position */
	unsigned int id;
	/** @irq: Linux interrupt number of the core's MSI-X vector */
	int irq;
};

/**
 * struct lutcore_device - one LUTCore PCI function
 *
 * Allocated with devm_drm_dev_alloc(), so it lives as long as the DRM
 * device: past the PCI remove while files are still open. Only @drm and
 * the cached fields may be used after unplug; @regs needs drm_dev_enter().
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
};

/**
 * struct lutcore_file_priv - per-open-file state
 *
 * Every open file will get its own device address space here; a file is
 * the unit of isolation and of reset accounting.
 */
struct lutcore_file_priv {
	/** @ldev: the device the file was opened on */
	struct lutcore_device *ldev;
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

extern const struct drm_driver lutcore_drm_driver;

/* lutcore_device.c */
int lutcore_device_probe(struct pci_dev *pdev, const struct pci_device_id *id);
void lutcore_device_remove(struct pci_dev *pdev);
void lutcore_device_shutdown(struct pci_dev *pdev);

/* lutcore_params.c */
int lutcore_ioctl_get_param(struct drm_device *drm, void *data,
			    struct drm_file *file);

#endif /* __LUTCORE_DRV_H__ */
