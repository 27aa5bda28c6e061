/* SPDX-License-Identifier: MIT */
/*
 * lutcore-bench --submit: job submission overhead on the device.
 */
#ifndef LUTCORE_BENCH_SUBMIT_H
#define LUTCORE_BENCH_SUBMIT_H

/*
 * Run the mode with the arguments after "--submit" (argv[0] is
 * "--submit"); prints the table, or the reason it could not, and returns
 * the process exit status (0, 1 for an error, 2 for a bad option).
 */
int bench_submit_main(int argc, char **argv);

#endif /* LUTCORE_BENCH_SUBMIT_H */
