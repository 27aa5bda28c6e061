// SPDX-License-Identifier: MIT
/*
 * lutcore-train's options. A bad option or value is one line on stderr
 * and exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/lutcore.h"
#include "args.h"
#include "cli.h"

static const char usage[] =
	"Usage: " PROG " --train FILE --vocab FILE -o MODEL.gguf [options]\n"
	"       " PROG " --learn-vocab N --train FILE -o VOCAB.gguf\n"
	"       " PROG " --sample MODEL.gguf --prompt TEXT [-n N]\n"
	"       " PROG " --eval MODEL.gguf --heldout FILE\n"
	"Train a small llama model (ternary BitNet b1.58 QAT, or float) on a text and\n"
	"write it as GGUF; learn its byte-level BPE vocabulary; or continue a prompt\n"
	"and measure held-out perplexity with the trainer's own forward pass.\n"
	"\n"
	"Data:\n"
	"      --train FILE       training text\n"
	"      --heldout FILE     held-out text (loss during training, --eval)\n"
	"      --vocab FILE       vocabulary (a GGUF file from --learn-vocab)\n"
	"      --learn-vocab N    learn a vocabulary of N tokens from --train into -o\n"
	"  -o, --output FILE      where to write the model or vocabulary\n"
	"      --name TEXT        general.name of the model\n"
	"Model:\n"
	"      --ternary          ternary projections, written as TQ2_0 (default)\n"
	"      --float            float projections, written as F16\n"
	"      --dim N            embedding length (default 256)\n"
	"      --layers N         blocks (default 2)\n"
	"      --heads N          attention heads (default 4)\n"
	"      --kv-heads N       key/value heads (default: --heads)\n"
	"      --ffn N            feed-forward length (default 512)\n"
	"      --ctx N            training window and context length (default 256)\n"
	"Training:\n"
	"      --steps N          optimizer steps (default 1000)\n"
	"      --batch N          windows per step (default 8)\n"
	"      --lr F             peak learning rate (default 3e-3)\n"
	"      --min-lr F         final learning rate (default 3e-4)\n"
	"      --warmup N         warmup steps (default 50)\n"
	"      --wd F             AdamW weight decay of the matrices (default 0.1)\n"
	"      --clip F           gradient norm clip, 0 = off (default 1)\n"
	"  -s, --seed N           initialization and batch seed (default 1)\n"
	"  -j, --threads N        threads (default 2); results do not depend on it\n"
	"      --save FILE        checkpoint file (written at the end, and --save-every)\n"
	"      --save-every N     checkpoint every N steps\n"
	"      --resume FILE      go on from a checkpoint (its model and settings)\n"
	"      --stop-after N     run at most N steps, then checkpoint and exit\n"
	"      --eval-every N     held-out loss every N steps (default 0 = end only)\n"
	"      --eval-windows N   held-out windows per intermediate loss (default 64)\n"
	"      --log FILE         the loss curve as tab-separated values\n"
	"      --log-every N      progress line every N steps (default 10)\n"
	"Sampling:\n"
	"      --sample FILE      continue --prompt with the model FILE\n"
	"      --eval FILE        held-out loss and perplexity of the model FILE\n"
	"      --prompt TEXT      the prompt\n"
	"  -n, --predict N        tokens to generate (default 64)\n"
	"      --temp F           temperature, 0 = greedy (default 0.8)\n"
	"      --top-k N          (default 40)\n"
	"      --top-p F          (default 0.95)\n"
	"      --sample-seed N    sampler seed (default 1)\n"
	"  -q, --quiet            no progress lines\n"
	"  -h, --help             print this help and exit\n"
	"  -V, --version          print the version and exit\n";

enum {
	O_TRAIN = 256,
	O_HELDOUT,
	O_VOCAB,
	O_LEARN,
	O_NAME,
	O_TERNARY,
	O_FLOAT,
	O_DIM,
	O_LAYERS,
	O_HEADS,
	O_KV_HEADS,
	O_FFN,
	O_CTX,
	O_STEPS,
	O_BATCH,
	O_LR,
	O_MIN_LR,
	O_WARMUP,
	O_WD,
	O_CLIP,
	O_SAVE,
	O_SAVE_EVERY,
	O_RESUME,
	O_STOP_AFTER,
	O_EVAL_EVERY,
	O_EVAL_WINDOWS,
	O_LOG,
	O_LOG_EVERY,
	O_SAMPLE,
	O_EVAL,
	O_PROMPT,
	O_TEMP,
	O_TOP_K,
	O_TOP_P,
	O_SAMPLE_SEED,
};

static const struct option long_opts[] = {
	{"train", required_argument, NULL, O_TRAIN},
	{"heldout", required_argument, NULL, O_HELDOUT},
	{"vocab", required_argument, NULL, O_VOCAB},
	{"learn-vocab", required_argument, NULL, O_LEARN},
	{"output", required_argument, NULL, 'o'},
	{"name", required_argument, NULL, O_NAME},
	{"ternary", no_argument, NULL, O_TERNARY},
	{"float", no_argument, NULL, O_FLOAT},
	{"dim", required_argument, NULL, O_DIM},
	{"layers", required_argument, NULL, O_LAYERS},
	{"heads", required_argument, NULL, O_HEADS},
	{"kv-heads", required_argument, NULL, O_KV_HEADS},
	{"ffn", required_argument, NULL, O_FFN},
	{"ctx", required_argument, NULL, O_CTX},
	{"steps", required_argument, NULL, O_STEPS},
	{"batch", required_argument, NULL, O_BATCH},
	{"lr", required_argument, NULL, O_LR},
	{"min-lr", required_argument, NULL, O_MIN_LR},
	{"warmup", required_argument, NULL, O_WARMUP},
	{"wd", required_argument, NULL, O_WD},
	{"clip", required_argument, NULL, O_CLIP},
	{"seed", required_argument, NULL, 's'},
	{"threads", required_argument, NULL, 'j'},
	{"save", required_argument, NULL, O_SAVE},
	{"save-every", required_argument, NULL, O_SAVE_EVERY},
	{"resume", required_argument, NULL, O_RESUME},
	{"stop-after", required_argument, NULL, O_STOP_AFTER},
	{"eval-every", required_argument, NULL, O_EVAL_EVERY},
	{"eval-windows", required_argument, NULL, O_EVAL_WINDOWS},
	{"log", required_argument, NULL, O_LOG},
	{"log-every", required_argument, NULL, O_LOG_EVERY},
	{"sample", required_argument, NULL, O_SAMPLE},
	{"eval", required_argument, NULL, O_EVAL},
	{"prompt", required_argument, NULL, O_PROMPT},
	{"predict", required_argument, NULL, 'n'},
	{"temp", required_argument, NULL, O_TEMP},
	{"top-k", required_argument, NULL, O_TOP_K},
	{"top-p", required_argument, NULL, O_TOP_P},
	{"sample-seed", required_argument, NULL, O_SAMPLE_SEED},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

int lt_fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const char *opt_name(int opt)
{
	return args_long_name(long_opts, opt);
}

static int u64_arg(int opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	int ret = args_u64(arg, 0, min, max, v, NULL);

	if (ret == -EINVAL)
		return lt_fail("--%s '%s' is not a non-negative number (try --help)", opt_name(opt),
			       arg);
	if (ret)
		return lt_fail("--%s '%s' is out of range (%llu..%llu) (try --help)", opt_name(opt),
			       arg, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

static int u32_arg(int opt, const char *arg, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	int ret = u64_arg(opt, arg, min, max, &x);

	if (!ret)
		*v = (uint32_t)x;
	return ret;
}

/* A finite float within [min, max]. */
static int float_arg(int opt, const char *arg, float min, float max, float *v)
{
	char *end;

	errno = 0;
	*v = strtof(arg, &end);
	if (*end || end == arg || errno || !isfinite(*v) || *v < min || *v > max)
		return lt_fail("--%s '%s' is not a number within %g..%g (try --help)",
			       opt_name(opt), arg, min, max);
	return 0;
}

