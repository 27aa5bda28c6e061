// SPDX-License-Identifier: MIT
/*
 * lutcore-infer: generate text with a GGUF model on a LUTCore device (or
 * the CPU backend), or measure the perplexity of a text. See
 * lutcore-infer.1. main() opens what the options name, in the order that
 * makes the first error the most useful one: the model file, the device,
 * then the model itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lutcore/lutcore.h"
#include "lutcore/quant.h"
#include "infer.h"

/*
 * lut_dev_open()'s -ENODEV means "that node is not ours"; strerror()'s "No
 * such device" would send the user looking for a missing file.
 */
static const char *open_error_text(int err)
{
	return err == -ENODEV ? "Not a LUTCore device" : strerror(-err);
}

/* Name what was tried, so that the message says where to look. */
static int open_device(const char *path, struct lut_dev **dev)
{
	const char *env = getenv(LUT_DEV_ENV);
	int err = lut_dev_open(path, dev);

	if (!err)
		return 0;
	if (path)
		infer_error("%s: %s (or use --backend cpu)", path, open_error_text(err));
	else if (env && *env)
		infer_error("%s (from " LUT_DEV_ENV "): %s (or use --backend cpu)", env,
			    open_error_text(err));
	else if (err == -ENOENT)
		infer_error("no LUTCore device found (looked at " LUT_DEV_DEFAULT
			    " and " LUT_DEV_ACCEL_DIR "/accel*): is lutcore.ko loaded? "
			    "(or use --backend cpu)");
	else
		infer_error("cannot open a LUTCore device: %s (or use --backend cpu)",
			    open_error_text(err));
	return 1;
}

/* The file must at least open before a device is looked for. */
static int check_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		infer_error("%s: %s", path, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

static int load(const struct infer_opts *o, struct lut_model **m)
{
	char err[512] = "";
	int ret = lut_model_load(o->model, &o->mp, m, err, sizeof(err));

	if (!ret)
		return 0;
	if (!*err)
		infer_error("%s: %s", o->model, strerror(-ret));
	else if (strstr(err, o->model))
		infer_error("%s", err);
	else
		infer_error("%s: %s", o->model, err);
	return 1;
}

/* Float weights are what --wbits converts; say so when it changed nothing. */
static void note_moot_wbits(const struct lut_model *m, const struct infer_opts *o)
{
	uint32_t type = lut_model_info(m)->weight_type;

	if (o->wbits_given && !o->quiet && type != LUT_GGML_F32 && type != LUT_GGML_F16 &&
	    type != LUT_GGML_BF16)
		infer_error(
			"note: --wbits does not apply: the weights are %s and keep their format",
			lut_ggml_type_name(type));
}

static int run(struct infer_opts *o)
{
	struct infer_progress progress;
	struct infer_speed speed;
	struct lut_model *m = NULL;
	struct lut_dev *dev = NULL;
	int32_t *ids = NULL;
	char line[256];
	uint32_t n = 0;
	int ret;

	if (check_readable(o->model))
		return 1;
	if (o->mp.backend == LUT_BACKEND_DEVICE && open_device(o->device, &dev))
		return 1;
	o->mp.dev = dev;
	infer_progress_init(&progress);
	if (!o->quiet) {
		o->mp.progress = infer_progress_cb;
		o->mp.progress_arg = &progress;
	}
	ret = load(o, &m) ||
	      (o->ppl_file ? infer_ppl_tokenize(m, o, &ids, &n) : infer_tokenize(m, o, &ids, &n));
	if (!ret) {
		note_moot_wbits(m, o);
		if (!o->quiet)
			infer_print_summary(m, o, dev ? lut_dev_path(dev) : NULL);
		ret = o->ppl_file ? infer_perplexity(m, o, ids, n)
				  : infer_generate(m, o, ids, n, &speed);
	}
	if (!ret && !o->quiet && !o->ppl_file) {
		infer_format_speed(&speed, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	free(ids);
	lut_model_free(m);
	lut_dev_close(dev);
	return ret;
}

int main(int argc, char **argv)
{
	struct infer_opts o;
	int ret = infer_parse_args(argc, argv, &o);

	if (ret < 0)
		ret = run(&o);
	infer_opts_release(&o);
	if (fflush(stdout) || ferror(stdout)) {
		infer_error("writing output: %s", strerror(errno));
		return 1;
	}
	return ret;
}
