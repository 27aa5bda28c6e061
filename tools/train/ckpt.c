// SPDX-License-Identifier: MIT
/*
 * lutcore-train's checkpoints: everything a run needs to go on exactly
 * where it stopped. The batches and the learning rate follow from the
 * seed and the step number alone, so the parameters, the two Adam moments
 * and the step are the whole state.
 *
 * Layout (host byte order; a checkpoint is a working file of one machine,
 * the GGUF export is the portable result): the header below, then
 * n_params reals of parameters, of first and of second moments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define CKPT_MAGIC   "LUTCTRN\0"
#define CKPT_VERSION 1

struct header {
	char magic[8];
	uint32_t version, real_size;
	uint32_t dim, layers, heads, kv_heads, ffn, vocab, ctx, ternary;
	float eps, rope_base;
	uint32_t steps, warmup, batch, step;
	float lr, min_lr, wd, beta1, beta2, adam_eps, clip, pad;
	uint64_t seed, n_params;
};

int lt_ckpt_save(const char *path, const struct lt_model *m, const struct lt_ckpt *k, char *err,
		 size_t size)
{
	const struct lt_config *c = &m->c;
	const struct lt_hparams *h = &k->h;
	struct header hd = {
		.version = CKPT_VERSION,
		.real_size = sizeof(real),
		.dim = c->dim,
		.layers = c->layers,
		.heads = c->heads,
		.kv_heads = c->kv_heads,
		.ffn = c->ffn,
		.vocab = c->vocab,
		.ctx = c->ctx,
		.ternary = c->ternary,
		.eps = c->eps,
		.rope_base = c->rope_base,
		.steps = h->steps,
		.warmup = h->warmup,
		.batch = h->batch,
		.step = k->step,
		.lr = h->lr,
		.min_lr = h->min_lr,
		.wd = h->wd,
		.beta1 = h->beta1,
		.beta2 = h->beta2,
		.adam_eps = h->adam_eps,
		.clip = h->clip,
		.seed = h->seed,
		.n_params = m->n_params,
	};
	char tmp[4096];
	FILE *f;
	bool ok;

	memcpy(hd.magic, CKPT_MAGIC, sizeof(hd.magic));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f) {
		snprintf(err, size, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	ok = fwrite(&hd, sizeof(hd), 1, f) == 1 &&
	     fwrite(m->p, sizeof(real), m->n_params, f) == m->n_params &&
	     fwrite(k->mo, sizeof(real), m->n_params, f) == m->n_params &&
	     fwrite(k->ve, sizeof(real), m->n_params, f) == m->n_params;
	ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		snprintf(err, size, "%s: write error", path);
		remove(tmp);
		return -EIO;
	}
	return 0;
}

static int header_to(const struct header *hd, struct lt_config *c, struct lt_hparams *h)
{
	if (memcmp(hd->magic, CKPT_MAGIC, sizeof(hd->magic)) || hd->version != CKPT_VERSION ||
	    hd->real_size != sizeof(real))
		return -EINVAL;
	*c = (struct lt_config){.dim = hd->dim,
				.layers = hd->layers,
				.heads = hd->heads,
				.kv_heads = hd->kv_heads,
				.ffn = hd->ffn,
				.vocab = hd->vocab,
				.ctx = hd->ctx,
				.eps = hd->eps,
				.rope_base = hd->rope_base,
				.ternary = hd->ternary};
	*h = (struct lt_hparams){.steps = hd->steps,
				 .warmup = hd->warmup,
				 .batch = hd->batch,
				 .lr = hd->lr,
				 .min_lr = hd->min_lr,
				 .wd = hd->wd,
				 .beta1 = hd->beta1,
				 .beta2 = hd->beta2,
				 .adam_eps = hd->adam_eps,
				 .clip = hd->clip,
				 .seed = hd->seed};
	return 0;
}

int lt_ckpt_load(const char *path, struct lt_model *m, struct lt_ckpt *k, char *err, size_t size)
{
	struct header hd;
	struct lt_config c;
	FILE *f = fopen(path, "rb");
	int ret;

	memset(k, 0, sizeof(*k));
	if (!f) {
		ret = -errno;
		snprintf(err, size, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = fread(&hd, sizeof(hd), 1, f) == 1 ? header_to(&hd, &c, &k->h) : -EINVAL;
	ret = ret ?: lt_config_check(&c, err, size);
	if (ret) {
		snprintf(err, size, "%s: not a checkpoint of this lutcore-train", path);
		fclose(f);
		return -EINVAL;
	}
	ret = lt_model_new(&c, m);
	if (!ret && m->n_params != hd.n_params)
		ret = -EINVAL;
	k->step = hd.step;
	k->mo = calloc(m->n_params ? m->n_params : 1, sizeof(real));
	k->ve = calloc(m->n_params ? m->n_params : 1, sizeof(real));
	if (!ret && (!k->mo || !k->ve))
		ret = -ENOMEM;
	if (!ret && (fread(m->p, sizeof(real), m->n_params, f) != m->n_params ||
		     fread(k->mo, sizeof(real), m->n_params, f) != m->n_params ||
		     fread(k->ve, sizeof(real), m->n_params, f) != m->n_params))
		ret = -EINVAL;
	fclose(f);
	if (ret) {
		snprintf(err, size, "%s: %s", path,
			 ret == -ENOMEM ? "out of memory" : "truncated or inconsistent checkpoint");
		free(k->mo);
		free(k->ve);
		k->mo = k->ve = NULL;
		lt_model_free(m);
	}
	return ret;
}
