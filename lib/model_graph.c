// SPDX-License-Identifier: MIT
/*
 * The instruction streams of one evaluation of M rows (tokens):
 *
 *   EMBED ids -> x                       (packed Q8_0 rows: 2 EMBED + ADD)
 *   per layer:
 *     PRECOMP x, RMSNorm(attn_norm)      tables of the normalized rows
 *     LMMA q, k, v                       (2 LMMAs for a 2-part weight)
 *     ROPE q, ROPE k                     positions from the pos array
 *     ATTN                               appends k, v to the cache at pos[0]
 *     PRECOMP att (bitnet: RMSNorm(attn_sub_norm))
 *     LMMA o -> acc; EPILOGUE acc + x -> x'   (the residual add)
 *     PRECOMP x', RMSNorm(ffn_norm); LMMA gate, up
 *     ELTWISE gate = act(gate) * up      (SiLU or ReLU^2)
 *     PRECOMP gate (bitnet: RMSNorm(ffn_sub_norm))
 *     LMMA down -> acc; EPILOGUE acc + x' -> x
 *   PRECOMP last row of x, RMSNorm(output_norm); LMMA output -> logits
 *   ARGMAX logits
 *
 * A second shape of the same M ("all") ends instead with PRECOMP of every
 * row and LMMA output -> logits_all [M][V], no ARGMAX: the logits of every
 * position, for perplexity. Each row's arithmetic does not depend on M, so
 * row i equals what a decode step of that token alone gives.
 *
 * Token ids and positions are operands in the activation buffer, so the
 * streams of a shape are built once and every evaluation only writes
 * them. A PRECOMP is skipped when the table already holds the rows it
 * would compute (q, k and v share one). Zero points need the group sums
 * (LUTC_PRE_ASUM), INT8 tables their scales (LUTC_MM_TSCALE); scales and
 * zero points are applied per group inside LMMA (docs/isa.md).
 *
 * A step is cut into several streams (jobs, run back to back) when it
 * would exceed LUTC_STREAM_MAX, or on the device when its estimated
 * emulation work would approach the driver's job timeout: any instruction
 * boundary will do, since every instruction leaves its results in memory.
 * Instructions are first counted with the same code that emits them, so
 * each stream's buffer has exactly its size.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_priv.h"

#define LM_ALIGN 64

/* ---- Planning the activations and the KV cache ------------------------------- */

static int act(struct lut_model *m, uint64_t bytes, struct lm_loc *loc)
{
	return lm_reserve(m, LM_POOL_ACT, bytes ? bytes : 4, LM_ALIGN, loc);
}

int lm_plan_act(struct lut_model *m, uint32_t max_m)
{
	const struct lm_cfg *c = &m->cfg;
	struct lm_act *a = &m->act;
	uint64_t M = max_m, d = c->n_embd, f = c->n_ff, kv = (uint64_t)c->n_head_kv * c->head_dim;
	uint64_t kmax = d > f ? d : f, cache = (uint64_t)m->info.ctx * kv * 2; /* F16 */
	uint32_t l;
	int ret;

	a->max_m = max_m;
	ret = act(m, 4 * M * d, &a->x[0]);
	ret = ret ?: act(m, 4 * M * d, &a->x[1]);
	ret = ret ?: act(m, lutc_table_bytes(max_m, (uint32_t)kmax, m->p.table_dtype), &a->tab);
	/* Groups are at least 4 wide: at most k/4 of them per row. */
	ret = ret ?: act(m, 4 * M * ((kmax + 3) / 4), &a->tscale);
	ret = ret ?: act(m, 4 * M * ((kmax + 3) / 4), &a->asum);
	ret = ret ?: act(m, 4 * M * d, &a->q);
	ret = ret ?: act(m, 4 * M * kv, &a->k);
	ret = ret ?: act(m, 4 * M * kv, &a->v);
	ret = ret ?: act(m, 4 * M * d, &a->att);
	ret = ret ?: act(m, 4 * M * d, &a->acc);
	ret = ret ?: act(m, 4 * M * f, &a->gate);
	ret = ret ?: act(m, 4 * M * f, &a->up);
	ret = ret ?: act(m, 4ull * c->n_vocab, &a->logits);
	ret = ret ?: act(m, 4, &a->argmax);
	ret = ret ?: act(m, 4 * M, &a->ids);
	ret = ret ?: act(m, 4 * M, &a->pos);
	for (l = 0; l < c->n_layer && !ret; l++) {
		ret = lm_reserve(m, LM_POOL_KV, cache, LM_ALIGN, &m->layers[l].k_cache);
		ret = ret ?: lm_reserve(m, LM_POOL_KV, cache, LM_ALIGN, &m->layers[l].v_cache);
	}
	m->info.kv_bytes = 2 * cache * c->n_layer;
	return ret;
}

