/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine internals shared by the engine's source files.
 */
#ifndef LUT_ENGINE_INT_H
#define LUT_ENGINE_INT_H

#include <stdatomic.h>
#include <string.h>
#include "lut_engine.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the engine reads little-endian descriptors and operands");

/*
 * Host test for the AVX2 kernels. QEMU's checkpatch asks host tests to use
 * QEMU's CONFIG_* macros, which this QEMU-independent module cannot see,
 * so the compiler's own macro is tested on a continuation line.
 */
#if \
    defined(__x86_64__)
#define LUT_HOST_X86_64 1
#else
#define LUT_HOST_X86_64 0
#endif

#define LUT_ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define LUT_DIV_UP(a, b)        (((a) + (b) - 1) / (b))
#define LUT_MIN(a, b)           ((a) < (b) ? (a) : (b))
#define LUT_MAX(a, b)           ((a) > (b) ? (a) : (b))

/* ---- Thread pool (threads.c) -------------------------------------------- */

struct lut_pool;
typedef void (*lut_work_fn)(void *arg, uint32_t item, uint32_t worker);

int lut_pool_init(struct lut_pool **out, uint32_t threads,
                  const atomic_bool *abort);
void lut_pool_fini(struct lut_pool *p);
uint32_t lut_pool_threads(const struct lut_pool *p);
/* Run fn for items 0..n-1 on all threads; returns when all are done. */
void lut_pool_run(struct lut_pool *p, uint32_t n, lut_work_fn fn, void *arg);

/* ---- Engine and per-instruction context --------------------------------- */

struct lut_engine {
    struct lut_engine_config cfg;
    struct lut_pool *pool;
    atomic_bool abort;
    bool avx2;
    /* Per-worker scratch, grown on the calling thread before dispatch. */
    void **scratch;
    size_t *scratch_size;
    /* Engine-owned staging buffer (LMMA tables). */
    void *stage;
    size_t stage_size;
};

/* One operand mapping: a host pointer for part of a device range. */
struct lut_run {
    uint64_t off;               /* offset in the operand */
    uint64_t len;
    uint8_t *host;
};

/*
 * An acquired operand. If the device range is one host run, ptr points
 * into it; otherwise ptr is a bounce buffer filled from the runs and, for
 * writes, copied back when the instruction ends.
 */
struct lut_span {
    uint64_t va, len;
    enum lut_access acc;
    uint8_t *ptr;
    bool bounce;
    uint32_t nruns;
    struct lut_run *runs;
};

#define LUT_MAX_SPANS   16

struct lut_ctx {
    struct lut_engine *e;
    const struct lut_mem *mem;
    struct lut_exec_result *res;
    uint64_t insn_va;
    uint64_t fault_va;          /* set with an error code */
    uint64_t rd, wr;            /* operand bytes of this instruction */
    uint64_t compute_cycles;    /* set by the instruction */
    uint32_t nspans;
    struct lut_span spans[LUT_MAX_SPANS];
};

/* ---- Operand access (operand.c) ----------------------------------------- */

/*
 * Acquire [va, va + len) as one host range. Checks alignment and overflow
 * (LUTCORE_ERR_BAD_OPERAND) and maps it (fault codes from the accessor).
 * Released by lut_release_all() at the end of the instruction.
 */
int lut_acquire(struct lut_ctx *c, uint64_t va, uint64_t len,
                uint32_t align, enum lut_access acc, void **ptr);
/* Acquire a read-only view whose pieces are read with lut_view_ptr(). */
int lut_acquire_view(struct lut_ctx *c, uint64_t va, uint64_t len,
                     uint32_t align, const struct lut_span **view);
/*
 * Host pointer to [off, off + len) of a view; copies into scratch if the
 * piece straddles two runs. Safe on worker threads.
 */
const uint8_t *lut_view_ptr(const struct lut_span *v, uint64_t off,
                            uint64_t len, uint8_t *scratch);
void lut_release_all(struct lut_ctx *c);
/* Release the spans acquired after the first mark ones. */
void lut_release_from(struct lut_ctx *c, uint32_t mark);
/* Copy a small device range into dst right away (ids, single rows). */
int lut_read(struct lut_ctx *c, uint64_t va, uint64_t len, uint32_t align,
             void *dst);
/* Scratch of at least size bytes for every worker; 0 or an error code. */
int lut_reserve_scratch(struct lut_ctx *c, size_t size);
int lut_reserve_stage(struct lut_ctx *c, size_t size);
/* Record an error with its faulting VA; returns err. */
int lut_fail(struct lut_ctx *c, int err, uint64_t va);

/*
 * Byte length of rows x cols elements with row stride ld; 0 if a count is
 * 0 or ld < cols (callers have validated both).
 */
uint64_t lut_matrix_bytes(uint32_t rows, uint32_t cols, uint32_t ld,
                          uint32_t esize);

static inline bool lut_aborted(const struct lut_ctx *c)
{
    return atomic_load_explicit(&c->e->abort, memory_order_relaxed);
}

/* ---- Numerics (numeric.c) ----------------------------------------------- */

/* Element i of a float-typed array (F32, F16, BF16) as float. */
float lut_load_f(const void *p, uint32_t dtype, uint64_t i);
void lut_store_f(void *p, uint32_t dtype, uint64_t i, float v);
float lut_silu(float x);

/* fmaxf() without the libm call: a NaN operand is ignored, as there. */
static inline float lut_fmaxf(float a, float b)
{
    return b > a || a != a ? b : a;
}
/* 1 / sqrt(mean(x^2) + eps), the sum of squares taken in double. */
float lut_rms_scale(const float *x, uint32_t n, float eps);
float lut_relu2(float x);

/* ---- Instructions ------------------------------------------------------- */

typedef int (*lut_op_fn)(struct lut_ctx *c, const union lutc_insn *in);

int lut_op_nop(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_fence(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_signal(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_copy(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_precomp(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_lmma(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_epilogue(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_embed(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_rmsnorm(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_rope(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_attn(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_eltwise(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_argmax(struct lut_ctx *c, const union lutc_insn *in);
int lut_op_softmax(struct lut_ctx *c, const union lutc_insn *in);

/* Validation helpers (decode.c). */
bool lut_zero_bytes(const void *p, size_t len);
bool lut_is_float_dtype(uint32_t dt);
/* Check a field that must be zero unless its flag is set. */
int lut_check_unused(struct lut_ctx *c, bool used, uint64_t field);
/* Common dimension check: 1 <= d <= LUTC_MAX_DIM. */
bool lut_dim_ok(uint32_t d);

/* Vector-unit cycles for ops elementwise operations. */
uint64_t lut_vector_cycles(const struct lut_engine_config *cfg,
                           uint64_t ops);

#endif /* LUT_ENGINE_INT_H */
