// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: DRM_IOCTL_LUTCORE_GET_PARAM.
 */

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/pci.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"
#include "lutcore_gem.h"
#include "lutcore_mmu.h"

/* Parameters of the driver and of the asking file, not of the device. */
static int lutcore_param_driver(struct lutcore_device *ldev,
				struct lutcore_file_priv *lfile, u32 param,
				u64 *value)
{
	switch (param) {
	case DRM_LUTCORE_PARAM_RESET_COUNT:
		*value = atomic_read(&ldev->reset_count);
		break;
	case DRM_LUTCORE_PARAM_FILE_RESET_COUNT:
		*value = atomic_read(&lfile->reset_count);
		break;
	case DRM_LUTCORE_PARAM_FILE_BANNED:
		*value = !!atomic_read(&lfile->banned);
		break;
	case DRM_LUTCORE_PARAM_VA_START:
		*value = LUTCORE_VA_START;
		break;
	case DRM_LUTCORE_PARAM_VA_SIZE:
		*value = lutcore_vm_va_end(ldev) - LUTCORE_VA_START;
		break;
	case DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS:
		*value = ldev->timeout_ms;
		break;
	case DRM_LUTCORE_PARAM_MAX_BO_SIZE:
		*value = lutcore_gem_max_size(ldev);
		break;
	case DRM_LUTCORE_PARAM_MAX_SUBMIT_BOS:
		*value = LUTCORE_MAX_SUBMIT_BOS;
		break;
	case DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS:
		*value = LUTCORE_MAX_SUBMIT_SYNCS;
		break;
	case DRM_LUTCORE_PARAM_JOB_HISTORY:
		*value = LUTCORE_JOB_HISTORY;
		break;
	case DRM_LUTCORE_PARAM_MAX_JOBS_PER_CORE:
		*value = ldev->credit_limit;
		break;
	default:
		return -EINVAL;
	}

	return 0;
}

/*
 * The cores' modeled cycles. Reading CYCLES_LO latches the high half for
 * the next CYCLES_HI read, so each pair is read under the core's lock.
 */
static u64 lutcore_param_cycles(struct lutcore_device *ldev)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < ldev->caps.num_cores; i++) {
		struct lutcore_core *core = &ldev->cores[i];
		unsigned long flags;
		u32 lo, hi;

		spin_lock_irqsave(&core->lock, flags);
		lo = lutcore_core_read(core, LUTCORE_CORE_CYCLES_LO);
		hi = lutcore_core_read(core, LUTCORE_CORE_CYCLES_HI);
		spin_unlock_irqrestore(&core->lock, flags);
		sum += (u64)hi << 32 | lo;
	}

	return sum;
}

static int lutcore_param_value(struct lutcore_device *ldev,
			       struct lutcore_file_priv *lfile, u32 param,
			       u64 *value)
{
	const struct lutcore_caps *caps = &ldev->caps;
	struct pci_dev *pdev = to_pci_dev(ldev->drm.dev);

	switch (param) {
	case DRM_LUTCORE_PARAM_PCI_DEVICE_ID:
		*value = pdev->device;
		break;
	case DRM_LUTCORE_PARAM_PCI_REVISION:
		*value = pdev->revision;
		break;
	case DRM_LUTCORE_PARAM_HW_VERSION:
		*value = caps->hw_version;
		break;
	case DRM_LUTCORE_PARAM_NUM_CORES:
		*value = caps->num_cores;
		break;
	case DRM_LUTCORE_PARAM_ARRAY_M:
		*value = caps->array_m;
		break;
	case DRM_LUTCORE_PARAM_ARRAY_N:
		*value = caps->array_n;
		break;
	case DRM_LUTCORE_PARAM_ARRAY_K:
		*value = caps->array_k;
		break;
	case DRM_LUTCORE_PARAM_ARRAY_MULT:
		*value = caps->array_mult;
		break;
	case DRM_LUTCORE_PARAM_CLOCK_MHZ:
		*value = caps->clock_mhz;
		break;
	case DRM_LUTCORE_PARAM_WEIGHT_FORMATS:
		*value = caps->weight_formats;
		break;
	case DRM_LUTCORE_PARAM_ACT_TYPES:
		*value = caps->act_types;
		break;
	case DRM_LUTCORE_PARAM_VA_BITS:
		*value = caps->va_bits;
		break;
	case DRM_LUTCORE_PARAM_PAGE_SIZE:
		*value = BIT_ULL(caps->page_shift);
		break;
	case DRM_LUTCORE_PARAM_QUEUE_DEPTH:
		*value = caps->queue_depth;
		break;
	case DRM_LUTCORE_PARAM_FEATURES:
		*value = caps->features;
		break;
	case DRM_LUTCORE_PARAM_PT_LEVELS:
		*value = caps->pt_levels;
		break;
	case DRM_LUTCORE_PARAM_CYCLES:
		*value = lutcore_param_cycles(ldev);
		break;
	default:
		return lutcore_param_driver(ldev, lfile, param, value);
	}

	return 0;
}

int lutcore_ioctl_get_param(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct drm_lutcore_get_param *args = data;
	u64 value;
	int idx, ret;

	if (args->pad) {
		drm_dbg(drm, "GET_PARAM: non-zero padding\n");
		return -EINVAL;
	}

	/*
	 * Most values are cached, but once the device is unplugged no ioctl
	 * may succeed (drm-uapi.rst, hot-unplug), and CYCLES reads the
	 * registers.
	 */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = lutcore_param_value(to_lutcore_device(drm), file->driver_priv,
				  args->param, &value);
	drm_dev_exit(idx);
	if (ret)
		return ret;

	/* drm_ioctl() copies the struct back even on error: leave it as given. */
	args->value = value;

	return 0;
}