/*
 * Every row's logits take max_m * n_vocab floats (32 MiB for a 128k
 * vocabulary and 64 rows), so they are placed only when first asked for:
 * a new chunk of the activation pool (on the device a BO that every job
 * lists from then on).
 */
int lm_plan_logits_all(struct lut_model *m)
{
	int ret;

	if (m->act.logits_all.pool != LM_POOL_NONE)
		return 0;
	ret = act(m, 4ull * m->act.max_m * m->cfg.n_vocab, &m->act.logits_all);
	ret = ret ?: lm_commit(m, LM_POOL_ACT);
	if (ret)
		m->act.logits_all = (struct lm_loc){0};
	return ret;
}

/* ---- Emitting ---------------------------------------------------------------- */

/* What the lookup tables hold, so that a PRECOMP can be skipped. */
struct table_state {
	bool valid, asum;
	uint64_t act, norm;
	uint32_t rows, k, group;
};

struct build {
	struct lut_model *m;
	uint32_t rows;
	bool all;    /* the logits of every row */
	int16_t tag; /* of the instructions being emitted */
	int err;
	struct table_state t;
	uint32_t n; /* instructions so far */
	/* Counting pass: each instruction's tag and estimated work. */
	bool counting;
	uint32_t cap;
	int16_t *tags;
	uint64_t *work;
	/* Emitting pass: the stream being filled and where it ends. */
	struct lm_graph *gr;
	uint32_t seg, seg_end;
};

/*
 * The work of an instruction for the device's emulation, in elements
 * touched: table lookups for LMMA (one covers 4 weights of one plane),
 * entries for PRECOMP, multiply-adds for ATTN over the whole cache.
 */
static uint64_t insn_work(const struct build *b, const union lutc_insn *in)
{
	const struct lm_cfg *c = &b->m->cfg;

	switch (in->hdr.op) {
	case LUTC_OP_LMMA:
		return (uint64_t)in->lmma.m * in->lmma.n * ((in->lmma.k + 3) / 4) *
		       lutc_wfmt_planes(in->lmma.wfmt);
	case LUTC_OP_PRECOMP:
		return (uint64_t)in->precomp.m * ((in->precomp.k + 3) / 4) * LUTC_TABLE_ENTRIES;
	case LUTC_OP_ATTN:
		return 2ull * in->attn.rows * c->n_head * c->head_dim * in->attn.ctx;
	default:
		return (uint64_t)b->rows * (c->n_ff > c->n_embd ? c->n_ff : c->n_embd);
	}
}

static int count_insn(struct build *b, const union lutc_insn *in)
{
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? 2 * b->cap : 256;
		int16_t *t = realloc(b->tags, cap * sizeof(*t));
		uint64_t *w = t ? realloc(b->work, cap * sizeof(*w)) : NULL;

		if (t)
			b->tags = t;
		if (!w)
			return -ENOMEM;
		b->work = w;
		b->cap = cap;
	}
	b->tags[b->n] = b->tag;
	b->work[b->n] = insn_work(b, in);
	return 0;
}

static void emit(struct build *b, union lutc_insn *in)
{
	struct lm_seg *seg;
	int idx;

	if (b->err)
		return;
	if (b->counting) {
		b->err = count_insn(b, in);
		b->n++;
		return;
	}
	while (b->n == b->seg_end && b->seg + 1 < b->gr->nseg)
		b->seg_end += b->gr->seg[++b->seg].n_insns;
	seg = &b->gr->seg[b->seg];
	idx = lut_stream_insn(seg->s, in);
	if (idx < 0)
		b->err = idx;
	else
		seg->tag[idx] = b->tag;
	b->n++;
}

