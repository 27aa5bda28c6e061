// SPDX-License-Identifier: MIT
/*
 * lutcore-train's other modes: learning the vocabulary, and running a
 * GGUF model with the trainer's own forward pass (every tensor
 * dequantized to float), to continue a prompt or to measure the held-out
 * loss. This is the reference the device runtime's results can be held
 * against: same file, same tokenizer, same windows.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/sampling.h"
#include "cli.h"

int lt_run_vocab(const struct lt_cli *c)
{
	char err[LT_ERR_SIZE];
	size_t len;
	char *text = lt_read_file(c->train, &len);
	int ret;

	if (!text)
		return lt_fail("%s: %s", c->train, strerror(errno));
	ret = lt_vocab_learn(text, len, c->vocab_size, c->out, err, sizeof(err));
	free(text);
	if (ret)
		return lt_fail("%s", err);
	if (!c->quiet)
		printf("wrote %s: %u tokens learned from %zu bytes of %s\n", c->out, c->vocab_size,
		       len, c->train);
	return 0;
}

struct loaded {
	struct lut_gguf *g;
	struct lut_tok *tok;
	struct lt_model m;
	struct lt_pool *pool;
	struct lt_acts *acts;
};

static int load(const struct lt_cli *c, struct loaded *l, uint32_t batch)
{
	char err[LT_ERR_SIZE];

	memset(l, 0, sizeof(*l));
	if (lut_gguf_open(c->model, &l->g, err, sizeof(err)))
		return lt_fail("%s", err);
	if (lut_tok_from_gguf(l->g, &l->tok, err, sizeof(err)))
		return lt_fail("%s: %s", c->model, err);
	if (lt_import(l->g, &l->m, err, sizeof(err)))
		return lt_fail("%s: %s", c->model, err);
	if (lut_tok_bos(l->tok) < 0)
		return lt_fail("%s: the vocabulary has no BOS token", c->model);
	l->pool = lt_cli_pool(c);
	if (!l->pool)
		return 1;
	if (lt_acts_new(&l->m, batch, l->m.c.ctx, &l->acts))
		return lt_fail("out of memory");
	return 0;
}

static void unload(struct loaded *l)
{
	lt_acts_free(l->acts);
	lt_pool_free(l->pool);
	lt_model_free(&l->m);
	lut_tok_free(l->tok);
	lut_gguf_close(l->g);
}

/* Show token id: the complete characters it finishes. */
static void put_token(struct lut_tok_stream *s, int32_t id)
{
	const char *text;
	size_t len;

	if (!lut_tok_stream_put(s, id, &text, &len))
		fwrite(text, 1, len, stdout);
}

/* Generate into ids[n..] (the whole sequence is run again for every token). */
static int generate(const struct lt_cli *c, struct loaded *l, int32_t *ids, uint32_t n,
		    struct lut_tok_stream *out)
{
	struct lut_sampler_params sp;
	struct lut_sampler *smp;
	float *logits = malloc(l->m.c.vocab * sizeof(float));
	uint32_t i, v;
	int id = 0;

	lut_sampler_params_default(&sp);
	sp.temp = c->temp;
	sp.top_k = c->top_k;
	sp.top_p = c->top_p;
	sp.seed = c->sample_seed;
	if (!logits || lut_sampler_new(&sp, &smp)) {
		free(logits);
		return lt_fail("out of memory");
	}
	for (i = 0; i < c->n_predict && n < l->m.c.ctx && id >= 0; i++) {
		lt_forward(&l->m, l->acts, l->pool, ids, NULL, 1, n);
		for (v = 0; v < l->m.c.vocab; v++)
			logits[v] = (float)lt_logits(l->acts, n - 1)[v];
		id = lut_sampler_sample(smp, logits, l->m.c.vocab);
		if (id < 0 || lut_tok_is_eog(l->tok, id))
			break;
		ids[n++] = id;
		put_token(out, id);
		fflush(stdout);
	}
	lut_sampler_free(smp);
	free(logits);
	return id < 0 ? lt_fail("sampling failed") : 0;
}

int lt_run_sample(const struct lt_cli *c)
{
	struct lut_tok_stream *out = NULL;
	struct loaded l;
	int32_t *ids = NULL;
	const char *text;
	size_t len;
	int n, ret = load(c, &l, 1);

	if (!ret) {
		ids = calloc(l.m.c.ctx, sizeof(int32_t));
		n = ids ? lut_tok_encode(l.tok, c->prompt, strlen(c->prompt), LUT_TOK_ADD_SPECIAL,
					 ids, l.m.c.ctx)
			: -ENOMEM;
		if (n < 1 || (uint32_t)n >= l.m.c.ctx)
			ret = lt_fail("the prompt does not fit the context of %u tokens",
				      l.m.c.ctx);
	}
	if (!ret && lut_tok_stream_new(l.tok, 0, &out))
		ret = lt_fail("out of memory");
	if (!ret) {
		fputs(c->prompt, stdout);
		/* The stream decoder continues the prompt's text. */
		lut_tok_stream_free(out);
		lut_tok_stream_new(l.tok, LUT_TOK_DECODE_NO_STRIP, &out);
		ret = out ? generate(c, &l, ids, (uint32_t)n, out) : lt_fail("out of memory");
		if (out && !lut_tok_stream_flush(out, &text, &len))
			fwrite(text, 1, len, stdout);
		putchar('\n');
	}
	lut_tok_stream_free(out);
	free(ids);
	unload(&l);
	return ret;
}

int lt_run_eval(const struct lt_cli *c)
{
	struct lt_text x = {0};
	struct loaded l;
	size_t len, n = 0;
	char *text = NULL;
	double loss = 0;
	int ret = load(c, &l, 8);

	if (!ret) {
		text = lt_read_file(c->heldout, &len);
		if (!text)
			ret = lt_fail("%s: %s", c->heldout, strerror(errno));
	}
	if (!ret && lt_tokenize(l.tok, text, len, &x))
		ret = lt_fail("%s: cannot tokenize", c->heldout);
	if (!ret) {
		loss = lt_eval_text(&l.m, l.acts, l.pool, &x, lut_tok_bos(l.tok), 8, l.m.c.ctx, 0,
				    &n);
		printf("%s: held-out loss %.4f nats/token, perplexity %.3f over %zu tokens "
		       "(windows of %u)\n",
		       c->model, loss, exp(loss), n, l.m.c.ctx);
	}
	free(text);
	lt_text_free(&x);
	unload(&l);
	return ret;
}
