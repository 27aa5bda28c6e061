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
	/** @DRM_LUTCORE_BO_CREATE: create a buffer object, mapped for the device */
	DRM_LUTCORE_BO_CREATE = 1,
	/** @DRM_LUTCORE_BO_INFO: size, flags, device address, mmap offset of a BO */
	DRM_LUTCORE_BO_INFO = 2,
	/** @DRM_LUTCORE_SUBMIT: queue an instruction stream on a core */
	DRM_LUTCORE_SUBMIT = 3,
	/** @DRM_LUTCORE_WAIT_BO: wait until no job uses a buffer object */
	DRM_LUTCORE_WAIT_BO = 4,
	/** @DRM_LUTCORE_JOB_STATUS: state and error of a job this file submitted */
	DRM_LUTCORE_JOB_STATUS = 5,
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
	 * @DRM_LUTCORE_PARAM_RESET_COUNT: device resets since the driver
	 * bound, whatever their cause (job timeout or a write to debugfs
	 * ``reset``). Live value.
	 */
	DRM_LUTCORE_PARAM_RESET_COUNT = 16,
	/**
	 * @DRM_LUTCORE_PARAM_FILE_RESET_COUNT: device resets caused by a job
	 * of this open file (the file was found guilty of a hang). Live value.
	 */
	DRM_LUTCORE_PARAM_FILE_RESET_COUNT = 17,
	/**
	 * @DRM_LUTCORE_PARAM_FILE_BANNED: 1 if this open file is banned
	 * (one of its jobs hung the device; every later
	 * %DRM_IOCTL_LUTCORE_SUBMIT fails with -ECANCELED), else 0. Live value.
	 */
	DRM_LUTCORE_PARAM_FILE_BANNED = 18,
	/**
	 * @DRM_LUTCORE_PARAM_VA_START: lowest device virtual address a buffer
	 * object can be given. Addresses below it (VA 0 included) are never
	 * mapped.
	 */
	DRM_LUTCORE_PARAM_VA_START = 19,
	/**
	 * @DRM_LUTCORE_PARAM_VA_SIZE: bytes of device virtual address space
	 * from %DRM_LUTCORE_PARAM_VA_START that buffer objects are placed in.
	 * Every buffer object is followed by at least one unmapped guard page.
	 */
	DRM_LUTCORE_PARAM_VA_SIZE = 20,
	/**
	 * @DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS: a job running longer than this
	 * on a core is declared hung and the device is reset (module
	 * parameter ``job_timeout_ms``).
	 */
	DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS = 21,
	/** @DRM_LUTCORE_PARAM_MAX_BO_SIZE: largest accepted BO_CREATE size */
	DRM_LUTCORE_PARAM_MAX_BO_SIZE = 22,
	/**
	 * @DRM_LUTCORE_PARAM_MAX_SUBMIT_BOS: largest accepted
	 * &drm_lutcore_submit.bo_count
	 */
	DRM_LUTCORE_PARAM_MAX_SUBMIT_BOS = 23,
	/**
	 * @DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS: largest accepted
	 * &drm_lutcore_submit.in_sync_count and .out_sync_count (each)
	 */
	DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS = 24,
	/**
	 * @DRM_LUTCORE_PARAM_JOB_HISTORY: how many of this file's most recent
	 * jobs %DRM_IOCTL_LUTCORE_JOB_STATUS can report on
	 */
	DRM_LUTCORE_PARAM_JOB_HISTORY = 25,
	/**
	 * @DRM_LUTCORE_PARAM_MAX_JOBS_PER_CORE: jobs the driver hands to one
	 * core's hardware queue at a time (the scheduler's credit limit);
	 * further jobs wait in the driver
	 */
	DRM_LUTCORE_PARAM_MAX_JOBS_PER_CORE = 26,
	/**
	 * @DRM_LUTCORE_PARAM_CYCLES: modeled device cycles of every job the
	 * device completed since its last reset, summed over the cores (the
	 * device's performance model, at %DRM_LUTCORE_PARAM_CLOCK_MHZ); a
	 * device-wide counter, not this file's. A reset (see
	 * %DRM_LUTCORE_PARAM_RESET_COUNT) starts it again at 0. Driver 1.2.
	 */
	DRM_LUTCORE_PARAM_CYCLES = 27,
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

