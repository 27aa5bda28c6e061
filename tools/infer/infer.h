/* SPDX-License-Identifier: MIT */
/*
 * lutcore-infer internals: the options (opts.c), the prompt and the token
 * loop (generate.c), perplexity of a text (perplexity.c), and what is
 * shown on stderr (report.c).
 */
#ifndef LUTCORE_INFER_H
#define LUTCORE_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lutcore/model.h"
#include "lutcore/sampling.h"

#define PROG "lutcore-infer"

#define INFER_DEFAULT_PROMPT  "Once upon a time"
#define INFER_DEFAULT_PREDICT 128
#define INFER_MAX_PREDICT     (1u << 24)
#define INFER_MAX_CTX	      (1u << 20)
#define INFER_MAX_THREADS     1024
#define INFER_MAX_PROMPT_FILE (16u << 20) /* bytes read by --file and --perplexity */

/* Load progress is shown for models with more tensor bytes than this. */
#define INFER_PROGRESS_BYTES (64ull << 20)

/**
 * struct infer_opts - the command line
 * @model:       -m, the GGUF file
 * @prompt:      -p, or the text of --file (then @prompt_buf owns it)
 * @prompt_len:  bytes of @prompt (a --file prompt stops at its first NUL)
 * @n_predict:   -n, tokens to generate at most
 * @sampling:    --temp above 0: draw with @sp, else take the arg-max
 * @sp:          temperature, top-k, top-p and seed
 * @mp:          backend, threads, wbits, ctx, tables (device: see @device)
 * @wbits_given: --wbits was on the command line (a note when it is moot)
 * @device:      --device, or NULL for liblutcore's search
 * @add_special: not --no-bos: BOS (and EOS) as the model's metadata says
 * @quiet:       -q: only the text on stdout, and errors
 * @ppl_file:    --perplexity FILE, or NULL: score its text instead of
 *               generating; @ppl_text (owned) and @ppl_len hold the text
 * @ppl_tokens:  --ppl-tokens: score at most this many tokens; 0 = all
 */
struct infer_opts {
	const char *model;
	const char *prompt;
	char *prompt_buf;
	size_t prompt_len;
	uint32_t n_predict;
	bool sampling;
	struct lut_sampler_params sp;
	struct lut_model_params mp;
	bool wbits_given;
	const char *device;
	bool add_special;
	bool quiet;
	const char *ppl_file;
	char *ppl_text;
	size_t ppl_len;
	uint32_t ppl_tokens;
};

/*
 * Fill *o from argv. Returns -1 to go on, or the exit status to end with:
 * 0 after --help or --version, 1 after a usage error (one line on stderr).
 */
int infer_parse_args(int argc, char **argv, struct infer_opts *o);

/* Free what infer_parse_args() allocated. */
void infer_opts_release(struct infer_opts *o);

/* One line on stderr, "lutcore-infer: " first. */
void infer_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The load progress callback for struct lut_model_params; arg: struct infer_progress. */
struct infer_progress {
	bool live; /* redraw one line in place (an interactive terminal) */
	int last;  /* percent last shown, -1 before the first */
};
void infer_progress_init(struct infer_progress *p);
void infer_progress_cb(void *arg, uint64_t done, uint64_t total);

/* The one-line model summary on stderr. */
void infer_print_summary(const struct lut_model *m, const struct infer_opts *o,
			 const char *device_path);

/* What the speed line needs: the prompt and decode phases' counters. */
struct infer_speed {
	uint64_t prompt_tokens, prompt_ns;
	uint64_t decode_tokens, decode_ns, decode_cycles;
	uint32_t clock_mhz;
};

/* Write the speed line into buf (like snprintf). */
int infer_format_speed(const struct infer_speed *s, char *buf, size_t size);

/*
 * The prompt's tokens into *ids (malloc()ed), BOS first unless --no-bos;
 * a prompt that is empty or longer than the context is an error. Returns
 * 0, or 1 after an error (reported on stderr).
 */
int infer_tokenize(const struct lut_model *m, const struct infer_opts *o, int32_t **ids,
		   uint32_t *n);

/*
 * Echo the prompt, evaluate it, generate and stream the text to stdout;
 * the speed counters go to *speed. Returns 0, or 1 after an error
 * (reported on stderr).
 */
int infer_generate(struct lut_model *m, const struct infer_opts *o, const int32_t *ids, uint32_t n,
		   struct infer_speed *speed);

/*
 * --perplexity: the text's tokens into *ids (malloc()ed, no BOS); a model
 * without a tokenizer, or a text with nothing to score, is an error.
 * Returns 0, or 1 after an error (reported on stderr).
 */
int infer_ppl_tokenize(const struct lut_model *m, const struct infer_opts *o, int32_t **ids,
		       uint32_t *n);

/*
 * Score the n tokens in windows of the context (see perplexity.c), show
 * progress on stderr and print the result line on stdout. Returns 0, or 1
 * after an error (reported on stderr).
 */
int infer_perplexity(struct lut_model *m, const struct infer_opts *o, const int32_t *ids,
		     uint32_t n);

#endif /* LUTCORE_INFER_H */
