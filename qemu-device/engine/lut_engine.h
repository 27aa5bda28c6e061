/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: the device's compute core as a pure-C11 module.
 *
 * The same code runs inside the QEMU device (behind its MMU) and in host
 * tests, benchmarks and the library's CPU paths (behind a flat memory).
 * It includes no QEMU header; everything it touches in device memory goes
 * through struct lut_mem_ops.
 *
 * Threading: an engine owns a small pool of host worker threads created by
 * lut_engine_init() and joined by lut_engine_fini(). Only the thread that
 * calls lut_engine_run() or lut_engine_exec() ever calls the memory
 * callbacks; workers only see host pointers the engine obtained. One run
 * at a time per engine; use one engine per device core.
 */
#ifndef LUT_ENGINE_H
#define LUT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lutcore_regs.h"
#include "lutcore_isa.h"

/* ---- Configuration ------------------------------------------------------ */

#define LUT_ENGINE_PORTABLE     (1u << 0)       /* never use AVX2 kernels */
#define LUT_ENGINE_MAX_THREADS  64

/*
 * The array shape, multiplier, cores, clock, lanes and bandwidth only feed
 * the cycle model: operand layouts are fixed by the ISA (lutcore_isa.h)
 * whatever array the modeled device has.
 */
struct lut_engine_config {
    uint32_t array_m;           /* LUT array shape: M2N64K4 by default */
    uint32_t array_n;
    uint32_t array_k;
    uint32_t array_mult;        /* array multiplier X */
    uint32_t cores;             /* cores of the modeled device */
    uint32_t clock_mhz;         /* modeled clock */
    uint32_t vector_lanes;      /* F32 lanes of the vector unit */
    uint32_t mem_bytes_per_cycle;       /* memory roofline, per core */
    uint32_t insn_overhead;     /* cycles to fetch and issue one insn */
    uint32_t threads;           /* host worker threads, 0 or 1 = caller */
    uint32_t flags;             /* LUT_ENGINE_* */
};

/*
 * Fill cfg with the defaults: M2N64K4, X = 1, 1 core, 1000 MHz, 64 vector
 * lanes, 64 bytes per cycle, 16 cycles per instruction issue, 1 host
 * thread. The environment variable
 * LUTCORE_ENGINE_PORTABLE=1 sets LUT_ENGINE_PORTABLE (tests use it).
 */
void lut_engine_config_default(struct lut_engine_config *cfg);

/* ---- Memory access ------------------------------------------------------ */

enum lut_access {
    LUT_READ  = 0,
    LUT_WRITE = 1,              /* write only: old contents not needed */
    LUT_RDWR  = 2,
};

/*
 * map: give a host pointer for the device range [va, va + len) with the
 * given access. It may cover only a prefix: *host_len (>= 1) says how
 * many bytes starting at va are contiguous on the host, and the engine
 * asks again for the rest. On failure it returns a LUTCORE_ERR_* code
 * (LUTCORE_ERR_PAGE_FAULT for an unmapped VA, LUTCORE_ERR_WRITE_FAULT for
 * a write to a read-only page, LUTCORE_ERR_BUS for a failed DMA) and sets
 * *fault_va to the first failing address.
 *
 * unmap (optional): release a mapping returned by map; written is the
 * number of bytes the engine may have stored into it (0 for reads).
 *
 * signal (optional): a SIGNAL instruction stored value at va; flags are
 * the instruction's LUTC_SIG_* flags (the device raises its interrupt).
 */
struct lut_mem_ops {
    int (*map)(void *opaque, uint64_t va, uint64_t len, enum lut_access acc,
               void **host, uint64_t *host_len, uint64_t *fault_va);
    void (*unmap)(void *opaque, void *host, uint64_t host_len,
                  enum lut_access acc, uint64_t written);
    void (*signal)(void *opaque, uint64_t va, uint64_t value,
                   uint32_t flags);
};

struct lut_mem {
    const struct lut_mem_ops *ops;
    void *opaque;
};

