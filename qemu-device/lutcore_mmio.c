/*
 * LUTCore PCIe device: BAR0 register accesses.
 *
 * All registers are 32 bits wide; any other access size, an unaligned
 * access, an unknown offset or a write to a read-only register is a guest
 * error: it is logged, reads return 0 and writes are ignored.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/log.h"
#include "lutcore.h"
#include "trace.h"

#define LUTCORE_CORE_STRIDE     (LUTCORE_CORE_BASE(1) - LUTCORE_CORE_BASE(0))
#define LUTCORE_CORE_FIRST_CTR  LUTCORE_CORE_JOBS_LO
#define LUTCORE_CORE_LAST_CTR   LUTCORE_CORE_BYTES_READ_HI

#define LUTCORE_CAP_WEIGHTS_ALL \
    (LUTCORE_CAP_WEIGHTS_BITS(1) | LUTCORE_CAP_WEIGHTS_BITS(2) | \
     LUTCORE_CAP_WEIGHTS_BITS(3) | LUTCORE_CAP_WEIGHTS_BITS(4) | \
     LUTCORE_CAP_WEIGHTS_TERNARY)
#define LUTCORE_CAP_ACTS_ALL \
    (LUTCORE_CAP_ACT_FP32 | LUTCORE_CAP_ACT_FP16 | LUTCORE_CAP_ACT_BF16 | \
     LUTCORE_CAP_ACT_INT8)
#define LUTCORE_CAP_VA_VALUE \
    (LUTCORE_VA_BITS | (LUTCORE_PAGE_SHIFT << 8) | (LUTCORE_PT_LEVELS << 16))

/* The core whose register window holds @addr, or NULL. */
static LutcoreCore *lutcore_core_at(LutcoreState *s, hwaddr addr)
{
    hwaddr first = LUTCORE_CORE_BASE(0);
    hwaddr end = LUTCORE_CORE_BASE(s->num_cores);

    if (addr < first || addr >= end) {
        return NULL;
    }
    return &s->core[(addr - first) / LUTCORE_CORE_STRIDE];
}

static bool lutcore_any_busy(LutcoreState *s)
{
    unsigned c;

    for (c = 0; c < s->num_cores; c++) {
        if (s->core[c].inflight) {
            return true;
        }
    }
    return false;
}

static uint32_t lutcore_status(LutcoreState *s)
{
    uint32_t v = 0;

    if (s->ctrl & LUTCORE_CTRL_ENABLE) {
        v |= LUTCORE_STATUS_ENABLED;
    }
    if (lutcore_any_busy(s)) {
        v |= LUTCORE_STATUS_BUSY;
    }
    if (lutcore_cp_resetting(s)) {
        v |= LUTCORE_STATUS_RESETTING;
    }
    return v;
}

static uint32_t lutcore_features(LutcoreState *s)
{
    return LUTCORE_FEATURE_MMU |
           (s->debug_hooks ? LUTCORE_FEATURE_DEBUG_HANG : 0);
}

static bool lutcore_global_read(LutcoreState *s, hwaddr addr, uint32_t *val)
{
    switch (addr) {
    case LUTCORE_REG_ID:
        *val = LUTCORE_ID_MAGIC;
        break;
    case LUTCORE_REG_VERSION:
        *val = LUTCORE_VERSION_1_0;
        break;
    case LUTCORE_REG_CAP_ARRAY:
        *val = LUTCORE_CAP_ARRAY(s->array_m, s->array_n, s->array_k);
        break;
    case LUTCORE_REG_CAP_CORES:
        *val = s->num_cores;
        break;
    case LUTCORE_REG_CAP_ARRAY_MULT:
        *val = s->array_mult;
        break;
    case LUTCORE_REG_CAP_CLOCK_MHZ:
        *val = s->clock_mhz;
        break;
    case LUTCORE_REG_CAP_WEIGHTS:
        *val = LUTCORE_CAP_WEIGHTS_ALL;
        break;
    case LUTCORE_REG_CAP_ACTS:
        *val = LUTCORE_CAP_ACTS_ALL;
        break;
    case LUTCORE_REG_CAP_VA:
        *val = LUTCORE_CAP_VA_VALUE;
        break;
    case LUTCORE_REG_CAP_QUEUE_DEPTH:
        *val = s->queue_depth;
        break;
    case LUTCORE_REG_CAP_FEATURES:
        *val = lutcore_features(s);
        break;
    case LUTCORE_REG_CTRL:
        /* SOFT_RESET reads 1 until the aborted jobs have let go. */
        *val = s->ctrl |
               (lutcore_cp_resetting(s) ? LUTCORE_CTRL_SOFT_RESET : 0);
        break;
    case LUTCORE_REG_STATUS:
        *val = lutcore_status(s);
        break;
    case LUTCORE_REG_SCRATCH:
        *val = s->scratch;
        break;
    case LUTCORE_REG_IRQ_STATUS:
        *val = s->irq_status;
        break;
    case LUTCORE_REG_IRQ_MASK:
        *val = s->irq_mask;
        break;
    case LUTCORE_REG_DEBUG:
        *val = s->debug;
        break;
    default:
        return false;
    }
    return true;
}

