// SPDX-License-Identifier: MIT
/*
 * lutcore-infer --perplexity: how well the model predicts a text.
 *
 * The text is tokenized as a whole, without special tokens, and cut into
 * consecutive, non-overlapping windows; each window is evaluated from
 * position 0 (the KV cache is rewound), so no window sees another's
 * tokens. With BOS (the model's metadata asks for it and --no-bos is not
 * given) a window is BOS followed by ctx - 1 tokens of the text, and every
 * one of its ctx text tokens is scored: the first from BOS alone, the
 * rest from BOS and the tokens before them in the window; so every token
 * of the text is scored exactly once, and the numbers match the
 * trainer's own evaluation (models/README.md). Without BOS a window is ctx
 * tokens of the text and all but its first are scored (the first has
 * nothing to be predicted from). llama.cpp's perplexity scores only the
 * second half of each window instead, which gives every scored token at
 * least ctx/2 of context; here early tokens of a window have little, so
 * the result depends on ctx (a larger one gives a lower perplexity).
 *
 * A token's score is -ln p(token), p from the softmax of the logits at the
 * position before it, computed in double; the perplexity is e to the mean
 * score. The logits of every position come from lut_model_eval_all(), in
 * pieces of LUT_PREFILL_DEFAULT positions so that the buffer stays small
 * for a large vocabulary.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lutcore/tokenizer.h"
#include "lutcore_isa.h"
#include "infer.h"

#define PPL_PIECE LUT_PREFILL_DEFAULT /* positions per lut_model_eval_all() */

/* The windows: how many text tokens each takes and how many it scores. */
struct ppl_plan {
	bool bos;
	int32_t bos_id;
	uint32_t ctx;	  /* positions per window */
	uint32_t windows; /* in all */
	uint64_t scored;  /* tokens scored in all */
};

