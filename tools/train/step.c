// SPDX-License-Identifier: MIT
/*
 * lutcore-train's training step, shared by the tool and the tests: the
 * whole of one update, so that a run, a resumed run and a test do exactly
 * the same thing.
 */
#include "train.h"

double lt_step(struct lt_trainer *t, uint32_t step, double *gnorm)
{
	const struct lt_hparams *h = t->h;
	uint32_t ctx = t->m->c.ctx;
	double loss;

	lt_model_prepare(t->m, t->pool);
	lt_batch(t->text, t->bos, h->seed, step, h->batch, ctx, t->tokens, t->targets);
	loss = lt_forward(t->m, t->acts, t->pool, t->tokens, t->targets, h->batch, ctx);
	lt_backward(t->m, t->acts, t->pool, t->grad);
	*gnorm = lt_adamw(t->m, h, step, t->m->p, t->grad, t->mo, t->ve, t->pool);
	return loss;
}