static uint64_t va(const struct build *b, struct lm_loc loc)
{
	return lm_va(b->m, loc);
}

static bool int_tables(const struct build *b)
{
	return b->m->p.table_dtype == LUTC_DT_I8;
}

/*
 * PRECOMP rows x k activations at act (F32, packed rows), normalized with
 * norm (a VA, or 0), unless the tables hold them already with what the
 * next LMMA needs: the group of an INT8 table's scales, group sums.
 */
static void table(struct build *b, uint64_t act, uint32_t rows, uint32_t k, uint64_t norm,
		  uint32_t group, bool asum)
{
	const struct lm_act *a = &b->m->act;
	struct table_state *t = &b->t;
	union lutc_insn in = {0};
	struct lutc_precomp *p = &in.precomp;

	if (t->valid && t->act == act && t->rows == rows && t->k == k && t->norm == norm &&
	    (!int_tables(b) || t->group == group) && (!asum || (t->asum && t->group == group)))
		return;
	p->op = LUTC_OP_PRECOMP;
	p->act_dtype = LUTC_DT_F32;
	p->table_dtype = (uint8_t)b->m->p.table_dtype;
	p->flags = (norm ? LUTC_PRE_RMSNORM : 0) | (asum ? LUTC_PRE_ASUM : 0);
	p->m = rows;
	p->k = k;
	p->group = group;
	p->eps = norm ? b->m->cfg.eps : 0.0f;
	p->act = act;
	p->norm_w = norm;
	p->table = va(b, a->tab);
	p->tscale = int_tables(b) ? va(b, a->tscale) : 0;
	p->asum = asum ? va(b, a->asum) : 0;
	emit(b, &in);
	*t = (struct table_state){true, asum, act, norm, rows, k, group};
}

/* acc[rows][w->n] = act (normalized with norm) times w^T, part by part. */
static void matmul(struct build *b, const struct lm_mat *w, uint64_t act, uint32_t rows,
		   uint64_t norm, uint64_t acc)
{
	const struct lm_act *a = &b->m->act;
	uint32_t i;

	for (i = 0; i < w->nparts; i++) {
		const struct lm_part *p = &w->p[i];
		bool zero = p->has_zeros || p->zero_imm != 0.0f;
		union lutc_insn in = {0};
		struct lutc_lmma *l = &in.lmma;

		table(b, act, rows, w->k, norm, p->group, zero);
		l->op = LUTC_OP_LMMA;
		l->table_dtype = (uint8_t)b->m->p.table_dtype;
		l->wfmt = (uint8_t)p->wfmt;
		l->acc_dtype = LUTC_DT_F32;
		l->flags = LUTC_MM_WSCALE | (i ? LUTC_MM_ACCUMULATE : 0) |
			   (int_tables(b) ? LUTC_MM_TSCALE : 0) |
			   (p->has_zeros ? LUTC_MM_WZERO
			    : zero	 ? LUTC_MM_WZERO_IMM
					 : 0);
		l->m = rows;
		l->n = w->n;
		l->k = w->k;
		l->group = p->group;
		l->scale_dtype = LUTC_DT_F32;
		l->zero_imm = p->has_zeros ? 0.0f : p->zero_imm;
		l->table = va(b, a->tab);
		l->weights = va(b, p->packed);
		l->acc = acc;
		l->wscale = va(b, p->scales);
		l->wzero = p->has_zeros ? va(b, p->zeros) : 0;
		l->tscale = int_tables(b) ? va(b, a->tscale) : 0;
		l->asum = zero ? va(b, a->asum) : 0;
		emit(b, &in);
	}
}

static void eltwise(struct build *b, uint32_t fn, uint32_t n, uint64_t a, uint64_t bb, uint64_t y)
{
	union lutc_insn in = {0};

	in.elt = (struct lutc_eltwise){.op = LUTC_OP_ELTWISE,
				       .fn = (uint8_t)fn,
				       .dtype = LUTC_DT_F32,
				       .rows = b->rows,
				       .n = n,
				       .a = a,
				       .b = bb,
				       .y = y};
	emit(b, &in);
}

