// SPDX-License-Identifier: MIT
/*
 * lutcore-train: train LUTCore's small default models (see --help and
 * models/README.md).
 */
#include "cli.h"

int main(int argc, char **argv)
{
	struct lt_cli c;
	int ret = lt_cli_parse(argc, argv, &c);

	if (ret >= 0)
		return ret;
	switch (c.mode) {
	case LT_MODE_VOCAB:
		return lt_run_vocab(&c);
	case LT_MODE_SAMPLE:
		return lt_run_sample(&c);
	case LT_MODE_EVAL:
		return lt_run_eval(&c);
	case LT_MODE_TRAIN:
		break;
	}
	return lt_run_train(&c);
}
