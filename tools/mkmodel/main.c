// SPDX-License-Identifier: MIT
/*
 * lutcore-mkmodel: write a small deterministic test model as a GGUF file.
 * See lutcore-mkmodel.1. The file is written under a temporary name and
 * renamed when complete, so a failure never leaves a partial model behind.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lutcore/lutcore.h"
#include "lutcore/quant.h"
#include "args.h"
#include "mkmodel.h"

#define PROG "lutcore-mkmodel"

static const char usage[] =
	"Usage: " PROG " -o FILE [options]\n"
	"Write a small deterministic llama- or bitnet-architecture model (random weights,\n"
	"a vocabulary learned from a built-in text) as a GGUF file.\n"
	"\n"
	"  -o, --output FILE     where to write ('-' for standard output)\n"
	"      --preset NAME     tiny (default) or bitnet-2b (BitNet b1.58 2B4T shape, ~1.2 GB)\n"
	"      --arch NAME       llama (default) or bitnet (sub-norms, tied output)\n"
	"      --dim N           embedding length (default 256)\n"
	"      --layers N        blocks (default 2)\n"
	"      --heads N         attention heads (default 4)\n"
	"      --kv-heads N      key/value heads, grouped-query attention (default 2)\n"
	"      --ffn N           feed-forward length (default 512)\n"
	"      --vocab N         tokens (default 512)\n"
	"      --ctx N           context length (default 256)\n"
	"  -t, --type TYPE       layer weights: f32 f16 bf16 q8_0 q4_0 tq2_0 tq1_0\n"
	"                        (default q4_0 for llama, tq2_0 for bitnet)\n"
	"      --embd-type TYPE  token_embd and output (default f16)\n"
	"      --weights KIND    uniform or ternary (default: ternary for bitnet and tq types)\n"
	"      --tokenizer KIND  spm (llama default) or bpe (bitnet default)\n"
	"      --act NAME        bitnet activation: relu2 (default) or silu\n"
	"      --tied            no output.weight; logits use token_embd (always for bitnet)\n"
	"      --rope-base F     RoPE frequency base (default 10000; bitnet-2b 500000)\n"
	"  -s, --seed N          weights seed (default 1)\n"
	"      --vocab-only      metadata and vocabulary only, no tensors\n"
	"  -q, --quiet           no progress output\n"
	"  -h, --help            print this help and exit\n"
	"  -V, --version         print the version and exit\n"
	"\n"
	"Rows of quantized types hold whole blocks: --dim and --ffn must be multiples of 32\n"
	"for q4_0/q8_0 and of 256 for tq1_0/tq2_0. For 2- or 3-bit runs write f16 weights and\n"
	"let the runtime quantize them (lutcore-infer --wbits).\n";

enum {
	O_PRESET = 256,
	O_ARCH,
	O_DIM,
	O_LAYERS,
	O_HEADS,
	O_KV_HEADS,
	O_FFN,
	O_VOCAB,
	O_CTX,
	O_EMBD_TYPE,
	O_WEIGHTS,
	O_TOKENIZER,
	O_ACT,
	O_TIED,
	O_ROPE,
	O_VOCAB_ONLY,
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"preset", required_argument, NULL, O_PRESET},
	{"arch", required_argument, NULL, O_ARCH},
	{"dim", required_argument, NULL, O_DIM},
	{"layers", required_argument, NULL, O_LAYERS},
	{"heads", required_argument, NULL, O_HEADS},
	{"kv-heads", required_argument, NULL, O_KV_HEADS},
	{"ffn", required_argument, NULL, O_FFN},
	{"vocab", required_argument, NULL, O_VOCAB},
	{"ctx", required_argument, NULL, O_CTX},
	{"type", required_argument, NULL, 't'},
	{"embd-type", required_argument, NULL, O_EMBD_TYPE},
	{"weights", required_argument, NULL, O_WEIGHTS},
	{"tokenizer", required_argument, NULL, O_TOKENIZER},
	{"act", required_argument, NULL, O_ACT},
	{"tied", no_argument, NULL, O_TIED},
	{"rope-base", required_argument, NULL, O_ROPE},
	{"seed", required_argument, NULL, 's'},
	{"vocab-only", no_argument, NULL, O_VOCAB_ONLY},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

struct given {
	int opt;
	const char *arg;
	const char *name; /* the long option, for messages */
};

struct cli {
	struct mk_opts o;
	const char *out;
	bool quiet;
	bool weights_set;
};

/* One line on stderr; returns the usage exit status. */
static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return 1;
}