/* The options that change the model or the optimizer (not with --resume). */
static bool shapes(int opt)
{
	return (opt >= O_TERNARY && opt <= O_CLIP) || opt == 's';
}

static int apply_shape(struct lt_cli *c, int opt, const char *arg)
{
	switch (opt) {
	case O_TERNARY:
	case O_FLOAT:
		c->c.ternary = opt == O_TERNARY;
		return 0;
	case O_DIM:
		return u32_arg(opt, arg, 1, 8192, &c->c.dim);
	case O_LAYERS:
		return u32_arg(opt, arg, 1, 64, &c->c.layers);
	case O_HEADS:
		return u32_arg(opt, arg, 1, 1024, &c->c.heads);
	case O_KV_HEADS:
		return u32_arg(opt, arg, 1, 1024, &c->c.kv_heads);
	case O_FFN:
		return u32_arg(opt, arg, 1, 65536, &c->c.ffn);
	case O_CTX:
		return u32_arg(opt, arg, 2, 8192, &c->c.ctx);
	case O_STEPS:
		return u32_arg(opt, arg, 1, 10000000, &c->h.steps);
	case O_BATCH:
		return u32_arg(opt, arg, 1, 4096, &c->h.batch);
	case O_LR:
		return float_arg(opt, arg, 0, 1, &c->h.lr);
	case O_MIN_LR:
		return float_arg(opt, arg, 0, 1, &c->h.min_lr);
	case O_WARMUP:
		return u32_arg(opt, arg, 0, 10000000, &c->h.warmup);
	case O_WD:
		return float_arg(opt, arg, 0, 10, &c->h.wd);
	case O_CLIP:
		return float_arg(opt, arg, 0, 1e6f, &c->h.clip);
	case 's':
		return u64_arg(opt, arg, 0, UINT64_MAX, &c->h.seed);
	}
	return 0;
}

