// SPDX-License-Identifier: MIT
/*
 * The model runtime's memory: pools of chunks that are buffer objects on
 * the device backend and anonymous host memory mapped into lut_cpu at
 * device VAs of our choosing on the CPU backend, so that one stream
 * serves both.
 *
 * Pools are planned first (lm_reserve() only counts) and committed later,
 * chunk by chunk, each chunk at most the driver's largest buffer (and at
 * most LM_CHUNK_MAX, so that no single allocation has to find a huge run
 * of free memory). The flags follow what the device does with a pool:
 * weights and streams are read-only for it (a stray write faults instead
 * of corrupting the model), the KV caches are device-only (no CPU mapping).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model_priv.h"

#define LM_CHUNK_MAX   (1ull << 30)
#define LM_CHUNK_ALIGN (64ull << 10) /* CPU backend: VA granule and guard */
#define LM_CPU_VA_BASE (1ull << 32)
#define LM_CPU_VA_END  (1ull << 39) /* the device's VA space */
/*
 * Device jobs are cut so that each one's estimated work (model_graph.c)
 * takes at most a quarter of the driver's job timeout at 1e9 lookups per
 * second: the engine does 4.8e9 per host thread on a 2B BitNet decode
 * step (one QEMU engine thread by default), which leaves room for a busy
 * host and the device's address translation.
 */
#define LM_DEV_WORK_PER_MS 1000000ull

static const char *const pool_names[LM_NPOOLS] = {
	[LM_POOL_WEIGHTS] = "weights",
	[LM_POOL_KV] = "KV cache",
	[LM_POOL_ACT] = "activations",
	[LM_POOL_STREAM] = "streams",
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint64_t lm_chunk_max(const struct lut_model *m)
{
	uint64_t max = LM_CHUNK_MAX, page = m->caps.page_size ? m->caps.page_size : 4096;

	if (m->dev && m->caps.max_bo_size && m->caps.max_bo_size < max)
		max = m->caps.max_bo_size & ~(page - 1);
	return max;
}

static unsigned int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 64 ? 64 : (unsigned int)n;
}

int lm_mem_init(struct lut_model *m)
{
	int i, ret;

	for (i = 1; i < LM_NPOOLS; i++)
		m->pool[i].what = pool_names[i];
	m->pool[LM_POOL_STREAM].min_size = 256u << 10; /* a few shapes per chunk */
	m->seg_insns = LUTC_STREAM_MAX / LUTC_INSN_SIZE;
	if (m->p.backend == LUT_BACKEND_CPU) {
		ret = lut_cpu_new(&m->cpu, m->p.threads ? m->p.threads : online_cpus());
		m->next_va = LM_CPU_VA_BASE;
		return ret ? lm_fail(m, ret, "cannot start the CPU engine: %s", strerror(-ret)) : 0;
	}
	m->dev = m->p.dev;
	ret = lut_dev_query_caps(m->dev, &m->caps);
	if (ret)
		return lm_fail(m, ret, "cannot query the device: %s", strerror(-ret));
	m->seg_work = (uint64_t)m->caps.job_timeout_ms / 4 * LM_DEV_WORK_PER_MS;
	return 0;
}

int lm_reserve(struct lut_model *m, enum lm_pool_id id, uint64_t size, uint64_t align,
	       struct lm_loc *loc)
{
	struct lm_pool *pl = &m->pool[id];
	struct lm_chunk *last = pl->n ? &pl->c[pl->n - 1] : NULL;
	uint64_t max = lm_chunk_max(m), off = align_up(pl->used, align);

	if (size > max)
		return lm_fail(m, -E2BIG,
			       "%s: %llu bytes in one piece exceed the largest buffer (%llu bytes)",
			       pl->what, (unsigned long long)size, (unsigned long long)max);
	if (!last || off + size > (last->committed ? last->size : max)) {
		if (pl->n == pl->cap) {
			uint32_t cap = pl->cap ? 2 * pl->cap : 4;
			struct lm_chunk *c = realloc(pl->c, cap * sizeof(*c));

			if (!c)
				return lm_fail(m, -ENOMEM, "out of memory");
			pl->c = c;
			pl->cap = cap;
		}
		last = &pl->c[pl->n++];
		memset(last, 0, sizeof(*last));
		off = 0;
	}
	pl->used = off + size;
	if (!last->committed)
		last->size = pl->used;
	*loc = (struct lm_loc){.pool = id, .chunk = pl->n - 1, .off = off};
	return 0;
}

