// SPDX-License-Identifier: MIT
/*
 * Loading a model's tensors into the engine's layout.
 *
 * Projection matrices go through weights.h: quantized GGML blocks are
 * repacked code for code, float tensors are quantized to the bit width the
 * caller chose. The output projection (output.weight, or token_embd when
 * the model ties them) is the exception for float tensors: it is rounded
 * to Q8_0 blocks first and runs as two INT4 parts (8 bits), because the
 * logits are what sampling sees and 2- or 4-bit logits would change the
 * ranking of near tokens; llama.cpp keeps that tensor wide for the same
 * reason. Norm weights become F32 vectors; a float token_embd that is not
 * tied stays a dense table for EMBED (unless it exceeds the largest
 * buffer: then it is packed like the output), while a tied or quantized
 * one is read by EMBED straight from the packed matrix (one copy).
 *
 * Planning converts only the first rows of each matrix to learn its parts
 * (format, group, zero points), which fixes every size without converting
 * anything twice. Filling converts a slice of rows at a time (whole
 * 64-row tiles, so each slice's packed bytes are one contiguous run of the
 * full matrix and its scales a run per group) and copies it into place,
 * so a multi-GiB model never needs a second full copy in memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_priv.h"

#define LM_ALIGN	 64
#define LM_SLICE_WEIGHTS (1u << 20) /* weights a thread converts at a time */
#define LM_LOAD_THREADS	 16

static bool is_float_type(uint32_t type)
{
	return type == LUT_GGML_F32 || type == LUT_GGML_F16 || type == LUT_GGML_BF16;
}

struct progress {
	uint64_t done, total;
};

static void report(struct lut_model *m, struct progress *pr, uint64_t bytes)
{
	pr->done += bytes;
	if (m->p.progress)
		m->p.progress(m->p.progress_arg, pr->done, pr->total);
}

/* ---- Conversion ------------------------------------------------------------- */

/*
 * Rows [r0, r0 + rows) of matrix w (tensor data at data) into *out; on
 * failure msg says why. Touches nothing shared, so slices of one matrix
 * convert in parallel.
 */
static int convert_rows(const struct lm_mat *w, const void *data, uint32_t r0, uint32_t rows,
			struct lut_weight *out, char *msg, size_t msg_size)
{
	uint64_t rb, qb, n = (uint64_t)rows * w->k;
	const uint8_t *src;
	char err[LM_ERR_SIZE - 64];
	float *f = NULL;
	void *q = NULL;
	int ret = lut_ggml_row_size(w->type, w->k, &rb);

	err[0] = '\0';
	if (ret) {
		snprintf(msg, msg_size, "model: tensor %s: rows of type %s cannot be read", w->name,
			 lut_ggml_type_name(w->type));
		return ret;
	}
	src = (const uint8_t *)data + (uint64_t)r0 * rb;
	if (!w->via_q8) {
		ret = lut_weight_from_ggml(w->type, src, rb * rows, w->k, rows, &w->wp, out, err,
					   sizeof(err));
		if (ret)
			snprintf(msg, msg_size, "model: tensor %s: %s", w->name, err);
		return ret;
	}
	ret = lut_ggml_row_size(LUT_GGML_Q8_0, w->k, &qb);
	f = malloc(n * sizeof(float));
	q = malloc(qb * rows);
	if (!ret)
		ret = f && q ? 0 : -ENOMEM;
	ret = ret ?: lut_ggml_dequantize(w->type, src, rb * rows, f, n);
	ret = ret ?: lut_ggml_quantize(LUT_GGML_Q8_0, f, n, q, qb * rows);
	free(f);
	if (!ret)
		ret = lut_weight_from_ggml(LUT_GGML_Q8_0, q, qb * rows, w->k, rows, &w->wp, out,
					   err, sizeof(err));
	free(q);
	if (ret)
		snprintf(msg, msg_size, "model: tensor %s (as q8_0): %s", w->name,
			 err[0] ? err : strerror(-ret));
	return ret;
}

/* ---- Planning --------------------------------------------------------------- */

static int plan_vec(struct lut_model *m, struct lut_gguf *g, const char *name, uint32_t n,
		    struct lm_loc *loc)
{
	const struct lut_gguf_tensor *t;
	const struct lut_ggml_type_info *ti;
	int ret = lm_tensor(m, g, name, n, 0, false, &t);

