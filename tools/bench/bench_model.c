// SPDX-License-Identifier: MIT
/*
 * lutcore-bench --model: a whole model's speed on one backend.
 *
 * The model is loaded on the device or on the CPU backend (the same engine
 * on host memory), a fixed prompt is evaluated in one call and then N
 * greedy decode steps follow; a warm-up first (the prompt once and two
 * decode steps, then a rewind) builds every stream, so that the timed part
 * is steady state. Times are wall clock of this process (inside the VM
 * they include the emulator); the modeled device time per token comes from
 * the cycle counts the runtime reports and is a different quantity, shown
 * in its own column. `make bench-model` runs both backends and prints them
 * side by side.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "bench_model.h"
#include "lutcore/lutcore.h"
#include "lutcore/model.h"
#include "lutcore/quant.h"
#include "lutcore/tokenizer.h"
#include "lutcore/weights.h"
#include "lutcore_isa.h"

#define MAX_TOKENS 100000

struct mopts {
	const char *path;
	const char *device;
	enum lut_backend backend;
	uint32_t tokens;  /* decode steps measured */
	uint32_t prompt;  /* prompt tokens */
	uint32_t threads; /* CPU backend; 0 = online CPUs */
	uint32_t wbits;	  /* float weights; 0 = default */
	uint32_t table;	  /* LUTC_DT_F16 or LUTC_DT_I8 */
	int csv, header, quiet;
};

struct result {
	double load_s, prompt_s, decode_median_s, decode_mean_s;
	struct lut_model_stats st;
};

static const char usage[] =
	"usage: lutcore-bench --model FILE [options]\n"
	"\n"
	"Loads the GGUF model FILE with the model runtime, evaluates a fixed prompt\n"
	"in one call (3 times, the fastest counts), then N greedy decode steps (the\n"
	"median step counts), after a warm-up (the prompt and 2 decode steps), and\n"
	"prints one row: backend, model, load time, prompt tok/s, decode tok/s (wall\n"
	"clock of this process) and the modeled device time per decode token (the\n"
	"cycle model, not host time).\n"
	"`make bench-model` runs the CPU backend on the host and the device in the\n"
	"VM and prints both rows and their ratio.\n"
	"\n"
	"options:\n"
	"  --backend device|cpu  where the model runs (default: device)\n"
	"  --tokens N            decode steps measured (default: 32)\n"
	"  --prompt-tokens N     prompt length, the fixed text repeated (default: 32)\n"
	"  --threads N           CPU backend engine threads (default: online CPUs)\n"
	"  --wbits N|t           bit width of float (F32/F16/BF16) weights: 1..4 or\n"
	"                        t for ternary (default: the runtime's, 4)\n"
	"  --table f16|i8        lookup-table type (default: f16)\n"
	"  --device PATH         device node (default: the library's search)\n"
	"  --csv                 comma-separated values with a header line\n"
	"  --no-header           the row only (table or CSV)\n"
	"  -q, --quiet           no load progress on stderr\n"
	"  -h, --help            this text\n";

static const char prompt_text[] =
	"The lookup table holds every sum of four activations with signs, so the "
	"array adds instead of multiplying. Each weight bit selects an entry, and "
	"the planes are shifted and added. ";

static int parse_value(struct mopts *o, const char *a, const char *v)
{
	if (!strcmp(a, "--backend")) {
		if (v && !strcmp(v, "device"))
			o->backend = LUT_BACKEND_DEVICE;
		else if (v && !strcmp(v, "cpu"))
			o->backend = LUT_BACKEND_CPU;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(a, "--tokens"))
		return args_u32(v, 10, 1, MAX_TOKENS, &o->tokens, NULL);
	if (!strcmp(a, "--prompt-tokens"))
		return args_u32(v, 10, 2, MAX_TOKENS, &o->prompt, NULL);
	if (!strcmp(a, "--threads"))
		return args_u32(v, 10, 1, 64, &o->threads, NULL);
	if (!strcmp(a, "--wbits")) {
		if (v && !strcmp(v, "t")) {
			o->wbits = LUT_WBITS_TERNARY;
			return 0;
		}
		return args_u32(v, 10, 1, 4, &o->wbits, NULL);
	}
	if (!strcmp(a, "--table")) {
		if (v && !strcmp(v, "f16"))
			o->table = LUTC_DT_F16;
		else if (v && !strcmp(v, "i8"))
			o->table = LUTC_DT_I8;
		else
			return -EINVAL;
		return 0;
	}
	o->device = v;
	return v ? 0 : -EINVAL;
}