static int parse_u64(const struct given *g, uint64_t max, uint64_t *v)
{
	int ret = args_u64(g->arg, 0, 0, max, v, NULL);

	if (ret == -EINVAL)
		return usage_error("--%s '%s' is not a non-negative number", g->name, g->arg);
	if (ret)
		return usage_error("--%s '%s' is out of range", g->name, g->arg);
	return 0;
}

static int parse_type(const struct given *g, uint32_t *type)
{
	uint32_t t;

	for (t = 0; t < 64; t++) {
		const struct lut_ggml_type_info *ti = lut_ggml_type_info(t);

		if (ti && ti->convert && !strcmp(ti->name, g->arg)) {
			*type = t;
			return 0;
		}
	}
	return usage_error("--%s '%s' is not one of f32 f16 bf16 q8_0 q4_0 tq2_0 tq1_0", g->name,
			   g->arg);
}

/* Choose between two names; *v gets 0 or 1. */
static int parse_choice(const struct given *g, const char *a, const char *b, int *v)
{
	if (strcmp(g->arg, a) && strcmp(g->arg, b))
		return usage_error("--%s '%s' is neither %s nor %s", g->name, g->arg, a, b);
	*v = strcmp(g->arg, a) != 0;
	return 0;
}

static uint32_t *u32_field(struct mk_opts *o, int opt)
{
	switch (opt) {
	case O_DIM:
		return &o->dim;
	case O_LAYERS:
		return &o->layers;
	case O_HEADS:
		return &o->heads;
	case O_KV_HEADS:
		return &o->kv_heads;
	case O_FFN:
		return &o->ffn;
	case O_VOCAB:
		return &o->vocab;
	case O_CTX:
		return &o->ctx;
	}
	return NULL;
}

/* Apply one option after the preset; returns 0 or the exit status. */
static int apply(struct cli *c, const struct given *g)
{
	uint32_t *f = u32_field(&c->o, g->opt);
	uint64_t v;
	char *end;
	int k, ret = 0;

	if (f) {
		ret = parse_u64(g, UINT32_MAX, &v);
		*f = (uint32_t)v;
		return ret;
	}
	switch (g->opt) {
	case 'o':
		c->out = g->arg;
		break;
	case 't':
		ret = parse_type(g, &c->o.type);
		break;
	case O_EMBD_TYPE:
		ret = parse_type(g, &c->o.embd_type);
		break;
	case O_WEIGHTS:
		ret = parse_choice(g, "uniform", "ternary", &k);
		c->o.weights = k ? MK_W_TERNARY : MK_W_UNIFORM;
		c->weights_set = true;
		break;
	case O_TOKENIZER:
		ret = parse_choice(g, "spm", "bpe", &k);
		c->o.tok = k ? MK_TOK_BPE : MK_TOK_SPM;
		break;
	case O_ACT:
		ret = parse_choice(g, "relu2", "silu", &k);
		c->o.act = k ? MK_ACT_SILU : MK_ACT_RELU2;
		break;
	case O_TIED:
		c->o.tied = true;
		break;
	case O_ROPE:
		c->o.rope_base = strtof(g->arg, &end);
		if (*end || end == g->arg || !(c->o.rope_base > 0))
			ret = usage_error("--%s '%s' is not a positive number", g->name, g->arg);
		break;
	case 's':
		ret = parse_u64(g, UINT64_MAX, &c->o.seed);
		break;
	case O_VOCAB_ONLY:
		c->o.vocab_only = true;
		break;
	case 'q':
		c->quiet = true;
		break;
	}
	return ret;
}

static int bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		fprintf(stderr, PROG ": option '%s' needs an argument (try --help)\n", arg);
	else if (optopt && !strncmp(arg, "--", 2))
		fprintf(stderr, PROG ": option '%.*s' takes no argument (try --help)\n",
			(int)strcspn(arg, "="), arg);
	else if (optopt)
		fprintf(stderr, PROG ": unknown option '-%c' (try --help)\n", optopt);
	else
		fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", arg);
	return 1;
}

/*
 * --arch picks the defaults, --preset the shape (bitnet-2b implies bitnet);
 * an explicit --arch still wins, and every other option overrides both.
 */
