/* SPDX-License-Identifier: MIT */
/*
 * LUTCore accel driver: user-space ABI.
 *
 * The one definition of the ioctl interface, included by the kernel module,
 * liblutcore and the tests. Rules (Documentation/process/botching-up-ioctls.rst):
 * fixed-width types only, every struct a multiple of 8 bytes with explicit
 * padding, padding and reserved fields must be zero, unknown flags are
 * rejected, and the ioctl list below is append-only.
 *
 * The device node is /dev/accel/accelN; the udev rule the project ships
 * (kernel/udev/70-lutcore.rules) links /dev/lutcore to it. DRM_IOCTL_VERSION
 * on the node reports %DRM_LUTCORE_DRIVER_NAME.
 */
#ifndef _UAPI_LUTCORE_ACCEL_H_
#define _UAPI_LUTCORE_ACCEL_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* The name DRM_IOCTL_VERSION returns, used to find the device's node. */
#define DRM_LUTCORE_DRIVER_NAME		"lutcore"

/**
 * enum drm_lutcore_ioctl_id - ioctl numbers, relative to DRM_COMMAND_BASE
 *
 * Append only: never reorder or remove an entry. A number the driver does
 * not know fails with -EINVAL (the DRM core's answer for a driver ioctl
 * beyond the table).
 */
enum drm_lutcore_ioctl_id {
	/** @DRM_LUTCORE_GET_PARAM: query one device parameter */
	DRM_LUTCORE_GET_PARAM = 0,
};

/**
 * enum drm_lutcore_param - parameters readable with %DRM_IOCTL_LUTCORE_GET_PARAM
 *
 * Append only. Every capability the device reports is a parameter. Values
 * come from the device's identity and capability registers, read once when
 * the driver binds, so they are constant for the life of an open file.
 */
enum drm_lutcore_param {
	/** @DRM_LUTCORE_PARAM_PCI_DEVICE_ID: PCI device ID of the function */
	DRM_LUTCORE_PARAM_PCI_DEVICE_ID = 0,
	/** @DRM_LUTCORE_PARAM_PCI_REVISION: PCI revision ID of the function */
	DRM_LUTCORE_PARAM_PCI_REVISION = 1,
	/**
	 * @DRM_LUTCORE_PARAM_HW_VERSION: version of the device's register
	 * interface, major << 16 | minor. The driver binds only to the major
	 * version it implements; minor versions add features.
	 */
	DRM_LUTCORE_PARAM_HW_VERSION = 2,
	/** @DRM_LUTCORE_PARAM_NUM_CORES: number of cores (command processors) */
	DRM_LUTCORE_PARAM_NUM_CORES = 3,
	/** @DRM_LUTCORE_PARAM_ARRAY_M: LUT array rows (activation rows per step) */
	DRM_LUTCORE_PARAM_ARRAY_M = 4,
	/** @DRM_LUTCORE_PARAM_ARRAY_N: LUT array columns (outputs per step) */
	DRM_LUTCORE_PARAM_ARRAY_N = 5,
	/** @DRM_LUTCORE_PARAM_ARRAY_K: reduction depth per step (table width) */
	DRM_LUTCORE_PARAM_ARRAY_K = 6,
	/** @DRM_LUTCORE_PARAM_ARRAY_MULT: array multiplier X of the cycle model */
	DRM_LUTCORE_PARAM_ARRAY_MULT = 7,
	/** @DRM_LUTCORE_PARAM_CLOCK_MHZ: modeled array clock in MHz */
	DRM_LUTCORE_PARAM_CLOCK_MHZ = 8,
	/**
	 * @DRM_LUTCORE_PARAM_WEIGHT_FORMATS: weight formats, bit b set for
	 * b-bit weights (1 to 4), bit 8 for ternary (1.58-bit) weights
	 */
	DRM_LUTCORE_PARAM_WEIGHT_FORMATS = 9,
	/**
	 * @DRM_LUTCORE_PARAM_ACT_TYPES: activation types accepted by table
	 * precompute, LUTCORE_CAP_ACT_* bits of the register map
	 */
	DRM_LUTCORE_PARAM_ACT_TYPES = 10,
	/** @DRM_LUTCORE_PARAM_VA_BITS: width of a device virtual address in bits */
	DRM_LUTCORE_PARAM_VA_BITS = 11,
	/** @DRM_LUTCORE_PARAM_PAGE_SIZE: device MMU page size in bytes */
	DRM_LUTCORE_PARAM_PAGE_SIZE = 12,
	/** @DRM_LUTCORE_PARAM_QUEUE_DEPTH: jobs each core's queue holds */
	DRM_LUTCORE_PARAM_QUEUE_DEPTH = 13,
	/**
	 * @DRM_LUTCORE_PARAM_FEATURES: optional device features,
	 * LUTCORE_FEATURE_* bits of the register map
	 */
	DRM_LUTCORE_PARAM_FEATURES = 14,
	/** @DRM_LUTCORE_PARAM_PT_LEVELS: levels of the device's page tables */
	DRM_LUTCORE_PARAM_PT_LEVELS = 15,
	/**
	 * @DRM_LUTCORE_PARAM_COUNT: number of parameters this header defines;
	 * not a parameter. It grows as parameters are appended, so a newer
	 * kernel may know more than a program was built with, never fewer.
	 */
	DRM_LUTCORE_PARAM_COUNT,
};

/**
 * struct drm_lutcore_get_param - argument of %DRM_IOCTL_LUTCORE_GET_PARAM
 *
 * Fails with -EINVAL for a @param the kernel does not know and for a
 * non-zero @pad, and with -ENODEV once the device is gone. @value is written
 * only on success.
 */
struct drm_lutcore_get_param {
	/** @param: in, one of &enum drm_lutcore_param */
	__u32 param;
	/** @pad: in, must be zero */
	__u32 pad;
	/** @value: out, the parameter's value */
	__u64 value;
};

#define DRM_IOCTL_LUTCORE_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_LUTCORE_GET_PARAM, struct drm_lutcore_get_param)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_LUTCORE_ACCEL_H_ */
