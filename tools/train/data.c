// SPDX-License-Identifier: MIT
/*
 * lutcore-train's data: texts tokenized with liblutcore's tokenizer,
 * training windows drawn from (seed, step), and the held-out loss.
 *
 * A window is BOS followed by t-1 consecutive tokens of the text, and its
 * targets are the t tokens that follow BOS: the first token is predicted
 * from BOS alone, as the first token after a prompt's BOS is at
 * inference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/sampling.h"
#include "acts.h"

char *lt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *p;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? 2 * cap : 1 << 20;
			p = realloc(buf, cap + 1);
			if (!p) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int lt_tokenize(const struct lut_tok *tok, const char *text, size_t len, struct lt_text *out)
{
	int n;

	/* Never more tokens than bytes: every token stands for at least one. */
	out->ids = malloc((len + 1) * sizeof(int32_t));
	out->n = 0;
	if (!out->ids)
		return -ENOMEM;
	n = lut_tok_encode(tok, text, len, 0, out->ids, len + 1);
	if (n < 0) {
		lt_text_free(out);
		return n;
	}
	out->n = (size_t)n;
	return 0;
}

void lt_text_free(struct lt_text *t)
{
	free(t->ids);
	t->ids = NULL;
	t->n = 0;
}

/* BOS and x[a0 .. a0+t-2] into tokens, x[a0 .. a0+t-1] into targets. */
static void window(const struct lt_text *x, int32_t bos, size_t a0, uint32_t t, int32_t *tokens,
		   int32_t *targets)
{
	uint32_t i;

	tokens[0] = bos;
	for (i = 0; i < t; i++) {
		bool in = a0 + i < x->n;

		if (i + 1 < t)
			tokens[i + 1] = in ? x->ids[a0 + i] : bos;
		targets[i] = in ? x->ids[a0 + i] : -1; /* past the end: not scored */
	}
}

void lt_batch(const struct lt_text *x, int32_t bos, uint64_t seed, uint32_t step, uint32_t b,
	      uint32_t t, int32_t *tokens, int32_t *targets)
{
	uint64_t span = x->n > t ? x->n - t + 1 : 1;
	struct lut_rng r;
	uint32_t s;

	lut_rng_seed(&r, seed ^ (0x9e3779b97f4a7c15ull * (step + 1ull)));
	for (s = 0; s < b; s++)
		window(x, bos, (size_t)(lut_rng_next(&r) % span), t, tokens + (size_t)s * t,
		       targets + (size_t)s * t);
}

double lt_eval_text(struct lt_model *m, struct lt_acts *a, struct lt_pool *pool,
		    const struct lt_text *x, int32_t bos, uint32_t b, uint32_t t,
		    size_t max_windows, size_t *n_scored)
{
	size_t windows = (x->n + t - 1) / t, w;
	int32_t *tok = malloc((size_t)b * t * sizeof(int32_t));
	int32_t *tgt = malloc((size_t)b * t * sizeof(int32_t));
	double sum = 0, mean;
	uint32_t s, nb;

	*n_scored = 0;
	if (!tok || !tgt) {
		free(tok);
		free(tgt);
		return -1;
	}
	if (max_windows && windows > max_windows)
		windows = max_windows;
	for (w = 0; w < windows; w += nb) {
		nb = windows - w < b ? (uint32_t)(windows - w) : b;
		for (s = 0; s < nb; s++)
			window(x, bos, (w + s) * t, t, tok + (size_t)s * t, tgt + (size_t)s * t);
		mean = lt_forward(m, a, pool, tok, tgt, nb, t);
		sum += mean * (double)a->n_scored;
		*n_scored += a->n_scored;
	}
	free(tok);
	free(tgt);
	return *n_scored ? sum / (double)*n_scored : 0;
}