	if (ret)
		return ret;
	ti = lut_ggml_type_info(t->type);
	if (!ti || !ti->convert)
		return lm_fail(m, -EOPNOTSUPP, "model: tensor %s has type %s, which cannot be read",
			       name, lut_ggml_type_name(t->type));
	m->load_bytes += t->size;
	return lm_reserve(m, LM_POOL_WEIGHTS, (uint64_t)n * sizeof(float), LM_ALIGN, loc);
}

/* Learn w's parts from its first rows, then place them. */
static int plan_mat(struct lut_model *m, const struct lut_gguf_tensor *t, bool output,
		    struct lm_mat *w)
{
	struct lut_weight lw;
	uint32_t i, rows;
	int ret;

	snprintf(w->name, sizeof(w->name), "%s", t->name);
	w->k = (uint32_t)t->ne[0];
	w->n = (uint32_t)t->ne[1];
	w->type = t->type;
	m->load_bytes += t->size;
	w->wp = (struct lut_weight_params){m->p.wbits, m->p.wgroup};
	if (output && is_float_type(t->type)) {
		w->via_q8 = w->k % LUT_QK8_0 == 0;
		w->wp = (struct lut_weight_params){LUT_WBITS_DEFAULT, m->p.wgroup};
	}
	rows = w->n < LUTC_TILE_N ? w->n : LUTC_TILE_N;
	ret = convert_rows(w, t->data, 0, rows, &lw, m->err, sizeof(m->err));
	if (ret)
		return ret;
	w->nparts = lw.nparts;
	for (i = 0; i < lw.nparts && !ret; i++) {
		const struct lut_weight_part *lp = &lw.parts[i];
		struct lm_part *p = &w->p[i];
		uint64_t side = (uint64_t)lutc_ngroups(w->k, lp->group) * w->n * sizeof(float);

		p->wfmt = lp->wfmt;
		p->group = lp->group;
		p->zero_imm = lp->zero_imm;
		p->has_zeros = lp->zeros != NULL;
		ret = lm_reserve(m, LM_POOL_WEIGHTS, lutc_weight_bytes(w->n, w->k, lp->wfmt),
				 LM_ALIGN, &p->packed);
		ret = ret ?: lm_reserve(m, LM_POOL_WEIGHTS, side, LM_ALIGN, &p->scales);
		if (!ret && p->has_zeros)
			ret = lm_reserve(m, LM_POOL_WEIGHTS, side, LM_ALIGN, &p->zeros);
	}
	lut_weight_release(&lw);
	return ret;
}

static int find_mat(struct lut_model *m, struct lut_gguf *g, const char *name, uint32_t k,
		    uint32_t n, struct lm_mat *w)
{
	const struct lut_gguf_tensor *t;
	int ret = lm_tensor(m, g, name, k, n, false, &t);

	return ret ?: plan_mat(m, t, false, w);
}

static int plan_layer(struct lut_model *m, struct lut_gguf *g, uint32_t l)
{
	const struct lm_cfg *c = &m->cfg;
	struct lm_layer *ly = &m->layers[l];
	uint32_t d = c->n_embd, kv = c->n_head_kv * c->head_dim, f = c->n_ff;
	bool bn = c->arch == LM_ARCH_BITNET;
	char n[LUT_GGUF_MAX_NAME + 1];
	int ret;

#define NAME(s) (snprintf(n, sizeof(n), "blk.%u." s ".weight", l), n)
	ret = plan_vec(m, g, NAME("attn_norm"), d, &ly->attn_norm);
	ret = ret ?: find_mat(m, g, NAME("attn_q"), d, d, &ly->q);
	ret = ret ?: find_mat(m, g, NAME("attn_k"), d, kv, &ly->k);
	ret = ret ?: find_mat(m, g, NAME("attn_v"), d, kv, &ly->v);
	if (bn)
		ret = ret ?: plan_vec(m, g, NAME("attn_sub_norm"), d, &ly->attn_sub_norm);
	ret = ret ?: find_mat(m, g, NAME("attn_output"), d, d, &ly->o);
	ret = ret ?: plan_vec(m, g, NAME("ffn_norm"), d, &ly->ffn_norm);
	ret = ret ?: find_mat(m, g, NAME("ffn_gate"), d, f, &ly->gate);
	ret = ret ?: find_mat(m, g, NAME("ffn_up"), d, f, &ly->up);
	if (bn)
		ret = ret ?: plan_vec(m, g, NAME("ffn_sub_norm"), f, &ly->ffn_sub_norm);
	ret = ret ?: find_mat(m, g, NAME("ffn_down"), f, d, &ly->down);
#undef NAME
	return ret;
}

