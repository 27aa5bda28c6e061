/* SPDX-License-Identifier: MIT */
/*
 * LUTCore PCIe device: register map (the hardware's datasheet in C).
 *
 * This header is the one definition of the device's programming interface.
 * The QEMU device model, the kernel driver, the library and the tests all
 * include it; nothing else may restate these numbers. It holds only
 * preprocessor constants so that it compiles unchanged in QEMU, in the
 * kernel and in user space. docs/device.md is the prose version.
 *
 * All registers are 32 bits wide, little-endian, in BAR0. 64-bit values are
 * split into _LO/_HI pairs; write LO first, then HI.
 */
#ifndef LUTCORE_REGS_H
#define LUTCORE_REGS_H

/* PCI identity: Red Hat/virtio vendor, experimental device range. */
#define LUTCORE_PCI_VENDOR_ID           0x1af4
#define LUTCORE_PCI_DEVICE_ID           0x10f0
#define LUTCORE_PCI_REVISION            0x01
/* Processing accelerator (base class 0x12, subclass 0x00, prog-if 0x00). */
#define LUTCORE_PCI_CLASS               0x1200

#define LUTCORE_BAR_REGS                0
#define LUTCORE_BAR_MSIX                1
#define LUTCORE_REGS_SIZE               0x10000

/* MSI-X vectors: one per core for job completion and errors. */
#define LUTCORE_MAX_CORES               8

/*
 * The QEMU model's default configuration, the defaults of its -device
 * lutcore properties: the paper's M2N64K4 array, two cores. Tests that
 * run against a device without options expect these.
 */
#define LUTCORE_DEFAULT_CORES           2
#define LUTCORE_DEFAULT_ARRAY_M         2
#define LUTCORE_DEFAULT_ARRAY_N         64
#define LUTCORE_DEFAULT_ARRAY_K         4
#define LUTCORE_DEFAULT_ARRAY_MULT      1
#define LUTCORE_DEFAULT_CLOCK_MHZ       1000
#define LUTCORE_DEFAULT_QUEUE_DEPTH     16
#define LUTCORE_MSIX_VECTORS            LUTCORE_MAX_CORES

/* ---- Identity and capabilities (read-only) ------------------------------ */

#define LUTCORE_REG_ID                  0x0000
#define   LUTCORE_ID_MAGIC              0x4c555443      /* "LUTC" */
#define LUTCORE_REG_VERSION             0x0004
#define   LUTCORE_VERSION_MAJOR(v)      (((v) >> 16) & 0xffff)
#define   LUTCORE_VERSION_MINOR(v)      ((v) & 0xffff)
#define   LUTCORE_VERSION_1_0           0x00010000

/* Shape of one core's LUT array (paper: M2N64K4). */
#define LUTCORE_REG_CAP_ARRAY           0x0008
#define   LUTCORE_CAP_ARRAY_M(v)        ((v) & 0xff)
#define   LUTCORE_CAP_ARRAY_K(v)        (((v) >> 8) & 0xff)
#define   LUTCORE_CAP_ARRAY_N(v)        (((v) >> 16) & 0xffff)
#define   LUTCORE_CAP_ARRAY(m, n, k)    ((m) | ((k) << 8) | ((n) << 16))
/* Number of cores (command processors, each with its own LUT array). */
#define LUTCORE_REG_CAP_CORES           0x000c
/* Array multiplier X of the cycle model (table lookups per cycle factor). */
#define LUTCORE_REG_CAP_ARRAY_MULT      0x0010
/* Modeled clock of the LUT array in MHz. */
#define LUTCORE_REG_CAP_CLOCK_MHZ       0x0014
/* Weight formats: bit b (1..4) set = b-bit weights; TERNARY = 1.58-bit. */
#define LUTCORE_REG_CAP_WEIGHTS         0x0018
#define   LUTCORE_CAP_WEIGHTS_BITS(b)   (1u << (b))
#define   LUTCORE_CAP_WEIGHTS_TERNARY   (1u << 8)
/* Activation types accepted by table precompute. */
#define LUTCORE_REG_CAP_ACTS            0x001c
#define   LUTCORE_CAP_ACT_FP32          (1u << 0)
#define   LUTCORE_CAP_ACT_FP16          (1u << 1)
#define   LUTCORE_CAP_ACT_BF16          (1u << 2)
#define   LUTCORE_CAP_ACT_INT8          (1u << 3)
/* Device address space: VA bits, page shift, page-table levels. */
#define LUTCORE_REG_CAP_VA              0x0020
#define   LUTCORE_CAP_VA_BITS(v)        ((v) & 0xff)
#define   LUTCORE_CAP_VA_PAGE_SHIFT(v)  (((v) >> 8) & 0xff)
#define   LUTCORE_CAP_VA_LEVELS(v)      (((v) >> 16) & 0xff)
/* Depth of each core's job queue (jobs accepted before KICK is refused). */
#define LUTCORE_REG_CAP_QUEUE_DEPTH     0x0024
/* Optional features. */
#define LUTCORE_REG_CAP_FEATURES        0x0028
#define   LUTCORE_FEATURE_MMU           (1u << 0)
#define   LUTCORE_FEATURE_DEBUG_HANG    (1u << 1)       /* test-only hook */

