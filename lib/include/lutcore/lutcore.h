/* SPDX-License-Identifier: MIT */
/*
 * liblutcore: user-space library for the LUTCore lookup-table accelerator.
 *
 * Every function that can fail returns 0 (or a non-negative value where
 * stated) on success and a negative errno value on failure; the library
 * never prints and never exits. Objects are opaque and owned by the caller
 * once created. A struct lut_dev may be used from one thread at a time.
 *
 * Build with `pkg-config --cflags --libs lutcore`. The interface headers
 * this one builds on (the driver's uapi and the device's register map) are
 * installed next to it, so that the parameter and capability-bit names are
 * the ones the driver and the hardware use.
 */
#ifndef LUTCORE_LUTCORE_H
#define LUTCORE_LUTCORE_H

#include <stddef.h>
#include <stdint.h>

#include "lutcore_accel.h"
#include "lutcore_regs.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* Library version; lib/lutcore.pc.in carries the same number. */
#define LUT_VERSION_MAJOR 0
#define LUT_VERSION_MINOR 1
#define LUT_VERSION_PATCH 0
#define LUT_VERSION	  "0.1.0"

/* Where lut_dev_open(NULL, ...) looks (see its comment). */
#define LUT_DEV_ENV	  "LUTCORE_DEV"
#define LUT_DEV_DEFAULT	  "/dev/lutcore"
#define LUT_DEV_ACCEL_DIR "/dev/accel"

/* An open LUTCore device node; opaque. */
struct lut_dev;

/*
 * Everything the device and its driver report about themselves, as filled
 * in by lut_dev_query_caps(). Bitmask fields use the register map's bits:
 * LUTCORE_CAP_WEIGHTS_*, LUTCORE_CAP_ACT_* and LUTCORE_FEATURE_*. New fields
 * are only ever appended.
 */
struct lut_caps {
	/* Identity: the driver (from DRM_IOCTL_VERSION) and the PCI function. */
	char driver_name[32];
	char driver_desc[96];
	int driver_major;
	int driver_minor;
	int driver_patch;
	uint32_t pci_vendor_id; /* from sysfs; 0 when sysfs is not readable */
	uint32_t pci_device_id;
	uint32_t pci_revision;
	char pci_slot[32]; /* e.g. "0000:00:02.0"; empty when unknown */
	/* Register-interface version, major << 16 | minor (LUTCORE_VERSION_*). */
	uint32_t hw_version;
	/* Compute: cores, LUT array shape and the cycle model's parameters. */
	uint32_t num_cores;
	uint32_t array_m;
	uint32_t array_n;
	uint32_t array_k;
	uint32_t array_mult;
	uint32_t clock_mhz;
	uint32_t weight_formats;
	uint32_t act_types;
	/* Memory and queues. */
	uint32_t va_bits;
	uint64_t page_size;
	uint32_t pt_levels;
	uint32_t queue_depth;
	uint32_t features;
	/* The driver's limits (issue-4 uapi, driver 1.1). */
	uint64_t va_start; /* first device VA a buffer can get */
	uint64_t va_size;  /* bytes of device VA from va_start */
	uint64_t max_bo_size;
	uint32_t job_timeout_ms;
	uint32_t max_submit_bos;
	uint32_t max_submit_syncs;
	uint32_t job_history;	    /* jobs whose status JOB_STATUS keeps */
	uint32_t max_jobs_per_core; /* jobs the driver keeps on a core at once */
};

/*
 * Open a LUTCore device and store a new handle in *out. With a non-NULL
 * path exactly that node is opened. With path NULL the environment variable
 * LUTCORE_DEV, when set and non-empty, names the node instead; otherwise
 * /dev/lutcore (the udev rule's symlink) is tried first, then every
 * /dev/accel/accelN in numeric order, skipping nodes whose PCI vendor/device
 * (from sysfs) are not LUTCore's, and the first one whose driver is named
 * "lutcore" wins. The node is opened O_RDWR | O_CLOEXEC. Returns 0, or
 * -EINVAL for a NULL out, -ENOENT when the node (or, when searching, any
 * LUTCore node) does not exist, -ENODEV when the node is not a LUTCore
 * device (not a character device, not DRM, or another driver), or the
 * errno of open() such as -EACCES. When searching, an error other than
 * -ENOENT/-ENODEV on some candidate is returned in preference to -ENOENT,
 * so that a permission problem is not reported as a missing device.
 * *out is set to NULL on failure.
 */
int lut_dev_open(const char *path, struct lut_dev **out);

/*
 * Close the device and free the handle. Objects created from it later
 * (buffers, syncobjs) must be released first. NULL is accepted and ignored.
 */
void lut_dev_close(struct lut_dev *dev);

/*
 * The device's file descriptor, for poll() or raw ioctls; it stays owned
 * by the handle and must not be closed by the caller. Returns -EINVAL for
 * a NULL dev.
 */
int lut_dev_fd(const struct lut_dev *dev);

/*
 * The path the handle was opened from (as given, or as found by the
 * search); valid until lut_dev_close(). Returns NULL for a NULL dev.
 */
const char *lut_dev_path(const struct lut_dev *dev);

/*
 * Read one driver parameter (enum drm_lutcore_param) into *value with
 * DRM_IOCTL_LUTCORE_GET_PARAM. Parameter numbers are passed through
 * unchecked, so a newer driver's parameters work with an older library; an
 * unknown one fails with the driver's -EINVAL. Returns 0, -EINVAL for a
 * NULL dev or value, or the ioctl's negative errno; *value is written only
 * on success.
 */
int lut_dev_param(struct lut_dev *dev, uint32_t param, uint64_t *value);

/*
 * Fill *caps with the driver's identity and every device parameter. The
 * PCI vendor ID and slot come from sysfs and are left zero/empty when it
 * cannot be read; everything else must succeed. Returns 0, -EINVAL for a
 * NULL argument, -EOVERFLOW when a parameter does not fit its field, or the
 * first failing ioctl's negative errno; *caps is written only on success.
 */
int lut_dev_query_caps(struct lut_dev *dev, struct lut_caps *caps);

/* The capability bitmasks that lut_cap_name() and lut_cap_names() know. */
enum lut_cap_set {
	LUT_CAP_WEIGHTS,  /* lut_caps.weight_formats, LUTCORE_CAP_WEIGHTS_* */
	LUT_CAP_ACTS,	  /* lut_caps.act_types, LUTCORE_CAP_ACT_* */
	LUT_CAP_FEATURES, /* lut_caps.features, LUTCORE_FEATURE_* */
};

/*
 * The short lower-case name of bit number bit (0..31) of a capability set,
 * e.g. "4-bit" for LUT_CAP_WEIGHTS bit 4, "bf16" for LUT_CAP_ACTS bit 2,
 * "mmu" for LUT_CAP_FEATURES bit 0. Returns NULL for a bit this library
 * does not know (a newer device) or an unknown set.
 */
const char *lut_cap_name(enum lut_cap_set set, unsigned int bit);

/*
 * Write the names of the bits set in mask, lowest first, separated by sep,
 * into buf as a NUL-terminated string; bits without a name appear as
 * "bitN", and an empty mask gives "none". Like snprintf(), returns the
 * length the full string needs (excluding the NUL), so a result >= size
 * means buf was truncated; buf may be NULL when size is 0. Returns -EINVAL
 * for a NULL sep, an unknown set, or a NULL buf with a non-zero size.
 */
int lut_cap_names(enum lut_cap_set set, uint32_t mask, const char *sep, char *buf, size_t size);

#if defined(__cplusplus)
}
#endif

#endif /* LUTCORE_LUTCORE_H */
