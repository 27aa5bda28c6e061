// SPDX-License-Identifier: MIT
/*
 * lutcore-train's training run: data and vocabulary in, steps of forward,
 * backward and AdamW, progress lines, the loss curve, checkpoints, the
 * held-out loss, and the GGUF model out.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct run {
	const struct lt_cli *cli;
	struct lt_model m;
	struct lt_ckpt k;
	struct lt_hparams h;
	struct lt_pool *pool;
	struct lut_gguf *vocab;
	struct lut_tok *tok;
	struct lt_text train, held;
	struct lt_acts *acts;
	real *grad;
	int32_t *tokens, *targets;
	FILE *log;
	double t0;	/* when this process's steps began */
	uint32_t step0; /* the first step this process ran */
	bool tty;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

struct lt_pool *lt_cli_pool(const struct lt_cli *c)
{
	struct lt_pool *p;

	if (lt_pool_new(c->threads, &p)) {
		lt_fail("cannot start %u threads", c->threads);
		return NULL;
	}
	return p;
}

/* The vocabulary file and its tokenizer; a text file tokenized. */
static int load_vocab(struct run *r, const char *path)
{
	char err[LUT_GGUF_ERR_SIZE];

	if (lut_gguf_open(path, &r->vocab, err, sizeof(err)))
		return lt_fail("%s", err);
	if (lut_tok_from_gguf(r->vocab, &r->tok, err, sizeof(err)))
		return lt_fail("%s: %s", path, err);
	if (lut_tok_bos(r->tok) < 0)
		return lt_fail("%s: the vocabulary has no BOS token", path);
	return 0;
}

static int load_text(struct run *r, const char *path, struct lt_text *x)
{
	size_t len;
	char *text = lt_read_file(path, &len);
	int ret;

	if (!text)
		return lt_fail("%s: %s", path, strerror(errno));
	ret = lt_tokenize(r->tok, text, len, x);
	free(text);
	if (ret)
		return lt_fail("%s: cannot tokenize: %s", path, strerror(-ret));
	if (x->n < 2)
		return lt_fail("%s: too little text", path);
	return 0;
}

/* A new model from the options, or the checkpoint's. */
static int setup_model(struct run *r)
{
	const struct lt_cli *c = r->cli;
	char err[LT_ERR_SIZE];
	struct lt_config cfg = c->c;

	if (c->resume) {
		if (lt_ckpt_load(c->resume, &r->m, &r->k, err, sizeof(err)))
			return lt_fail("%s", err);
		r->h = r->k.h;
		if (r->m.c.vocab != (uint32_t)lut_tok_n_vocab(r->tok))
			return lt_fail("%s: trained with another vocabulary than %s", c->resume,
				       c->vocab);
		return 0;
	}
	r->h = c->h;
	cfg.vocab = (uint32_t)lut_tok_n_vocab(r->tok);
	if (lt_config_check(&cfg, err, sizeof(err)))
		return lt_fail("%s", err);
	if (lt_model_new(&cfg, &r->m))
		return lt_fail("out of memory");
	lt_model_init(&r->m, r->h.seed);
	r->k.h = r->h;
	r->k.mo = calloc(r->m.n_params, sizeof(real));
	r->k.ve = calloc(r->m.n_params, sizeof(real));
	return r->k.mo && r->k.ve ? 0 : lt_fail("out of memory");
}

static int setup(struct run *r)
{
	const struct lt_cli *c = r->cli;
	size_t n;

	if (load_vocab(r, c->vocab) || load_text(r, c->train, &r->train))
		return 1;
	if (c->heldout && load_text(r, c->heldout, &r->held))
		return 1;
	if (setup_model(r))
		return 1;
	n = (size_t)r->h.batch * r->m.c.ctx;
	r->grad = calloc(r->m.n_params, sizeof(real));
	r->tokens = calloc(n, sizeof(int32_t));
	r->targets = calloc(n, sizeof(int32_t));
	if (!r->grad || !r->tokens || !r->targets ||
	    lt_acts_new(&r->m, r->h.batch, r->m.c.ctx, &r->acts))
		return lt_fail("out of memory for a batch of %u x %u tokens", r->h.batch,
			       r->m.c.ctx);
	if (c->log) {
		r->log = fopen(c->log, r->k.step ? "a" : "w");
		if (!r->log)
			return lt_fail("%s: %s", c->log, strerror(errno));
		if (!r->k.step)
			fprintf(r->log,
				"step\tloss\tlr\tgrad_norm\ttokens_per_s\telapsed_s\theldout\n");
	}
	r->pool = lt_cli_pool(c);
	return r->pool ? 0 : 1;
}

static void fmt_time(double s, char *buf, size_t size)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
}

static double heldout_loss(struct run *r, size_t windows, size_t *n)
{
	return lt_eval_text(&r->m, r->acts, r->pool, &r->held, lut_tok_bos(r->tok), r->h.batch,
			    r->m.c.ctx, windows, n);
}

