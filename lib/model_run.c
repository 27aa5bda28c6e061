// SPDX-License-Identifier: MIT
/*
 * Evaluating tokens: write the ids and positions into the activation
 * buffer, run the streams of the shape on the backend (lut_cpu, or jobs
 * submitted back to back and waited for), read back the logits of the
 * last row and the argmax the stream computed (lut_model_eval), or the
 * logits of every row (lut_model_eval_all). A failed stream is
 * reported with the device's error, the fault address and the failing
 * instruction (its index, opcode and layer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_priv.h"

/* How long a step may take on the device beyond the driver's own timeout. */
#define LM_WAIT_SLACK_NS (60ll * 1000000000ll)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *hw_error_name(uint32_t e)
{
	switch (e) {
	case LUTCORE_ERR_BAD_OPCODE:
		return "bad opcode";
	case LUTCORE_ERR_BAD_OPERAND:
		return "bad operand";
	case LUTCORE_ERR_PAGE_FAULT:
		return "page fault";
	case LUTCORE_ERR_WRITE_FAULT:
		return "write fault";
	case LUTCORE_ERR_BUS:
		return "bus error";
	case LUTCORE_ERR_BAD_STREAM:
		return "bad stream";
	default:
		return "device error";
	}
}

static const char *op_name(uint8_t op)
{
	switch (op) {
	case LUTC_OP_PRECOMP:
		return "PRECOMP";
	case LUTC_OP_LMMA:
		return "LMMA";
	case LUTC_OP_EPILOGUE:
		return "EPILOGUE";
	case LUTC_OP_EMBED:
		return "EMBED";
	case LUTC_OP_RMSNORM:
		return "RMSNORM";
	case LUTC_OP_ROPE:
		return "ROPE";
	case LUTC_OP_ATTN:
		return "ATTN";
	case LUTC_OP_ELTWISE:
		return "ELTWISE";
	case LUTC_OP_ARGMAX:
		return "ARGMAX";
	default:
		return "?";
	}
}

/* Report a stream that stopped: which error, where, at which instruction. */
static int seg_fail(struct lut_model *m, const struct lm_graph *gr, uint32_t i, uint32_t hw_error,
		    uint64_t fault_va, uint32_t fault_offset)
{
	const struct lm_seg *seg = &gr->seg[i];
	uint32_t idx = fault_offset / LUTC_INSN_SIZE;
	const uint8_t *code = lut_stream_data(seg->s);
	char where[32];

	if (idx >= seg->n_insns)
		return lm_fail(
			m, -EIO,
			"model: stream %u/%u (%u rows) failed: %s (%u), fault address 0x%llx",
			i + 1, gr->nseg, gr->m, hw_error_name(hw_error), hw_error,
			(unsigned long long)fault_va);
	if (seg->tag[idx] == LM_TAG_EMBED)
		snprintf(where, sizeof(where), "embedding");
	else if (seg->tag[idx] == LM_TAG_HEAD)
		snprintf(where, sizeof(where), "output");
	else
		snprintf(where, sizeof(where), "layer %d", seg->tag[idx]);
	return lm_fail(m, -EIO,
		       "model: stream %u/%u (%u rows) failed: %s (%u) at instruction %u (%s, %s), "
		       "fault address 0x%llx",
		       i + 1, gr->nseg, gr->m, hw_error_name(hw_error), hw_error, idx,
		       op_name(code ? code[(size_t)idx * LUTC_INSN_SIZE] : 0), where,
		       (unsigned long long)fault_va);
}

static int run_cpu(struct lut_model *m, const struct lm_graph *gr, uint64_t *cycles)
{
	struct lut_cpu_result res = {0};
	uint32_t i;
	int ret;

	for (i = 0; i < gr->nseg; i++) {
		const struct lm_seg *seg = &gr->seg[i];

		ret = lut_cpu_run(m->cpu, lm_va(m, seg->loc),
				  (uint64_t)seg->n_insns * LUTC_INSN_SIZE, &res);
		*cycles += res.cycles;
		if (ret == -EIO)
			return seg_fail(m, gr, i, res.error, res.fault_va, res.fault_offset);
		if (ret)
			return lm_fail(m, ret, "model: running stream %u failed: %s", i + 1,
				       strerror(-ret));
	}
	return 0;
}

/*
 * The device's modeled cycle counter (summed over cores, device-wide);
 * 0 from a driver before 1.2, which does not know the parameter.
 */
static uint64_t dev_cycles(struct lut_model *m)
{
	uint64_t v;

	return lut_dev_param(m->dev, DRM_LUTCORE_PARAM_CYCLES, &v) ? 0 : v;
}

/* Every job's status, after the last one finished: report the first error. */
static int check_jobs(struct lut_model *m, const struct lm_graph *gr, const struct lut_job *jobs,
		      uint32_t n)
{
	struct drm_lutcore_job_status st;
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = lut_job_status(m->dev, jobs[i].id, &st);
		if (ret)
			return lm_fail(m, ret, "model: the status of job %llu is unknown: %s",
				       (unsigned long long)jobs[i].id, strerror(-ret));
		if (!st.error)
			continue;
		if (st.hw_error)
			return seg_fail(m, gr, i, st.hw_error, st.fault_addr, st.fault_offset);
		return lm_fail(m, st.error, "model: stream %u/%u (%u rows) failed: %s", i + 1,
			       gr->nseg, gr->m, strerror(-st.error));
	}
	return 0;
}

