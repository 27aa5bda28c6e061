/* SPDX-License-Identifier: MIT */
/*
 * liblutcore internals shared between the library's source files (and the
 * host tests); not installed. The public header keeps struct lut_dev opaque
 * so that fields can be added here without breaking programs.
 */
#ifndef LUTCORE_DEVICE_PRIV_H
#define LUTCORE_DEVICE_PRIV_H

#include <string.h>
#include <sys/types.h>

#include "lutcore/lutcore.h"

struct lut_dev {
	int fd;
	char *path;
	dev_t rdev; /* finds the node's sysfs directory */
	/* The driver's DRM_IOCTL_VERSION answer, checked at open. */
	int drv_major;
	int drv_minor;
	int drv_patch;
	char drv_name[32];
	char drv_desc[96];
	/* Live buffer objects (bo.c), so that a re-import finds its object. */
	struct lut_bo *bos;
	/* The timeline syncobj lut_submit() signals (submit.c); 0 = none yet. */
	uint32_t timeline;
	uint64_t timeline_point;
};

/*
 * The search behind lut_dev_open(NULL, ...): try link (may be NULL), then
 * accel_dir/accel* in numeric order. Separate so that tests can point it at
 * a directory of their own.
 */
int lut_dev_search(const char *link, const char *accel_dir, struct lut_dev **out);

/*
 * The sysfs directory of the PCI device behind character device rdev, with
 * /attr appended when attr is not NULL. -ENAMETOOLONG if it does not fit.
 */
int lut_dev_sysfs_path(dev_t rdev, const char *attr, char *buf, size_t size);

/* Read a numeric sysfs attribute ("0x1af4") of that PCI device. */
int lut_dev_sysfs_u32(dev_t rdev, const char *attr, uint32_t *val);

/* Copy a string into a fixed-size field, truncating; size must be > 0. */
static inline void lut_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

#endif /* LUTCORE_DEVICE_PRIV_H */
