// SPDX-License-Identifier: MIT
/*
 * lutcore-bench --submit: what a job costs apart from its work.
 *
 * An empty job (a stream of one NOP) is submitted and waited for, one at a
 * time (round trip: median, p99) and with many in flight (jobs per
 * second). Side by side, in the same process and on the same file, two
 * baselines bound it from below: a GET_PARAM ioctl (the cost of entering
 * the driver at all) and a syncobj signalled by the CPU and waited for (a
 * fence round trip without the scheduler or the device). Times are wall
 * clock of this process; inside the VM they include the emulator.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "bench_submit.h"
#include "lutcore/bo.h"
#include "lutcore/lutcore.h"
#include "lutcore/stream.h"
#include "lutcore/submit.h"

#define NS 1000000000ll

struct sopts {
	const char *device;
	uint32_t iters; /* round trips measured */
	uint32_t jobs;	/* pipelined jobs */
	uint32_t depth; /* pipelined jobs in flight */
	int core;	/* -1: any */
};

struct stats {
	double median, p99, mean; /* microseconds */
};

static const char usage[] =
	"usage: lutcore-bench --submit [options]\n"
	"\n"
	"Round-trip time of an empty job (one NOP) submitted and waited for on\n"
	"the device, one at a time (median, p99), and jobs per second with many\n"
	"in flight, beside two baselines measured in the same process: a\n"
	"GET_PARAM ioctl and a CPU-signalled syncobj wait.\n"
	"\n"
	"options:\n"
	"  --iters N      round trips measured (default 2000)\n"
	"  --jobs N       pipelined jobs (default 5000)\n"
	"  --depth N      pipelined jobs in flight (default 64)\n"
	"  --core N       run every job on core N (default: any core)\n"
	"  --device PATH  device node (default: the library's search)\n"
	"  -h, --help     this text\n";

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static struct stats summarize(int64_t *ns, uint32_t n)
{
	struct stats s;
	double sum = 0.0;
	uint32_t i;

	qsort(ns, n, sizeof(*ns), cmp_i64);
	for (i = 0; i < n; i++)
		sum += (double)ns[i];
	s.median = ns[n / 2] / 1e3;
	s.p99 = ns[(uint64_t)n * 99 / 100] / 1e3;
	s.mean = sum / n / 1e3;
	return s;
}

/* 0, 1 after --help, or -EINVAL after printing why. */
static int parse(int argc, char **argv, struct sopts *o)
{
	uint32_t core;
	int i;

	*o = (struct sopts){.iters = 2000, .jobs = 5000, .depth = 64, .core = -1};
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		} else if (!strcmp(a, "--iters")) {
			bad = args_u32(v, 10, 1, 10000000, &o->iters, NULL);
		} else if (!strcmp(a, "--jobs")) {
			bad = args_u32(v, 10, 1, 100000000, &o->jobs, NULL);
		} else if (!strcmp(a, "--depth")) {
			bad = args_u32(v, 10, 1, 4096, &o->depth, NULL);
		} else if (!strcmp(a, "--core")) {
			bad = args_u32(v, 10, 0, 255, &core, NULL);
			o->core = (int)core;
		} else if (!strcmp(a, "--device")) {
			bad = !v;
			o->device = v;
		} else {
			fprintf(stderr,
				"lutcore-bench: unknown --submit option '%s' (try --help)\n", a);
			return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "lutcore-bench: bad value for %s (try --help)\n", a);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

struct ctx {
	struct lut_dev *dev;
	struct lut_bo *bo;
	struct lut_submit_args args;
	uint32_t syncobj;
};

static int empty_job(struct ctx *c, struct lut_job *job)
{
	return lut_submit(c->dev, &c->args, job);
}

static int measure_param(struct ctx *c, int64_t *ns, uint32_t n)
{
	uint64_t v;
	uint32_t i;

	for (i = 0; i < n; i++) {
		int64_t t0 = lut_deadline(0);
		int ret = lut_dev_param(c->dev, DRM_LUTCORE_PARAM_NUM_CORES, &v);

		if (ret)
			return ret;
		ns[i] = lut_deadline(0) - t0;
	}
	return 0;
}

/* CPU signal of timeline point i + 1, then a wait for it. */
static int measure_syncobj(struct ctx *c, int64_t *ns, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t pt = i + 1;
		int64_t t0 = lut_deadline(0);
		int ret = lut_syncobj_signal(c->dev, c->syncobj, pt);

		if (!ret)
			ret = lut_syncobj_wait(c->dev, &c->syncobj, &pt, 1, lut_deadline(NS), 0);
		if (ret)
			return ret;
		ns[i] = lut_deadline(0) - t0;
	}
	return 0;
}