/* A 64-bit counter read as LO then HI: the LO read latches the HI half. */
static uint32_t lutcore_counter_read(LutcoreCore *c, hwaddr reg)
{
    unsigned idx = (reg - LUTCORE_CORE_FIRST_CTR) / 8;
    uint64_t value;

    if (reg & 4) {
        return c->counter_hi[idx];
    }
    value = idx == 0 ? c->jobs : idx == 1 ? c->cycles : c->bytes_read;
    c->counter_hi[idx] = value >> 32;
    return (uint32_t)value;
}

static bool lutcore_core_read(LutcoreCore *c, hwaddr reg, uint32_t *val)
{
    switch (reg) {
    case LUTCORE_CORE_PT_BASE_LO:
        *val = extract64(c->pt_base, 0, 32);
        break;
    case LUTCORE_CORE_PT_BASE_HI:
        *val = extract64(c->pt_base, 32, 32);
        break;
    case LUTCORE_CORE_CMD_ADDR_LO:
        *val = extract64(c->cmd_addr, 0, 32);
        break;
    case LUTCORE_CORE_CMD_ADDR_HI:
        *val = extract64(c->cmd_addr, 32, 32);
        break;
    case LUTCORE_CORE_CMD_SIZE:
        *val = c->cmd_size;
        break;
    case LUTCORE_CORE_SEQNO:
        *val = c->seqno;
        break;
    case LUTCORE_CORE_KICK:
    case LUTCORE_CORE_TLB_INVALIDATE:
        *val = 0;
        break;
    case LUTCORE_CORE_DONE_SEQNO:
        *val = c->done_seqno;
        break;
    case LUTCORE_CORE_ERROR:
        *val = c->error;
        break;
    case LUTCORE_CORE_ERROR_SEQNO:
        *val = c->error_seqno;
        break;
    case LUTCORE_CORE_FAULT_ADDR_LO:
        *val = extract64(c->fault_addr, 0, 32);
        break;
    case LUTCORE_CORE_FAULT_ADDR_HI:
        *val = extract64(c->fault_addr, 32, 32);
        break;
    case LUTCORE_CORE_FAULT_OFFSET:
        *val = c->fault_offset;
        break;
    case LUTCORE_CORE_QUEUED:
        *val = c->inflight;
        break;
    case LUTCORE_CORE_FIRST_CTR ... LUTCORE_CORE_LAST_CTR:
        *val = lutcore_counter_read(c, reg);
        break;
    default:
        return false;
    }
    return true;
}

static bool lutcore_access_ok(hwaddr addr, unsigned size, const char *what)
{
    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "lutcore: %u-byte %s at 0x%" HWADDR_PRIx
                      " (registers take aligned 32-bit accesses only)\n",
                      size, what, addr);
        return false;
    }
    return true;
}

static uint64_t lutcore_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    LutcoreState *s = opaque;
    LutcoreCore *c = lutcore_core_at(s, addr);
    uint32_t val = 0;
    bool ok;

    if (!lutcore_access_ok(addr, size, "read")) {
        return 0;
    }
    if (c) {
        ok = lutcore_core_read(c, (addr - LUTCORE_CORE_BASE(0)) %
                               LUTCORE_CORE_STRIDE, &val);
    } else {
        ok = lutcore_global_read(s, addr, &val);
    }
    if (!ok) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "lutcore: read of unknown register 0x%" HWADDR_PRIx
                      "\n", addr);
    }
    trace_lutcore_mmio_read(addr, val);
    return val;
}

static void lutcore_soft_reset(LutcoreState *s)
{
    trace_lutcore_soft_reset();
    lutcore_cp_reset(s);
    s->irq_status = 0;
    s->debug = 0;
}

static void lutcore_ctrl_write(LutcoreState *s, uint32_t val)
{
    if (val & ~(LUTCORE_CTRL_ENABLE | LUTCORE_CTRL_SOFT_RESET)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "lutcore: CTRL reserved bits set: 0x%08" PRIx32 "\n",
                      val);
    }
    if (val & LUTCORE_CTRL_SOFT_RESET) {
        lutcore_soft_reset(s);
    }
    s->ctrl = val & LUTCORE_CTRL_ENABLE;
}