static uint32_t dense_dtype(uint32_t type)
{
	switch (type) {
	case LUT_GGML_F32:
		return LUTC_DT_F32;
	case LUT_GGML_F16:
		return LUTC_DT_F16;
	default:
		return LUTC_DT_BF16;
	}
}

/* token_embd, output_norm and the output projection. */
static int plan_ends(struct lut_model *m, struct lut_gguf *g)
{
	const struct lut_gguf_tensor *te, *to;
	uint32_t d = m->cfg.n_embd, v;
	int ret;

	if (lut_gguf_find_tensor(g, "token_embd.weight", &te))
		return lm_fail(m, -EINVAL, "model: tensor token_embd.weight is missing");
	if (te->n_dims != 2 || !te->ne[1] || te->ne[1] > LUTC_MAX_DIM)
		return lm_fail(m, -EINVAL,
			       "model: tensor token_embd.weight is not a matrix of 1..%u rows",
			       LUTC_MAX_DIM);
	v = (uint32_t)te->ne[1];
	ret = lm_tensor(m, g, "token_embd.weight", d, v, false, &te);
	if (ret)
		return ret;
	m->cfg.n_vocab = v;
	ret = lm_tensor(m, g, "output.weight", d, v, true, &to);
	m->info.tied_output = ret == -ENOENT;
	if (m->info.tied_output)
		to = te;
	else if (ret)
		return ret;
	ret = plan_vec(m, g, "output_norm.weight", d, &m->output_norm);
	ret = ret ?: plan_mat(m, to, true, &m->output);
	if (ret)
		return ret;
	if (m->info.tied_output) {
		m->embd.mat = &m->output;
		return 0;
	}
	if (!is_float_type(te->type)) {
		m->embd.mat = &m->embd.own;
		return plan_mat(m, te, false, &m->embd.own);
	}
	/* A dense table too large for one buffer is packed like the output. */
	if (te->size > lm_chunk_max(m)) {
		m->embd.mat = &m->embd.own;
		return plan_mat(m, te, true, &m->embd.own);
	}
	m->embd.dense = true;
	m->embd.dtype = dense_dtype(te->type);
	m->load_bytes += te->size;
	return lm_reserve(m, LM_POOL_WEIGHTS, te->size, LM_ALIGN, &m->embd.table);
}

/* {arch}.vocab_size, when present, must agree with token_embd. */
static int check_vocab_size(struct lut_model *m, struct lut_gguf *g)
{
	char k[64];
	uint32_t v;

	snprintf(k, sizeof(k), "%s.vocab_size", m->arch);
	if (lut_gguf_get_u32(g, k, &v) || v == m->cfg.n_vocab)
		return 0;
	return lm_fail(m, -EINVAL, "model: %s %u does not match the %u rows of token_embd.weight",
		       k, v, m->cfg.n_vocab);
}

/* info.weight_type and wfmt: the most common type of the layer matrices. */
static void note_weight_type(struct lut_model *m)
{
	uint32_t count[LUT_GGML_TQ2_0 + 1] = {0}, best = 0, l, i;
	const struct lm_mat *first[LUT_GGML_TQ2_0 + 1] = {NULL};

	for (l = 0; l < m->cfg.n_layer; l++) {
		const struct lm_layer *ly = &m->layers[l];
		const struct lm_mat *ws[] = {&ly->q,	&ly->k,	 &ly->v,   &ly->o,
					     &ly->gate, &ly->up, &ly->down};

		for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
			uint32_t t = ws[i]->type;

			if (t > LUT_GGML_TQ2_0)
				continue;
			count[t]++;
			first[t] = first[t] ? first[t] : ws[i];
		}
	}
	for (i = 0; i <= LUT_GGML_TQ2_0; i++)
		best = count[i] > count[best] ? i : best;
	m->info.weight_type = best;
	m->info.wfmt = first[best] ? first[best]->p[0].wfmt : 0;
}

int lm_plan_weights(struct lut_model *m, struct lut_gguf *g)
{
	uint32_t l;
	int ret = lm_check_extra_tensors(m, g);

	ret = ret ?: plan_ends(m, g);
	ret = ret ?: check_vocab_size(m, g);
	if (ret)
		return ret;
	m->layers = calloc(m->cfg.n_layer, sizeof(*m->layers));
	if (!m->layers)
		return lm_fail(m, -ENOMEM, "out of memory");
	for (l = 0; l < m->cfg.n_layer && !ret; l++)
		ret = plan_layer(m, g, l);
	if (!ret)
		note_weight_type(m);
	return ret;
}

