// SPDX-License-Identifier: MIT
/*
 * Host tests of the model runtime (lutcore/model.h) on the CPU backend:
 * generated llama and bitnet models of every weight type run as streams
 * and are compared with a naive double-precision forward pass
 * (ref_forward.c) over the weights the engine actually holds
 * (lut_weight_dequantize()); a prompt in one evaluation against token by
 * token; streams built once; rewind; streams split into several jobs; the
 * logits of every position (lut_model_eval_all) against token-by-token
 * decoding; and each error (missing tensor, wrong shape, unsupported
 * architecture, bad token, full context, a faulting stream) with its
 * message.
 *
 * Tolerance. The runtime computes with FP16 lookup tables (each entry
 * rounded once, relative error <= 2^-11), binary32 accumulation and an
 * FP16 KV cache, the reference in double with the same weights. Entry and
 * cache roundings are independent, so a projection's error grows like
 * 2^-11 * sqrt(terms) relative to its size, about 1e-3 of the logits'
 * range after a few layers (0.6e-3..1.0e-3 measured here; the test logs
 * it): REL_TOL bounds max |logit - ref| / max |ref| at 1e-2. INT8 tables
 * round each entry to 1/254 of its group's largest 4-sum, about eight
 * times coarser and relative to the group rather than the entry (2.4e-2
 * measured): REL_TOL_I8 = 0.1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "lutcore/model.h"
#include "lutcore/quant.h"
#include "lutcore/weights.h"
#include "../../lib/model_priv.h"
#include "model_test.h"
#include "ref_forward.h"

#define REL_TOL	   1e-2
#define REL_TOL_I8 0.1
#define N_PROMPT   6u
#define N_DECODE   10u
#define CTX	   32u

static const int32_t prompt[N_PROMPT] = {1, 17, 42, 99, 7, 250};

/* ---- Models on disk ---------------------------------------------------------- */

/* A small model of arch with layer weights of ggml type type. */
static void small_opts(struct mk_opts *o, enum mk_arch arch, uint32_t type)
{
	bool tq = type == LUT_GGML_TQ1_0 || type == LUT_GGML_TQ2_0;

	mk_opts_default(o, arch);
	o->type = type;
	o->dim = tq ? 256 : 64;
	o->ffn = tq ? 256 : 96;
	o->heads = 4;
	o->kv_heads = 2;
	o->layers = 2;
	o->vocab = 384;
	o->ctx = CTX;
	if (tq)
		o->weights = MK_W_TERNARY;
}

/* A file name in a fresh temporary directory (removed by unlink_model). */
static int temp_path(char *path, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	char dir[240];

	snprintf(dir, sizeof(dir), "%.200s/lutcore-runtime-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, size, "%s/model.gguf", dir);
	return 0;
}

static void unlink_model(const char *path)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;

	unlink(path);
	if (slash) {
		*slash = '\0';
		rmdir(dir);
	}
	free(dir);
}

static int write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	size_t w;

	if (!f)
		return -1;
	w = fwrite(p, 1, n, f);
	return fclose(f) || w != n ? -1 : 0;
}

/* Generate o's model into memory, optionally patch it, and write it to path. */
static int make_model(const struct mk_opts *o, const char *path,
		      void (*patch)(struct img *m, void *arg), void *arg)
{
	struct img m = {0};
	char err[256];
	int ret = img_model(&m, o, err, sizeof(err));

	if (!ret && patch)
		patch(&m, arg);
	if (!ret)
		ret = write_bytes(path, m.p, m.n);
	img_free(&m);
	return ret;
}

static int load_cpu(const char *path, uint32_t wbits, uint32_t table_dtype, uint32_t chunk,
		    struct lut_model **m, char *err, size_t size)
{
	struct lut_model_params p;

	lut_model_params_default(&p);
	p.backend = LUT_BACKEND_CPU;
	p.wbits = wbits;
	p.table_dtype = table_dtype;
	p.prefill_chunk = chunk;
	p.ctx = CTX;
	return lut_model_load(path, &p, m, err, size);
}

/* ---- The reference model ------------------------------------------------------ */

struct refm {
	struct ref_model rm;
	struct ref_layer *ly;
	float *bufs[256];
	int nbufs;
	int bad; /* a tensor could not be read */
};

static float *keep(struct refm *r, float *p)
{
	if (!p || r->nbufs == (int)(sizeof(r->bufs) / sizeof(r->bufs[0]))) {
		free(p);
		r->bad = 1;
		return NULL;
	}
	r->bufs[r->nbufs++] = p;
	return p;
}

static const struct lut_gguf_tensor *tensor(struct lut_gguf *g, const char *name)
{
	const struct lut_gguf_tensor *t;

	return lut_gguf_find_tensor(g, name, &t) ? NULL : t;
}