/*
 * Flat memory: device VAs [va_base, va_base + size) are host bytes
 * base[0..size). For tests it can mark a read-only window and split
 * mappings into runs of at most max_run bytes at max_run-aligned VAs, to
 * exercise the engine's handling of memory that is not contiguous.
 */
struct lut_flat_mem {
    uint8_t *base;
    uint64_t va_base;
    uint64_t size;
    uint64_t ro_start, ro_end;  /* read-only [ro_start, ro_end) */
    uint64_t max_run;           /* power of two, 0 = unlimited */
    uint64_t maps, unmaps;      /* statistics, for tests */
};

void lut_flat_mem_init(struct lut_flat_mem *fm, void *base,
                       uint64_t va_base, uint64_t size);
struct lut_mem lut_flat_mem(struct lut_flat_mem *fm);
extern const struct lut_mem_ops lut_flat_mem_ops;

/* ---- Execution ---------------------------------------------------------- */

struct lut_engine;

struct lut_exec_result {
    uint32_t error;             /* LUTCORE_ERR_* (NONE on success) */
    uint32_t fault_offset;      /* byte offset of the failing insn */
    uint64_t fault_va;          /* faulting operand VA, or insn VA */
    uint64_t insns;             /* instructions completed */
    uint64_t cycles;            /* modeled device cycles */
    uint64_t bytes_read;        /* operand bytes read */
    uint64_t bytes_written;     /* operand bytes written */
    bool aborted;               /* stopped by lut_engine_abort() */
};

/* Create an engine (and its worker threads). Returns 0 or -errno. */
int lut_engine_init(struct lut_engine **out,
                    const struct lut_engine_config *cfg);
void lut_engine_fini(struct lut_engine *e);
const struct lut_engine_config *lut_engine_get_config(struct lut_engine *e);
/* Whether the AVX2 kernels are in use (CPU support and not PORTABLE). */
bool lut_engine_uses_avx2(struct lut_engine *e);

/*
 * Execute the stream [va, va + size). Stops at the first failing
 * instruction; res says why and where. Returns res->error.
 */
int lut_engine_run(struct lut_engine *e, const struct lut_mem *mem,
                   uint64_t va, uint64_t size, struct lut_exec_result *res);

/*
 * Execute one descriptor held in host memory (LUTC_INSN_SIZE bytes).
 * Operands are still device VAs. Adds to res (zero it first).
 */
int lut_engine_exec(struct lut_engine *e, const struct lut_mem *mem,
                    const void *insn, struct lut_exec_result *res);

/*
 * Ask a running stream to stop (soft reset): any thread may call it. The
 * engine checks between instructions and between work chunks, and the run
 * returns with res->aborted set. The flag stays set until cleared.
 */
void lut_engine_abort(struct lut_engine *e);
void lut_engine_clear_abort(struct lut_engine *e);

/* ---- Cycle model -------------------------------------------------------- */

/* Modeled cycles of an LMMA of m x n x k with the given weight planes. */
uint64_t lut_cycles_lmma(const struct lut_engine_config *cfg, uint32_t m,
                         uint32_t n, uint32_t k, uint32_t planes);
/* Multiply-accumulates per cycle of one core (LUT array, all planes). */
double lut_macs_per_cycle(const struct lut_engine_config *cfg,
                          uint32_t planes);
/* Peak operations (2 per MAC) per second of the whole device. */
double lut_peak_ops(const struct lut_engine_config *cfg, uint32_t planes);

/*
 * The device's half-precision conversions (numeric.c): round to nearest
 * even, NaNs kept quiet. liblutcore converts with these too, so host-side
 * files and the device agree bit for bit.
 */
float lut_f16_to_f32(uint16_t h);
uint16_t lut_f32_to_f16(float f);
float lut_bf16_to_f32(uint16_t h);
uint16_t lut_f32_to_bf16(float f);

#endif /* LUT_ENGINE_H */
