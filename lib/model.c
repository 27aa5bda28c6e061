// SPDX-License-Identifier: MIT
/*
 * The model runtime's public API (model.h): parameters, the load sequence
 * (metadata, tokenizer, plan, allocate, fill), getters, rewind and
 * statistics. The work is in model_config.c, model_load.c, model_mem.c,
 * model_graph.c and model_run.c; model_priv.h describes the pieces.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lut_engine.h"
#include "model_priv.h"

int lm_fail(struct lut_model *m, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return ret;
}

void lut_model_params_default(struct lut_model_params *p)
{
	if (p)
		memset(p, 0, sizeof(*p));
}

/* Check the caller's parameters and fill in the defaults. */
static int take_params(struct lut_model *m, const struct lut_model_params *p)
{
	struct lut_model_params *q = &m->p;

	if (p)
		*q = *p;
	if (q->backend != LUT_BACKEND_DEVICE && q->backend != LUT_BACKEND_CPU)
		return lm_fail(m, -EINVAL, "params: backend %d is neither device nor cpu",
			       q->backend);
	if (q->backend == LUT_BACKEND_DEVICE && !q->dev)
		return lm_fail(m, -EINVAL, "params: the device backend needs an open device");
	if (q->threads > LUT_ENGINE_MAX_THREADS)
		return lm_fail(m, -EINVAL, "params: %u threads, at most %u", q->threads,
			       LUT_ENGINE_MAX_THREADS);
	if (q->wbits > 4 && q->wbits != LUT_WBITS_TERNARY)
		return lm_fail(m, -EINVAL, "params: wbits %u is not 1..4 or ternary (%u)", q->wbits,
			       LUT_WBITS_TERNARY);
	if (q->wgroup % 4 || q->wgroup > LUTC_MAX_DIM)
		return lm_fail(m, -EINVAL, "params: wgroup %u is not a multiple of 4", q->wgroup);
	if (!q->table_dtype)
		q->table_dtype = LUTC_DT_F16;
	if (q->table_dtype != LUTC_DT_F16 && q->table_dtype != LUTC_DT_I8)
		return lm_fail(m, -EINVAL, "params: table type %u is neither F16 (%u) nor I8 (%u)",
			       q->table_dtype, LUTC_DT_F16, LUTC_DT_I8);
	if (q->ctx > LUTC_MAX_DIM)
		return lm_fail(m, -EINVAL, "params: ctx %u is more than %u", q->ctx, LUTC_MAX_DIM);
	if (q->prefill_chunk > LUTC_MAX_DIM)
		return lm_fail(m, -EINVAL, "params: prefill_chunk %u is more than %u",
			       q->prefill_chunk, LUTC_MAX_DIM);
	return 0;
}

/* Sizes that depend on the model: the context and the prompt chunk. */
static void settle_sizes(struct lut_model *m)
{
	uint32_t ctx = m->p.ctx;

	if (!ctx)
		ctx = m->cfg.ctx_train < LUT_MODEL_CTX_DEFAULT ? m->cfg.ctx_train
							       : LUT_MODEL_CTX_DEFAULT;
	m->info.ctx = ctx;
	if (!m->p.prefill_chunk)
		m->p.prefill_chunk = LUT_PREFILL_DEFAULT;
	if (m->p.prefill_chunk > ctx)
		m->p.prefill_chunk = ctx;
}

/*
 * The tokenizer is optional: a file without one (or with "no_vocab") still
 * runs from token ids; a malformed one is an error.
 */
static int load_tokenizer(struct lut_model *m, struct lut_gguf *g)
{
	char err[LM_ERR_SIZE - 32];
	int ret = lut_tok_from_gguf(g, &m->tok, err, sizeof(err));

	if (ret == -ENOENT || ret == -EOPNOTSUPP)
		return 0;
	if (ret)
		return lm_fail(m, ret, "model: tokenizer: %s", err);
	if ((uint32_t)lut_tok_n_vocab(m->tok) > m->cfg.n_vocab)
		return lm_fail(m, -EINVAL,
			       "model: the tokenizer has %d tokens, token_embd.weight only %u rows",
			       lut_tok_n_vocab(m->tok), m->cfg.n_vocab);
	return 0;
}