static int apply(struct lt_cli *c, int opt, const char *arg)
{
	if (shapes(opt)) {
		c->shape_set = true;
		return apply_shape(c, opt, arg);
	}
	switch (opt) {
	case O_TRAIN:
		c->train = arg;
		break;
	case O_HELDOUT:
		c->heldout = arg;
		break;
	case O_VOCAB:
		c->vocab = arg;
		break;
	case O_LEARN:
		c->mode = LT_MODE_VOCAB;
		return u32_arg(opt, arg, 262, 65536, &c->vocab_size);
	case 'o':
		c->out = arg;
		break;
	case O_NAME:
		c->name = arg;
		break;
	case 'j':
		return u32_arg(opt, arg, 1, 256, &c->threads);
	case O_SAVE:
		c->save = arg;
		break;
	case O_SAVE_EVERY:
		return u32_arg(opt, arg, 0, UINT32_MAX, &c->save_every);
	case O_RESUME:
		c->resume = arg;
		break;
	case O_STOP_AFTER:
		return u32_arg(opt, arg, 1, UINT32_MAX, &c->stop_after);
	case O_EVAL_EVERY:
		return u32_arg(opt, arg, 0, UINT32_MAX, &c->eval_every);
	case O_EVAL_WINDOWS:
		return u32_arg(opt, arg, 1, UINT32_MAX, &c->eval_windows);
	case O_LOG:
		c->log = arg;
		break;
	case O_LOG_EVERY:
		return u32_arg(opt, arg, 1, UINT32_MAX, &c->log_every);
	case O_SAMPLE:
	case O_EVAL:
		c->mode = opt == O_SAMPLE ? LT_MODE_SAMPLE : LT_MODE_EVAL;
		c->model = arg;
		break;
	case O_PROMPT:
		c->prompt = arg;
		break;
	case 'n':
		return u32_arg(opt, arg, 0, 100000, &c->n_predict);
	case O_TEMP:
		return float_arg(opt, arg, 0, 100, &c->temp);
	case O_TOP_K:
		return u32_arg(opt, arg, 0, 1u << 20, &c->top_k);
	case O_TOP_P:
		return float_arg(opt, arg, 1e-6f, 1, &c->top_p);
	case O_SAMPLE_SEED:
		return u64_arg(opt, arg, 0, UINT64_MAX, &c->sample_seed);
	case 'q':
		c->quiet = true;
		break;
	}
	return 0;
}

static void defaults(struct lt_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->c = (struct lt_config){.dim = 256,
				  .layers = 2,
				  .heads = 4,
				  .ffn = 512,
				  .ctx = 256,
				  .eps = 1e-5f,
				  .rope_base = 10000.0f,
				  .ternary = true};
	lt_hparams_default(&c->h);
	c->threads = 2;
	c->eval_windows = 64;
	c->log_every = 10;
	c->n_predict = 64;
	c->temp = 0.8f;
	c->top_k = 40;
	c->top_p = 0.95f;
	c->sample_seed = 1;
}

static int bad_option(char **argv, int opt)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		return lt_fail("option '%s' needs an argument (try --help)", arg);
	if (optopt && !strncmp(arg, "--", 2))
		return lt_fail("option '%.*s' takes no argument (try --help)",
			       (int)strcspn(arg, "="), arg);
	if (optopt)
		return lt_fail("unknown option '-%c' (try --help)", optopt);
	return lt_fail("unknown option '%s' (try --help)", arg);
}

/* What each mode needs. */
static int check(const struct lt_cli *c)
{
	switch (c->mode) {
	case LT_MODE_VOCAB:
		if (!c->train || !c->out)
			return lt_fail("--learn-vocab needs --train FILE and -o FILE (try --help)");
		break;
	case LT_MODE_SAMPLE:
		if (!c->prompt)
			return lt_fail("--sample needs --prompt TEXT (try --help)");
		break;
	case LT_MODE_EVAL:
		if (!c->heldout)
			return lt_fail("--eval needs --heldout FILE (try --help)");
		break;
	case LT_MODE_TRAIN:
		if (!c->train || !c->vocab || !c->out)
			return lt_fail("training needs --train FILE, --vocab FILE and -o FILE "
				       "(try --help)");
		if (c->stop_after && !c->save)
			return lt_fail("--stop-after needs --save FILE (try --help)");
		if (c->resume && c->shape_set)
			return lt_fail("--resume takes the model and optimizer settings from the "
				       "checkpoint; do not give them");
		break;
	}
	return 0;
}

int lt_cli_parse(int argc, char **argv, struct lt_cli *c)
{
	int opt, ret = 0;

	defaults(c);
	opterr = 0;
	while (!ret && (opt = getopt_long(argc, argv, ":o:s:j:n:qhV", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (opt == 'V') {
			printf(PROG " (LUTCore) %s\n", LUT_VERSION);
			return 0;
		}
		if (opt == '?' || opt == ':')
			ret = bad_option(argv, opt);
		else
			ret = apply(c, opt, optarg);
	}
	if (!ret && optind < argc)
		ret = lt_fail("unexpected argument '%s' (try --help)", argv[optind]);
	if (!c->c.kv_heads)
		c->c.kv_heads = c->c.heads;
	return ret ? ret : check(c) ? 1 : -1;
}
