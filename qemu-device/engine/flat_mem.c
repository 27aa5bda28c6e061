/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: the flat memory accessor.
 *
 * Device VAs map linearly onto one host buffer. Host tests, benchmarks and
 * the library's CPU backend use it; tests also use its read-only window
 * and its run splitting to reach the fault and bounce paths the device's
 * MMU would exercise.
 */
#include "lut_engine_int.h"

static int flat_map(void *opaque, uint64_t va, uint64_t len,
                    enum lut_access acc, void **host, uint64_t *host_len,
                    uint64_t *fault_va)
{
    struct lut_flat_mem *fm = opaque;
    uint64_t off, n = len;

    if (va < fm->va_base || va - fm->va_base >= fm->size) {
        *fault_va = va;
        return LUTCORE_ERR_PAGE_FAULT;
    }
    off = va - fm->va_base;
    n = LUT_MIN(n, fm->size - off);
    if (acc != LUT_READ && va < fm->ro_end && va + n > fm->ro_start) {
        if (va >= fm->ro_start) {
            *fault_va = va;
            return LUTCORE_ERR_WRITE_FAULT;
        }
        /* Stop before the window; the next call faults on it. */
        n = fm->ro_start - va;
    }
    if (fm->max_run) {
        uint64_t end = (va | (fm->max_run - 1)) + 1;

        n = LUT_MIN(n, end - va);
    }
    fm->maps++;
    *host = fm->base + off;
    *host_len = n;
    return LUTCORE_ERR_NONE;
}

static void flat_unmap(void *opaque, void *host, uint64_t host_len,
                       enum lut_access acc, uint64_t written)
{
    struct lut_flat_mem *fm = opaque;

    fm->unmaps++;
}

const struct lut_mem_ops lut_flat_mem_ops = {
    .map = flat_map,
    .unmap = flat_unmap,
};

void lut_flat_mem_init(struct lut_flat_mem *fm, void *base,
                       uint64_t va_base, uint64_t size)
{
    *fm = (struct lut_flat_mem){ .base = base, .va_base = va_base,
                                 .size = size };
}

struct lut_mem lut_flat_mem(struct lut_flat_mem *fm)
{
    return (struct lut_mem){ .ops = &lut_flat_mem_ops, .opaque = fm };
}