/* A tensor's values as the file stores them. */
static float *file_floats(struct refm *r, struct lut_gguf *g, const char *name)
{
	const struct lut_gguf_tensor *t = tensor(g, name);
	float *x = t ? malloc(t->n_elems * sizeof(float)) : NULL;

	if (x && lut_ggml_dequantize(t->type, t->data, t->size, x, t->n_elems)) {
		free(x);
		x = NULL;
	}
	return keep(r, x);
}

/*
 * A matrix's values as the engine holds them: converted by weights.h the
 * way docs/model.md says the runtime does (float output projections as
 * Q8_0 blocks), then dequantized from the engine layout.
 */
static float *engine_floats(struct refm *r, struct lut_gguf *g, const char *name, uint32_t wbits,
			    bool output)
{
	const struct lut_gguf_tensor *t = tensor(g, name);
	struct lut_weight_params wp = {wbits, 0};
	struct lut_weight w = {0};
	uint64_t n, qb;
	float *x = NULL, *f = NULL;
	void *q = NULL;
	int ret = -1;

	if (!t)
		return keep(r, NULL);
	n = t->n_elems;
	if (output &&
	    (t->type == LUT_GGML_F16 || t->type == LUT_GGML_F32 || t->type == LUT_GGML_BF16)) {
		f = malloc(n * sizeof(float));
		lut_ggml_row_size(LUT_GGML_Q8_0, n, &qb);
		q = malloc(qb);
		if (f && q && !lut_ggml_dequantize(t->type, t->data, t->size, f, n) &&
		    !lut_ggml_quantize(LUT_GGML_Q8_0, f, n, q, qb))
			ret = lut_weight_from_ggml(LUT_GGML_Q8_0, q, qb, (uint32_t)t->ne[0],
						   (uint32_t)t->ne[1], &wp, &w, NULL, 0);
	} else {
		ret = lut_weight_from_ggml(t->type, t->data, t->size, (uint32_t)t->ne[0],
					   (uint32_t)t->ne[1], &wp, &w, NULL, 0);
	}
	x = ret ? NULL : malloc(n * sizeof(float));
	if (x && lut_weight_dequantize(&w, x)) {
		free(x);
		x = NULL;
	}
	lut_weight_release(&w);
	free(f);
	free(q);
	return keep(r, x);
}

static void ref_layer_load(struct refm *r, struct lut_gguf *g, uint32_t l, uint32_t wbits,
			   bool bitnet)
{
	struct ref_layer *ly = &r->ly[l];
	char n[80];

#define NAME(s) (snprintf(n, sizeof(n), "blk.%u." s ".weight", l), n)
	ly->attn_norm = file_floats(r, g, NAME("attn_norm"));
	ly->ffn_norm = file_floats(r, g, NAME("ffn_norm"));
	ly->wq = engine_floats(r, g, NAME("attn_q"), wbits, false);
	ly->wk = engine_floats(r, g, NAME("attn_k"), wbits, false);
	ly->wv = engine_floats(r, g, NAME("attn_v"), wbits, false);
	ly->wo = engine_floats(r, g, NAME("attn_output"), wbits, false);
	ly->gate = engine_floats(r, g, NAME("ffn_gate"), wbits, false);
	ly->up = engine_floats(r, g, NAME("ffn_up"), wbits, false);
	ly->down = engine_floats(r, g, NAME("ffn_down"), wbits, false);
	if (bitnet) {
		ly->attn_sub_norm = file_floats(r, g, NAME("attn_sub_norm"));
		ly->ffn_sub_norm = file_floats(r, g, NAME("ffn_sub_norm"));
	}
#undef NAME
}

/* The reference of the model o describes, read from its file at path. */
static int ref_load(struct refm *r, const struct mk_opts *o, const char *path, uint32_t wbits)
{
	bool bitnet = o->arch == MK_ARCH_BITNET;
	const struct lut_gguf_tensor *te;
	struct lut_gguf *g;
	char err[LUT_GGUF_ERR_SIZE];
	uint32_t l;

	memset(r, 0, sizeof(*r));
	if (lut_gguf_open(path, &g, err, sizeof(err)))
		return -1;
	r->ly = calloc(o->layers, sizeof(*r->ly));
	r->rm = (struct ref_model){.n_layer = o->layers,
				   .dim = o->dim,
				   .ff = o->ffn,
				   .heads = o->heads,
				   .kv_heads = o->kv_heads,
				   .head_dim = o->dim / o->heads,
				   .vocab = o->vocab,
				   .n_rot = o->dim / o->heads,
				   .eps = o->eps,
				   .rope_base = o->rope_base,
				   .neox = bitnet,
				   .relu2 = bitnet && o->act == MK_ACT_RELU2,
				   .layers = r->ly};
	for (l = 0; r->ly && l < o->layers; l++)
		ref_layer_load(r, g, l, wbits, bitnet);
	r->rm.out_norm = file_floats(r, g, "output_norm.weight");
	r->rm.out =
		engine_floats(r, g, o->tied ? "token_embd.weight" : "output.weight", wbits, true);
	te = tensor(g, "token_embd.weight");
	/* Tied or quantized embeddings are read from the packed matrix. */
	if (o->tied)
		r->rm.embd = r->rm.out;
	else if (te && (te->type == LUT_GGML_F16 || te->type == LUT_GGML_F32))
		r->rm.embd = file_floats(r, g, "token_embd.weight");
	else
		r->rm.embd = engine_floats(r, g, "token_embd.weight", wbits, false);
	lut_gguf_close(g);
	return r->ly && !r->bad ? 0 : -1;
}