/* What the windows so far gave. */
struct ppl_sum {
	double nll;	 /* sum of -ln p */
	uint64_t scored; /* tokens scored */
	uint32_t window; /* windows done */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* BOS as the tokenizer adds it: what an empty text with special tokens starts with. */
static bool wants_bos(const struct lut_tok *t, const struct infer_opts *o)
{
	int32_t ids[4];
	int n = o->add_special ? lut_tok_encode(t, "", 0, LUT_TOK_ADD_SPECIAL, ids, 4) : 0;

	return n > 0 && lut_tok_bos(t) >= 0 && ids[0] == lut_tok_bos(t);
}

/*
 * The window that starts at text token start: how many text tokens it
 * takes (*len) and how many it scores (at most need); 0: none is left.
 */
static uint32_t window_at(const struct ppl_plan *p, uint32_t n, uint32_t start, uint64_t need,
			  uint32_t *len)
{
	uint32_t left = n - start, l = left < p->ctx ? left : p->ctx;
	uint32_t scored = p->bos ? l : (l ? l - 1 : 0);

	if (scored > need) {
		scored = (uint32_t)need;
		l = p->bos ? scored : scored + 1;
	}
	*len = l;
	return scored;
}

/* The windows for n text tokens, at most --ppl-tokens scored (0: all). */
static void plan(const struct lut_model *m, const struct infer_opts *o, struct ppl_plan *p,
		 uint32_t n)
{
	uint64_t need = o->ppl_tokens ? o->ppl_tokens : UINT64_MAX;
	uint32_t start = 0, len, s;

	p->bos = wants_bos(lut_model_tok(m), o);
	p->bos_id = lut_tok_bos(lut_model_tok(m));
	p->ctx = lut_model_info(m)->ctx;
	p->windows = 0;
	p->scored = 0;
	while (start < n && (s = window_at(p, n, start, need, &len)) > 0) {
		p->windows++;
		p->scored += s;
		need -= s;
		start += len;
	}
}

int infer_ppl_tokenize(const struct lut_model *m, const struct infer_opts *o, int32_t **ids,
		       uint32_t *n)
{
	const struct lut_tok *t = lut_model_tok(m);
	struct ppl_plan p;
	int need, got;

	if (!t) {
		infer_error("%s: the model has no tokenizer: cannot score a text", o->model);
		return 1;
	}
	need = lut_tok_encode(t, o->ppl_text, o->ppl_len, 0, NULL, 0);
	if (need < 0) {
		infer_error("--perplexity %s: tokenizing: %s", o->ppl_file, strerror(-need));
		return 1;
	}
	*ids = malloc((size_t)(need ? need : 1) * sizeof(**ids));
	if (!*ids) {
		infer_error("out of memory");
		return 1;
	}
	got = lut_tok_encode(t, o->ppl_text, o->ppl_len, 0, *ids, (size_t)need);
	if (got != need) {
		infer_error("--perplexity %s: tokenizing: %s", o->ppl_file,
			    got < 0 ? strerror(-got) : "length changed");
		free(*ids);
		*ids = NULL;
		return 1;
	}
	*n = (uint32_t)need;
	plan(m, o, &p, *n);
	if (!p.scored) {
		infer_error("--perplexity %s: nothing to score in %u token%s (%s, windows of %u)",
			    o->ppl_file, *n, *n == 1 ? "" : "s", p.bos ? "BOS" : "no BOS", p.ctx);
		free(*ids);
		*ids = NULL;
		return 1;
	}
	return 0;
}

/* -ln softmax(logits)[target], in double. */
static double nll_of(const float *logits, uint32_t V, int32_t target)
{
	double max = logits[0], sum;
	uint32_t v;

	for (v = 1; v < V; v++)
		max = logits[v] > max ? logits[v] : max;
	sum = exp((double)logits[0] - max); /* > 0: V >= 1 terms, one of them 1 */
	for (v = 1; v < V; v++)
		sum += exp((double)logits[v] - max);
	return log(sum) - ((double)logits[target] - max);
}

/*
 * Evaluate one window (in: its len input tokens, BOS first when planned)
 * and add the scores of its targets: target[i] follows input position i,
 * a negative one is not scored.
 */
static int run_window(struct lut_model *m, const int32_t *in, const int32_t *target, uint32_t len,
		      float *logits, struct ppl_sum *sum)
{
	uint32_t V = lut_model_info(m)->n_vocab, done, k, i;
	int ret = lut_model_rewind(m, 0);

	for (done = 0; done < len && !ret; done += k) {
		k = len - done < PPL_PIECE ? len - done : PPL_PIECE;
		ret = lut_model_eval_all(m, in + done, k, logits);
		for (i = 0; i < k && !ret; i++) {
			if (target[done + i] < 0)
				continue;
			sum->nll += nll_of(logits + (size_t)i * V, V, target[done + i]);
			sum->scored++;
		}
	}
	if (ret) {
		const char *msg = lut_model_error(m);

		infer_error("perplexity, window %u: %s", sum->window + 1,
			    *msg ? msg : strerror(-ret));
		return 1;
	}
	sum->window++;
	return 0;
}

/* Progress: in place on a terminal, else a line every 10% of the windows. */
static void show_progress(const struct infer_opts *o, struct infer_progress *pr,
			  const struct ppl_plan *p, const struct ppl_sum *s)
{
	int pct = (int)((uint64_t)s->window * 100 / p->windows);

	if (o->quiet || (!pr->live && pr->last >= 0 && pct / 10 == pr->last / 10 && pct != 100))
		return;
	pr->last = pct;
	fprintf(stderr, "%s" PROG ": perplexity: window %u/%u, %llu tokens, running %.3f%s",
		pr->live ? "\r" : "", s->window, p->windows, (unsigned long long)s->scored,
		exp(s->nll / (double)s->scored), pr->live && pct < 100 ? "" : "\n");
}

/* Run every window; in/target are scratch arrays of ctx entries. */
static int run_windows(struct lut_model *m, const struct infer_opts *o, const struct ppl_plan *p,
		       const int32_t *ids, uint32_t n, struct ppl_sum *sum)
{
	uint32_t V = lut_model_info(m)->n_vocab, start = 0, len, i, off = p->bos ? 1 : 0;
	int32_t *in = malloc((size_t)p->ctx * sizeof(*in));
	int32_t *target = malloc((size_t)p->ctx * sizeof(*target));
	float *logits = malloc((size_t)PPL_PIECE * V * sizeof(*logits));
	uint64_t need = p->scored;
	struct infer_progress pr;
	int ret = 0;

	if (!in || !target || !logits) {
		infer_error("out of memory");
		ret = 1;
	}
	infer_progress_init(&pr);
	while (!ret && sum->window < p->windows) {
		need -= window_at(p, n, start, need, &len);
		/* Input position i predicts text token start + i + 1 - off. */
		in[0] = p->bos_id;
		memcpy(in + off, ids + start, (size_t)(len - off) * sizeof(*in));
		for (i = 0; i < len; i++)
			target[i] = i + 1 - off < len ? ids[start + i + 1 - off] : -1;
		ret = run_window(m, in, target, len, logits, sum);
		start += len;
		if (!ret)
			show_progress(o, &pr, p, sum);
	}
	free(in);
	free(target);
	free(logits);
	return ret;
}

int infer_perplexity(struct lut_model *m, const struct infer_opts *o, const int32_t *ids,
		     uint32_t n)
{
	struct ppl_plan p;
	struct ppl_sum sum = {0};
	uint64_t t0 = now_ns(), ns;
	double nll;

	plan(m, o, &p, n); /* infer_ppl_tokenize() made sure it scores tokens */
	if (!o->quiet)
		fprintf(stderr,
			PROG ": perplexity: %llu of %u tokens in %u window%s of %u positions%s\n",
			(unsigned long long)p.scored, n, p.windows, p.windows == 1 ? "" : "s",
			p.ctx, p.bos ? " (BOS first)" : " (no BOS: the first is not scored)");
	if (run_windows(m, o, &p, ids, n, &sum))
		return 1;
	ns = now_ns() - t0;
	nll = sum.nll / (double)sum.scored;
	if (!o->quiet)
		fprintf(stderr, PROG ": perplexity: %.1f s, %.1f tokens/s\n", (double)ns / 1e9,
			(double)sum.scored * 1e9 / (double)(ns ? ns : 1));
	printf("perplexity: %.3f over %llu tokens (nll %.6f/token), backend %s, tables %s\n",
	       exp(nll), (unsigned long long)sum.scored, nll,
	       o->mp.backend == LUT_BACKEND_CPU ? "cpu" : "device",
	       o->mp.table_dtype == LUTC_DT_I8 ? "i8" : "f16");
	return 0;
}
