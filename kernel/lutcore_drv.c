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
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"
#include "lutcore_gem.h"
#include "lutcore_job.h"
#include "lutcore_mmu.h"

static void lutcore_file_release(struct kref *kref)
{
	struct lutcore_file_priv *lfile =
		container_of(kref, struct lutcore_file_priv, refcount);

	lutcore_file_history_fini(lfile);
	lutcore_vm_put(lfile->vm);
	mutex_destroy(&lfile->submit_lock);
	kvfree(lfile);
}

/**
 * lutcore_file_put() - drop a reference to a file's state
 * @lfile: the state; the open file and each of its jobs hold one
 *
 * Process context: the last reference frees the address space.
 */
void lutcore_file_put(struct lutcore_file_priv *lfile)
{
	kref_put(&lfile->refcount, lutcore_file_release);
}

static int lutcore_open(struct drm_device *drm, struct drm_file *file)
{
	struct lutcore_device *ldev = to_lutcore_device(drm);
	struct lutcore_file_priv *lfile;
	int ret;

	/* The job history makes this a few pages: not from the slab. */
	lfile = kvzalloc(sizeof(*lfile), GFP_KERNEL);
	if (!lfile)
		return -ENOMEM;
	kref_init(&lfile->refcount);
	lfile->ldev = ldev;
	lfile->client_id = file->client_id;
	mutex_init(&lfile->submit_lock);
	spin_lock_init(&lfile->history_lock);

	lfile->vm = lutcore_vm_create(ldev, file->client_id);
	if (!lfile->vm) {
		ret = -ENOMEM;
		goto err_put;
	}
	ret = lutcore_file_entities_init(lfile);
	if (ret)
		goto err_put;
	file->driver_priv = lfile;

	return 0;

err_put:
	lutcore_file_put(lfile);
	return ret;
}

/*
 * The file's handles are closed by now (their mappings go with them,
 * unless jobs hold them). Jobs still on the device keep the file's state
 * and address space until they finish.
 */
static void lutcore_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct lutcore_file_priv *lfile = file->driver_priv;

	lutcore_file_entities_fini(lfile);
	lutcore_file_put(lfile);
	/* The fences the close dropped let go of the module now, not later. */
	lutcore_fence_wq_flush();
}

/*
 * Indexed by enum drm_lutcore_ioctl_id; a number beyond the table makes
 * drm_ioctl() fail with -EINVAL before any of our code runs. The DRM core
 * fails every ioctl with -ENODEV once the device is unplugged.
 */
static const struct drm_ioctl_desc lutcore_ioctls[] = {
	DRM_IOCTL_DEF_DRV(LUTCORE_GET_PARAM, lutcore_ioctl_get_param, 0),
	DRM_IOCTL_DEF_DRV(LUTCORE_BO_CREATE, lutcore_ioctl_bo_create, 0),
	DRM_IOCTL_DEF_DRV(LUTCORE_BO_INFO, lutcore_ioctl_bo_info, 0),
	DRM_IOCTL_DEF_DRV(LUTCORE_SUBMIT, lutcore_ioctl_submit, 0),
	DRM_IOCTL_DEF_DRV(LUTCORE_WAIT_BO, lutcore_ioctl_wait_bo, 0),
	DRM_IOCTL_DEF_DRV(LUTCORE_JOB_STATUS, lutcore_ioctl_job_status, 0),
};

DEFINE_DRM_ACCEL_FOPS(lutcore_fops);

const struct drm_driver lutcore_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE,
	.open = lutcore_open,
	.postclose = lutcore_postclose,
	.gem_create_object = lutcore_gem_create_object,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
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

static int __init lutcore_init(void)
{
	int ret;

	ret = lutcore_fence_wq_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&lutcore_pci_driver);
	if (ret)
		lutcore_fence_wq_fini();

	return ret;
}
module_init(lutcore_init);

static void __exit lutcore_exit(void)
{
	pci_unregister_driver(&lutcore_pci_driver);
	lutcore_fence_wq_fini();
}
module_exit(lutcore_exit);

MODULE_DESCRIPTION(LUTCORE_DRIVER_DESC);
MODULE_LICENSE("GPL");