static int fill_info(struct lut_model *m, struct lut_gguf *g)
{
	const struct lm_cfg *c = &m->cfg;
	struct lut_model_info *in = &m->info;
	const char *name = "";
	uint32_t i;

	if (lut_gguf_get_str(g, "general.name", &name, NULL))
		name = "";
	m->name = strdup(name);
	m->logits = calloc(c->n_vocab, sizeof(float));
	if (!m->name || !m->logits)
		return lm_fail(m, -ENOMEM, "out of memory");
	in->arch = m->arch;
	in->name = m->name;
	in->n_layer = c->n_layer;
	in->n_embd = c->n_embd;
	in->n_ff = c->n_ff;
	in->n_head = c->n_head;
	in->n_head_kv = c->n_head_kv;
	in->head_dim = c->head_dim;
	in->n_vocab = c->n_vocab;
	in->weight_bytes = 0;
	for (i = 0; i < m->pool[LM_POOL_WEIGHTS].n; i++)
		in->weight_bytes += m->pool[LM_POOL_WEIGHTS].c[i].size;
	return 0;
}

static int load(struct lut_model *m, const char *path)
{
	struct lut_gguf *g = NULL;
	char err[LUT_GGUF_ERR_SIZE];
	int ret = lut_gguf_open(path, &g, err, sizeof(err));

	if (ret)
		return lm_fail(m, ret, "%s", err);
	ret = lm_read_config(m, g);
	if (!ret)
		settle_sizes(m);
	ret = ret ?: lm_mem_init(m);
	ret = ret ?: lm_plan_weights(m, g);
	ret = ret ?: load_tokenizer(m, g);
	ret = ret ?: lm_plan_act(m, m->p.prefill_chunk);
	ret = ret ?: fill_info(m, g);
	ret = ret ?: lm_commit(m, LM_POOL_WEIGHTS);
	ret = ret ?: lm_commit(m, LM_POOL_KV);
	ret = ret ?: lm_commit(m, LM_POOL_ACT);
	ret = ret ?: lm_fill_weights(m, g);
	if (!ret)
		lm_drop_host_view(m, LM_POOL_WEIGHTS);
	m->st.clock_mhz = m->cpu ? 0 : m->caps.clock_mhz;
	if (m->cpu) {
		struct lut_engine_config cfg;

		lut_engine_config_default(&cfg);
		m->st.clock_mhz = cfg.clock_mhz;
	}
	lut_gguf_close(g);
	return ret;
}

int lut_model_load(const char *path, const struct lut_model_params *p, struct lut_model **out,
		   char *err, size_t err_size)
{
	struct lut_model *m;
	int ret;

	if (out)
		*out = NULL;
	if (!path || !out) {
		if (err && err_size)
			snprintf(err, err_size, "model: no path or no place for the model");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		if (err && err_size)
			snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	ret = take_params(m, p);
	ret = ret ?: load(m, path);
	if (ret) {
		if (err && err_size)
			snprintf(err, err_size, "%s", m->err[0] ? m->err : strerror(-ret));
		lut_model_free(m);
		return ret;
	}
	m->err[0] = '\0';
	*out = m;
	return 0;
}

void lut_model_free(struct lut_model *m)
{
	if (!m)
		return;
	lm_graphs_free(m);
	lm_mem_free(m);
	lut_tok_free(m->tok);
	free(m->layers);
	free(m->logits);
	free(m->name);
	free(m);
}

const struct lut_model_info *lut_model_info(const struct lut_model *m)
{
	return m ? &m->info : NULL;
}

const struct lut_tok *lut_model_tok(const struct lut_model *m)
{
	return m ? m->tok : NULL;
}

uint32_t lut_model_pos(const struct lut_model *m)
{
	return m ? m->pos : 0;
}

int lut_model_rewind(struct lut_model *m, uint32_t pos)
{
	if (!m)
		return -EINVAL;
	if (pos > m->pos)
		return lm_fail(m, -EINVAL, "rewind: position %u is beyond the %u tokens cached",
			       pos, m->pos);
	/* Later positions are overwritten by the next appends, never read before. */
	m->pos = pos;
	m->err[0] = '\0';
	return 0;
}

const char *lut_model_error(const struct lut_model *m)
{
	return m ? m->err : "no model";
}

void lut_model_stats(const struct lut_model *m, struct lut_model_stats *st)
{
	if (m && st)
		*st = m->st;
}

void lut_model_stats_reset(struct lut_model *m)
{
	uint32_t clock;

	if (!m)
		return;
	clock = m->st.clock_mhz;
	memset(&m->st, 0, sizeof(m->st));
	m->st.clock_mhz = clock;
}