static void ref_free(struct refm *r)
{
	int i;

	for (i = 0; i < r->nbufs; i++)
		free(r->bufs[i]);
	free(r->ly);
}

/* ---- Comparisons -------------------------------------------------------------- */

/* max |a - ref| / max |ref| */
static double rel_err(const float *a, const double *ref, uint32_t n)
{
	double d = 0, s = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		double e = fabs((double)a[i] - ref[i]);

		d = e > d ? e : d;
		s = fabs(ref[i]) > s ? fabs(ref[i]) : s;
	}
	return s > 0 ? d / s : d;
}

static double rel_err_f(const float *a, const float *b, uint32_t n)
{
	double d = 0, s = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		double e = fabs((double)a[i] - b[i]);

		d = e > d ? e : d;
		s = fabs(b[i]) > s ? fabs(b[i]) : s;
	}
	return s > 0 ? d / s : d;
}

static int32_t host_argmax(const float *x, uint32_t n)
{
	uint32_t i, best = 0;

	for (i = 1; i < n; i++)
		best = x[i] > x[best] ? i : best;
	return (int32_t)best;
}

/*
 * Load o's model with wbits and table type, run the prompt in one
 * evaluation and then N_DECODE greedy steps, each compared with the
 * reference; the streams must be built once.
 */
static void check_against_ref(struct __test_metadata *_metadata, const struct mk_opts *o,
			      uint32_t wbits, uint32_t table_dtype, double tol)
{
	char path[300], err[LM_ERR_SIZE];
	struct lut_model_stats st;
	struct lut_model *m = NULL;
	struct ref_state *rs;
	struct lut_eval ev;
	struct refm r;
	double *ref, worst = 0, e;
	uint32_t i, built = 0, V = o->vocab;

	ASSERT_EQ(0, temp_path(path, sizeof(path)));
	ASSERT_EQ(0, make_model(o, path, NULL, NULL));
	ASSERT_EQ(0, load_cpu(path, wbits, table_dtype, 0, &m, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, ref_load(&r, o, path, wbits));
	unlink_model(path);
	rs = ref_state_new(&r.rm, CTX);
	ref = calloc(V, sizeof(double));
	ASSERT_TRUE(rs && ref);

	ASSERT_EQ(0, lut_model_eval(m, prompt, N_PROMPT, &ev)) TH_LOG("%s", lut_model_error(m));
	for (i = 0; i < N_PROMPT; i++)
		ASSERT_EQ(0, ref_step(&r.rm, rs, prompt[i], ref));
	worst = rel_err(ev.logits, ref, V);
	EXPECT_GE(tol, worst) TH_LOG("prompt logits differ by %g of their range", worst);
	EXPECT_EQ(host_argmax(ev.logits, V), ev.argmax);
	EXPECT_EQ(N_PROMPT, lut_model_pos(m));

	for (i = 0; i < N_DECODE; i++) {
		int32_t t = ev.argmax;

		ASSERT_EQ(0, lut_model_eval(m, &t, 1, &ev)) TH_LOG("%s", lut_model_error(m));
		ASSERT_EQ(0, ref_step(&r.rm, rs, t, ref));
		e = rel_err(ev.logits, ref, V);
		EXPECT_GE(tol, e) TH_LOG("step %u: logits differ by %g of their range", i, e);
		EXPECT_EQ(host_argmax(ev.logits, V), ev.argmax) TH_LOG("step %u", i);
		worst = e > worst ? e : worst;
		lut_model_stats(m, &st);
		if (!i)
			built = st.streams_built;
		EXPECT_EQ(built, st.streams_built) TH_LOG("step %u built streams again", i);
	}
	lut_model_stats(m, &st);
	EXPECT_EQ(N_DECODE, st.decode_tokens);
	EXPECT_EQ(N_PROMPT, st.prompt_tokens);
	EXPECT_LT(0u, st.decode_cycles);
	EXPECT_EQ(2u, st.streams_built) TH_LOG("one stream for M = 6, one for M = 1");
	TH_LOG("%s %s wbits %u tables %s: max relative logit error %.3g (bound %g)",
	       o->arch == MK_ARCH_BITNET ? "bitnet" : "llama", lut_ggml_type_name(o->type), wbits,
	       table_dtype == LUTC_DT_I8 ? "i8" : "f16", worst, tol);
	free(ref);
	ref_state_free(rs);
	ref_free(&r);
	lut_model_free(m);
}

static void check_llama(struct __test_metadata *_metadata, uint32_t type, uint32_t wbits)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_LLAMA, type);
	check_against_ref(_metadata, &o, wbits, 0, REL_TOL);
}

