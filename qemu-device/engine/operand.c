/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: operand acquisition through the memory accessor.
 *
 * Instructions work on plain host pointers. This file turns a device
 * range into one: it asks the accessor for host runs, uses the memory in
 * place when one run covers the range (the common case, and the only one
 * for large operands in flat memory), and otherwise gathers the runs into
 * a bounce buffer that is scattered back when the instruction ends. The
 * packed weights of an LMMA are instead kept as a view (a list of runs)
 * that workers read piece by piece, so fragmented weights are copied a
 * tile at a time while they are hot in the cache.
 */
#include <stdlib.h>
#include "lut_engine_int.h"

/*
 * Host memory a guest can make the device use, per operand: an operand
 * that is not contiguous in host memory is copied whole (the weights of
 * LMMA excepted, which are read in place), and every contiguous run is
 * recorded. Beyond these it is BAD_OPERAND, before anything is copied.
 */
#define LUT_MAX_COPY (1ull << 30)
#define LUT_MAX_RUNS (1u << 20)

/* Runs mapped between two looks at the engine's abort flag. */
#define LUT_ABORT_CHECK_RUNS 4096

/* Largest device range one operand may cover (the device VA space). */
#define LUT_MAX_OPERAND (1ull << LUTCORE_VA_BITS)

int lut_fail(struct lut_ctx *c, int err, uint64_t va)
{
    c->fault_va = va;
    return err;
}

uint64_t lut_matrix_bytes(uint32_t rows, uint32_t cols, uint32_t ld,
                          uint32_t esize)
{
    uint64_t stride = ld ? ld : cols;

    if (!rows || !cols || stride < cols) {
        return 0;
    }
    /* Both factors are below 2^32, so the product cannot overflow. */
    return ((uint64_t)(rows - 1) * stride + cols) * esize;
}

/* Whether the operand may take another run; fails it if not. */
static int run_allowed(struct lut_ctx *c, const struct lut_span *s,
                       uint64_t got, bool view)
{
    bool copied = !view && (s->nruns || got < s->len);

    if (s->nruns == LUT_MAX_RUNS || (copied && s->len > LUT_MAX_COPY)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, s->va);
    }
    return 0;
}

static int map_runs(struct lut_ctx *c, struct lut_span *s, bool view)
{
    const struct lut_mem_ops *ops = c->mem->ops;
    uint32_t cap = 0;
    uint64_t off = 0;

    while (off < s->len) {
        void *host = NULL;
        uint64_t got = 0, fault = s->va + off;
        int err;

        /*
         * An operand of scattered pages maps one run per page: heed an
         * abort (device reset or removal) within it, not only between
         * instructions. The aborted job's result is discarded.
         */
        if (s->nruns % LUT_ABORT_CHECK_RUNS == LUT_ABORT_CHECK_RUNS - 1 &&
            atomic_load(&c->e->abort)) {
            return lut_fail(c, LUTCORE_ERR_BUS, s->va + off);
        }
        err = ops->map(c->mem->opaque, s->va + off, s->len - off, s->acc,
                       &host, &got, &fault);
        if (err) {
            return lut_fail(c, err, fault);
        }
        if (!host || !got) {
            return lut_fail(c, LUTCORE_ERR_BUS, s->va + off);
        }
        got = LUT_MIN(got, s->len - off);
        err = run_allowed(c, s, got, view);
        if (err) {
            if (ops->unmap) {
                ops->unmap(c->mem->opaque, host, got, s->acc, 0);
            }
            return err;
        }
        if (s->nruns == cap) {
            struct lut_run *r;

            cap = cap ? cap * 2 : 4;
            r = realloc(s->runs, cap * sizeof(*r));
            if (!r) {
                if (ops->unmap) {
                    ops->unmap(c->mem->opaque, host, got, s->acc, 0);
                }
                return lut_fail(c, LUTCORE_ERR_BUS, s->va + off);
            }
            s->runs = r;
        }
        s->runs[s->nruns++] = (struct lut_run){ off, got, host };
        off += got;
    }
    return 0;
}

static void gather(const struct lut_span *s, uint8_t *dst)
{
    uint32_t i;

    for (i = 0; i < s->nruns; i++) {
        memcpy(dst + s->runs[i].off, s->runs[i].host, s->runs[i].len);
    }
}

static void scatter(const struct lut_span *s)
{
    uint32_t i;

    for (i = 0; i < s->nruns; i++) {
        memcpy(s->runs[i].host, s->ptr + s->runs[i].off, s->runs[i].len);
    }
}

static int check_range(struct lut_ctx *c, uint64_t va, uint64_t len,
                       uint32_t align)
{
    if (!len || len > LUT_MAX_OPERAND || va + len < va ||
        (align && va % align)) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, va);
    }
    if (c->nspans == LUT_MAX_SPANS) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, va);
    }
    return 0;
}

static int acquire(struct lut_ctx *c, uint64_t va, uint64_t len,
                   uint32_t align, enum lut_access acc, bool view,
                   struct lut_span **out)
{
    struct lut_span *s;
    int err = check_range(c, va, len, align);

