// SPDX-License-Identifier: MIT
/*
 * lutcore-info: print a LUTCore device's identity and capabilities as read
 * through its driver. See lutcore-info.1.
 *
 * Exit status: 0 on success, 1 for a usage error or a failed query, 2 when
 * no usable LUTCore device could be opened, so that scripts can tell "no
 * device here" from "the device misbehaves".
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutcore/lutcore.h"
#include "info_print.h"

#define PROG "lutcore-info"

enum { EXIT_USAGE = 1, EXIT_QUERY = 1, EXIT_NO_DEVICE = 2 };

struct opts {
	const char *device;
	bool json;
};

static const char usage[] =
	"Usage: " PROG " [--json] [--device PATH]\n"
	"Print the identity and capabilities of a LUTCore device, as read through its driver.\n"
	"\n"
	"  -d, --device PATH  open PATH; default: $" LUT_DEV_ENV " if set, else " LUT_DEV_DEFAULT
	",\n"
	"                     else the first " LUT_DEV_ACCEL_DIR "/accelN driven by lutcore\n"
	"  -j, --json         print one JSON object instead of text\n"
	"  -h, --help         print this help and exit\n"
	"  -V, --version      print the version and exit\n"
	"\n"
	"Exit status: 0 success, 1 usage error or failed query, 2 no usable LUTCore device.\n";

static const struct option long_opts[] = {
	{"device", required_argument, NULL, 'd'},
	{"json", no_argument, NULL, 'j'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* getopt's own messages are off: each mistake gets exactly one line. */
static void bad_usage(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		fprintf(stderr, PROG ": option '%s' needs an argument (try --help)\n", arg);
	else if (optopt && !strncmp(arg, "--", 2)) /* a known long option with "=..." */
		fprintf(stderr, PROG ": option '%.*s' takes no argument (try --help)\n",
			(int)strcspn(arg, "="), arg);
	else if (optopt)
		fprintf(stderr, PROG ": unknown option '-%c' (try --help)\n", optopt);
	else
		fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", arg);
}

/* Returns -1 to continue, else the exit status (help, version, errors). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:jhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!*optarg) {
				fputs(PROG ": option '--device' needs a path (try --help)\n",
				      stderr);
				return EXIT_USAGE;
			}
			o->device = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf(PROG " (LUTCore) %s\n", LUT_VERSION);
			return EXIT_SUCCESS;
		default:
			bad_usage(argv, c);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (try --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/*
 * lut_dev_open()'s -ENODEV means "that node is not ours"; strerror()'s "No
 * such device" would send the user looking for a missing file.
 */
static const char *open_error_text(int err)
{
	return err == -ENODEV ? "Not a LUTCore device" : strerror(-err);
}

/* Name what was tried, so that the message says where to look. */
static void open_failed(const char *device, int err)
{
	const char *env = getenv(LUT_DEV_ENV);

	if (device)
		fprintf(stderr, PROG ": %s: %s\n", device, open_error_text(err));
	else if (env && *env)
		fprintf(stderr, PROG ": %s (from " LUT_DEV_ENV "): %s\n", env,
			open_error_text(err));
	else if (err == -ENOENT)
		fputs(PROG ": no LUTCore device found (looked at " LUT_DEV_DEFAULT
			   " and " LUT_DEV_ACCEL_DIR "/accel*): is lutcore.ko loaded?\n",
		      stderr);
	else
		fprintf(stderr, PROG ": cannot open a LUTCore device: %s\n", open_error_text(err));
}

/* Output that did not reach its file is a failure (e.g. a full disk). */
static int flush_stdout(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return EXIT_QUERY;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct lut_caps caps;
	struct lut_dev *dev;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return flush_stdout(ret);
	ret = lut_dev_open(o.device, &dev);
	if (ret) {
		open_failed(o.device, ret);
		return EXIT_NO_DEVICE;
	}
	ret = lut_dev_query_caps(dev, &caps);
	if (ret) {
		fprintf(stderr, PROG ": %s: reading capabilities: %s\n", lut_dev_path(dev),
			strerror(-ret));
		lut_dev_close(dev);
		return EXIT_QUERY;
	}
	if (o.json)
		info_print_json(stdout, lut_dev_path(dev), &caps);
	else
		info_print_text(stdout, lut_dev_path(dev), &caps);
	lut_dev_close(dev);
	return flush_stdout(EXIT_SUCCESS);
}
