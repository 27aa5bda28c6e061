// SPDX-License-Identifier: MIT
/*
 * Helpers of the end-to-end inference suite (see e2e.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lutcore/quant.h"
#include "lutcore/tokenizer.h"
#include "e2e.h"

static const char *const prompts[] = {
	"The quick brown fox jumps over the lazy dog.",
	"Once upon a time, a small machine looked up every answer in a table.",
};

int e2e_write_model(const struct e2e_model_spec *s, const char *path, char *err, size_t size)
{
	struct mk_opts o;
	FILE *f;
	int ret;

	mk_opts_default(&o, s->arch);
	o.dim = E2E_DIM;
	o.layers = E2E_LAYERS;
	o.ffn = E2E_FFN;
	o.vocab = E2E_VOCAB;
	o.type = s->type;
	o.act = s->act;
	o.seed = s->seed ? s->seed : 1;
	if (s->ternary || s->type == LUT_GGML_TQ1_0 || s->type == LUT_GGML_TQ2_0)
		o.weights = MK_W_TERNARY;
	ret = mk_check(&o, err, size);
	if (ret)
		return ret;
	f = fopen(path, "wb");
	if (!f) {
		ret = -errno;
		snprintf(err, size, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = mk_write(&o, f, NULL, NULL, err, size);
	if (fclose(f) && !ret) {
		ret = -EIO;
		snprintf(err, size, "%s: write failed", path);
	}
	return ret;
}

int e2e_load(const char *path, const struct e2e_model_spec *s, struct lut_dev *dev, uint32_t chunk,
	     struct lut_model **m, char *err, size_t size)
{
	struct lut_model_params p;

	lut_model_params_default(&p);
	p.backend = dev ? LUT_BACKEND_DEVICE : LUT_BACKEND_CPU;
	p.dev = dev;
	p.threads = 1;
	p.ctx = E2E_CTX;
	p.wbits = s->wbits;
	p.table_dtype = s->table;
	p.prefill_chunk = chunk;
	return lut_model_load(path, &p, m, err, size);
}

int e2e_prompt(const struct lut_model *m, int variant, int32_t *ids, uint32_t max)
{
	const char *text = prompts[variant % 2];
	int n = lut_tok_encode(lut_model_tok(m), text, strlen(text), LUT_TOK_ADD_SPECIAL, ids, max);

	if (n < 0)
		return n;
	if (n < 2)
		return -EINVAL;
	return n < (int)max ? n : (int)max;
}

int32_t e2e_argmax(const float *x, uint32_t n)
{
	int32_t best = 0;
	uint32_t i;

	for (i = 1; i < n; i++) {
		if (x[i] > x[best] || (isnan(x[best]) && !isnan(x[i])))
			best = (int32_t)i;
	}
	return best;
}

int e2e_logits_sane(const float *x, uint32_t n)
{
	int spread = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return 0;
		spread |= x[i] != x[0];
	}
	return spread;
}

void e2e_diff(const float *a, const float *b, uint32_t n, double *diff, double *mag)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		double d = fabs((double)a[i] - (double)b[i]);

		if (isnan(d))
			d = INFINITY; /* NaN against anything is the worst */
		if (d > *diff)
			*diff = d;
		if (fabs(a[i]) > *mag)
			*mag = fabs(a[i]);
	}
}

double e2e_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
