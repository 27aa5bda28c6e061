// SPDX-License-Identifier: MIT
/*
 * lutcore-train's thread pool: fork-join over static ranges.
 *
 * A job is published under the mutex with a new generation number; every
 * worker takes its own fixed range (its index decides it, not who wakes
 * first), the caller does range 0, and the last one to finish signals the
 * caller. Which thread computes an item never changes what is computed, so
 * timing cannot change a result.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "train.h"

struct lt_pool {
	unsigned int n;
	pthread_t *tid;
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	uint64_t gen;
	unsigned int pending;
	bool quit;
	/* The current job. */
	lt_task_fn fn;
	void *ctx;
	size_t items, grain;
};

struct worker_arg {
	struct lt_pool *p;
	unsigned int index;
};

/* Items of thread t: [t*n/T, (t+1)*n/T) rounded down to the grain. */
static void range(size_t n, size_t grain, unsigned int t, unsigned int threads, size_t *b,
		  size_t *e)
{
	size_t blocks = (n + grain - 1) / grain;

	*b = blocks * t / threads * grain;
	*e = blocks * (t + 1) / threads * grain;
	if (*b > n)
		*b = n;
	if (*e > n || t + 1 == threads)
		*e = n;
}

static void run_part(struct lt_pool *p, unsigned int t)
{
	size_t b, e;

	range(p->items, p->grain, t, p->n, &b, &e);
	if (b < e)
		p->fn(p->ctx, b, e);
}

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	struct lt_pool *p = w->p;
	unsigned int index = w->index;
	uint64_t seen = 0;

	free(w);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->quit && p->gen == seen)
			pthread_cond_wait(&p->go, &p->lock);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->lock);
		run_part(p, index);
		pthread_mutex_lock(&p->lock);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int lt_pool_new(unsigned int n, struct lt_pool **out)
{
	struct lt_pool *p = calloc(1, sizeof(*p));
	unsigned int i;

	*out = NULL;
	if (!p || !n) {
		free(p);
		return p ? -EINVAL : -ENOMEM;
	}
	p->n = n;
	p->tid = calloc(n, sizeof(*p->tid));
	if (!p->tid) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	for (i = 1; i < n; i++) {
		struct worker_arg *w = malloc(sizeof(*w));

		if (w) {
			w->p = p;
			w->index = i;
		}
		if (!w || pthread_create(&p->tid[i], NULL, worker, w)) {
			free(w);
			p->n = i; /* the threads made so far */
			lt_pool_free(p);
			return -ENOMEM;
		}
	}
	*out = p;
	return 0;
}

void lt_pool_free(struct lt_pool *p)
{
	unsigned int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	for (i = 1; i < p->n; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p->tid);
	free(p);
}

unsigned int lt_pool_threads(const struct lt_pool *p)
{
	return p ? p->n : 1;
}

void lt_parallel(struct lt_pool *p, size_t n, size_t grain, lt_task_fn fn, void *ctx)
{
	if (!grain)
		grain = 1;
	if (!n)
		return;
	if (!p || p->n == 1 || n <= grain) {
		fn(ctx, 0, n);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->ctx = ctx;
	p->items = n;
	p->grain = grain;
	p->pending = p->n - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	run_part(p, 0);
	pthread_mutex_lock(&p->lock);
	while (p->pending)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}