    if (err) {
        return err;
    }
    s = &c->spans[c->nspans++];
    *s = (struct lut_span){ .va = va, .len = len, .acc = acc };
    err = map_runs(c, s, view);
    if (err) {
        return err;
    }
    /*
     * After translation, as on the device, whose MMU faults first on an
     * address beyond the VA space; a flat host memory maps anything.
     */
    if (va + len > LUT_MAX_OPERAND) {
        return lut_fail(c, LUTCORE_ERR_BAD_OPERAND, va);
    }
    if (acc != LUT_WRITE) {
        c->rd += len;
    }
    if (acc != LUT_READ) {
        c->wr += len;
    }
    if (s->nruns == 1) {
        s->ptr = s->runs[0].host;
    } else if (!view) {
        s->ptr = malloc(len);
        if (!s->ptr) {
            return lut_fail(c, LUTCORE_ERR_BUS, va);
        }
        s->bounce = true;
        /* Gather even for write-only use: strided rows keep their gaps. */
        gather(s, s->ptr);
    }
    *out = s;
    return 0;
}

int lut_acquire(struct lut_ctx *c, uint64_t va, uint64_t len,
                uint32_t align, enum lut_access acc, void **ptr)
{
    struct lut_span *s;
    int err = acquire(c, va, len, align, acc, false, &s);

    if (!err) {
        *ptr = s->ptr;
    }
    return err;
}

int lut_acquire_view(struct lut_ctx *c, uint64_t va, uint64_t len,
                     uint32_t align, const struct lut_span **view)
{
    struct lut_span *s;
    int err = acquire(c, va, len, align, LUT_READ, true, &s);

    if (!err) {
        *view = s;
    }
    return err;
}

const uint8_t *lut_view_ptr(const struct lut_span *v, uint64_t off,
                            uint64_t len, uint8_t *scratch)
{
    uint32_t lo = 0, hi = v->nruns;
    uint64_t done = 0;

    if (v->ptr) {
        return v->ptr + off;
    }
    /* Binary search for the run holding off. */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;

        if (v->runs[mid].off <= off) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if (off + len <= v->runs[lo].off + v->runs[lo].len) {
        return v->runs[lo].host + (off - v->runs[lo].off);
    }
    while (done < len) {
        const struct lut_run *r = &v->runs[lo++];
        uint64_t skip = off + done - r->off;
        uint64_t n = LUT_MIN(r->len - skip, len - done);

        memcpy(scratch + done, r->host + skip, n);
        done += n;
    }
    return scratch;
}

void lut_release_from(struct lut_ctx *c, uint32_t mark)
{
    const struct lut_mem_ops *ops = c->mem->ops;
    uint32_t i, j;

    /* Release in reverse so that a later in-place alias wins. */
    for (i = c->nspans; i-- > mark;) {
        struct lut_span *s = &c->spans[i];

        if (s->bounce && s->acc != LUT_READ) {
            scatter(s);
        }
        for (j = 0; ops->unmap && j < s->nruns; j++) {
            ops->unmap(c->mem->opaque, s->runs[j].host, s->runs[j].len,
                       s->acc, s->acc == LUT_READ ? 0 : s->runs[j].len);
        }
        if (s->bounce) {
            free(s->ptr);
        }
        free(s->runs);
    }
    c->nspans = mark;
}

void lut_release_all(struct lut_ctx *c)
{
    lut_release_from(c, 0);
}

int lut_read(struct lut_ctx *c, uint64_t va, uint64_t len, uint32_t align,
             void *dst)
{
    uint32_t mark = c->nspans;
    void *p;
    int err = lut_acquire(c, va, len, align, LUT_READ, &p);

    if (!err) {
        memcpy(dst, p, len);
    }
    lut_release_from(c, mark);
    return err;
}

static int grow(void **buf, size_t *have, size_t want)
{
    void *p;

    if (*have >= want) {
        return 0;
    }
    /* 64-byte aligned so that kernels may use aligned vector loads. */
    want = LUT_DIV_UP(want, 64) * 64;
    p = aligned_alloc(64, want);
    if (!p) {
        return -1;
    }
    free(*buf);
    *buf = p;
    *have = want;
    return 0;
}

int lut_reserve_scratch(struct lut_ctx *c, size_t size)
{
    struct lut_engine *e = c->e;
    uint32_t i, n = lut_pool_threads(e->pool);

    for (i = 0; i < n; i++) {
        if (grow(&e->scratch[i], &e->scratch_size[i], size)) {
            return lut_fail(c, LUTCORE_ERR_BUS, c->insn_va);
        }
    }
    return 0;
}

int lut_reserve_stage(struct lut_ctx *c, size_t size)
{
    if (grow(&c->e->stage, &c->e->stage_size, size)) {
        return lut_fail(c, LUTCORE_ERR_BUS, c->insn_va);
    }
    return 0;
}