static int measure_round_trip(struct ctx *c, int64_t *ns, uint32_t n)
{
	struct drm_lutcore_job_status st;
	struct lut_job job = {0};
	uint32_t i;

	for (i = 0; i < n; i++) {
		int64_t t0 = lut_deadline(0);
		int ret = empty_job(c, &job);

		if (!ret)
			ret = lut_wait(c->dev, job.point, lut_deadline(10 * NS));
		if (ret)
			return ret;
		ns[i] = lut_deadline(0) - t0;
	}
	/* Waits say "finished", not "succeeded": check the last one. */
	return lut_job_status(c->dev, job.id, &st) ? -EIO : st.error;
}

/* Jobs per second with up to depth jobs in flight. */
static int measure_pipelined(struct ctx *c, uint32_t jobs, uint32_t depth, double *rate)
{
	struct drm_lutcore_job_status st;
	uint64_t first = 0;
	struct lut_job job = {0};
	int64_t t0 = lut_deadline(0);
	uint32_t i;
	int ret;

	for (i = 0; i < jobs; i++) {
		ret = empty_job(c, &job);
		if (ret)
			return ret;
		if (!first)
			first = job.point;
		if (i >= depth) {
			ret = lut_wait(c->dev, job.point - depth, lut_deadline(10 * NS));
			if (ret)
				return ret;
		}
	}
	ret = lut_wait(c->dev, job.point, lut_deadline(60 * NS));
	if (ret)
		return ret;
	*rate = jobs / ((lut_deadline(0) - t0) / 1e9);
	return lut_job_status(c->dev, job.id, &st) ? -EIO : st.error;
}

static int setup(struct ctx *c, const struct sopts *o)
{
	struct lut_stream *s;
	void *p;
	int ret;

	ret = lut_dev_open(o->device, &c->dev);
	if (!ret)
		ret = lut_bo_new(c->dev, 4096, 0, &c->bo);
	if (!ret)
		ret = lut_bo_map(c->bo, &p);
	if (!ret)
		ret = lut_stream_new(&s, p, 4096, lut_bo_va(c->bo));
	if (ret)
		return ret;
	lut_stream_nop(s);
	c->args.cmd_addr = lut_stream_va(s);
	c->args.cmd_size = lut_stream_size(s);
	lut_stream_free(s);
	if (o->core >= 0) {
		c->args.flags = LUT_SUBMIT_PIN_CORE;
		c->args.core = (uint32_t)o->core;
	}
	return lut_syncobj_new(c->dev, 0, &c->syncobj);
}

static void row(const char *what, const struct stats *s, double base)
{
	printf("%-34s %10.1f %10.1f %10.1f %12.0f %8.2f\n", what, s->median, s->p99, s->mean,
	       1e6 / s->median, s->median / base);
}

static int run(struct ctx *c, const struct sopts *o, int64_t *ns)
{
	struct stats param, sync, rt;
	double rate;
	int ret;

	/* Warm up: the scheduler threads, the device's page tables, caches. */
	ret = measure_round_trip(c, ns, o->iters < 50 ? o->iters : 50);
	ret = ret ? ret : measure_param(c, ns, o->iters);
	param = summarize(ns, o->iters);
	ret = ret ? ret : measure_syncobj(c, ns, o->iters);
	sync = summarize(ns, o->iters);
	ret = ret ? ret : measure_round_trip(c, ns, o->iters);
	rt = summarize(ns, o->iters);
	ret = ret ? ret : measure_pipelined(c, o->jobs, o->depth, &rate);
	if (ret)
		return ret;
	printf("%-34s %10s %10s %10s %12s %8s\n", "empty job (1 NOP), times in us", "median", "p99",
	       "mean", "per second", "ratio");
	row("GET_PARAM ioctl (baseline)", &param, param.median);
	row("syncobj signal + wait (baseline)", &sync, param.median);
	row("submit + wait, one at a time", &rt, param.median);
	printf("%-34s %10s %10s %10s %12.0f %8.2f\n", "submit, pipelined", "", "", "", rate,
	       (1e6 / rt.median) ? rate / (1e6 / rt.median) : 0.0);
	printf("ratio: median over the GET_PARAM median; pipelined: jobs/s over the\n"
	       "one-at-a-time rate. %u round trips, %u pipelined jobs, depth %u, core %s.\n",
	       o->iters, o->jobs, o->depth, o->core < 0 ? "any" : "pinned");
	return 0;
}

int bench_submit_main(int argc, char **argv)
{
	struct ctx c = {0};
	struct sopts o;
	int64_t *ns;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret > 0 ? 0 : 2;
	ns = calloc(o.iters, sizeof(*ns));
	if (!ns)
		return 1;
	ret = setup(&c, &o);
	if (ret)
		fprintf(stderr, "lutcore-bench: cannot set up the device: %s\n", strerror(-ret));
	else if ((ret = run(&c, &o, ns)))
		fprintf(stderr, "lutcore-bench: a job or wait failed: %s\n", strerror(-ret));
	if (c.syncobj)
		lut_syncobj_free(c.dev, c.syncobj);
	lut_bo_free(c.bo);
	lut_dev_close(c.dev);
	free(ns);
	return ret ? 1 : 0;
}