TEST(llama_q4_0)
{
	check_llama(_metadata, LUT_GGML_Q4_0, 0);
}

TEST(llama_q8_0)
{
	check_llama(_metadata, LUT_GGML_Q8_0, 0);
}

TEST(llama_tq2_0)
{
	check_llama(_metadata, LUT_GGML_TQ2_0, 0);
}

TEST(llama_tq1_0)
{
	check_llama(_metadata, LUT_GGML_TQ1_0, 0);
}

TEST(llama_f16_4bit)
{
	check_llama(_metadata, LUT_GGML_F16, 4);
}

TEST(llama_f16_2bit)
{
	check_llama(_metadata, LUT_GGML_F16, 2);
}

TEST(llama_f32_ternary)
{
	check_llama(_metadata, LUT_GGML_F32, LUT_WBITS_TERNARY);
}

TEST(llama_q4_0_int8_tables)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_LLAMA, LUT_GGML_Q4_0);
	check_against_ref(_metadata, &o, 0, LUTC_DT_I8, REL_TOL_I8);
}

TEST(llama_quantized_untied_embedding)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_LLAMA, LUT_GGML_Q8_0);
	o.embd_type = LUT_GGML_Q4_0;
	check_against_ref(_metadata, &o, 0, 0, REL_TOL);
}

TEST(bitnet_tq2_0_relu2)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_BITNET, LUT_GGML_TQ2_0);
	o.act = MK_ACT_RELU2;
	check_against_ref(_metadata, &o, 0, 0, REL_TOL);
}

TEST(bitnet_tq2_0_silu)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_BITNET, LUT_GGML_TQ2_0);
	o.act = MK_ACT_SILU;
	check_against_ref(_metadata, &o, 0, 0, REL_TOL);
}

/* ---- Prompts, chunks, rewind, split streams ---------------------------------- */

FIXTURE(rt)
{
	char path[300];
	struct mk_opts o;
	struct lut_model *m;
	char err[LM_ERR_SIZE];
};

FIXTURE_SETUP(rt)
{
	small_opts(&self->o, MK_ARCH_LLAMA, LUT_GGML_Q4_0);
	ASSERT_EQ(0, temp_path(self->path, sizeof(self->path)));
	ASSERT_EQ(0, make_model(&self->o, self->path, NULL, NULL));
	self->m = NULL;
}

FIXTURE_TEARDOWN(rt)
{
	lut_model_free(self->m);
	unlink_model(self->path);
}

/* Logits of the prompt token by token, into out (V floats). */
static int eval_one_by_one(struct lut_model *m, const int32_t *t, uint32_t n, float *out)
{
	struct lut_eval ev = {NULL, 0};
	uint32_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = lut_model_eval(m, &t[i], 1, &ev);
	if (!ret && ev.logits)
		memcpy(out, ev.logits, lut_model_info(m)->n_vocab * sizeof(float));
	return ret;
}

TEST_F(rt, prompt_in_one_eval_equals_token_by_token)
{
	uint32_t V = self->o.vocab;
	float *a = calloc(V, sizeof(float)), *b = calloc(V, sizeof(float));
	struct lut_eval ev;
	double e;

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	ASSERT_EQ(0, lut_model_eval(self->m, prompt, N_PROMPT, &ev));
	memcpy(a, ev.logits, V * sizeof(float));
	ASSERT_EQ(0, lut_model_rewind(self->m, 0));
	EXPECT_EQ(0u, lut_model_pos(self->m));
	ASSERT_EQ(0, eval_one_by_one(self->m, prompt, N_PROMPT, b));
	e = rel_err_f(a, b, V);
	EXPECT_GE(REL_TOL, e);
	EXPECT_EQ(host_argmax(a, V), host_argmax(b, V));
	TH_LOG("M = 6 against M = 1: max relative difference %g", e);
	free(a);
	free(b);
}

