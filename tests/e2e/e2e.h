/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the end-to-end inference suite (lutcore-e2e-infer): tiny
 * models from the generator written to /tmp, loaded on a backend, a fixed
 * prompt, and comparisons of logits. Include after kselftest_harness.h.
 */
#ifndef LUTCORE_E2E_H
#define LUTCORE_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lutcore/lutcore.h"
#include "lutcore/model.h"
#include "../../tools/mkmodel/mkmodel.h"

/* Small enough for the CPU backend under TCG, big enough for every type:
 * TQ1_0/TQ2_0 rows are 256-weight blocks. */
#define E2E_DIM	   256
#define E2E_LAYERS 2
#define E2E_FFN	   512
#define E2E_VOCAB  512
#define E2E_CTX	   64
#define E2E_STEPS  32 /* greedy decode steps compared per model */

/**
 * struct e2e_model_spec - one generated model and how to run it
 * @arch, @type, @act, @seed: what the generator writes
 * @ternary: ternary weight values (always for bitnet and TQ types)
 * @wbits:  lut_model_params.wbits (float types only; 0 = default)
 * @table:  lut_model_params.table_dtype (0 = F16 tables)
 */
struct e2e_model_spec {
	enum mk_arch arch;
	uint32_t type;
	enum mk_act act;
	bool ternary;
	uint64_t seed;
	uint32_t wbits;
	uint32_t table;
};

/*
 * Write the model of s to path (under /tmp, a tmpfs in the VM). Returns 0
 * or a negative errno with a message in err.
 */
int e2e_write_model(const struct e2e_model_spec *s, const char *path, char *err, size_t size);

/*
 * Load path on a backend: the device dev (NULL: the CPU backend with one
 * engine thread). ctx E2E_CTX; wbits and table from s; chunk is the
 * prefill chunk (0: default). Returns lut_model_load()'s result.
 */
int e2e_load(const char *path, const struct e2e_model_spec *s, struct lut_dev *dev, uint32_t chunk,
	     struct lut_model **m, char *err, size_t size);

/*
 * The fixed prompt tokenized by m's tokenizer, at most max ids (and at
 * least 2). Returns the count or a negative errno.
 */
int e2e_prompt(const struct lut_model *m, int variant, int32_t *ids, uint32_t max);

/* The first index of the largest value; NaNs never win. */
int32_t e2e_argmax(const float *x, uint32_t n);

/* Whether every value is finite and not all are equal. */
int e2e_logits_sane(const float *x, uint32_t n);

/* Largest |a - b| and largest |a| over n values, folded into *diff, *mag. */
void e2e_diff(const float *a, const float *b, uint32_t n, double *diff, double *mag);

/* Monotonic time in seconds. */
double e2e_now(void);

#endif /* LUTCORE_E2E_H */
