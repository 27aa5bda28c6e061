/*
 * LUTCore PCIe device: the one place for QEMU-version differences.
 *
 * The device is built against Debian 12's QEMU 7.2 and must keep building
 * against newer trees (QEMU_SRC=, e.g. 10.0). Every API that changed between
 * those releases is wrapped here and nowhere else. QEMU_VERSION_MAJOR and
 * QEMU_VERSION_MINOR come from config-host.h through "qemu/osdep.h", which
 * every QEMU source file includes first.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_LUTCORE_COMPAT_H
#define HW_MISC_LUTCORE_COMPAT_H

#include "qemu/main-loop.h"
#include "hw/qdev-properties.h"
#include "hw/resettable.h"
#include "hw/pci/pci.h"
#if QEMU_VERSION_MAJOR >= 8
/* 8.0 moved struct PCIDevice out of pci.h. */
#include "hw/pci/pci_device.h"
#endif

#define LUTCORE_QEMU_AT_LEAST(maj, min) \
    (QEMU_VERSION_MAJOR > (maj) || \
     (QEMU_VERSION_MAJOR == (maj) && QEMU_VERSION_MINOR >= (min)))

/* The big QEMU lock: renamed from "iothread mutex" to BQL in 9.0. */
#if LUTCORE_QEMU_AT_LEAST(9, 0)
#define lutcore_bql_locked()            bql_locked()
#else
#define lutcore_bql_locked()            qemu_mutex_iothread_locked()
#endif

/*
 * Property arrays: up to 9.2 a mutable array ended by
 * DEFINE_PROP_END_OF_LIST(); from 10.0 a const array without terminator
 * (device_class_set_props() takes its ARRAY_SIZE).
 */
#if LUTCORE_QEMU_AT_LEAST(10, 0)
#define LUTCORE_PROPS_CONST             const
#define LUTCORE_PROPS_END
#else
#define LUTCORE_PROPS_CONST
#define LUTCORE_PROPS_END               DEFINE_PROP_END_OF_LIST()
#endif

/* Resettable phases gained a ResetType argument in 9.1. */
#if LUTCORE_QEMU_AT_LEAST(9, 1)
#define LUTCORE_RESET_HOLD_ARGS         Object *obj, ResetType type
#else
#define LUTCORE_RESET_HOLD_ARGS         Object *obj
#endif

/* class_init's data argument became const in 10.1. */
#if LUTCORE_QEMU_AT_LEAST(10, 1)
#define LUTCORE_CLASS_DATA              const void *
#else
#define LUTCORE_CLASS_DATA              void *
#endif

/*
 * A BH guarded against DMA re-entering the device's own MMIO. Debian's 7.2
 * has it (from the 7.2.6 stable update on); a plain 7.2.0 tree does not,
 * and then the guard argument is not evaluated.
 */
#ifdef qemu_bh_new_guarded
#define lutcore_bh_new(cb, opaque, dev) \
    qemu_bh_new_guarded((cb), (opaque), &DEVICE(dev)->mem_reentrancy_guard)
#else
#define lutcore_bh_new(cb, opaque, dev) qemu_bh_new((cb), (opaque))
#endif

#endif /* HW_MISC_LUTCORE_COMPAT_H */