TEST_F(rt, prompt_in_chunks_equals_one_eval)
{
	uint32_t V = self->o.vocab;
	struct lut_model *whole = NULL;
	float *a = calloc(V, sizeof(float));
	struct lut_model_stats st;
	struct lut_eval ev;

	/* Chunks of 4: a stream for M = 4 and one for the remainder M = 2. */
	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 4, &self->m, self->err, sizeof(self->err)));
	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &whole, self->err, sizeof(self->err)));
	ASSERT_EQ(0, lut_model_eval(whole, prompt, N_PROMPT, &ev));
	memcpy(a, ev.logits, V * sizeof(float));
	ASSERT_EQ(0, lut_model_eval(self->m, prompt, N_PROMPT, &ev));
	EXPECT_GE(REL_TOL, rel_err_f(ev.logits, a, V));
	lut_model_stats(self->m, &st);
	EXPECT_EQ(2u, st.streams_built);
	EXPECT_EQ(N_PROMPT, st.prompt_tokens);
	/* The same shapes again: nothing new is built. */
	ASSERT_EQ(0, lut_model_rewind(self->m, 0));
	ASSERT_EQ(0, lut_model_eval(self->m, prompt, N_PROMPT, &ev));
	lut_model_stats(self->m, &st);
	EXPECT_EQ(2u, st.streams_built);
	lut_model_free(whole);
	free(a);
}

TEST_F(rt, rewind_replays_exactly)
{
	uint32_t V = self->o.vocab;
	float *a = calloc(V, sizeof(float));
	int32_t t = 33;
	struct lut_eval ev;

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	ASSERT_EQ(0, lut_model_eval(self->m, prompt, N_PROMPT, &ev));
	ASSERT_EQ(0, lut_model_eval(self->m, &t, 1, &ev));
	memcpy(a, ev.logits, V * sizeof(float));
	EXPECT_EQ(N_PROMPT + 1, lut_model_pos(self->m));
	/* Another token at that position, then back and the first one again. */
	ASSERT_EQ(0, lut_model_rewind(self->m, N_PROMPT));
	t = 34;
	ASSERT_EQ(0, lut_model_eval(self->m, &t, 1, &ev));
	EXPECT_NE(0, memcmp(a, ev.logits, V * sizeof(float)));
	ASSERT_EQ(0, lut_model_rewind(self->m, N_PROMPT));
	t = 33;
	ASSERT_EQ(0, lut_model_eval(self->m, &t, 1, &ev));
	EXPECT_EQ(0, memcmp(a, ev.logits, V * sizeof(float)));
	/* Only backwards. */
	EXPECT_EQ(-EINVAL, lut_model_rewind(self->m, N_PROMPT + 2));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "beyond the 7 tokens"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_EQ(N_PROMPT + 1, lut_model_pos(self->m));
	free(a);
}

TEST_F(rt, split_streams_give_the_same_logits)
{
	uint32_t V = self->o.vocab;
	struct lut_model *split = NULL;
	float *a = calloc(V, sizeof(float));
	struct lut_model_stats st;
	struct lut_eval ev;
	int32_t t = 5;

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &split, self->err, sizeof(self->err)));
	/* One layer per stream: [embedding, layer 0] [layer 1, head]. */
	lm_set_stream_limits(split, 0, 1);
	ASSERT_EQ(0, lut_model_eval(self->m, prompt, N_PROMPT, &ev));
	memcpy(a, ev.logits, V * sizeof(float));
	ASSERT_EQ(0, lut_model_eval(split, prompt, N_PROMPT, &ev));
	EXPECT_EQ(0, memcmp(a, ev.logits, V * sizeof(float)));
	lut_model_stats(split, &st);
	EXPECT_EQ(2u, st.streams_built);
	EXPECT_EQ(2u, split->graphs->nseg);
	lut_model_free(split);

	/*
	 * At most 5 instructions per stream, cut anywhere: the embedding (1),
	 * two layers of one-part weights (17 each) and the head with its
	 * two-part output projection (4) make 39 instructions, 8 streams.
	 */
	split = NULL;
	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &split, self->err, sizeof(self->err)));
	lm_set_stream_limits(split, 5, 0);
	ASSERT_EQ(0, lut_model_eval(split, prompt, N_PROMPT, &ev))
	TH_LOG("%s", lut_model_error(split));
	EXPECT_EQ(0, memcmp(a, ev.logits, V * sizeof(float)));
	lut_model_stats(split, &st);
	EXPECT_EQ(8u, st.streams_built);
	/* Decoding through split streams matches too. */
	ASSERT_EQ(0, lut_model_eval(self->m, &t, 1, &ev));
	memcpy(a, ev.logits, V * sizeof(float));
	ASSERT_EQ(0, lut_model_eval(split, &t, 1, &ev));
	EXPECT_EQ(0, memcmp(a, ev.logits, V * sizeof(float)));
	lut_model_free(split);
	free(a);
}

