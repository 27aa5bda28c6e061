/* SPDX-License-Identifier: MIT */
/*
 * LUTCore engine: a small persistent pool of host worker threads.
 *
 * The engine splits large instructions into items (row tiles, rows,
 * heads). The calling thread takes part as worker 0, so a pool of one
 * thread creates nothing. Workers pull item numbers from an atomic
 * counter, which balances uneven items without a scheduler.
 *
 * A decode-step stream is a chain of instructions of a fraction of a
 * millisecond each, so waking sleeping workers for each one would cost a
 * visible share of the time. Workers and the caller therefore poll for a
 * short while (LUT_POOL_SPIN polls) before they sleep on the condition
 * variables.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "lut_engine_int.h"

#define LUT_POOL_SPIN   20000

struct lut_worker {
    struct lut_pool *pool;
    pthread_t thread;
    uint32_t id;
};

struct lut_pool {
    uint32_t threads;
    const atomic_bool *abort;
    pthread_mutex_t lock;
    pthread_cond_t start;
    pthread_cond_t done;
    atomic_uint_fast64_t generation;    /* bumped for every job */
    atomic_uint finished;       /* workers done with this generation */
    bool quit;
    lut_work_fn fn;
    void *arg;
    uint32_t items;
    atomic_uint next;
    struct lut_worker *workers; /* threads - 1 of them */
    uint32_t started;
};

static void pool_work(struct lut_pool *p, uint32_t worker)
{
    uint32_t i;

    while ((i = atomic_fetch_add(&p->next, 1)) < p->items) {
        /* After an abort the remaining items are drained, not run. */
        if (!atomic_load_explicit(p->abort, memory_order_relaxed)) {
            p->fn(p->arg, i, worker);
        }
    }
}

/* Wait until the generation moves past seen (or the pool quits). */
static bool pool_wait_job(struct lut_pool *p, uint64_t seen)
{
    uint32_t i;
    bool quit;

    for (i = 0; i < LUT_POOL_SPIN; i++) {
        if (atomic_load_explicit(&p->generation,
                                 memory_order_acquire) != seen) {
            return true;
        }
    }
    pthread_mutex_lock(&p->lock);
    while (!p->quit && atomic_load(&p->generation) == seen) {
        pthread_cond_wait(&p->start, &p->lock);
    }
    quit = p->quit;
    pthread_mutex_unlock(&p->lock);
    return !quit;
}

static void *pool_main(void *opaque)
{
    struct lut_worker *w = opaque;
    struct lut_pool *p = w->pool;
    uint64_t seen = 0;

    while (pool_wait_job(p, seen)) {
        seen = atomic_load(&p->generation);
        pool_work(p, w->id);
        if (atomic_fetch_add(&p->finished, 1) + 1 == p->threads - 1) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
    return NULL;
}

int lut_pool_init(struct lut_pool **out, uint32_t threads,
                  const atomic_bool *abort)
{
    struct lut_pool *p = calloc(1, sizeof(*p));
    uint32_t i;

    if (!p) {
        return -ENOMEM;
    }
    p->threads = threads ? threads : 1;
    p->abort = abort;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->workers = calloc(p->threads, sizeof(*p->workers));
    if (!p->workers) {
        lut_pool_fini(p);
        return -ENOMEM;
    }
    for (i = 1; i < p->threads; i++) {
        struct lut_worker *w = &p->workers[i - 1];

        w->pool = p;
        w->id = i;
        if (pthread_create(&w->thread, NULL, pool_main, w)) {
            lut_pool_fini(p);
            return -EAGAIN;
        }
        p->started++;
    }
    *out = p;
    return 0;
}

void lut_pool_fini(struct lut_pool *p)
{
    uint32_t i;

    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->started; i++) {
        pthread_join(p->workers[i].thread, NULL);
    }
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->start);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}

uint32_t lut_pool_threads(const struct lut_pool *p)
{
    return p->threads;
}

void lut_pool_run(struct lut_pool *p, uint32_t n, lut_work_fn fn, void *arg)
{
    uint32_t i;

    p->fn = fn;
    p->arg = arg;
    p->items = n;
    atomic_store(&p->next, 0);
    if (p->threads == 1 || n <= 1) {
        pool_work(p, 0);
        return;
    }
    atomic_store(&p->finished, 0);
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);

    pool_work(p, 0);

    for (i = 0; i < LUT_POOL_SPIN; i++) {
        if (atomic_load(&p->finished) == p->threads - 1) {
            return;
        }
    }
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->finished) < p->threads - 1) {
        pthread_cond_wait(&p->done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}