/* Flags of &drm_lutcore_bo_create.flags and &drm_lutcore_bo_info.flags. */

/**
 * DRM_LUTCORE_BO_DEV_READ_ONLY - the device may only read the buffer
 *
 * Its pages are mapped without write permission in every address space
 * that maps it: a job that writes to it fails with
 * %LUTCORE_ERR_WRITE_FAULT (fence error -EFAULT). Jobs listing it in
 * &drm_lutcore_submit.bo_handles only read it, so they wait for earlier
 * writers of it and not for earlier readers (implicit sync).
 */
#define DRM_LUTCORE_BO_DEV_READ_ONLY	0x1u
/**
 * DRM_LUTCORE_BO_NO_MMAP - the buffer is device-only
 *
 * It gets no mmap offset (&drm_lutcore_bo_create.mmap_offset is 0) and
 * cannot be mapped by the CPU through this device. Scratch space and
 * intermediate results do not need one.
 */
#define DRM_LUTCORE_BO_NO_MMAP		0x2u
/* Every BO flag this header defines. */
#define DRM_LUTCORE_BO_FLAGS		(DRM_LUTCORE_BO_DEV_READ_ONLY | \
					 DRM_LUTCORE_BO_NO_MMAP)

/**
 * struct drm_lutcore_bo_create - argument of %DRM_IOCTL_LUTCORE_BO_CREATE
 *
 * Creates a zero-filled buffer object of system memory (GEM shmem), returns
 * a handle for it in this file, and maps it at a fresh device virtual
 * address in this file's address space. The pages are allocated and pinned
 * now and stay pinned until the object is freed. Each open file that gets a
 * handle for the object (PRIME import) maps it in its own address space at
 * an address of its own (see %DRM_IOCTL_LUTCORE_BO_INFO).
 *
 * Errors (the struct is left untouched on any error):
 *
 * - -EINVAL: @size is 0; @flags has an unknown bit; @flags has both
 *   %DRM_LUTCORE_BO_DEV_READ_ONLY and %DRM_LUTCORE_BO_NO_MMAP (nobody could
 *   ever write the buffer); @handle, @dev_addr or @mmap_offset is not 0.
 * - -E2BIG: @size rounded up to the page size exceeds
 *   %DRM_LUTCORE_PARAM_MAX_BO_SIZE.
 * - -ENOMEM: no memory for the pages or the page tables.
 * - -ENOSPC: no free range of that size left in this file's address space.
 * - -ENODEV: the device is gone.
 * - -EINTR / -ERESTARTSYS: interrupted while pinning the pages (the
 *   buffer's reservation lock); nothing was created, the call can be
 *   repeated. PRIME_FD_TO_HANDLE can fail the same way.
 */
struct drm_lutcore_bo_create {
	/**
	 * @size: in: bytes wanted, 1 to %DRM_LUTCORE_PARAM_MAX_BO_SIZE;
	 * out: rounded up to a multiple of the page size
	 * (%DRM_LUTCORE_PARAM_PAGE_SIZE), the object's size.
	 */
	__u64 size;
	/** @flags: in, %DRM_LUTCORE_BO_FLAGS bits */
	__u32 flags;
	/** @handle: out (in: must be 0), the GEM handle in this file */
	__u32 handle;
	/**
	 * @dev_addr: out (in: must be 0), the device virtual address of the
	 * object's first byte in this file's address space; page aligned
	 */
	__u64 dev_addr;
	/**
	 * @mmap_offset: out (in: must be 0), the offset to pass to mmap(2) on
	 * this file to map the object; 0 with %DRM_LUTCORE_BO_NO_MMAP
	 */
	__u64 mmap_offset;
};

