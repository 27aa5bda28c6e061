/* SPDX-License-Identifier: MIT */
/*
 * lutcore-train's command line: the options (opts.c) and the modes that
 * run them (run.c: training; sample.c: vocabulary, sampling, evaluation).
 */
#ifndef LUTCORE_TRAIN_CLI_H
#define LUTCORE_TRAIN_CLI_H

#include "train.h"

#define PROG "lutcore-train"

enum lt_mode { LT_MODE_TRAIN, LT_MODE_VOCAB, LT_MODE_SAMPLE, LT_MODE_EVAL };

struct lt_cli {
	enum lt_mode mode;
	struct lt_config c;
	struct lt_hparams h;
	const char *out, *train, *heldout, *vocab, *model, *save, *resume, *log, *name;
	const char *prompt;
	uint32_t vocab_size; /* --learn-vocab */
	uint32_t threads;    /* -j */
	uint32_t save_every, eval_every, eval_windows, log_every;
	uint32_t stop_after; /* steps this run, then checkpoint and exit */
	uint32_t n_predict;  /* -n */
	float temp, top_p;
	uint32_t top_k;
	uint64_t sample_seed;
	bool quiet;
	bool shape_set; /* a model or optimizer option was given (not with --resume) */
};

/* Parse argv. Returns -1 to go on, else the exit status (help: 0, error: 1). */
int lt_cli_parse(int argc, char **argv, struct lt_cli *c);

/* Print one line "lutcore-train: ..." to stderr; returns 1. */
int lt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int lt_run_train(const struct lt_cli *c);
int lt_run_vocab(const struct lt_cli *c);
int lt_run_sample(const struct lt_cli *c);
int lt_run_eval(const struct lt_cli *c);

/* A pool of c->threads threads, or NULL with the message printed. */
struct lt_pool *lt_cli_pool(const struct lt_cli *c);

#endif /* LUTCORE_TRAIN_CLI_H */