static void lutcore_debug_write(LutcoreState *s, uint32_t val)
{
    if (!s->debug_hooks) {
        qemu_log_mask(LOG_GUEST_ERROR, "lutcore: DEBUG written but the "
                      "device was created without debug-hooks=on\n");
        return;
    }
    if (val & ~LUTCORE_DEBUG_HANG_NEXT_JOB) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "lutcore: DEBUG reserved bits set: 0x%08" PRIx32 "\n",
                      val);
    }
    s->debug = val & LUTCORE_DEBUG_HANG_NEXT_JOB;
}

static bool lutcore_global_write(LutcoreState *s, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case LUTCORE_REG_CTRL:
        lutcore_ctrl_write(s, val);
        break;
    case LUTCORE_REG_SCRATCH:
        s->scratch = val;
        break;
    case LUTCORE_REG_IRQ_STATUS:
        lutcore_irq_ack(s, val);
        break;
    case LUTCORE_REG_IRQ_MASK:
        lutcore_irq_set_mask(s, val);
        break;
    case LUTCORE_REG_DEBUG:
        lutcore_debug_write(s, val);
        break;
    default:
        return false;
    }
    return true;
}

/* Writes of 1 to a command bit (KICK, TLB_INVALIDATE); other bits MBZ. */
static bool lutcore_command_bit(hwaddr reg, uint32_t val)
{
    if (val & ~1u) {
        qemu_log_mask(LOG_GUEST_ERROR, "lutcore: core register 0x%02"
                      HWADDR_PRIx " reserved bits set: 0x%08" PRIx32 "\n",
                      reg, val);
    }
    return val & 1;
}

static bool lutcore_core_write(LutcoreCore *c, hwaddr reg, uint32_t val)
{
    switch (reg) {
    case LUTCORE_CORE_PT_BASE_LO:
        c->pt_base = deposit64(c->pt_base, 0, 32, val);
        break;
    case LUTCORE_CORE_PT_BASE_HI:
        c->pt_base = deposit64(c->pt_base, 32, 32, val);
        break;
    case LUTCORE_CORE_CMD_ADDR_LO:
        c->cmd_addr = deposit64(c->cmd_addr, 0, 32, val);
        break;
    case LUTCORE_CORE_CMD_ADDR_HI:
        c->cmd_addr = deposit64(c->cmd_addr, 32, 32, val);
        break;
    case LUTCORE_CORE_CMD_SIZE:
        c->cmd_size = val;
        break;
    case LUTCORE_CORE_SEQNO:
        c->seqno = val;
        break;
    case LUTCORE_CORE_KICK:
        if (lutcore_command_bit(reg, val)) {
            lutcore_cp_kick(c);
        }
        break;
    case LUTCORE_CORE_TLB_INVALIDATE:
        if (lutcore_command_bit(reg, val)) {
            lutcore_mmu_invalidate(&c->mmu);
        }
        break;
    default:
        return false;
    }
    return true;
}

/* Per-core offsets that name a register (0x1c is a hole). */
static bool lutcore_core_reg_exists(hwaddr reg)
{
    return reg <= LUTCORE_CORE_LAST_CTR && reg != LUTCORE_CORE_KICK + 4;
}

static void lutcore_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                               unsigned size)
{
    LutcoreState *s = opaque;
    LutcoreCore *c = lutcore_core_at(s, addr);
    uint32_t val = val64;
    uint32_t dummy;
    bool ok, exists;

    if (!lutcore_access_ok(addr, size, "write")) {
        return;
    }
    trace_lutcore_mmio_write(addr, val);
    if (c) {
        hwaddr reg = (addr - LUTCORE_CORE_BASE(0)) % LUTCORE_CORE_STRIDE;

        ok = lutcore_core_write(c, reg, val);
        exists = lutcore_core_reg_exists(reg);
    } else {
        ok = lutcore_global_write(s, addr, val);
        exists = lutcore_global_read(s, addr, &dummy);
    }
    if (!ok) {
        qemu_log_mask(LOG_GUEST_ERROR, "lutcore: write of 0x%08" PRIx32
                      " to %s register 0x%" HWADDR_PRIx "\n", val,
                      exists ? "read-only" : "unknown", addr);
    }
}

const MemoryRegionOps lutcore_mmio_ops = {
    .read = lutcore_mmio_read,
    .write = lutcore_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};
