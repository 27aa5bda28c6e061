// SPDX-License-Identifier: MIT
/*
 * lutcore-infer: the command line. Every mistake gets exactly one line on
 * stderr and exit status 1; nothing is loaded before the whole line has
 * been checked.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/lutcore.h"
#include "lutcore/weights.h"
#include "lutcore_isa.h"
#include "args.h"
#include "infer.h"

/* clang-format off */
static const char usage[] =
"Usage: " PROG " -m FILE [-p TEXT | -f FILE] [-n N] [options]\n"
"       " PROG " -m FILE --perplexity FILE [--ppl-tokens N] [options]\n"
"Generate text with a GGUF model (llama or bitnet architecture) on a LUTCore\n"
"device, or on the CPU with the same engine. The prompt and the generated text go\n"
"to stdout as they are produced; the model summary and the speed line to stderr.\n"
"With --perplexity, score a text instead: its perplexity goes to stdout.\n"
"\n"
"  -m, --model FILE      the GGUF model (required; a block device holding one works too)\n"
"  -p, --prompt TEXT     the prompt (default \"" INFER_DEFAULT_PROMPT "\")\n"
"  -f, --file FILE       read the prompt from FILE instead: up to its first NUL byte,\n"
"                        minus one trailing newline\n"
"  -n, --n-predict N     generate at most N tokens (default 128; 0: only evaluate the\n"
"                        prompt)\n"
"      --temp F          temperature; 0 (default) is greedy: the arg-max, computed on the\n"
"                        backend; above 0 the sampler draws (top-k, then top-p)\n"
"      --top-k N         sampling: keep the N most likely tokens (default 40; 0: all)\n"
"      --top-p F         sampling: keep the most likely tokens up to probability F,\n"
"                        0 < F <= 1 (default 0.95; 1: off)\n"
"      --seed N          sampling: the PRNG seed (default 24301); a seed repeats a run\n"
"      --wbits N|ternary bits of float (f32/f16/bf16) weights on the engine: 1, 2, 3, 4\n"
"                        (default 4) or ternary; quantized files keep their own format\n"
"      --backend NAME    device (default): /dev/lutcore through the driver;\n"
"                        cpu: the same engine on host memory\n"
"      --device PATH     device backend only: the node; default: $" LUT_DEV_ENV " if\n"
"                        set, else " LUT_DEV_DEFAULT ", else the first lutcore " LUT_DEV_ACCEL_DIR "/accelN\n"
"      --ctx N           KV-cache positions (default: the model's context length, at most\n"
"                        2048); generation stops when they are full\n"
"  -t, --threads N       cpu backend only: engine threads (default 0: every online CPU)\n"
"      --tables f16|i8   lookup tables in fp16 (default) or int8 (a scale per token\n"
"                        and weight-scale group)\n"
"      --no-bos          do not add the BOS token the model asks for before the prompt\n"
"      --perplexity FILE the perplexity of FILE's text (up to its first NUL): cut\n"
"                        into windows of --ctx tokens, each evaluated from position 0\n"
"                        after BOS (when the model asks for one); every token of a\n"
"                        window is scored, the first one from BOS alone (without\n"
"                        BOS, all but the first)\n"
"      --ppl-tokens N    score at most N tokens, from the start (default 0: all)\n"
"  -q, --quiet           only the text: no progress, model summary or speed line\n"
"  -h, --help            print this help and exit\n"
"  -V, --version         print the version and exit\n"
"\n"
"Generation stops after N tokens, at an end-of-generation token, or when the\n"
"context is full. The speed line shows the host's wall-clock rates (prompt and\n"
"decode) and, separately, the modeled device time per decoded token.\n"
"Exit status: 0 success; 1 bad usage, unusable model or device, or a failed run.\n";
/* clang-format on */

enum {
	O_TEMP = 256,
	O_TOP_K,
	O_TOP_P,
	O_SEED,
	O_WBITS,
	O_BACKEND,
	O_DEVICE,
	O_CTX,
	O_TABLES,
	O_NO_BOS,
	O_PERPLEXITY,
	O_PPL_TOKENS,
};