static int base_opts(struct cli *c, const struct given *g, int n)
{
	const char *preset = NULL;
	enum mk_arch arch = MK_ARCH_LLAMA;
	bool arch_set = false;
	int i, k;

	for (i = 0; i < n; i++) {
		if (g[i].opt == O_ARCH) {
			if (parse_choice(&g[i], "llama", "bitnet", &k))
				return 1;
			arch = k ? MK_ARCH_BITNET : MK_ARCH_LLAMA;
			arch_set = true;
		}
		if (g[i].opt == O_PRESET)
			preset = g[i].arg;
	}
	mk_opts_default(&c->o, arch);
	if (preset && mk_preset(&c->o, preset)) {
		return usage_error("--preset '%s' is neither tiny nor bitnet-2b", preset);
	}
	if (arch_set)
		c->o.arch = arch;
	return 0;
}

static const char *opt_name(int opt)
{
	return args_long_name(long_opts, opt);
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct cli *c)
{
	struct given *g = calloc((size_t)argc, sizeof(*g));
	int opt, n = 0, i, ret = 0;

	if (!g)
		return 1;
	opterr = 0;
	while (!ret && (opt = getopt_long(argc, argv, ":o:t:s:qhV", long_opts, NULL)) != -1) {
		if (opt == 'h' || opt == 'V') {
			if (opt == 'h')
				fputs(usage, stdout);
			else
				printf(PROG " (LUTCore) %s\n", LUT_VERSION);
			free(g);
			return 0;
		}
		if (opt == '?' || opt == ':')
			ret = bad_option(argv, opt);
		else
			g[n++] = (struct given){opt, optarg, opt_name(opt)};
	}
	if (!ret && optind < argc)
		ret = usage_error("unexpected argument '%s'", argv[optind]);
	if (!ret)
		ret = base_opts(c, g, n);
	for (i = 0; i < n && !ret; i++)
		ret = apply(c, &g[i]);
	free(g);
	if (ret)
		return ret;
	if (!c->out)
		return usage_error("no output file; give -o FILE");
	return -1;
}

/* ---- Writing --------------------------------------------------------------- */

struct progress {
	const char *path;
	bool tty;
	int last; /* percent last shown, -1 at first */
};

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (pct == p->last || (!p->tty && pct / 10 == p->last / 10 && pct != 100))
		return;
	p->last = pct;
	fprintf(stderr, "%s" PROG ": writing %s: %3d%% (%llu of %llu MiB)%s", p->tty ? "\r" : "",
		p->path, pct, (unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
		p->tty && pct < 100 ? "" : "\n");
}

/* Write to a temporary file next to path, then rename it into place. */
static int write_file(const struct cli *c)
{
	struct progress p = {c->out, isatty(2) != 0, -1};
	bool big = (uint64_t)c->o.dim * c->o.vocab + (uint64_t)c->o.layers * c->o.dim * c->o.ffn >
		   (32u << 20);
	mk_progress_fn cb = !c->quiet && big ? show_progress : NULL;
	char err[256], *tmp;
	mode_t mask;
	FILE *f;
	int fd, ret;

	if (!strcmp(c->out, "-")) {
		if (isatty(1)) {
			fputs(PROG ": refusing to write a binary model to a terminal\n", stderr);
			return 1;
		}
		ret = mk_write(&c->o, stdout, cb, &p, err, sizeof(err));
		if (ret)
			fprintf(stderr, PROG ": %s\n", err);
		return ret ? 1 : 0;
	}
	if (asprintf(&tmp, "%s.tmp-XXXXXX", c->out) < 0)
		return 1;
	fd = mkstemp(tmp);
	mask = umask(0);
	umask(mask);
	if (fd >= 0) /* mkstemp() makes 0600; a model is as public as any file */
		fchmod(fd, 0666 & ~mask);
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f) {
		fprintf(stderr, PROG ": cannot create %s: %s\n", c->out, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return 1;
	}
	ret = mk_write(&c->o, f, cb, &p, err, sizeof(err));
	if (fclose(f) && !ret) {
		snprintf(err, sizeof(err), "write error: %s", strerror(errno));
		ret = -EIO;
	}
	if (!ret && rename(tmp, c->out)) {
		snprintf(err, sizeof(err), "cannot rename %s: %s", tmp, strerror(errno));
		ret = -errno;
	}
	if (ret) {
		fprintf(stderr, PROG ": %s: %s\n", c->out, err);
		unlink(tmp);
	}
	free(tmp);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	char err[256];
	int ret = parse_args(argc, argv, &c);

	if (ret >= 0)
		return ret;
	/* Ternary types want ternary weights unless told otherwise. */
	if (!c.weights_set && (c.o.type == LUT_GGML_TQ1_0 || c.o.type == LUT_GGML_TQ2_0))
		c.o.weights = MK_W_TERNARY;
	if (mk_check(&c.o, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s (try --help)\n", err);
		return 1;
	}
	return write_file(&c);
}
