// SPDX-License-Identifier: MIT
/*
 * Running streams on the CPU with the device's own engine.
 *
 * The engine reaches memory only through a lut_mem accessor; here the
 * accessor looks device VAs up in a sorted table of host ranges that the
 * caller registered, typically one per buffer object at the BO's device
 * VA. A stream built for the device therefore runs unchanged, with the
 * same results, fault codes and fault addresses.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lut_engine.h"
#include "lutcore/stream.h"

struct cpu_range {
	uint64_t va, size;
	uint8_t *host;
	uint32_t flags;
};

struct lut_cpu {
	struct lut_engine *e;
	struct cpu_range *r; /* sorted by va, never overlapping */
	uint32_t n, cap;
};

/* Index of the last range starting at or below va, or -1. */
static long find_below(const struct lut_cpu *cpu, uint64_t va)
{
	long lo = 0, hi = (long)cpu->n - 1, best = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if (cpu->r[mid].va <= va) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return best;
}

static int cpu_map(void *opaque, uint64_t va, uint64_t len, enum lut_access acc, void **host,
		   uint64_t *host_len, uint64_t *fault_va)
{
	const struct lut_cpu *cpu = opaque;
	long i = find_below(cpu, va);
	const struct cpu_range *r = i < 0 ? NULL : &cpu->r[i];
	uint64_t off;

	*fault_va = va;
	if (!r || va - r->va >= r->size)
		return LUTCORE_ERR_PAGE_FAULT;
	if (acc != LUT_READ && (r->flags & LUT_CPU_READ_ONLY))
		return LUTCORE_ERR_WRITE_FAULT;
	off = va - r->va;
	*host = r->host + off;
	*host_len = len < r->size - off ? len : r->size - off;
	return LUTCORE_ERR_NONE;
}

static const struct lut_mem_ops cpu_mem_ops = {.map = cpu_map};

int lut_cpu_new(struct lut_cpu **out, unsigned int threads)
{
	struct lut_engine_config cfg;
	struct lut_cpu *cpu;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (threads > LUT_ENGINE_MAX_THREADS)
		return -EINVAL;
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	lut_engine_config_default(&cfg);
	cfg.threads = threads ? threads : 1;
	ret = lut_engine_init(&cpu->e, &cfg);
	if (ret) {
		free(cpu);
		return ret;
	}
	*out = cpu;
	return 0;
}

void lut_cpu_free(struct lut_cpu *cpu)
{
	if (!cpu)
		return;
	lut_engine_fini(cpu->e);
	free(cpu->r);
	free(cpu);
}

/* Whether [va, va + size) meets any mapped range. */
static bool overlaps(const struct lut_cpu *cpu, uint64_t va, uint64_t size)
{
	long i = find_below(cpu, va + size - 1);

	return i >= 0 && cpu->r[i].va + cpu->r[i].size > va;
}

int lut_cpu_map(struct lut_cpu *cpu, uint64_t va, void *host, uint64_t size, uint32_t flags)
{
	long at;

	if (!cpu || !host || !size || va + size - 1 < va || (flags & ~LUT_CPU_READ_ONLY))
		return -EINVAL;
	if (overlaps(cpu, va, size))
		return -EEXIST;
	if (cpu->n == cpu->cap) {
		uint32_t cap = cpu->cap ? 2 * cpu->cap : 8;
		struct cpu_range *r = realloc(cpu->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		cpu->r = r;
		cpu->cap = cap;
	}
	at = find_below(cpu, va) + 1;
	memmove(&cpu->r[at + 1], &cpu->r[at], (cpu->n - at) * sizeof(*cpu->r));
	cpu->r[at] = (struct cpu_range){.va = va, .size = size, .host = host, .flags = flags};
	cpu->n++;
	return 0;
}

int lut_cpu_unmap(struct lut_cpu *cpu, uint64_t va)
{
	long at;

	if (!cpu)
		return -EINVAL;
	at = find_below(cpu, va);
	if (at < 0 || cpu->r[at].va != va)
		return -ENOENT;
	cpu->n--;
	memmove(&cpu->r[at], &cpu->r[at + 1], (cpu->n - at) * sizeof(*cpu->r));
	return 0;
}

int lut_cpu_run(struct lut_cpu *cpu, uint64_t va, uint64_t size, struct lut_cpu_result *res)
{
	const struct lut_mem mem = {.ops = &cpu_mem_ops, .opaque = cpu};
	struct lut_exec_result r;

	if (!cpu || !res)
		return -EINVAL;
	lut_engine_run(cpu->e, &mem, va, size, &r);
	*res = (struct lut_cpu_result){
		.error = r.error,
		.fault_offset = r.fault_offset,
		.fault_va = r.fault_va,
		.insns = r.insns,
		.cycles = r.cycles,
		.bytes_read = r.bytes_read,
		.bytes_written = r.bytes_written,
	};
	return r.error ? -EIO : 0;
}

int lut_cpu_run_stream(struct lut_cpu *cpu, const struct lut_stream *s, struct lut_cpu_result *res)
{
	uint64_t va = lut_stream_va(s), size = lut_stream_size(s);
	long i;
	int ret;

	if (!cpu || !s || !res || !size || lut_stream_error(s))
		return -EINVAL;
	i = find_below(cpu, va);
	if (i >= 0 && va - cpu->r[i].va < cpu->r[i].size &&
	    cpu->r[i].size - (va - cpu->r[i].va) >= size)
		return lut_cpu_run(cpu, va, size, res);
	/* The engine only reads the stream, so its buffer can be const. */
	ret = lut_cpu_map(cpu, va, (void *)lut_stream_data(s), size, LUT_CPU_READ_ONLY);
	if (ret)
		return ret;
	ret = lut_cpu_run(cpu, va, size, res);
	lut_cpu_unmap(cpu, va);
	return ret;
}