/* x = row ids of the embedding; a 2-part packed matrix is summed. */
static void emit_embed(struct build *b)
{
	const struct lut_model *m = b->m;
	const struct lm_act *a = &m->act;
	const struct lm_mat *w = m->embd.mat;
	uint32_t i, nparts = m->embd.dense ? 1 : w->nparts;

	for (i = 0; i < nparts; i++) {
		union lutc_insn in = {0};
		struct lutc_embed *e = &in.embed;

		e->op = LUTC_OP_EMBED;
		e->out_dtype = LUTC_DT_F32;
		e->rows = b->rows;
		e->dim = m->cfg.n_embd;
		e->vocab = m->cfg.n_vocab;
		e->ids = va(b, a->ids);
		e->out = va(b, i ? a->acc : a->x[0]);
		if (m->embd.dense) {
			e->src_dtype = (uint8_t)m->embd.dtype;
			e->src = va(b, m->embd.table);
		} else {
			const struct lm_part *p = &w->p[i];

			e->wfmt = (uint8_t)p->wfmt;
			e->flags = LUTC_MM_WSCALE | (p->has_zeros	   ? LUTC_MM_WZERO
						     : p->zero_imm != 0.0f ? LUTC_MM_WZERO_IMM
									   : 0);
			e->group = p->group;
			e->scale_dtype = LUTC_DT_F32;
			e->zero_imm = p->has_zeros ? 0.0f : p->zero_imm;
			e->src = va(b, p->packed);
			e->wscale = va(b, p->scales);
			e->wzero = p->has_zeros ? va(b, p->zeros) : 0;
		}
		emit(b, &in);
		if (i)
			eltwise(b, LUTC_ELT_ADD, m->cfg.n_embd, va(b, a->x[0]), va(b, a->acc),
				va(b, a->x[0]));
	}
}

static void rope(struct build *b, uint64_t x, uint32_t heads)
{
	const struct lm_cfg *c = &b->m->cfg;
	union lutc_insn in = {0};

	in.rope = (struct lutc_rope){.op = LUTC_OP_ROPE,
				     .dtype = LUTC_DT_F32,
				     .mode = (uint8_t)c->rope_mode,
				     .flags = LUTC_ROPE_POS_ARRAY,
				     .rows = b->rows,
				     .heads = heads,
				     .head_dim = c->head_dim,
				     .rot_dim = c->n_rot,
				     .theta = c->rope_base,
				     .freq_scale = c->freq_scale,
				     .in = x,
				     .out = x,
				     .pos = va(b, b->m->act.pos)};
	emit(b, &in);
}

static void attention(struct build *b, const struct lm_layer *ly)
{
	const struct lm_cfg *c = &b->m->cfg;
	const struct lm_act *a = &b->m->act;
	union lutc_insn in = {0};

	in.attn = (struct lutc_attn){.op = LUTC_OP_ATTN,
				     .kv_dtype = LUTC_DT_F16,
				     .flags = LUTC_ATTN_APPEND | LUTC_ATTN_POS_INDIRECT,
				     .rows = b->rows,
				     .heads = c->n_head,
				     .kv_heads = c->n_head_kv,
				     .head_dim = c->head_dim,
				     .ctx = b->m->info.ctx,
				     .scale = 1.0f / sqrtf((float)c->head_dim),
				     .q = va(b, a->q),
				     .k_new = va(b, a->k),
				     .v_new = va(b, a->v),
				     .k_cache = va(b, ly->k_cache),
				     .v_cache = va(b, ly->v_cache),
				     .out = va(b, a->att),
				     .pos = va(b, a->pos)};
	emit(b, &in);
}

/* out = acc + residual (the residual add fused into the epilogue). */
static void residual(struct build *b, uint64_t res, uint64_t out)
{
	union lutc_insn in = {0};

	in.epi = (struct lutc_epilogue){.op = LUTC_OP_EPILOGUE,
					.acc_dtype = LUTC_DT_F32,
					.out_dtype = LUTC_DT_F32,
					.flags = LUTC_EPI_RESIDUAL,
					.m = b->rows,
					.n = b->m->cfg.n_embd,
					.res_dtype = LUTC_DT_F32,
					.acc = va(b, b->m->act.acc),
					.residual = res,
					.out = out};
	emit(b, &in);
}