/* ---- The logits of every position ------------------------------------------------ */

#define N_ALL 11u /* chunks of 4: two of 4 rows and one of 3 */

static const int32_t all_tokens[N_ALL] = {1, 17, 42, 99, 7, 250, 3, 3, 180, 64, 2};

/*
 * lut_model_eval_all() in chunks of 4 rows against the same tokens decoded
 * one by one: every row must be the decode step's logits bit for bit.
 * Each row's arithmetic (table entries, their scales, the accumulation
 * order, attention over positions 0..pos) does not depend on how many
 * rows a stream has, so there is nothing for a tolerance to absorb; the
 * normal prompt path's last row is the same bits too.
 */
static void check_eval_all(struct __test_metadata *_metadata, const struct mk_opts *o,
			   uint32_t table_dtype)
{
	char path[300], err[LM_ERR_SIZE];
	uint32_t i, V = o->vocab;
	float *all = calloc((size_t)N_ALL * V, sizeof(float));
	struct lut_model_stats st;
	struct lut_model *m = NULL;
	struct lut_eval ev;

	ASSERT_NE(NULL, all);
	ASSERT_EQ(0, temp_path(path, sizeof(path)));
	ASSERT_EQ(0, make_model(o, path, NULL, NULL));
	ASSERT_EQ(0, load_cpu(path, 0, table_dtype, 4, &m, err, sizeof(err))) TH_LOG("%s", err);
	unlink_model(path);

	ASSERT_EQ(0, lut_model_eval_all(m, all_tokens, N_ALL, all))
	TH_LOG("%s", lut_model_error(m));
	EXPECT_EQ(N_ALL, lut_model_pos(m));
	lut_model_stats(m, &st);
	EXPECT_EQ(N_ALL, st.prompt_tokens);
	EXPECT_EQ(2u, st.streams_built) TH_LOG("shapes of 4 and 3 rows, all logits");

	ASSERT_EQ(0, lut_model_rewind(m, 0));
	for (i = 0; i < N_ALL; i++) {
		ASSERT_EQ(0, lut_model_eval(m, &all_tokens[i], 1, &ev));
		EXPECT_EQ(0, memcmp(all + (size_t)i * V, ev.logits, V * sizeof(float)))
		TH_LOG("row %u differs from its decode step by %g of the range", i,
		       rel_err_f(all + (size_t)i * V, ev.logits, V));
	}
	/* Rows differ from each other: each one is its own position's. */
	EXPECT_NE(0, memcmp(all, all + V, V * sizeof(float)));

	/* The normal prompt path: its own shapes, the same last row. */
	ASSERT_EQ(0, lut_model_rewind(m, 0));
	ASSERT_EQ(0, lut_model_eval(m, all_tokens, N_ALL, &ev));
	EXPECT_EQ(0, memcmp(all + (size_t)(N_ALL - 1) * V, ev.logits, V * sizeof(float)));
	lut_model_stats(m, &st);
	EXPECT_EQ(5u, st.streams_built) TH_LOG("+ M = 1, then M = 4 and 3 with the last row only");
	free(all);
	lut_model_free(m);
}

TEST(eval_all_llama_rows_equal_decode_steps)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_LLAMA, LUT_GGML_Q4_0);
	check_eval_all(_metadata, &o, 0);
}

TEST(eval_all_llama_int8_tables)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_LLAMA, LUT_GGML_Q8_0);
	check_eval_all(_metadata, &o, LUTC_DT_I8);
}

TEST(eval_all_bitnet_rows_equal_decode_steps)
{
	struct mk_opts o;

	small_opts(&o, MK_ARCH_BITNET, LUT_GGML_TQ2_0);
	o.act = MK_ACT_RELU2;
	check_eval_all(_metadata, &o, 0);
}

TEST_F(rt, eval_all_bad_arguments)
{
	uint32_t V = self->o.vocab;
	float *all = calloc((size_t)CTX * V, sizeof(float));
	int32_t bad[3] = {1, 384, 2}, t[CTX] = {0};

	ASSERT_NE(NULL, all);
	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	EXPECT_EQ(-EINVAL, lut_model_eval_all(NULL, prompt, 1, all));
	EXPECT_EQ(-EINVAL, lut_model_eval_all(self->m, NULL, 1, all));
	EXPECT_EQ(-EINVAL, lut_model_eval_all(self->m, prompt, 0, all));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "no tokens"));
	EXPECT_EQ(-EINVAL, lut_model_eval_all(self->m, prompt, 1, NULL));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "no place for the logits"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_EQ(-EINVAL, lut_model_eval_all(self->m, bad, 3, all));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "token 384 at index 1"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_EQ(0u, lut_model_pos(self->m)) TH_LOG("nothing was run");
	ASSERT_EQ(0, lut_model_eval_all(self->m, t, CTX - 1, all));
	EXPECT_EQ(-ENOSPC, lut_model_eval_all(self->m, t, 2, all));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "context is full"));
	EXPECT_EQ(CTX - 1, lut_model_pos(self->m));
	ASSERT_EQ(0, lut_model_eval_all(self->m, t, 1, all));
	EXPECT_STREQ("", lut_model_error(self->m));
	free(all);
}

