/* SPDX-License-Identifier: MIT */
/*
 * lutcore-bench --model: a GGUF model's prompt and decode speed on one
 * backend of the model runtime.
 */
#ifndef LUTCORE_BENCH_MODEL_H
#define LUTCORE_BENCH_MODEL_H

/*
 * Run the mode with the arguments after "--model" (argv[0] is "--model",
 * argv[1] the file); prints the row, or the reason it could not, and
 * returns the process exit status (0, 1 for an error, 2 for a bad option).
 */
int bench_model_main(int argc, char **argv);

#endif /* LUTCORE_BENCH_MODEL_H */