/**
 * struct drm_lutcore_bo_info - argument of %DRM_IOCTL_LUTCORE_BO_INFO
 *
 * Describes a buffer object this file has a handle for: its own objects
 * and PRIME-imported ones (from this device, in which case @dev_addr is
 * this file's mapping of it, or from another driver's dma-buf). The output
 * fields are ignored on input.
 *
 * Errors (the struct is left untouched on any error): -EINVAL for non-zero
 * @pad or @pad2; -ENOENT if @handle is not a handle of this file; -ENOMEM
 * if an mmap offset had to be created and could not; -ENODEV after unplug.
 */
struct drm_lutcore_bo_info {
	/** @handle: in, a GEM handle of this file */
	__u32 handle;
	/** @pad: in, must be 0 */
	__u32 pad;
	/** @size: out, the object's size in bytes (page aligned) */
	__u64 size;
	/** @dev_addr: out, the object's device virtual address in this file */
	__u64 dev_addr;
	/**
	 * @mmap_offset: out, the offset to pass to mmap(2) on this file; 0 if
	 * the object has %DRM_LUTCORE_BO_NO_MMAP
	 */
	__u64 mmap_offset;
	/**
	 * @flags: out, the %DRM_LUTCORE_BO_FLAGS the object was created with
	 * (0 for a dma-buf of another driver)
	 */
	__u32 flags;
	/** @pad2: in, must be 0 */
	__u32 pad2;
};

/* Value of &drm_lutcore_submit.core: let the driver pick the core. */
#define DRM_LUTCORE_CORE_ANY		0xffffffffu

/**
 * struct drm_lutcore_sync - one syncobj of a submission
 *
 * As an input (&drm_lutcore_submit.in_syncs), the job does not start before
 * the syncobj's fence (@point 0: a binary syncobj's current fence) or its
 * timeline point @point has signalled; the fence must already exist when
 * SUBMIT is called (no wait-for-submit). As an output
 * (&drm_lutcore_submit.out_syncs), the job's completion fence replaces the
 * syncobj's fence (@point 0) or is added as timeline point @point. The
 * fence signals when the job has finished, with the job's error
 * (see %DRM_IOCTL_LUTCORE_JOB_STATUS) as its status.
 */
struct drm_lutcore_sync {
	/** @handle: a syncobj handle of this file (DRM_IOCTL_SYNCOBJ_CREATE) */
	__u32 handle;
	/** @flags: must be 0 */
	__u32 flags;
	/** @point: 0 for a binary syncobj, else the timeline point */
	__u64 point;
};

/**
 * struct drm_lutcore_submit - argument of %DRM_IOCTL_LUTCORE_SUBMIT
 *
 * Queues one job: the instruction stream at device address @cmd_addr of
 * this file's address space runs on a core once its input syncobjs and the
 * implicit dependencies of its buffers have signalled. Jobs of a file that
 * go to the same @core value (one core, or %DRM_LUTCORE_CORE_ANY) start in
 * submission order; jobs on different cores run in parallel, in no
 * particular order. The kernel does not read the stream; the device
 * checks it and reports errors through the job's fence and
 * %DRM_IOCTL_LUTCORE_JOB_STATUS.
 *
 * The stream (the buffer object mapped at @cmd_addr) and every object in
 * @bo_handles stay alive and mapped until the job has finished, even if
 * their handles or this file are closed meanwhile. Objects the stream
 * addresses without listing them here are the caller's to keep open. The
 * job's fence is added to each listed object's reservation: as a reader
 * for %DRM_LUTCORE_BO_DEV_READ_ONLY objects, as a writer for all others;
 * so the job waits for earlier writers (and, for writable objects, earlier
 * readers) of them, and %DRM_IOCTL_LUTCORE_WAIT_BO waits for the job.
 *
 * A count of 0 requires the matching pointer to be 0. On success @job_id
 * is written; on any error the struct is left untouched and no job is
 * queued. Errors:
 *
 * - -EINVAL: @flags is not 0; @core is neither a core number below
 *   %DRM_LUTCORE_PARAM_NUM_CORES nor %DRM_LUTCORE_CORE_ANY; @cmd_size is 0,
 *   not a multiple of LUTC_INSN_SIZE or above LUTC_STREAM_MAX
 *   (qemu-device/lutcore_isa.h); @cmd_addr is not LUTC_STREAM_ALIGN
 *   aligned; [@cmd_addr, @cmd_addr + @cmd_size) is not inside one buffer
 *   object mapped in this file's address space; @bo_count is above
 *   %DRM_LUTCORE_PARAM_MAX_SUBMIT_BOS; @in_sync_count or @out_sync_count is
 *   above %DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS; a count is 0 and its pointer
 *   is not; @job_id is not 0; a &drm_lutcore_sync has non-zero flags; an
 *   input syncobj has no fence (binary) or no such point yet (timeline);
 *   a handle appears twice in @bo_handles.
 * - -EFAULT: an array cannot be read at its pointer.
 * - -ENOENT: a handle in @bo_handles is not a GEM handle of this file, or
 *   a syncobj handle is not a syncobj of this file.
 * - -ECANCELED: this file is banned: one of its jobs hung the device
 *   (%DRM_LUTCORE_PARAM_FILE_BANNED). Checked after the scalar fields
 *   and counts, before any array or handle is read.
 * - -ENOMEM: out of memory.
 * - -ENODEV: the device is gone.
 * - -EINTR / -ERESTARTSYS: interrupted while locking the buffers; the call
 *   can simply be repeated.
 */