static int commit_cpu(struct lut_model *m, enum lm_pool_id id, struct lm_chunk *c)
{
	bool ro = id == LM_POOL_WEIGHTS || id == LM_POOL_STREAM;
	void *p;
	int ret;

	c->size = align_up(c->size, LM_CHUNK_ALIGN);
	if (m->next_va + c->size > LM_CPU_VA_END)
		return lm_fail(m, -ENOMEM, "%s: the device address space is full",
			       m->pool[id].what);
	p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return lm_fail(m, -ENOMEM, "%s: cannot allocate %llu MiB of memory",
			       m->pool[id].what, (unsigned long long)(c->size >> 20));
	ret = lut_cpu_map(m->cpu, m->next_va, p, c->size, ro ? LUT_CPU_READ_ONLY : 0);
	if (ret) {
		munmap(p, c->size);
		return lm_fail(m, ret, "%s: cannot map memory for the engine: %s", m->pool[id].what,
			       strerror(-ret));
	}
	c->host = p;
	c->va = m->next_va;
	m->next_va += c->size + LM_CHUNK_ALIGN;
	return 0;
}

static uint32_t bo_flags(enum lm_pool_id id)
{
	if (id == LM_POOL_WEIGHTS || id == LM_POOL_STREAM)
		return DRM_LUTCORE_BO_DEV_READ_ONLY;
	return id == LM_POOL_KV ? DRM_LUTCORE_BO_NO_MMAP : 0;
}

static int commit_dev(struct lut_model *m, enum lm_pool_id id, struct lm_chunk *c)
{
	struct lut_bo **bos;
	void *p = NULL;
	int ret;

	if (id != LM_POOL_STREAM) {
		/* Every BO but the streams' is listed in each submit. */
		bos = realloc(m->bos, (m->nbos + 1) * sizeof(*bos));
		if (!bos)
			return lm_fail(m, -ENOMEM, "out of memory");
		m->bos = bos;
		if (m->caps.max_submit_bos && m->nbos + 1 > m->caps.max_submit_bos)
			return lm_fail(m, -E2BIG,
				       "the model needs more buffers than a job can list (%u)",
				       m->caps.max_submit_bos);
	}
	ret = lut_bo_new(m->dev, c->size, bo_flags(id), &c->bo);
	if (!ret && !(bo_flags(id) & DRM_LUTCORE_BO_NO_MMAP))
		ret = lut_bo_map(c->bo, &p);
	if (ret) {
		lut_bo_free(c->bo);
		c->bo = NULL;
		return lm_fail(m, ret, "%s: cannot allocate a %llu MiB device buffer: %s",
			       m->pool[id].what, (unsigned long long)(c->size >> 20),
			       strerror(-ret));
	}
	c->host = p;
	c->va = lut_bo_va(c->bo);
	c->size = lut_bo_size(c->bo);
	if (id != LM_POOL_STREAM)
		m->bos[m->nbos++] = c->bo;
	return 0;
}

int lm_commit(struct lut_model *m, enum lm_pool_id id)
{
	struct lm_pool *pl = &m->pool[id];
	uint32_t i;
	int ret;

	for (i = 0; i < pl->n; i++) {
		struct lm_chunk *c = &pl->c[i];

		if (c->committed)
			continue;
		if (c->size < pl->min_size)
			c->size = pl->min_size < lm_chunk_max(m) ? pl->min_size : lm_chunk_max(m);
		ret = m->cpu ? commit_cpu(m, id, c) : commit_dev(m, id, c);
		if (ret)
			return ret;
		c->committed = true;
	}
	return 0;
}

uint64_t lm_va(const struct lut_model *m, struct lm_loc loc)
{
	if (loc.pool == LM_POOL_NONE)
		return 0;
	return m->pool[loc.pool].c[loc.chunk].va + loc.off;
}

void *lm_host(const struct lut_model *m, struct lm_loc loc)
{
	const struct lm_chunk *c;

	if (loc.pool == LM_POOL_NONE)
		return NULL;
	c = &m->pool[loc.pool].c[loc.chunk];
	return c->host ? c->host + loc.off : NULL;
}

void lm_drop_host_view(struct lut_model *m, enum lm_pool_id id)
{
	struct lm_pool *pl = &m->pool[id];
	uint32_t i;

	for (i = 0; m->dev && i < pl->n; i++) {
		if (pl->c[i].bo && !lut_bo_unmap(pl->c[i].bo))
			pl->c[i].host = NULL;
	}
}

void lm_mem_free(struct lut_model *m)
{
	int i;

	for (i = 1; i < LM_NPOOLS; i++) {
		struct lm_pool *pl = &m->pool[i];
		uint32_t j;

		for (j = 0; j < pl->n; j++) {
			struct lm_chunk *c = &pl->c[j];

			if (!c->committed)
				continue;
			if (c->bo)
				lut_bo_free(c->bo);
			else if (c->host)
				munmap(c->host, c->size);
		}
		free(pl->c);
		memset(pl, 0, sizeof(*pl));
	}
	free(m->bos);
	m->bos = NULL;
	m->nbos = 0;
	lut_cpu_free(m->cpu);
	m->cpu = NULL;
}
