// SPDX-License-Identifier: MIT
/*
 * lutcore-infer: the prompt and the token loop. The prompt is evaluated in
 * one call (the runtime runs it as prompt streams, in chunks), then each
 * token is chosen from the last logits and fed back as a single-token
 * decode step. Text is written to stdout as soon as each token's complete
 * UTF-8 characters are known.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/tokenizer.h"
#include "infer.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

/*
 * The first Ctrl-C ends the generation after the current step, so the
 * speed line still comes; the handler then resets, so a second one kills.
 */
static void catch_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static int eval_failed(const struct lut_model *m, const char *what, int ret)
{
	const char *msg = lut_model_error(m);

	infer_error("%s: %s", what, *msg ? msg : strerror(-ret));
	return 1;
}

int infer_tokenize(const struct lut_model *m, const struct infer_opts *o, int32_t **ids,
		   uint32_t *n)
{
	const struct lut_tok *t = lut_model_tok(m);
	unsigned int flags = o->add_special ? LUT_TOK_ADD_SPECIAL : 0;
	uint32_t ctx = lut_model_info(m)->ctx;
	int need, got;

	if (!t) {
		infer_error("the model has no tokenizer (no tokenizer.ggml.* metadata): "
			    "cannot turn a prompt into tokens");
		return 1;
	}
	need = lut_tok_encode(t, o->prompt, o->prompt_len, flags, NULL, 0);
	if (need < 0) {
		infer_error("tokenizing the prompt: %s", strerror(-need));
		return 1;
	}
	if (need == 0) {
		infer_error("the prompt is empty and no BOS token is added: nothing to evaluate");
		return 1;
	}
	if ((uint32_t)need > ctx) {
		infer_error("the prompt is %d tokens, more than the context's %u positions "
			    "(try --ctx)",
			    need, ctx);
		return 1;
	}
	*ids = malloc((size_t)need * sizeof(**ids));
	if (!*ids) {
		infer_error("out of memory");
		return 1;
	}
	got = lut_tok_encode(t, o->prompt, o->prompt_len, flags, *ids, (size_t)need);
	if (got != need) {
		infer_error("tokenizing the prompt: %s",
			    got < 0 ? strerror(-got) : "length changed");
		free(*ids);
		*ids = NULL;
		return 1;
	}
	*n = (uint32_t)need;
	return 0;
}

/* Write one token's text (if any is complete yet) and flush it out. */
static int emit(struct lut_tok_stream *s, int32_t id)
{
	const char *text;
	size_t len;
	int ret = id >= 0 ? lut_tok_stream_put(s, id, &text, &len)
			  : lut_tok_stream_flush(s, &text, &len);

	if (ret) {
		infer_error("decoding token %d: %s", id, strerror(-ret));
		return 1;
	}
	if ((len && fwrite(text, 1, len, stdout) != len) || fflush(stdout)) {
		infer_error("writing the text: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Echo the prompt as the model sees it (decoded from its tokens). */
static int echo_prompt(const struct lut_tok *t, const int32_t *ids, uint32_t n)
{
	struct lut_tok_stream *s;
	uint32_t i;
	int ret;

	if (lut_tok_stream_new(t, 0, &s)) {
		infer_error("out of memory");
		return 1;
	}
	for (i = 0, ret = 0; i < n && !ret; i++)
		ret = emit(s, ids[i]);
	if (!ret)
		ret = emit(s, -1);
	lut_tok_stream_free(s);
	return ret;
}

struct gen {
	struct lut_model *m;
	const struct infer_opts *o;
	struct lut_sampler *sampler;
	struct lut_tok_stream *out;
	struct lut_eval ev;
	uint32_t emitted; /* tokens generated and written */
	const char *stop; /* why generation ended early, or NULL */
};

/* The next token from the last evaluation's logits. */
static int next_token(struct gen *g, int32_t *id)
{
	int ret;

	if (!g->sampler) {
		*id = g->ev.argmax;
		return 0;
	}
	ret = lut_sampler_sample(g->sampler, g->ev.logits, lut_model_info(g->m)->n_vocab);
	if (ret < 0) {
		infer_error("sampling: %s", strerror(-ret));
		return 1;
	}
	*id = ret;
	return 0;
}

/*
 * Generate up to n_predict tokens after the prompt's evaluation in g->ev.
 * Every emitted token is evaluated too, so the KV cache holds the whole
 * text and each decode step is counted once.
 */
static int decode_loop(struct gen *g)
{
	const struct lut_tok *t = lut_model_tok(g->m);
	uint32_t ctx = lut_model_info(g->m)->ctx, n;
	int32_t id;
	int ret;

	for (n = 0; n < g->o->n_predict; n++) {
		if (interrupted) {
			g->stop = "interrupted";
			break;
		}
		if (next_token(g, &id))
			return 1;
		if (lut_tok_is_eog(t, id))
			break;
		if (emit(g->out, id))
			return 1;
		g->emitted++;
		if (lut_model_pos(g->m) >= ctx) {
			g->stop = "the context is full";
			break;
		}
		ret = lut_model_eval(g->m, &id, 1, &g->ev);
		if (ret)
			return eval_failed(g->m, "decoding", ret);
	}
	return emit(g->out, -1);
}

static void phase_stats(struct lut_model *m, struct lut_model_stats *st)
{
	lut_model_stats(m, st);
	lut_model_stats_reset(m);
}

int infer_generate(struct lut_model *m, const struct infer_opts *o, const int32_t *ids, uint32_t n,
		   struct infer_speed *speed)
{
	struct gen g = {.m = m, .o = o};
	struct lut_model_stats a, b;
	int ret = 1;

	if (echo_prompt(lut_model_tok(m), ids, n))
		goto out;
	if (o->sampling && lut_sampler_new(&o->sp, &g.sampler)) {
		infer_error("cannot create the sampler");
		goto out;
	}
	if (lut_tok_stream_new(lut_model_tok(m), LUT_TOK_DECODE_NO_STRIP, &g.out)) {
		infer_error("out of memory");
		goto out;
	}
	catch_sigint();
	lut_model_stats_reset(m);
	ret = lut_model_eval(m, ids, n, &g.ev);
	if (ret) {
		ret = eval_failed(m, "evaluating the prompt", ret);
		goto out;
	}
	/* A one-token prompt runs as a decode step; count it as the prompt. */
	phase_stats(m, &a);
	ret = decode_loop(&g);
	phase_stats(m, &b);
	if (fputc('\n', stdout) == EOF || fflush(stdout))
		ret = 1;
	if (g.stop && !o->quiet)
		infer_error("%s (%u of %u positions): stopped after %u tokens", g.stop,
			    lut_model_pos(m), lut_model_info(m)->ctx, g.emitted);
	*speed = (struct infer_speed){
		.prompt_tokens = a.prompt_tokens + a.decode_tokens,
		.prompt_ns = a.prompt_ns + a.decode_ns,
		.decode_tokens = b.decode_tokens,
		.decode_ns = b.decode_ns,
		.decode_cycles = b.decode_cycles,
		.clock_mhz = b.clock_mhz ? b.clock_mhz : a.clock_mhz,
	};
out:
	lut_tok_stream_free(g.out);
	lut_sampler_free(g.sampler);
	return ret;
}