/* ---- Filling ---------------------------------------------------------------- */

static bool same_layout(const struct lm_mat *w, const struct lut_weight *lw)
{
	uint32_t i;

	if (lw->nparts != w->nparts)
		return false;
	for (i = 0; i < w->nparts; i++) {
		const struct lut_weight_part *lp = &lw->parts[i];

		if (lp->wfmt != w->p[i].wfmt || lp->group != w->p[i].group ||
		    lp->zero_imm != w->p[i].zero_imm || (lp->zeros != NULL) != w->p[i].has_zeros)
			return false;
	}
	return true;
}

/* Copy rows [r0, r0 + rows) of a converted slice into the full matrix. */
static void scatter(const struct lut_model *m, const struct lm_mat *w, const struct lut_weight *lw,
		    uint32_t r0, uint32_t rows)
{
	uint32_t i, gi;

	for (i = 0; i < w->nparts; i++) {
		const struct lut_weight_part *lp = &lw->parts[i];
		const struct lm_part *p = &w->p[i];
		uint64_t tile = lutc_weight_bytes(LUTC_TILE_N, w->k, p->wfmt);
		uint32_t ng = lutc_ngroups(w->k, p->group);
		uint8_t *packed = lm_host(m, p->packed);
		float *s = lm_host(m, p->scales), *z = lm_host(m, p->zeros);

		memcpy(packed + (uint64_t)(r0 / LUTC_TILE_N) * tile, lp->packed, lp->packed_size);
		for (gi = 0; gi < ng; gi++) {
			memcpy(s + (uint64_t)gi * w->n + r0, lp->scales + (uint64_t)gi * rows,
			       rows * sizeof(float));
			if (z)
				memcpy(z + (uint64_t)gi * w->n + r0,
				       lp->zeros + (uint64_t)gi * rows, rows * sizeof(float));
		}
	}
}

/* A matrix being converted by several threads, a slice of rows at a time. */
struct fill_job {
	const struct lut_model *m;
	const struct lm_mat *w;
	const void *data;
	uint32_t slice, nslices;
	uint64_t row_bytes;
	pthread_mutex_t lock;
	uint32_t next; /* the next slice to take */
	uint64_t done; /* source bytes converted */
	int err;       /* the first error, with its message */
	char msg[LM_ERR_SIZE];
};

/* Convert and place one slice; 0, or the error (recorded in the job). */
static int fill_slice(struct fill_job *j, uint32_t i)
{
	const struct lm_mat *w = j->w;
	uint32_t r0 = i * j->slice, rows = w->n - r0 < j->slice ? w->n - r0 : j->slice;
	struct lut_weight lw = {0};
	char msg[LM_ERR_SIZE];
	int ret = convert_rows(w, j->data, r0, rows, &lw, msg, sizeof(msg));

	if (!ret && !same_layout(w, &lw)) {
		snprintf(msg, sizeof(msg),
			 "model: tensor %s: rows %u.. converted to other parts than its first rows",
			 w->name, r0);
		ret = -EIO;
	}
	if (!ret)
		scatter(j->m, w, &lw, r0, rows);
	lut_weight_release(&lw);
	pthread_mutex_lock(&j->lock);
	if (ret && !j->err) {
		j->err = ret;
		memcpy(j->msg, msg, sizeof(msg));
	}
	j->done += j->row_bytes * rows;
	pthread_mutex_unlock(&j->lock);
	return ret;
}

/* Take slices until none is left or one failed; returns the slice taken. */
static bool take(struct fill_job *j, uint32_t *i)
{
	bool ok;

	pthread_mutex_lock(&j->lock);
	ok = !j->err && j->next < j->nslices;
	if (ok)
		*i = j->next++;
	pthread_mutex_unlock(&j->lock);
	return ok;
}

static void *fill_worker(void *arg)
{
	struct fill_job *j = arg;
	uint32_t i;

	while (take(j, &i))
		fill_slice(j, i);
	return NULL;
}

static unsigned int load_threads(const struct lut_model *m)
{
	long n = m->p.threads ? (long)m->p.threads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > LM_LOAD_THREADS ? LM_LOAD_THREADS : (unsigned int)n;
}

static int fill_mat(struct lut_model *m, struct lut_gguf *g, const struct lm_mat *w,
		    struct progress *pr)
{
	struct fill_job j = {.m = m, .w = w, .lock = PTHREAD_MUTEX_INITIALIZER};
	const struct lut_gguf_tensor *t;
	pthread_t tid[LM_LOAD_THREADS];
	unsigned int nt = load_threads(m), started = 0, k;
	uint64_t reported = 0;
	uint32_t i;

