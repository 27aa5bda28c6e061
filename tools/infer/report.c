// SPDX-License-Identifier: MIT
/*
 * lutcore-infer: what goes to stderr besides errors: load progress, the
 * one-line model summary and the closing speed line. Host (wall-clock)
 * rates and modeled device time are separate fields, never mixed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lutcore/quant.h"
#include "lutcore/weights.h"
#include "lutcore_isa.h"
#include "infer.h"

/*
 * A bar redrawn in place suits a terminal someone watches; a serial
 * console (the VM's results port is one) is read as a log, so there a
 * line every 10% is easier to follow.
 */
void infer_progress_init(struct infer_progress *p)
{
	const char *tty = isatty(2) ? ttyname(2) : NULL;

	p->live = tty && strncmp(tty, "/dev/ttyS", 9) && strcmp(tty, "/dev/console");
	p->last = -1;
}

void infer_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct infer_progress *p = arg;
	int pct = total ? (int)(done * 100 / total) : 100;

	/* Small models load in a moment; a bar would only flicker. */
	if (total <= INFER_PROGRESS_BYTES || pct == p->last)
		return;
	if (!p->live && p->last >= 0 && pct / 10 == p->last / 10 && pct != 100)
		return;
	p->last = pct;
	if (p->live)
		fprintf(stderr, "\r" PROG ": loading [%-25.*s]", pct / 4,
			"#########################");
	else
		fputs(PROG ": loading weights:", stderr);
	fprintf(stderr, " %3d%% (%llu of %llu MiB)%s", pct, (unsigned long long)(done >> 20),
		(unsigned long long)(total >> 20), p->live && pct < 100 ? "" : "\n");
}

static void print_backend(const struct infer_opts *o, const char *device_path)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (o->mp.backend == LUT_BACKEND_DEVICE)
		fprintf(stderr, "backend: device %s\n", device_path);
	else
		fprintf(stderr, "backend: cpu, %u threads\n",
			o->mp.threads ? o->mp.threads : (unsigned int)(cpus > 0 ? cpus : 1));
}

void infer_print_summary(const struct lut_model *m, const struct infer_opts *o,
			 const char *device_path)
{
	const struct lut_model_info *i = lut_model_info(m);

	fprintf(stderr, "model: %s%s%s%s | %u layers, dim %u, ffn %u, %u heads (%u kv), vocab %u, ",
		i->arch, *i->name ? " '" : "", i->name, *i->name ? "'" : "", i->n_layer, i->n_embd,
		i->n_ff, i->n_head, i->n_head_kv, i->n_vocab);
	fprintf(stderr, "ctx %u | weights %s -> %s, %.1f MiB, %s tables | ", i->ctx,
		lut_ggml_type_name(i->weight_type), lut_wfmt_name(i->wfmt),
		(double)i->weight_bytes / (1 << 20),
		o->mp.table_dtype == LUTC_DT_I8 ? "i8" : "f16");
	print_backend(o, device_path);
}

/* "12 tokens, 143.2 tok/s", or "n/a" for the rate when nothing was timed. */
static int phase(char *buf, size_t size, uint64_t tokens, uint64_t ns)
{
	if (!tokens || !ns)
		return snprintf(buf, size, "%llu tokens, n/a tok/s", (unsigned long long)tokens);
	return snprintf(buf, size, "%llu tokens, %.1f tok/s", (unsigned long long)tokens,
			(double)tokens * 1e9 / (double)ns);
}

int infer_format_speed(const struct infer_speed *s, char *buf, size_t size)
{
	char prompt[64], decode[64], device[96];
	double cycles;

	phase(prompt, sizeof(prompt), s->prompt_tokens, s->prompt_ns);
	phase(decode, sizeof(decode), s->decode_tokens, s->decode_ns);
	if (!s->decode_cycles || !s->decode_tokens || !s->clock_mhz) {
		snprintf(device, sizeof(device), "n/a");
	} else {
		cycles = (double)s->decode_cycles / (double)s->decode_tokens;
		snprintf(device, sizeof(device), "%.3f ms/token modeled (%.0f cycles at %u MHz)",
			 cycles / (s->clock_mhz * 1e3), cycles, s->clock_mhz);
	}
	return snprintf(buf, size, "prompt: %s | decode: %s | device: %s", prompt, decode, device);
}