struct drm_lutcore_submit {
	/** @cmd_addr: device virtual address of the instruction stream */
	__u64 cmd_addr;
	/** @cmd_size: stream size in bytes */
	__u32 cmd_size;
	/** @core: core to run on, or %DRM_LUTCORE_CORE_ANY */
	__u32 core;
	/**
	 * @bo_handles: user pointer to an array of @bo_count __u32 GEM handles
	 * of the objects the job uses; each at most once
	 */
	__u64 bo_handles;
	/** @bo_count: number of entries at @bo_handles */
	__u32 bo_count;
	/** @flags: must be 0 */
	__u32 flags;
	/**
	 * @in_syncs: user pointer to an array of @in_sync_count
	 * &struct drm_lutcore_sync the job waits for
	 */
	__u64 in_syncs;
	/**
	 * @out_syncs: user pointer to an array of @out_sync_count
	 * &struct drm_lutcore_sync that receive the job's completion fence
	 */
	__u64 out_syncs;
	/** @in_sync_count: number of entries at @in_syncs */
	__u32 in_sync_count;
	/** @out_sync_count: number of entries at @out_syncs */
	__u32 out_sync_count;
	/**
	 * @job_id: out (in: must be 0), this file's number for the job, for
	 * %DRM_IOCTL_LUTCORE_JOB_STATUS: 1 for the file's first job, then one
	 * more for each successful submission
	 */
	__u64 job_id;
};

/**
 * struct drm_lutcore_wait_bo - argument of %DRM_IOCTL_LUTCORE_WAIT_BO
 *
 * Waits until every job that uses the object (every fence in its
 * reservation, readers and writers) has finished, or until @timeout_ns.
 * A timeout at or before the current time polls. The timeout is absolute,
 * so an interrupted call (-EINTR, or restarted transparently) can be
 * repeated unchanged. Whether the jobs succeeded is reported by their
 * fences and %DRM_IOCTL_LUTCORE_JOB_STATUS, not here.
 *
 * Returns 0 when idle. Errors: -ETIME if jobs are still running at
 * @timeout_ns; -EINVAL for non-zero @flags or a negative @timeout_ns;
 * -ENOENT if @handle is not a handle of this file; -EINTR / -ERESTARTSYS
 * on a signal; -ENODEV after unplug. The struct is never written.
 */
struct drm_lutcore_wait_bo {
	/** @handle: in, a GEM handle of this file */
	__u32 handle;
	/** @flags: in, must be 0 */
	__u32 flags;
	/**
	 * @timeout_ns: in, absolute CLOCK_MONOTONIC time in nanoseconds to
	 * give up at; INT64_MAX waits forever
	 */
	__s64 timeout_ns;
};

/* Values of &drm_lutcore_job_status.state. */
/** DRM_LUTCORE_JOB_PENDING - the job is waiting, queued or running */
#define DRM_LUTCORE_JOB_PENDING		1
/** DRM_LUTCORE_JOB_DONE - the job has finished; see .error */
#define DRM_LUTCORE_JOB_DONE		2