/* ---- Errors -------------------------------------------------------------------- */

TEST_F(rt, bad_tokens)
{
	int32_t bad[3] = {1, 384, 2}, neg = -1;
	struct lut_eval ev;

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	EXPECT_EQ(-EINVAL, lut_model_eval(self->m, bad, 3, &ev));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m),
			       "token 384 at index 1 is out of the vocabulary (0..383)"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_EQ(-EINVAL, lut_model_eval(self->m, &neg, 1, &ev));
	EXPECT_EQ(-EINVAL, lut_model_eval(self->m, bad, 0, &ev));
	EXPECT_EQ(0u, lut_model_pos(self->m)) TH_LOG("nothing was run");
	ASSERT_EQ(0, lut_model_eval(self->m, bad, 1, &ev));
	EXPECT_STREQ("", lut_model_error(self->m));
}

TEST_F(rt, context_full)
{
	struct lut_eval ev;
	int32_t t[CTX] = {0};

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	EXPECT_EQ(CTX, lut_model_info(self->m)->ctx);
	ASSERT_EQ(0, lut_model_eval(self->m, t, CTX - 2, &ev));
	EXPECT_EQ(-ENOSPC, lut_model_eval(self->m, t, 3, &ev));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m),
			       "context is full: 30 tokens cached + 3 new > 32"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_EQ(CTX - 2, lut_model_pos(self->m));
	ASSERT_EQ(0, lut_model_eval(self->m, t, 2, &ev));
	EXPECT_EQ(-ENOSPC, lut_model_eval(self->m, t, 1, &ev));
	ASSERT_EQ(0, lut_model_rewind(self->m, 0));
	EXPECT_EQ(0, lut_model_eval(self->m, t, 1, &ev));
}

/*
 * Write `to` over the first occurrence of `from` in the image, or skip
 * bytes after its start.
 */
struct subst {
	const char *from, *to;
	size_t skip;
	int done;
};

static void patch_bytes(struct img *m, void *arg)
{
	struct subst *s = arg;
	size_t n = strlen(s->from), i;

	for (i = 0; i + n <= m->n; i++) {
		if (!memcmp(m->p + i, s->from, n)) {
			memcpy(m->p + i + s->skip, s->to, strlen(s->to));
			s->done = 1;
			return;
		}
	}
}

static void expect_load_error(struct __test_metadata *_metadata, const struct mk_opts *o,
			      const char *path, struct subst *s, int ret, const char *msg)
{
	struct lut_model *m = NULL;
	char err[LM_ERR_SIZE] = "";

	ASSERT_EQ(0, make_model(o, path, patch_bytes, s));
	ASSERT_TRUE(s->done);
	EXPECT_EQ(ret, load_cpu(path, 0, 0, 0, &m, err, sizeof(err)));
	EXPECT_EQ(NULL, m);
	EXPECT_NE(NULL, strstr(err, msg)) TH_LOG("got: %s", err);
}

TEST_F(rt, missing_tensor)
{
	struct subst s = {"blk.1.ffn_up.weight", "blk.1.ffn_xp.weight", 0, 0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EINVAL,
			  "tensor blk.1.ffn_up.weight is missing");
}

TEST_F(rt, wrong_shape)
{
	/* ne1 of attn_k (32 = kv_heads * head_dim) becomes 16: after the name, n_dims, ne0. */
	struct subst s = {"blk.0.attn_k.weight", "\x10", strlen("blk.0.attn_k.weight") + 4 + 8, 0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EINVAL,
			  "tensor blk.0.attn_k.weight has shape [64, 16], expected [64, 32]");
}

TEST_F(rt, unsupported_architecture)
{
	/* The value of general.architecture: after the key, its type and length. */
	struct subst s = {"general.architecture", "gemma", strlen("general.architecture") + 4 + 8,
			  0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EOPNOTSUPP,
			  "architecture 'gemma' is not supported");
}

TEST_F(rt, missing_hyperparameter)
{
	struct subst s = {"llama.block_count", "llama.block_cnnnt", 0, 0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EINVAL,
			  "llama.block_count is missing");
}