	if (lut_gguf_find_tensor(g, w->name, &t) || lut_ggml_row_size(w->type, w->k, &j.row_bytes))
		return lm_fail(m, -EIO, "model: tensor %s vanished", w->name);
	j.data = t->data;
	j.slice = LM_SLICE_WEIGHTS / w->k / LUTC_TILE_N * LUTC_TILE_N;
	j.slice = j.slice ? j.slice : LUTC_TILE_N;
	j.nslices = (w->n + j.slice - 1) / j.slice;
	nt = nt < j.nslices ? nt : j.nslices;
	for (k = 1; k < nt; k++)
		started += !pthread_create(&tid[started], NULL, fill_worker, &j);
	/* This thread works too, and reports the progress of all. */
	while (take(&j, &i)) {
		uint64_t done;

		fill_slice(&j, i);
		pthread_mutex_lock(&j.lock);
		done = j.done;
		pthread_mutex_unlock(&j.lock);
		report(m, pr, done - reported);
		reported = done;
	}
	for (k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.err)
		return lm_fail(m, j.err, "%s", j.msg);
	report(m, pr, j.done - reported);
	return 0;
}

static int fill_vec(struct lut_model *m, struct lut_gguf *g, const char *name, struct lm_loc loc,
		    struct progress *pr)
{
	const struct lut_gguf_tensor *t;
	int ret;

	if (lut_gguf_find_tensor(g, name, &t))
		return lm_fail(m, -EIO, "model: tensor %s vanished", name);
	ret = lut_ggml_dequantize(t->type, t->data, t->size, lm_host(m, loc), t->n_elems);
	if (ret)
		return lm_fail(m, ret, "model: tensor %s cannot be read: %s", name, strerror(-ret));
	report(m, pr, t->size);
	return 0;
}

static int fill_layer(struct lut_model *m, struct lut_gguf *g, uint32_t l, struct progress *pr)
{
	const struct lm_layer *ly = &m->layers[l];
	bool bn = m->cfg.arch == LM_ARCH_BITNET;
	char n[LUT_GGUF_MAX_NAME + 1];
	int ret;

#define NAME(s) (snprintf(n, sizeof(n), "blk.%u." s ".weight", l), n)
	ret = fill_vec(m, g, NAME("attn_norm"), ly->attn_norm, pr);
	ret = ret ?: fill_vec(m, g, NAME("ffn_norm"), ly->ffn_norm, pr);
	if (bn) {
		ret = ret ?: fill_vec(m, g, NAME("attn_sub_norm"), ly->attn_sub_norm, pr);
		ret = ret ?: fill_vec(m, g, NAME("ffn_sub_norm"), ly->ffn_sub_norm, pr);
	}
#undef NAME
	ret = ret ?: fill_mat(m, g, &ly->q, pr);
	ret = ret ?: fill_mat(m, g, &ly->k, pr);
	ret = ret ?: fill_mat(m, g, &ly->v, pr);
	ret = ret ?: fill_mat(m, g, &ly->o, pr);
	ret = ret ?: fill_mat(m, g, &ly->gate, pr);
	ret = ret ?: fill_mat(m, g, &ly->up, pr);
	return ret ?: fill_mat(m, g, &ly->down, pr);
}

int lm_fill_weights(struct lut_model *m, struct lut_gguf *g)
{
	struct progress pr = {0, m->load_bytes};
	const struct lut_gguf_tensor *te;
	uint32_t l;
	int ret = fill_vec(m, g, "output_norm.weight", m->output_norm, &pr);

	ret = ret ?: fill_mat(m, g, &m->output, &pr);
	if (!ret && m->embd.mat == &m->embd.own)
		ret = fill_mat(m, g, &m->embd.own, &pr);
	if (!ret && m->embd.dense) {
		if (lut_gguf_find_tensor(g, "token_embd.weight", &te))
			return lm_fail(m, -EIO, "model: tensor token_embd.weight vanished");
		memcpy(lm_host(m, m->embd.table), te->data, te->size);
		report(m, &pr, te->size);
	}
	for (l = 0; l < m->cfg.n_layer && !ret; l++)
		ret = fill_layer(m, g, l, &pr);
	if (!ret && pr.done != pr.total && m->p.progress)
		m->p.progress(m->p.progress_arg, pr.total, pr.total);
	return ret;
}