/* ---- Control, status, interrupts ---------------------------------------- */

#define LUTCORE_REG_CTRL                0x0040
#define   LUTCORE_CTRL_ENABLE           (1u << 0)
/* Write 1: drop all queued and running jobs, clear errors; self-clearing. */
#define   LUTCORE_CTRL_SOFT_RESET       (1u << 1)
#define LUTCORE_REG_STATUS              0x0044
#define   LUTCORE_STATUS_ENABLED        (1u << 0)
#define   LUTCORE_STATUS_BUSY           (1u << 1)
#define   LUTCORE_STATUS_RESETTING      (1u << 2)
/* Free for software: reads back what was written (probe sanity check). */
#define LUTCORE_REG_SCRATCH             0x0048
/* Interrupt status: write 1 to clear. Mask: 1 = enabled. */
#define LUTCORE_REG_IRQ_STATUS          0x0050
#define LUTCORE_REG_IRQ_MASK            0x0054
#define   LUTCORE_IRQ_JOB_DONE(core)    (1u << (core))
#define   LUTCORE_IRQ_JOB_ERROR(core)   (1u << (8 + (core)))
/* A SIGNAL instruction with LUTC_SIG_IRQ ran on the core (lutcore_isa.h). */
#define   LUTCORE_IRQ_SIGNAL(core)      (1u << (16 + (core)))
#define   LUTCORE_IRQ_ALL               0x00ffffffu
/* Debug hooks; writes are ignored unless LUTCORE_FEATURE_DEBUG_HANG. */
#define LUTCORE_REG_DEBUG               0x0060
#define   LUTCORE_DEBUG_HANG_NEXT_JOB   (1u << 0)

/* ---- Per-core command processor ----------------------------------------- */

#define LUTCORE_CORE_BASE(core)         (0x1000 + 0x100 * (core))
/* Job registers, latched by a write of 1 to KICK. */
#define LUTCORE_CORE_PT_BASE_LO         0x00    /* page-table root, bus addr */
#define LUTCORE_CORE_PT_BASE_HI         0x04
#define LUTCORE_CORE_CMD_ADDR_LO        0x08    /* stream, device VA */
#define LUTCORE_CORE_CMD_ADDR_HI        0x0c
#define LUTCORE_CORE_CMD_SIZE           0x10    /* bytes */
#define LUTCORE_CORE_SEQNO              0x14
#define LUTCORE_CORE_KICK               0x18
/* Completion (read-only). */
#define LUTCORE_CORE_DONE_SEQNO         0x20
#define LUTCORE_CORE_ERROR              0x24    /* ERR_* of ERROR_SEQNO */
#define LUTCORE_CORE_ERROR_SEQNO        0x28
#define LUTCORE_CORE_FAULT_ADDR_LO      0x2c
#define LUTCORE_CORE_FAULT_ADDR_HI      0x30
#define LUTCORE_CORE_FAULT_OFFSET       0x34    /* stream byte offset */
#define LUTCORE_CORE_QUEUED             0x38    /* jobs queued or running */
/* Write 1: drop cached translations (after page-table updates). */
#define LUTCORE_CORE_TLB_INVALIDATE     0x3c
/* Counters (read-only, cleared by soft reset). */
#define LUTCORE_CORE_JOBS_LO            0x40
#define LUTCORE_CORE_JOBS_HI            0x44
#define LUTCORE_CORE_CYCLES_LO          0x48
#define LUTCORE_CORE_CYCLES_HI          0x4c
#define LUTCORE_CORE_BYTES_READ_LO      0x50
#define LUTCORE_CORE_BYTES_READ_HI      0x54

/* Job error codes (LUTCORE_CORE_ERROR). */
#define LUTCORE_ERR_NONE                0
#define LUTCORE_ERR_BAD_OPCODE          1       /* bad opcode, reserved bits */
#define LUTCORE_ERR_BAD_OPERAND         2       /* bad size, alignment, type */
#define LUTCORE_ERR_PAGE_FAULT          3       /* unmapped device VA */
#define LUTCORE_ERR_WRITE_FAULT         4       /* write to a read-only page */
#define LUTCORE_ERR_BUS                 5       /* DMA to guest memory failed */
#define LUTCORE_ERR_BAD_STREAM          6       /* bad stream size/alignment */
#define LUTCORE_ERR_QUEUE_FULL          7       /* KICK with the queue full */

/* ---- Device MMU --------------------------------------------------------- */

/*
 * 3-level page tables of 4 KiB pages, 512 64-bit entries per table:
 * 39-bit device VA (512 GiB). Level 0 is the root (PT_BASE).
 */
#define LUTCORE_PAGE_SHIFT              12
#define LUTCORE_PAGE_SIZE               (1ull << LUTCORE_PAGE_SHIFT)
#define LUTCORE_PT_LEVELS               3
#define LUTCORE_PT_BITS                 9
#define LUTCORE_VA_BITS                 39
#define LUTCORE_PTE_VALID               (1ull << 0)
#define LUTCORE_PTE_WRITABLE            (1ull << 1)
#define LUTCORE_PTE_ADDR_MASK           0x000ffffffffff000ull

#endif /* LUTCORE_REGS_H */