/* After step s (1-based count): progress, log, held-out loss, checkpoint. */
static int report(struct run *r, uint32_t s, double loss, double gnorm)
{
	const struct lt_cli *c = r->cli;
	double el = now() - r->t0 + 1e-9;
	double tps = (double)(s - r->step0) * r->h.batch * r->m.c.ctx / el;
	double eta = el / (s - r->step0) * (r->h.steps - s), held = NAN;
	char e1[32], e2[32], err[LT_ERR_SIZE];
	size_t n;

	if (r->held.n && c->eval_every && (s % c->eval_every == 0 || s == r->h.steps)) {
		lt_model_prepare(&r->m, r->pool);
		held = heldout_loss(r, c->eval_windows, &n);
	}
	if (!c->quiet && (s % c->log_every == 0 || s == r->h.steps || !isnan(held))) {
		fmt_time(el, e1, sizeof(e1));
		fmt_time(eta, e2, sizeof(e2));
		fprintf(stderr,
			"%sstep %u/%u  loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s  %s  ETA %s",
			r->tty ? "\r" : "", s, r->h.steps, loss, lt_lr(&r->h, s - 1), gnorm, tps,
			e1, e2);
		if (!isnan(held))
			fprintf(stderr, "  held-out %.4f", held);
		fputs(r->tty && isnan(held) && s < r->h.steps ? "\033[K" : "\n", stderr);
	}
	if (r->log) {
		fprintf(r->log, "%u\t%.5f\t%.3e\t%.4f\t%.0f\t%.1f\t", s, loss, lt_lr(&r->h, s - 1),
			gnorm, tps, el);
		if (isnan(held))
			fputs("-\n", r->log);
		else
			fprintf(r->log, "%.5f\n", held);
		fflush(r->log); /* a curve to watch while it runs */
	}
	if (c->save && c->save_every && s % c->save_every == 0 && s < r->h.steps) {
		r->k.step = s;
		if (lt_ckpt_save(c->save, &r->m, &r->k, err, sizeof(err)))
			return lt_fail("%s", err);
	}
	return 0;
}

static int train_steps(struct run *r)
{
	struct lt_trainer t = {.m = &r->m,
			       .acts = r->acts,
			       .pool = r->pool,
			       .text = &r->train,
			       .bos = lut_tok_bos(r->tok),
			       .h = &r->h,
			       .grad = r->grad,
			       .mo = r->k.mo,
			       .ve = r->k.ve,
			       .tokens = r->tokens,
			       .targets = r->targets};
	uint32_t s, end = r->h.steps;
	double loss, gnorm;

	if (r->cli->stop_after && r->k.step + r->cli->stop_after < end)
		end = r->k.step + r->cli->stop_after;
	r->t0 = now();
	r->step0 = r->k.step;
	for (s = r->k.step; s < end; s++) {
		loss = lt_step(&t, s, &gnorm);
		if (!isfinite(loss) || !isfinite(gnorm))
			return lt_fail("step %u: the loss or the gradient is not finite", s + 1);
		if (report(r, s + 1, loss, gnorm))
			return 1;
	}
	r->k.step = end;
	return 0;
}

static int finish(struct run *r)
{
	const struct lt_cli *c = r->cli;
	const struct lt_config *g = &r->m.c;
	char err[LT_ERR_SIZE], name[160], desc[512];
	struct lt_export_info info = {name, desc};
	const char *base = strrchr(c->train, '/');
	double held;
	size_t n;

	if (c->save && lt_ckpt_save(c->save, &r->m, &r->k, err, sizeof(err)))
		return lt_fail("%s", err);
	if (r->k.step < r->h.steps) {
		printf("stopped after step %u of %u; go on with --resume %s\n", r->k.step,
		       r->h.steps, c->save);
		return 0;
	}
	lt_model_prepare(&r->m, r->pool);
	snprintf(name, sizeof(name), "%s", c->name ? c->name : "lutcore-tiny");
	snprintf(desc, sizeof(desc),
		 "trained by lutcore-train: %s llama d%u l%u h%u ffn%u ctx%u, %u steps of %u x %u "
		 "tokens of %s, seed %llu, lr %g, weight decay %g",
		 g->ternary ? "ternary (BitNet b1.58 absmean QAT)" : "float", g->dim, g->layers,
		 g->heads, g->ffn, g->ctx, r->h.steps, r->h.batch, g->ctx,
		 base ? base + 1 : c->train, (unsigned long long)r->h.seed, r->h.lr, r->h.wd);
	if (lt_export(&r->m, r->vocab, &info, c->out, err, sizeof(err)))
		return lt_fail("%s", err);
	printf("wrote %s: %zu parameters, %s\n", c->out, r->m.n_params,
	       g->ternary ? "projections tq2_0" : "projections f16");
	if (r->held.n) {
		held = heldout_loss(r, 0, &n);
		printf("held-out loss %.4f nats/token, perplexity %.2f over %zu tokens\n", held,
		       exp(held), n);
		if (r->log)
			fprintf(r->log, "# final held-out loss %.5f perplexity %.3f tokens %zu\n",
				held, exp(held), n);
	}
	return 0;
}

static void cleanup(struct run *r)
{
	if (r->log)
		fclose(r->log);
	lt_acts_free(r->acts);
	lt_pool_free(r->pool);
	lt_text_free(&r->train);
	lt_text_free(&r->held);
	lut_tok_free(r->tok);
	lut_gguf_close(r->vocab);
	lt_model_free(&r->m);
	free(r->k.mo);
	free(r->k.ve);
	free(r->grad);
	free(r->tokens);
	free(r->targets);
}

int lt_run_train(const struct lt_cli *c)
{
	struct run r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.cli = c;
	r.tty = isatty(2);
	ret = setup(&r);
	if (!ret && !c->quiet)
		fprintf(stderr,
			PROG ": %s model, %zu parameters, %zu training tokens, %u threads, "
			     "from step %u\n",
			r.m.c.ternary ? "ternary" : "float", r.m.n_params, r.train.n, c->threads,
			r.k.step);
	ret = ret ?: train_steps(&r);
	ret = ret ?: finish(&r);
	cleanup(&r);
	return ret;
}
