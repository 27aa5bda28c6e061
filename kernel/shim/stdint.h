/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shared hardware headers (qemu-device/lutcore_isa.h) are written for
 * user space and include <stdint.h>; in the kernel the same types come
 * from <linux/types.h>. Only kernel/Kbuild puts this directory on the
 * include path.
 */
#ifndef __LUTCORE_SHIM_STDINT_H__
#define __LUTCORE_SHIM_STDINT_H__
#include <linux/types.h>
#endif
