// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: module, PCI driver, DRM driver, open files, ioctls.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"

static int lutcore_open(struct drm_device *drm, struct drm_file *file)
{
	struct lutcore_file_priv *lfile;

	lfile = kzalloc(sizeof(*lfile), GFP_KERNEL);
	if (!lfile)
		return -ENOMEM;
	lfile->ldev = to_lutcore_device(drm);
	file->driver_priv = lfile;

	return 0;
}

static void lutcore_postclose(struct drm_device *drm, struct drm_file *file)
{
	kfree(file->driver_priv);
}

/*
 * Indexed by enum drm_lutcore_ioctl_id; a number beyond the table makes
 * drm_ioctl() fail with -EINVAL before any of our code runs.
 */
static const struct drm_ioctl_desc lutcore_ioctls[] = {
	DRM_IOCTL_DEF_DRV(LUTCORE_GET_PARAM, lutcore_ioctl_get_param, 0),
};

DEFINE_DRM_ACCEL_FOPS(lutcore_fops);

const struct drm_driver lutcore_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM,
	.open = lutcore_open,
	.postclose = lutcore_postclose,
	.ioctls = lutcore_ioctls,
	.num_ioctls = ARRAY_SIZE(lutcore_ioctls),
	.fops = &lutcore_fops,
	.name = DRM_LUTCORE_DRIVER_NAME,
	.desc = LUTCORE_DRIVER_DESC,
	.major = LUTCORE_DRIVER_MAJOR,
	.minor = LUTCORE_DRIVER_MINOR,
};

static const struct pci_device_id lutcore_pci_ids[] = {
	{ PCI_DEVICE(LUTCORE_PCI_VENDOR_ID, LUTCORE_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, lutcore_pci_ids);

static struct pci_driver lutcore_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = lutcore_pci_ids,
	.probe = lutcore_device_probe,
	.remove = lutcore_device_remove,
	.shutdown = lutcore_device_shutdown,
};
module_pci_driver(lutcore_pci_driver);

MODULE_DESCRIPTION(LUTCORE_DRIVER_DESC);
MODULE_LICENSE("GPL");