static const struct option long_opts[] = {
	{"model", required_argument, NULL, 'm'},
	{"prompt", required_argument, NULL, 'p'},
	{"file", required_argument, NULL, 'f'},
	{"n-predict", required_argument, NULL, 'n'},
	{"temp", required_argument, NULL, O_TEMP},
	{"top-k", required_argument, NULL, O_TOP_K},
	{"top-p", required_argument, NULL, O_TOP_P},
	{"seed", required_argument, NULL, O_SEED},
	{"wbits", required_argument, NULL, O_WBITS},
	{"backend", required_argument, NULL, O_BACKEND},
	{"device", required_argument, NULL, O_DEVICE},
	{"ctx", required_argument, NULL, O_CTX},
	{"threads", required_argument, NULL, 't'},
	{"tables", required_argument, NULL, O_TABLES},
	{"no-bos", no_argument, NULL, O_NO_BOS},
	{"perplexity", required_argument, NULL, O_PERPLEXITY},
	{"ppl-tokens", required_argument, NULL, O_PPL_TOKENS},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

void infer_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The name an option is called by in messages: its short form if it has one. */
static const char *opt_name(int opt)
{
	static char buf[32];

	if (opt < 256)
		snprintf(buf, sizeof(buf), "-%c", opt);
	else
		snprintf(buf, sizeof(buf), "--%s", args_long_name(long_opts, opt));
	return buf;
}

static int usage_error(const char *what, const char *arg, const char *problem)
{
	infer_error("%s '%s' %s (try --help)", what, arg, problem);
	return 1;
}

/* A decimal integer in [min, max]. */
static int parse_uint(int opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	char range[64];
	int ret = args_u64(arg, 10, min, max, v, NULL);

	if (ret == -EINVAL)
		return usage_error(opt_name(opt), arg, "is not a non-negative integer");
	if (ret) {
		snprintf(range, sizeof(range), "is out of range (%llu..%llu)",
			 (unsigned long long)min, (unsigned long long)max);
		return usage_error(opt_name(opt), arg, range);
	}
	return 0;
}

/* A finite number; lo_open: min itself is excluded. */
static int parse_float(int opt, const char *arg, float min, bool lo_open, float max, float *v)
{
	char range[64];
	char *end;

	errno = 0;
	*v = strtof(arg, &end);
	if (end == arg || *end || !isfinite(*v) || errno == ERANGE)
		return usage_error(opt_name(opt), arg, "is not a finite number");
	if (*v < min || (lo_open && *v == min) || *v > max) {
		snprintf(range, sizeof(range), "is out of range (%s%g..%g)",
			 lo_open ? "above " : "", min, max);
		return usage_error(opt_name(opt), arg, range);
	}
	return 0;
}

static int parse_wbits(const char *arg, uint32_t *wbits)
{
	uint64_t v;

	if (!strcmp(arg, "ternary")) {
		*wbits = LUT_WBITS_TERNARY;
		return 0;
	}
	if (arg[0] < '0' || arg[0] > '9')
		return usage_error("--wbits", arg, "is neither 1..4 nor ternary");
	if (parse_uint(O_WBITS, arg, 1, 4, &v))
		return 1;
	*wbits = (uint32_t)v;
	return 0;
}

/*
 * Read a text from path (opt: the option, for messages): up to the first
 * NUL, at most INFER_MAX_PROMPT_FILE bytes, into *text (malloc()ed, NUL
 * terminated) and *len.
 */
static int read_text_file(const char *opt, const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 1 << 16, got;
	char *buf, *nul;

	if (!f) {
		infer_error("%s %s: %s", opt, path, strerror(errno));
		return 1;
	}
	buf = malloc(cap + 1);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		nul = memchr(buf + n, 0, got);
		n += got;
		if (nul) { /* a zero-padded disk image ends here */
			n = (size_t)(nul - buf);
			break;
		}
		if (n == cap && cap >= INFER_MAX_PROMPT_FILE) {
			infer_error("%s %s: longer than %u MiB", opt, path,
				    INFER_MAX_PROMPT_FILE >> 20);
			goto fail;
		}
		if (n == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	if (!buf || ferror(f)) {
		infer_error("%s %s: %s", opt, path, buf ? strerror(errno) : "out of memory");
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(f);
	return 1;
}

/* The prompt from path: up to the first NUL, minus one final newline. */
static int read_prompt_file(struct infer_opts *o, const char *path)
{
	char *buf;
	size_t n;

	if (read_text_file("-f", path, &buf, &n))
		return 1;
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	free(o->prompt_buf);
	o->prompt_buf = buf;
	o->prompt = buf;
	o->prompt_len = n;
	return 0;
}

/* The text --perplexity scores, as it is; an empty one has nothing to score. */
static int read_ppl_file(struct infer_opts *o, const char *path)
{
	if (o->ppl_file) {
		infer_error("give --perplexity once (try --help)");
		return 1;
	}
	if (read_text_file("--perplexity", path, &o->ppl_text, &o->ppl_len))
		return 1;
	o->ppl_file = path;
	if (!o->ppl_len) {
		infer_error("--perplexity %s: the text is empty", path);
		return 1;
	}
	return 0;
}

static int parse_choice(int opt, const char *arg, const char *a, const char *b, int *v)
{
	char problem[64];

	if (strcmp(arg, a) && strcmp(arg, b)) {
		snprintf(problem, sizeof(problem), "is neither %s nor %s", a, b);
		return usage_error(opt_name(opt), arg, problem);
	}
	*v = strcmp(arg, a) != 0;
	return 0;
}

/* Options that take a number or a name; returns 0 or 1. */
static int apply_value(struct infer_opts *o, int opt, const char *arg)
{
	uint64_t v = 0;
	int k = 0, ret = 0;

	switch (opt) {
	case 'n':
		ret = parse_uint(opt, arg, 0, INFER_MAX_PREDICT, &v);
		o->n_predict = (uint32_t)v;
		break;
	case O_TEMP:
		ret = parse_float(opt, arg, 0, false, 100, &o->sp.temp);
		o->sampling = o->sp.temp > 0;
		break;
	case O_TOP_K:
		ret = parse_uint(opt, arg, 0, UINT32_MAX, &v);
		o->sp.top_k = (uint32_t)v;
		break;
	case O_TOP_P:
		ret = parse_float(opt, arg, 0, true, 1, &o->sp.top_p);
		break;
	case O_SEED:
		ret = parse_uint(opt, arg, 0, UINT64_MAX, &o->sp.seed);
		break;
	case O_WBITS:
		ret = parse_wbits(arg, &o->mp.wbits);
		o->wbits_given = true;
		break;
	case O_BACKEND:
		ret = parse_choice(opt, arg, "device", "cpu", &k);
		o->mp.backend = k ? LUT_BACKEND_CPU : LUT_BACKEND_DEVICE;
		break;
	case O_CTX:
		ret = parse_uint(opt, arg, 1, INFER_MAX_CTX, &v);
		o->mp.ctx = (uint32_t)v;
		break;
	case 't':
		ret = parse_uint(opt, arg, 0, INFER_MAX_THREADS, &v);
		o->mp.threads = (unsigned int)v;
		break;
	case O_TABLES:
		ret = parse_choice(opt, arg, "f16", "i8", &k);
		o->mp.table_dtype = k ? LUTC_DT_I8 : LUTC_DT_F16;
		break;
	case O_PPL_TOKENS:
		ret = parse_uint(opt, arg, 0, UINT32_MAX, &v);
		o->ppl_tokens = (uint32_t)v;
		break;
	}
	return ret;
}

/* Options that take a path or text, and flags; returns 0 or 1. */
static int apply(struct infer_opts *o, int opt, const char *arg, bool *have_prompt)
{
	switch (opt) {
	case 'm':
	case O_DEVICE:
		if (!*arg)
			return usage_error(opt_name(opt), arg, "is an empty path");
		*(opt == 'm' ? &o->model : &o->device) = arg;
		return 0;
	case 'p':
	case 'f':
		if (*have_prompt) {
			infer_error("give one prompt: -p TEXT or -f FILE, once (try --help)");
			return 1;
		}
		*have_prompt = true;
		if (opt == 'f')
			return read_prompt_file(o, arg);
		o->prompt = arg;
		o->prompt_len = strlen(arg);
		return 0;
	case O_NO_BOS:
		o->add_special = false;
		return 0;
	case O_PERPLEXITY:
		if (!*arg)
			return usage_error(opt_name(opt), arg, "is an empty path");
		return read_ppl_file(o, arg);
	case 'q':
		o->quiet = true;
		return 0;
	}
	return apply_value(o, opt, arg);
}

/* getopt's own messages are off: each mistake gets exactly one line. */
static int bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		infer_error("option '%s' needs a value (try --help)", arg);
	else if (optopt && !strncmp(arg, "--", 2)) /* a known long option with "=..." */
		infer_error("option '%.*s' takes no value (try --help)", (int)strcspn(arg, "="),
			    arg);
	else if (optopt)
		infer_error("unknown option '-%c' (try --help)", optopt);
	else
		infer_error("unknown option '%s' (try --help)", arg);
	return 1;
}

static void opts_default(struct infer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->prompt = INFER_DEFAULT_PROMPT;
	o->prompt_len = strlen(INFER_DEFAULT_PROMPT);
	o->n_predict = INFER_DEFAULT_PREDICT;
	lut_sampler_params_default(&o->sp);
	o->sp.temp = 0;
	lut_model_params_default(&o->mp);
	o->add_special = true;
}

/*
 * --perplexity scores a text: a prompt has no place, --ppl-tokens no use
 * without it. --threads and --device each belong to one backend; given to
 * the other they would be silently ignored.
 */
static int check_modes(const struct infer_opts *o, bool have_prompt, bool have_ppl_tokens,
		       bool have_threads)
{
	if (o->mp.backend == LUT_BACKEND_DEVICE && have_threads) {
		infer_error("--threads is for --backend cpu; the device computes on its own "
			    "cores (try --help)");
		return 1;
	}
	if (o->mp.backend == LUT_BACKEND_CPU && o->device) {
		infer_error("--device is for --backend device; the cpu backend uses no "
			    "device (try --help)");
		return 1;
	}
	if (o->ppl_file && have_prompt) {
		infer_error("--perplexity scores its file: give no prompt (-p, -f) (try --help)");
		return 1;
	}
	if (!o->ppl_file && have_ppl_tokens) {
		infer_error("--ppl-tokens needs --perplexity FILE (try --help)");
		return 1;
	}
	return 0;
}

int infer_parse_args(int argc, char **argv, struct infer_opts *o)
{
	bool have_prompt = false, have_ppl_tokens = false, have_threads = false;
	int c;

	opts_default(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:p:f:n:t:qhV", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == 'V') {
			printf(PROG " (LUTCore) %s\n", LUT_VERSION);
			return 0;
		}
		if (c == '?' || c == ':')
			return bad_option(argv, c);
		if (apply(o, c, optarg, &have_prompt))
			return 1;
		have_ppl_tokens |= c == O_PPL_TOKENS;
		have_threads |= c == 't';
	}
	if (optind < argc) {
		infer_error("unexpected argument '%s' (try --help)", argv[optind]);
		return 1;
	}
	if (!o->model) {
		infer_error("no model; give -m FILE (try --help)");
		return 1;
	}
	return check_modes(o, have_prompt, have_ppl_tokens, have_threads) ? 1 : -1;
}

void infer_opts_release(struct infer_opts *o)
{
	free(o->prompt_buf);
	o->prompt_buf = NULL;
	free(o->ppl_text);
	o->ppl_text = NULL;
}