static int run_dev(struct lut_model *m, const struct lm_graph *gr, uint64_t *cycles)
{
	int64_t timeout =
		LM_WAIT_SLACK_NS + 4ll * (gr->nseg + 1) * m->caps.job_timeout_ms * 1000000ll;
	uint64_t c0 = dev_cycles(m), c1;
	struct lut_job *jobs = calloc(gr->nseg, sizeof(*jobs));
	uint32_t n;
	int ret = 0, wret;

	if (!jobs)
		return lm_fail(m, -ENOMEM, "out of memory");
	for (n = 0; n < gr->nseg && !ret; n++) {
		ret = lut_submit_stream(m->dev, gr->seg[n].s, m->bos, m->nbos, &jobs[n]);
		if (ret)
			lm_fail(m, ret, "model: submitting stream %u/%u failed: %s", n + 1,
				gr->nseg, strerror(-ret));
	}
	if (ret)
		n--;
	/* Jobs already queued finish before the buffers are touched again. */
	wret = n ? lut_wait(m->dev, jobs[n - 1].point, lut_deadline(timeout)) : 0;
	if (!ret && wret)
		ret = lm_fail(m, wret, "model: waiting for the device failed: %s", strerror(-wret));
	if (!ret)
		ret = check_jobs(m, gr, jobs, n);
	free(jobs);
	c1 = dev_cycles(m);
	*cycles += c1 > c0 ? c1 - c0 : 0;
	return ret;
}

int lm_graph_run(struct lut_model *m, const struct lm_graph *gr, uint64_t *cycles)
{
	*cycles = 0;
	return m->cpu ? run_cpu(m, gr, cycles) : run_dev(m, gr, cycles);
}

static int check_tokens(struct lut_model *m, const int32_t *tokens, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (tokens[i] < 0 || (uint32_t)tokens[i] >= m->cfg.n_vocab)
			return lm_fail(
				m, -EINVAL,
				"eval: token %d at index %u is out of the vocabulary (0..%u)",
				tokens[i], i, m->cfg.n_vocab - 1);
	}
	if ((uint64_t)m->pos + n > m->info.ctx)
		return lm_fail(
			m, -ENOSPC,
			"eval: the context is full: %u tokens cached + %u new > %u positions",
			m->pos, n, m->info.ctx);
	return 0;
}

/* One chunk of rows tokens at position m->pos (all: every row's logits). */
static int eval_chunk(struct lut_model *m, const int32_t *tokens, uint32_t rows, bool all,
		      uint64_t *ns, uint64_t *cycles)
{
	struct lm_graph *gr;
	int32_t *ids, *pos;
	uint64_t t0, c = 0;
	uint32_t i;
	int ret = lm_graph_get(m, rows, all, &gr);

	if (ret)
		return ret;
	t0 = now_ns();
	ids = lm_host(m, m->act.ids);
	pos = lm_host(m, m->act.pos);
	memcpy(ids, tokens, rows * sizeof(*ids));
	for (i = 0; i < rows; i++)
		pos[i] = (int32_t)(m->pos + i);
	ret = lm_graph_run(m, gr, &c);
	*ns += now_ns() - t0;
	*cycles += c;
	if (!ret)
		m->pos += rows;
	return ret;
}

/*
 * n tokens in chunks of at most prefill_chunk rows; with all, each
 * chunk's logits (rows x n_vocab) are copied to all_logits as it ends, so
 * a failed chunk leaves those of the chunks before it.
 */
static int eval_chunks(struct lut_model *m, const int32_t *tokens, uint32_t n, float *all_logits)
{
	size_t V = m->cfg.n_vocab;
	uint64_t ns = 0, cycles = 0;
	uint32_t done, rows;
	int ret = check_tokens(m, tokens, n);

	for (done = 0; done < n && !ret; done += rows) {
		rows = n - done < m->p.prefill_chunk ? n - done : m->p.prefill_chunk;
		ret = eval_chunk(m, tokens + done, rows, all_logits != NULL, &ns, &cycles);
		if (!ret && all_logits)
			memcpy(all_logits + done * V, lm_host(m, m->act.logits_all),
			       rows * V * sizeof(float));
	}
	if (ret)
		return ret;
	if (n > 1) {
		m->st.prompt_tokens += n;
		m->st.prompt_ns += ns;
		m->st.prompt_cycles += cycles;
	} else {
		m->st.decode_tokens += n;
		m->st.decode_ns += ns;
		m->st.decode_cycles += cycles;
	}
	return 0;
}

int lut_model_eval(struct lut_model *m, const int32_t *tokens, uint32_t n, struct lut_eval *out)
{
	int ret;

	if (!m)
		return -EINVAL;
	m->err[0] = '\0';
	if (!tokens || !out || !n)
		return lm_fail(m, -EINVAL, "eval: no tokens");
	ret = eval_chunks(m, tokens, n, NULL);
	if (ret)
		return ret;
	memcpy(m->logits, lm_host(m, m->act.logits), (size_t)m->cfg.n_vocab * sizeof(float));
	memcpy(&m->argmax, lm_host(m, m->act.argmax), sizeof(m->argmax));
	out->logits = m->logits;
	out->argmax = m->argmax;
	return 0;
}

int lut_model_eval_all(struct lut_model *m, const int32_t *tokens, uint32_t n, float *logits)
{
	int ret;

	if (!m)
		return -EINVAL;
	m->err[0] = '\0';
	if (!tokens || !n)
		return lm_fail(m, -EINVAL, "eval_all: no tokens");
	if (!logits)
		return lm_fail(m, -EINVAL, "eval_all: no place for the logits");
	ret = lm_plan_logits_all(m);
	return ret ?: eval_chunks(m, tokens, n, logits);
}