static void emit_layer(struct build *b, uint32_t l)
{
	const struct lm_cfg *c = &b->m->cfg;
	const struct lm_layer *ly = &b->m->layers[l];
	const struct lm_act *a = &b->m->act;
	uint64_t x = va(b, a->x[0]), y = va(b, a->x[1]), g = va(b, a->gate);
	uint32_t M = b->rows, f = c->n_ff;

	matmul(b, &ly->q, x, M, va(b, ly->attn_norm), va(b, a->q));
	matmul(b, &ly->k, x, M, va(b, ly->attn_norm), va(b, a->k));
	matmul(b, &ly->v, x, M, va(b, ly->attn_norm), va(b, a->v));
	rope(b, va(b, a->q), c->n_head);
	rope(b, va(b, a->k), c->n_head_kv);
	attention(b, ly);
	/* attn_sub_norm is absent (0) for llama: a plain PRECOMP. */
	matmul(b, &ly->o, va(b, a->att), M, va(b, ly->attn_sub_norm), va(b, a->acc));
	residual(b, x, y);
	matmul(b, &ly->gate, y, M, va(b, ly->ffn_norm), g);
	matmul(b, &ly->up, y, M, va(b, ly->ffn_norm), va(b, a->up));
	eltwise(b, c->ffn_fn, f, g, va(b, a->up), g);
	matmul(b, &ly->down, g, M, va(b, ly->ffn_sub_norm), va(b, a->acc));
	residual(b, y, x);
}

/* Logits of the last row and their argmax; or the logits of every row. */
static void emit_head(struct build *b)
{
	const struct lut_model *m = b->m;
	const struct lm_act *a = &m->act;
	uint64_t last = va(b, a->x[0]) + 4ull * (b->rows - 1) * m->cfg.n_embd;
	union lutc_insn in = {0};

	if (b->all) {
		matmul(b, &m->output, va(b, a->x[0]), b->rows, va(b, m->output_norm),
		       va(b, a->logits_all));
		return;
	}
	matmul(b, &m->output, last, 1, va(b, m->output_norm), va(b, a->logits));
	in.argmax = (struct lutc_argmax){.op = LUTC_OP_ARGMAX,
					 .dtype = LUTC_DT_F32,
					 .rows = 1,
					 .n = m->cfg.n_vocab,
					 .in = va(b, a->logits),
					 .out = va(b, a->argmax)};
	emit(b, &in);
}

/* Unit u: 0 the embedding, 1..n_layer the layers, n_layer + 1 the head. */
static void emit_unit(struct build *b, uint32_t u)
{
	uint32_t L = b->m->cfg.n_layer;

	b->t.valid = false;
	b->tag = (int16_t)(u == 0 ? LM_TAG_EMBED : u > L ? LM_TAG_HEAD : (int)u - 1);
	if (u == 0)
		emit_embed(b);
	else if (u <= L)
		emit_layer(b, u - 1);
	else
		emit_head(b);
}

/* ---- Graphs ------------------------------------------------------------------ */

/* Whether instruction i starts a layer. */
static bool layer_starts(const struct build *b, uint32_t i)
{
	return b->tags[i] >= 0 && (!i || b->tags[i - 1] != b->tags[i]);
}

/*
 * Cut the counted instructions into streams: at most seg_insns
 * instructions, seg_work estimated work (unless one instruction alone is
 * more) and seg_layers layers each. Any instruction boundary will do,
 * since everything an instruction leaves for the next is in memory.
 */
static int split(struct lut_model *m, const struct build *b, struct lm_graph *gr)
{
	uint32_t i, n = 0, insns = 0, layers = 0, *len = calloc(b->n, sizeof(*len));
	uint64_t work = 0;

	if (!len)
		return lm_fail(m, -ENOMEM, "out of memory");
	for (i = 0; i < b->n; i++) {
		bool fresh = layer_starts(b, i);

		if (!i || insns == m->seg_insns ||
		    (m->seg_work && insns && work + b->work[i] > m->seg_work) ||
		    (fresh && m->seg_layers && layers == m->seg_layers)) {
			len[n++] = 0;
			insns = layers = 0;
			work = 0;
		}
		len[n - 1]++;
		insns++;
		layers += fresh;
		work += b->work[i];
	}
	gr->seg = calloc(n, sizeof(*gr->seg));
	if (!gr->seg) {
		free(len);
		return lm_fail(m, -ENOMEM, "out of memory");
	}
	gr->nseg = n;
	for (i = 0; i < n; i++)
		gr->seg[i].n_insns = len[i];
	free(len);
	return 0;
}