/**
 * struct drm_lutcore_job_status - argument of %DRM_IOCTL_LUTCORE_JOB_STATUS
 *
 * Reports on one of the last %DRM_LUTCORE_PARAM_JOB_HISTORY jobs this file
 * submitted, by the &drm_lutcore_submit.job_id SUBMIT returned. A job's
 * state is DONE exactly when its completion fence (the out-syncobjs) has
 * signalled, and @error is that fence's status:
 *
 * - 0: the stream ran to its end.
 * - -EINVAL: the device rejected the stream: %LUTCORE_ERR_BAD_OPCODE,
 *   %LUTCORE_ERR_BAD_OPERAND or %LUTCORE_ERR_BAD_STREAM in @hw_error.
 * - -EFAULT: a device address of the job was not mapped
 *   (%LUTCORE_ERR_PAGE_FAULT) or not writable (%LUTCORE_ERR_WRITE_FAULT).
 * - -EIO: the device could not access memory (%LUTCORE_ERR_BUS) or
 *   refused the job (%LUTCORE_ERR_QUEUE_FULL, a driver bug).
 * - -ETIMEDOUT: the job ran longer than %DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS;
 *   the device was reset and this file is now banned.
 * - -ECANCELED: the job never ran to completion for another reason: its
 *   file was banned before it ran, or a device reset (another file's
 *   hang, debugfs ``reset``) aborted it while it was running. Jobs that a
 *   reset removed from the device queue before they started are run
 *   again and are not affected.
 * - -ENODEV: the device was removed before the job finished.
 * - -ESRCH: the process was killed while the job still waited in the
 *   driver (the DRM scheduler cancels its queued jobs). A normal close()
 *   waits until the file's queued jobs have reached the device.
 *
 * The error of an input fence does not propagate: the job runs anyway.
 *
 * For device errors (@hw_error not 0), @fault_addr is the device VA the
 *   device reported (docs/device.md, section 8) and @fault_offset the byte
 *   offset of the failing instruction in the stream; otherwise both are 0.
 *
 * Errors (the struct is left untouched on any error): -EINVAL for
 * non-zero @flags or @pad, or a @job_id that is 0 or beyond the last one
 * this file was given; -ENOENT if the job is older than the history;
 * -ENODEV after unplug.
 */
struct drm_lutcore_job_status {
	/** @job_id: in, a &drm_lutcore_submit.job_id of this file */
	__u64 job_id;
	/** @flags: in, must be 0 */
	__u32 flags;
	/** @state: out, %DRM_LUTCORE_JOB_PENDING or %DRM_LUTCORE_JOB_DONE */
	__u32 state;
	/** @error: out, 0 or the negative errno the job finished with */
	__s32 error;
	/** @hw_error: out, the device's LUTCORE_ERR_* code, 0 if none */
	__u32 hw_error;
	/** @fault_addr: out, device VA of the device error, else 0 */
	__u64 fault_addr;
	/** @fault_offset: out, stream offset of the failed instruction, else 0 */
	__u32 fault_offset;
	/** @pad: in, must be 0 */
	__u32 pad;
};

#define DRM_IOCTL_LUTCORE_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_LUTCORE_GET_PARAM, struct drm_lutcore_get_param)
#define DRM_IOCTL_LUTCORE_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_LUTCORE_BO_CREATE, struct drm_lutcore_bo_create)
#define DRM_IOCTL_LUTCORE_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_LUTCORE_BO_INFO, struct drm_lutcore_bo_info)
#define DRM_IOCTL_LUTCORE_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_LUTCORE_SUBMIT, struct drm_lutcore_submit)
#define DRM_IOCTL_LUTCORE_WAIT_BO \
	DRM_IOW(DRM_COMMAND_BASE + DRM_LUTCORE_WAIT_BO, struct drm_lutcore_wait_bo)
#define DRM_IOCTL_LUTCORE_JOB_STATUS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_LUTCORE_JOB_STATUS, struct drm_lutcore_job_status)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_LUTCORE_ACCEL_H_ */