TEST_F(rt, kv_heads_must_divide_heads)
{
	/* The u32 value of head_count_kv (2) becomes 3: after the key, its type. */
	struct subst s = {"llama.attention.head_count_kv", "\x03",
			  strlen("llama.attention.head_count_kv") + 4, 0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EINVAL,
			  "llama.attention.head_count_kv 3 does not divide");
}

TEST_F(rt, norm_epsilon_must_be_positive)
{
	/* The f32 epsilon becomes 0xbf7f7f7f, about -0.998. */
	struct subst s = {"llama.attention.layer_norm_rms_epsilon", "\x7f\x7f\x7f\xbf",
			  strlen("llama.attention.layer_norm_rms_epsilon") + 4, 0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EINVAL,
			  "layer_norm_rms_epsilon = -0.998039 is not a positive number");
}

TEST_F(rt, bias_tensors_are_refused)
{
	/* Same length, so the file stays valid; the name now ends in .bias. */
	struct subst s = {"blk.0.attn_q.weight", "blk.0.attn_q.w.bias", 0, 0};

	expect_load_error(_metadata, &self->o, self->path, &s, -EOPNOTSUPP,
			  "tensor blk.0.attn_q.w.bias is not supported");
}

TEST_F(rt, bad_params)
{
	struct lut_model_params p;

	lut_model_params_default(&p);
	EXPECT_EQ(-EINVAL, lut_model_load(self->path, &p, &self->m, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "needs an open device")) TH_LOG("%s", self->err);
	EXPECT_EQ(-EINVAL,
		  lut_model_load(self->path, NULL, &self->m, self->err, sizeof(self->err)));
	p.backend = LUT_BACKEND_CPU;
	p.wbits = 7;
	EXPECT_EQ(-EINVAL, lut_model_load(self->path, &p, &self->m, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "wbits 7")) TH_LOG("%s", self->err);
	p.wbits = 0;
	p.table_dtype = LUTC_DT_F32;
	EXPECT_EQ(-EINVAL, lut_model_load(self->path, &p, &self->m, self->err, sizeof(self->err)));
	p.table_dtype = 0;
	EXPECT_EQ(-ENOENT, lut_model_load("/nonexistent/model.gguf", &p, &self->m, self->err,
					  sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "/nonexistent/model.gguf")) TH_LOG("%s", self->err);
	EXPECT_EQ(NULL, self->m);
}

TEST_F(rt, faulting_stream_names_the_instruction)
{
	const struct lm_pool *kv;
	struct lut_eval ev;

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	/* Take the KV cache away from the engine: layer 0's ATTN faults. */
	kv = &self->m->pool[LM_POOL_KV];
	ASSERT_EQ(1u, kv->n);
	ASSERT_EQ(0, lut_cpu_unmap(self->m->cpu, kv->c[0].va));
	EXPECT_EQ(-EIO, lut_model_eval(self->m, prompt, 2, &ev));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "page fault (3) at instruction"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_NE(NULL, strstr(lut_model_error(self->m), "(ATTN, layer 0)"))
	TH_LOG("%s", lut_model_error(self->m));
	EXPECT_EQ(0u, lut_model_pos(self->m));
	ASSERT_EQ(0, lut_cpu_map(self->m->cpu, kv->c[0].va, kv->c[0].host, kv->c[0].size, 0));
	EXPECT_EQ(0, lut_model_eval(self->m, prompt, 2, &ev));
}

TEST_F(rt, info_and_tokenizer)
{
	const struct lut_model_info *in;

	ASSERT_EQ(0, load_cpu(self->path, 0, 0, 0, &self->m, self->err, sizeof(self->err)));
	in = lut_model_info(self->m);
	EXPECT_STREQ("llama", in->arch);
	EXPECT_NE(NULL, strstr(in->name, "lutcore-test llama"));
	EXPECT_EQ(2u, in->n_layer);
	EXPECT_EQ(64u, in->n_embd);
	EXPECT_EQ(96u, in->n_ff);
	EXPECT_EQ(4u, in->n_head);
	EXPECT_EQ(2u, in->n_head_kv);
	EXPECT_EQ(16u, in->head_dim);
	EXPECT_EQ(384u, in->n_vocab);
	EXPECT_EQ((uint32_t)LUT_GGML_Q4_0, in->weight_type);
	EXPECT_EQ((uint32_t)LUTC_WF_INT4, in->wfmt);
	EXPECT_EQ(0, in->tied_output);
	/* F16 caches: 2 layers x K and V x 32 positions x 32 values x 2 bytes. */
	EXPECT_EQ(2ull * 2 * CTX * 32 * 2, in->kv_bytes);
	EXPECT_LT(0u, in->weight_bytes);
	ASSERT_NE(NULL, lut_model_tok(self->m));
	EXPECT_EQ(384, lut_tok_n_vocab(lut_model_tok(self->m)));
}

TEST_HARNESS_MAIN