/* The buffer and the builder of one stream. */
static int make_seg(struct lut_model *m, struct lm_seg *seg)
{
	uint64_t bytes = (uint64_t)seg->n_insns * LUTC_INSN_SIZE;
	int ret;

	seg->tag = calloc(seg->n_insns, sizeof(*seg->tag));
	if (!seg->tag)
		return lm_fail(m, -ENOMEM, "out of memory");
	ret = lm_reserve(m, LM_POOL_STREAM, bytes, LUTC_INSN_SIZE, &seg->loc);
	ret = ret ?: lm_commit(m, LM_POOL_STREAM);
	if (ret)
		return ret;
	ret = lut_stream_new(&seg->s, lm_host(m, seg->loc), (size_t)bytes, lm_va(m, seg->loc));
	return ret ? lm_fail(m, ret, "model: cannot start a stream: %s", strerror(-ret)) : 0;
}

static void graph_free(struct lm_graph *gr)
{
	uint32_t i;

	for (i = 0; gr && i < gr->nseg; i++) {
		lut_stream_free(gr->seg[i].s);
		free(gr->seg[i].tag);
	}
	if (gr)
		free(gr->seg);
	free(gr);
}

/* Run every unit through b: the embedding, the layers, the head. */
static void emit_all(struct build *b)
{
	uint32_t u;

	for (u = 0; u < b->m->cfg.n_layer + 2 && !b->err; u++)
		emit_unit(b, u);
}

static int build_graph(struct lut_model *m, uint32_t rows, struct lm_graph *gr)
{
	struct build b = {.m = m, .rows = rows, .all = gr->all, .counting = true, .gr = gr};
	uint32_t i;
	int ret;

	/* Count with the same code that emits, so each buffer fits exactly. */
	emit_all(&b);
	ret = b.err ? lm_fail(m, b.err, "out of memory") : split(m, &b, gr);
	free(b.tags);
	free(b.work);
	for (i = 0; i < gr->nseg && !ret; i++)
		ret = make_seg(m, &gr->seg[i]);
	if (ret)
		return ret;
	b = (struct build){
		.m = m, .rows = rows, .all = gr->all, .gr = gr, .seg_end = gr->seg[0].n_insns};
	emit_all(&b);
	for (i = 0; i < gr->nseg && !b.err; i++) {
		b.err = lut_stream_error(gr->seg[i].s);
		if (!b.err && lut_stream_size(gr->seg[i].s) != gr->seg[i].n_insns * LUTC_INSN_SIZE)
			b.err = -EIO;
	}
	if (b.err)
		return lm_fail(m, b.err, "model: building the stream for %u rows failed: %s", rows,
			       strerror(-b.err));
	return 0;
}

int lm_graph_get(struct lut_model *m, uint32_t rows, bool all, struct lm_graph **out)
{
	struct lm_graph *gr;
	int ret;

	for (gr = m->graphs; gr; gr = gr->next) {
		if (gr->m == rows && gr->all == all) {
			*out = gr;
			return 0;
		}
	}
	gr = calloc(1, sizeof(*gr));
	if (!gr)
		return lm_fail(m, -ENOMEM, "out of memory");
	gr->m = rows;
	gr->all = all;
	ret = build_graph(m, rows, gr);
	if (ret) {
		graph_free(gr);
		return ret;
	}
	gr->next = m->graphs;
	m->graphs = gr;
	m->st.streams_built += gr->nseg;
	*out = gr;
	return 0;
}

void lm_graphs_free(struct lut_model *m)
{
	while (m->graphs) {
		struct lm_graph *next = m->graphs->next;

		graph_free(m->graphs);
		m->graphs = next;
	}
}

void lm_set_stream_limits(struct lut_model *m, uint32_t max_insns, uint32_t max_layers)
{
	m->seg_insns = max_insns ? max_insns : LUTC_STREAM_MAX / LUTC_INSN_SIZE;
	m->seg_layers = max_layers;
}
