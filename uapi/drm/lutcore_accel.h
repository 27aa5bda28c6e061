/* SPDX-License-Identifier: MIT */
/*
 * LUTCore accel driver: user-space ABI.
 *
 * The one definition of the ioctl interface, included by the kernel module,
 * liblutcore and the tests. Rules (Documentation/process/botching-up-ioctls.rst):
 * fixed-width types only, every struct a multiple of 8 bytes with explicit
 * padding, padding and reserved fields must be zero, unknown flags are
 * rejected, and the ioctl list below is append-only.
 */
#ifndef _UAPI_LUTCORE_ACCEL_H_
#define _UAPI_LUTCORE_ACCEL_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_LUTCORE_DRIVER_NAME		"lutcore"

/**
 * enum drm_lutcore_ioctl_id - ioctl numbers, relative to DRM_COMMAND_BASE
 *
 * Append only: never reorder or remove an entry.
 */
enum drm_lutcore_ioctl_id {
	/** @DRM_LUTCORE_GET_PARAM: query one device parameter */
	DRM_LUTCORE_GET_PARAM = 0,
};

/**
 * enum drm_lutcore_param - parameters readable with %DRM_IOCTL_LUTCORE_GET_PARAM
 *
 * Append only. Values are read from the device's capability registers at
 * probe time unless stated otherwise.
 */
enum drm_lutcore_param {
	/** @DRM_LUTCORE_PARAM_PCI_DEVICE_ID: PCI device ID */
	DRM_LUTCORE_PARAM_PCI_DEVICE_ID = 0,
	/** @DRM_LUTCORE_PARAM_PCI_REVISION: PCI revision ID */
	DRM_LUTCORE_PARAM_PCI_REVISION = 1,
	/** @DRM_LUTCORE_PARAM_HW_VERSION: register-interface version, major << 16 | minor */
	DRM_LUTCORE_PARAM_HW_VERSION = 2,
	/** @DRM_LUTCORE_PARAM_NUM_CORES: number of cores (command processors) */
	DRM_LUTCORE_PARAM_NUM_CORES = 3,
	/** @DRM_LUTCORE_PARAM_ARRAY_M: LUT array rows (activation rows per step) */
	DRM_LUTCORE_PARAM_ARRAY_M = 4,
	/** @DRM_LUTCORE_PARAM_ARRAY_N: LUT array columns (output channels per step) */
	DRM_LUTCORE_PARAM_ARRAY_N = 5,
	/** @DRM_LUTCORE_PARAM_ARRAY_K: reduction depth per step (activations per table) */
	DRM_LUTCORE_PARAM_ARRAY_K = 6,
	/** @DRM_LUTCORE_PARAM_ARRAY_MULT: array multiplier X of the cycle model */
	DRM_LUTCORE_PARAM_ARRAY_MULT = 7,
	/** @DRM_LUTCORE_PARAM_CLOCK_MHZ: modeled array clock in MHz */
	DRM_LUTCORE_PARAM_CLOCK_MHZ = 8,
	/** @DRM_LUTCORE_PARAM_WEIGHT_FORMATS: bit b set for b-bit weights, bit 8 ternary */
	DRM_LUTCORE_PARAM_WEIGHT_FORMATS = 9,
	/** @DRM_LUTCORE_PARAM_ACT_TYPES: activation types, LUTCORE_CAP_ACT_* bits */
	DRM_LUTCORE_PARAM_ACT_TYPES = 10,
	/** @DRM_LUTCORE_PARAM_VA_BITS: width of a device virtual address */
	DRM_LUTCORE_PARAM_VA_BITS = 11,
	/** @DRM_LUTCORE_PARAM_PAGE_SIZE: device MMU page size in bytes */
	DRM_LUTCORE_PARAM_PAGE_SIZE = 12,
	/** @DRM_LUTCORE_PARAM_QUEUE_DEPTH: jobs each core's queue holds */
	DRM_LUTCORE_PARAM_QUEUE_DEPTH = 13,
	/** @DRM_LUTCORE_PARAM_FEATURES: device feature bits, LUTCORE_FEATURE_* */
	DRM_LUTCORE_PARAM_FEATURES = 14,
	/** @DRM_LUTCORE_PARAM_COUNT: number of parameters; not a parameter */
	DRM_LUTCORE_PARAM_COUNT,
};

/**
 * struct drm_lutcore_get_param - argument of %DRM_IOCTL_LUTCORE_GET_PARAM
 *
 * Unknown @param values fail with -EINVAL, as does a non-zero @pad; @value
 * is written only on success.
 */
struct drm_lutcore_get_param {
	/** @param: in, one of &enum drm_lutcore_param */
	__u32 param;
	/** @pad: must be zero */
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
