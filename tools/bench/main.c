// SPDX-License-Identifier: MIT
/*
 * lutcore-bench: LUTCore benchmarks. Each mode prints a table whose ratios
 * compare against a baseline run side by side in the same process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "args.h"
#include "bench.h"
#include "bench_model.h"
#include "bench_submit.h"
#include "lutcore_isa.h"

static const char usage[] =
	"usage: lutcore-bench MODE [options]\n"
	"\n"
	"modes:\n"
	"  --engine           LUT engine host speed against a dequantize-then-FMA\n"
	"                     baseline (same weights, same process)\n"
	"  --submit           job round trip and jobs/s on the device, against\n"
	"                     GET_PARAM and syncobj baselines (--submit --help)\n"
	"  --model FILE       a GGUF model's prompt and decode tok/s on the device\n"
	"                     or the CPU backend (--model --help)\n"
	"\n"
	"options of --engine:\n"
	"  --threads LIST     host threads, e.g. 1,2 (default: 1 and the CPU count)\n"
	"  --shape LIST       weight shapes NxK, N outputs by K inputs (default:\n"
	"                     4096x4096,11008x4096,4096x11008,2560x6912)\n"
	"  --bits LIST        weight bits 1,2,3,4 and t for ternary (default: all)\n"
	"  --m LIST           activation rows, 1 = decode (default: 1,64)\n"
	"  --table TYPE       engine table type: i8 (default), i16, f16, f32\n"
	"  --min-time SEC     minimum time per measurement (default: 0.2)\n"
	"  --no-check         do not compare engine and baseline results\n"
	"  -h, --help         this text\n";

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "lutcore-bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try --help)\n");
	return -EINVAL;
}

/* Comma-separated list; item() parses one entry at *s and advances it. */
static int parse_list(const char *arg, uint32_t *count,
		      int (*item)(const char **s, uint32_t i, void *ctx), void *ctx)
{
	const char *s = arg;

	*count = 0;
	for (;;) {
		if (*count == BENCH_MAX_LIST || item(&s, *count, ctx))
			return -EINVAL;
		(*count)++;
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			return -EINVAL;
	}
}

static int item_u32(const char **s, uint32_t i, void *ctx)
{
	uint32_t *list = ctx;
	char *end;

	if (args_u32(*s, 10, 1, 1u << 20, &list[i], &end))
		return -EINVAL;
	*s = end;
	return 0;
}

static int item_bits(const char **s, uint32_t i, void *ctx)
{
	uint32_t *list = ctx;

	if (**s == 't') {
		list[i] = LUTC_WF_TERNARY;
		(*s)++;
		return 0;
	}
	if (**s < '1' || **s > '4')
		return -EINVAL;
	list[i] = (uint32_t)(*(*s)++ - '0');
	return 0;
}

static int item_shape(const char **s, uint32_t i, void *ctx)
{
	struct bench_opts *o = ctx;
	char *end;

	if (args_u32(*s, 10, 1, 1u << 20, &o->shape_n[i], &end) || *end != 'x' ||
	    args_u32(end + 1, 10, 1, 1u << 20, &o->shape_k[i], &end))
		return -EINVAL;
	*s = end;
	return 0;
}

static void defaults(struct bench_opts *o)
{
	static const uint32_t n[] = {4096, 11008, 4096, 2560}, k[] = {4096, 4096, 11008, 6912};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t i;

	memset(o, 0, sizeof(*o));
	o->nshapes = 4;
	for (i = 0; i < 4; i++) {
		o->shape_n[i] = n[i];
		o->shape_k[i] = k[i];
	}
	o->nbits = 5;
	for (i = 0; i < 5; i++)
		o->bits[i] = i + 1;
	o->nms = 2;
	o->ms[0] = 1;
	o->ms[1] = 64;
	o->threads[o->nthreads++] = 1;
	if (cpus > 1)
		o->threads[o->nthreads++] = (uint32_t)(cpus < 64 ? cpus : 64);
	o->table_dtype = LUTC_DT_I8;
	o->min_time = 0.2;
	o->check = 1;
}

static int parse_table(const char *s, uint32_t *dt)
{
	static const struct {
		const char *name;
		uint32_t dt;
	} types[] = {{"i8", LUTC_DT_I8},
		     {"i16", LUTC_DT_I16},
		     {"f16", LUTC_DT_F16},
		     {"f32", LUTC_DT_F32}};
	uint32_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(s, types[i].name)) {
			*dt = types[i].dt;
			return 0;
		}
	}
	return -EINVAL;
}

static int threads_ok(const struct bench_opts *o)
{
	uint32_t i;

	for (i = 0; i < o->nthreads; i++) {
		if (o->threads[i] > 64)
			return 0;
	}
	return 1;
}

static const char *const value_options[] = {"--threads", "--shape", "--bits",
					    "--m",	 "--table", "--min-time"};

static int takes_value(const char *opt)
{
	uint32_t i;

	for (i = 0; i < sizeof(value_options) / sizeof(value_options[0]); i++) {
		if (!strcmp(opt, value_options[i]))
			return 1;
	}
	return 0;
}

/* One option with its value; returns -EINVAL after printing why. */
static int parse_option(struct bench_opts *o, const char *opt, const char *val)
{
	char *end;

	if (!takes_value(opt))
		return bad("unknown option '%s'", opt);
	if (!val)
		return bad("option '%s' needs a value", opt);
	if (!strcmp(opt, "--threads")) {
		if (parse_list(val, &o->nthreads, item_u32, o->threads) || !threads_ok(o))
			return bad("bad thread list '%s' (numbers 1..64)", val);
	} else if (!strcmp(opt, "--shape")) {
		if (parse_list(val, &o->nshapes, item_shape, o))
			return bad("bad shape list '%s' (NxK,...)", val);
	} else if (!strcmp(opt, "--bits")) {
		if (parse_list(val, &o->nbits, item_bits, o->bits))
			return bad("bad bits list '%s' (1,2,3,4,t)", val);
	} else if (!strcmp(opt, "--m")) {
		if (parse_list(val, &o->nms, item_u32, o->ms))
			return bad("bad row list '%s'", val);
	} else if (!strcmp(opt, "--table")) {
		if (parse_table(val, &o->table_dtype))
			return bad("bad table type '%s' (i8, i16, f16, f32)", val);
	} else {
		o->min_time = strtod(val, &end);
		if (*end || end == val || !(o->min_time >= 0.0 && o->min_time <= 3600.0))
			return bad("bad time '%s' (seconds, 0..3600)", val);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	const char *mode = NULL;
	int i;

	/* --submit has options of its own and needs the device. */
	if (argc > 1 && !strcmp(argv[1], "--submit"))
		return bench_submit_main(argc - 1, argv + 1);
	/* So has --model, which runs a whole model on one backend. */
	if (argc > 1 && !strcmp(argv[1], "--model"))
		return bench_model_main(argc - 1, argv + 1);
	defaults(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--engine")) {
			if (mode) {
				bad("give one mode, not '%s' as well", a);
				return 1;
			}
			mode = a;
		} else if (!strcmp(a, "--no-check")) {
			o.check = 0;
		} else if (parse_option(&o, a, i + 1 < argc ? argv[i + 1] : NULL)) {
			return 1;
		} else {
			i++;
		}
	}
	if (!mode) {
		bad("no mode given%s", "");
		return 1;
	}
	return bench_engine(&o) ? 1 : 0;
}
