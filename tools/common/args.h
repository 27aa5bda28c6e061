/* SPDX-License-Identifier: MIT */
/*
 * Command-line helpers shared by the LUTCore tools: number parsing with
 * range checks and option names for messages. They never print: each tool
 * words its own one-line errors.
 */
#ifndef LUTCORE_TOOLS_ARGS_H
#define LUTCORE_TOOLS_ARGS_H

#include <getopt.h>
#include <stdint.h>

/*
 * An unsigned integer in [lo, hi], the whole of s, in base (10, or 0 for
 * C prefixes such as 0x). Returns 0, -EINVAL if s is not such a number
 * (a sign, empty, trailing characters) or -ERANGE if it is outside
 * [lo, hi]. With end non-NULL, parsing may stop early: *end points past
 * the number.
 */
int args_u64(const char *s, int base, uint64_t lo, uint64_t hi, uint64_t *out, char **end);

/* The same for a 32-bit value. */
int args_u32(const char *s, int base, uint32_t lo, uint32_t hi, uint32_t *out, char **end);

/* The long name (without "--") of the option whose val is val, or "?". */
const char *args_long_name(const struct option *opts, int val);

#endif /* LUTCORE_TOOLS_ARGS_H */