static int is_value_option(const char *a)
{
	static const char *const names[] = {"--backend", "--tokens", "--prompt-tokens", "--threads",
					    "--wbits",	 "--table",  "--device"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(a, names[i]))
			return 1;
	}
	return 0;
}

/* 0, 1 after --help, or -EINVAL after printing why. */
static int parse(int argc, char **argv, struct mopts *o)
{
	int i;

	*o = (struct mopts){.tokens = 32, .prompt = 32, .table = LUTC_DT_F16, .header = 1};
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		} else if (!strcmp(a, "--csv")) {
			o->csv = 1;
		} else if (!strcmp(a, "--no-header")) {
			o->header = 0;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o->quiet = 1;
		} else if (is_value_option(a)) {
			if (parse_value(o, a, v)) {
				fprintf(stderr,
					"lutcore-bench: bad value '%s' for %s (try --help)\n",
					v ? v : "", a);
				return -EINVAL;
			}
			i++;
		} else if (a[0] != '-' && !o->path) {
			o->path = a;
		} else {
			fprintf(stderr, "lutcore-bench: unknown --model option '%s' (try --help)\n",
				a);
			return -EINVAL;
		}
	}
	if (!o->path) {
		fprintf(stderr, "lutcore-bench: --model needs a GGUF file (try --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* Load progress on stderr in steps of 10 %, once a load takes a while. */
struct load_progress {
	double t0;
	int last;
};

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct load_progress *lp = arg;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (bench_now() - lp->t0 < 1.0 || pct / 10 <= lp->last / 10)
		return;
	fprintf(stderr, "lutcore-bench: loading %d%%\n", pct);
	lp->last = pct;
}

/* The fixed text's tokens, repeated, after BOS: exactly n ids. */
static int make_prompt(const struct lut_model *m, int32_t *ids, uint32_t n)
{
	const struct lut_tok *tok = lut_model_tok(m);
	int32_t bos;
	uint32_t have = 0, i;
	int32_t *text;
	int len;

	/* A file without a vocabulary runs from ids; the bench needs text. */
	if (!tok)
		return -ENOKEY;
	bos = lut_tok_bos(tok);
	len = lut_tok_encode(tok, prompt_text, strlen(prompt_text), 0, NULL, 0);
	if (len <= 0)
		return len ? len : -EINVAL;
	text = malloc((size_t)len * sizeof(*text));
	if (!text)
		return -ENOMEM;
	lut_tok_encode(tok, prompt_text, strlen(prompt_text), 0, text, (size_t)len);
	if (bos >= 0)
		ids[have++] = bos;
	for (i = 0; have < n; i++)
		ids[have++] = text[i % (uint32_t)len];
	free(text);
	return 0;
}

static int load(const struct mopts *o, struct lut_dev **dev, struct lut_model **m, double *secs)
{
	struct lut_model_params p;
	struct load_progress lp = {bench_now(), -1};
	char err[256] = "";
	double t0;
	int ret;

	lut_model_params_default(&p);
	p.backend = o->backend;
	p.threads = o->threads;
	p.wbits = o->wbits;
	p.table_dtype = o->table;
	p.ctx = o->prompt + o->tokens + 1;
	if (!o->quiet) {
		p.progress = progress;
		p.progress_arg = &lp;
	}
	if (o->backend == LUT_BACKEND_DEVICE) {
		ret = lut_dev_open(o->device, dev);
		if (ret) {
			fprintf(stderr, "lutcore-bench: cannot open the device: %s\n",
				strerror(-ret));
			return ret;
		}
		p.dev = *dev;
	}
	t0 = bench_now();
	ret = lut_model_load(o->path, &p, m, err, sizeof(err));
	*secs = bench_now() - t0;
	if (ret) {
		/* The runtime's message names the file. */
		if (err[0])
			fprintf(stderr, "lutcore-bench: %s\n", err);
		else
			fprintf(stderr, "lutcore-bench: %s: %s\n", o->path, strerror(-ret));
		return ret;
	}
	if (lut_model_info(*m)->ctx < p.ctx) {
		fprintf(stderr, "lutcore-bench: %s: a context of %u positions, %u needed\n",
			o->path, lut_model_info(*m)->ctx, p.ctx);
		return -ENOSPC;
	}
	return 0;
}

static int eval_failed(const struct lut_model *m, int ret)
{
	fprintf(stderr, "lutcore-bench: evaluation failed: %s\n",
		lut_model_error(m)[0] ? lut_model_error(m) : strerror(-ret));
	return ret;
}

/* The prompt from position 0 in one call: *secs, and its greedy token. */
static int eval_prompt(struct lut_model *m, const int32_t *prompt, uint32_t n, double *secs,
		       int32_t *next)
{
	struct lut_eval e;
	double t0 = bench_now();
	int ret = lut_model_rewind(m, 0);

	ret = ret ? ret : lut_model_eval(m, prompt, n, &e);
	*secs = bench_now() - t0;
	if (ret)
		return eval_failed(m, ret);
	*next = e.argmax;
	return 0;
}

/* steps greedy decode steps from token tok; step times into secs[]. */
static int decode(struct lut_model *m, int32_t tok, uint32_t steps, double *secs)
{
	struct lut_eval e;
	uint32_t i;

	for (i = 0; i < steps; i++) {
		double t0 = bench_now();
		int ret = lut_model_eval(m, &tok, 1, &e);

		if (ret)
			return eval_failed(m, ret);
		secs[i] = bench_now() - t0;
		tok = e.argmax;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Warm-up (the prompt and 2 steps build every stream), then the prompt
 * PROMPT_RUNS times (the fastest counts) and the decode steps after the
 * last one (the median step counts; the mean is kept too): other load on
 * a shared host then disturbs the two rows of `make bench-model` as little
 * as possible. The model's counters cover the last prompt and the steps.
 */
#define PROMPT_RUNS 3

static int measure(struct lut_model *m, const struct mopts *o, const int32_t *prompt,
		   struct result *r)
{
	double *secs = calloc(o->tokens + 2, sizeof(*secs)), t, sum = 0.0;
	int32_t next;
	uint32_t i;
	int ret = secs ? 0 : -ENOMEM;

	ret = ret ? ret : eval_prompt(m, prompt, o->prompt, &t, &next);
	ret = ret ? ret : decode(m, next, 2, secs);
	r->prompt_s = 1e30;
	for (i = 0; !ret && i < PROMPT_RUNS; i++) {
		lut_model_stats_reset(m);
		ret = eval_prompt(m, prompt, o->prompt, &t, &next);
		r->prompt_s = t < r->prompt_s ? t : r->prompt_s;
	}
	ret = ret ? ret : decode(m, next, o->tokens, secs);
	lut_model_stats(m, &r->st);
	for (i = 0; !ret && i < o->tokens; i++)
		sum += secs[i];
	if (!ret) {
		r->decode_mean_s = sum / o->tokens;
		qsort(secs, o->tokens, sizeof(*secs), cmp_double);
		r->decode_median_s = secs[o->tokens / 2];
	}
	free(secs);
	return ret;
}

static int run(struct lut_model *m, const struct mopts *o, struct result *r)
{
	int32_t *prompt = malloc(o->prompt * sizeof(*prompt));
	int ret = prompt ? make_prompt(m, prompt, o->prompt) : -ENOMEM;

	if (ret == -ENOKEY)
		fprintf(stderr, "lutcore-bench: the model has no tokenizer (no tokenizer.ggml.* "
				"metadata): nothing to make the prompt from\n");
	else if (ret)
		fprintf(stderr, "lutcore-bench: cannot tokenize the prompt: %s\n", strerror(-ret));
	else
		ret = measure(m, o, prompt, r);
	free(prompt);
	return ret;
}

/* The CPU backend's engine threads as the runtime counts them. */
static uint32_t cpu_threads(const struct mopts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return o->threads ? o->threads : cpus > 0 ? (uint32_t)cpus : 1;
}

static void model_name(const struct lut_model_info *in, char *buf, size_t size)
{
	double mb = (double)in->weight_bytes / 1e6;

	snprintf(buf, size, "%s %uL d%u v%u %s/%s %.*f %s", in->arch, in->n_layer, in->n_embd,
		 in->n_vocab, lut_ggml_type_name(in->weight_type), lut_wfmt_name(in->wfmt),
		 mb < 1000.0 ? 1 : 2, mb < 1000.0 ? mb : mb / 1e3, mb < 1000.0 ? "MB" : "GB");
}

/* Modeled device milliseconds per decode token; < 0 when not counted. */
static double modeled_ms(const struct result *r)
{
	if (!r->st.decode_cycles || !r->st.decode_tokens || !r->st.clock_mhz)
		return -1.0;
	return (double)r->st.decode_cycles / r->st.decode_tokens / r->st.clock_mhz / 1e3;
}

static void print_csv(const struct mopts *o, const struct lut_model_info *in,
		      const struct result *r)
{
	if (o->header)
		printf("backend,threads,arch,layers,dim,vocab,type,wfmt,weight_bytes,load_s,"
		       "prompt_tokens,prompt_tok_s,decode_tokens,decode_tok_s,decode_tok_s_mean,"
		       "modeled_ms_per_token,prompt_cycles,decode_cycles,clock_mhz\n");
	printf("%s,%u,%s,%u,%u,%u,%s,%s,%" PRIu64 ",%.3f,%u,%.2f,%u,%.2f,%.2f,%.4f,%" PRIu64
	       ",%" PRIu64 ",%u\n",
	       o->backend == LUT_BACKEND_CPU ? "cpu" : "device",
	       o->backend == LUT_BACKEND_CPU ? cpu_threads(o) : 0, in->arch, in->n_layer,
	       in->n_embd, in->n_vocab, lut_ggml_type_name(in->weight_type),
	       lut_wfmt_name(in->wfmt), in->weight_bytes, r->load_s, o->prompt,
	       o->prompt / r->prompt_s, o->tokens, 1.0 / r->decode_median_s, 1.0 / r->decode_mean_s,
	       modeled_ms(r), r->st.prompt_cycles, r->st.decode_cycles, r->st.clock_mhz);
}

static void print_table(const struct mopts *o, const struct lut_model_info *in,
			const struct result *r)
{
	char backend[32], model[96], ms[32] = "n/a";
	uint32_t t = cpu_threads(o);

	if (o->backend == LUT_BACKEND_DEVICE)
		snprintf(backend, sizeof(backend), "device");
	else
		snprintf(backend, sizeof(backend), "cpu (%u thread%s)", t, t == 1 ? "" : "s");
	model_name(in, model, sizeof(model));
	if (modeled_ms(r) >= 0.0)
		snprintf(ms, sizeof(ms), "%.4f", modeled_ms(r));
	if (o->header)
		printf("%-16s %-48s %7s %13s %13s %15s\n", "backend", "model", "load s",
		       "prompt tok/s", "decode tok/s", "modeled ms/tok");
	printf("%-16s %-48s %7.2f %13.2f %13.2f %15s\n", backend, model, r->load_s,
	       o->prompt / r->prompt_s, 1.0 / r->decode_median_s, ms);
	if (o->header)
		printf("prompt: %u tokens in one call, fastest of %d; decode: median of %u greedy "
		       "steps (mean %.2f tok/s); after a warm-up.\n"
		       "tok/s: wall clock of this process; modeled ms/tok: the device's cycle "
		       "model at %u MHz.\n",
		       o->prompt, PROMPT_RUNS, o->tokens, 1.0 / r->decode_mean_s, r->st.clock_mhz);
}

int bench_model_main(int argc, char **argv)
{
	struct lut_dev *dev = NULL;
	struct lut_model *m = NULL;
	struct result r = {0};
	struct mopts o;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret > 0 ? 0 : 1;
	ret = load(&o, &dev, &m, &r.load_s);
	if (!ret)
		ret = run(m, &o, &r);
	if (!ret && o.csv)
		print_csv(&o, lut_model_info(m), &r);
	else if (!ret)
		print_table(&o, lut_model_info(m), &r);
	lut_model_free(m);
	lut_dev_close(dev);
	return ret ? 1 : 0;
}
