// SPDX-License-Identifier: MIT
/* Command-line helpers shared by the LUTCore tools (see args.h). */
#include <errno.h>
#include <stdlib.h>
#include "args.h"

int args_u64(const char *s, int base, uint64_t lo, uint64_t hi, uint64_t *out, char **end)
{
	char *stop;
	unsigned long long v;

	/* strtoull() would accept spaces and a minus sign. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &stop, base);
	if (end)
		*end = stop;
	else if (*stop)
		return -EINVAL;
	if (errno || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int args_u32(const char *s, int base, uint32_t lo, uint32_t hi, uint32_t *out, char **end)
{
	uint64_t v;
	int ret = args_u64(s, base, lo, hi, &v, end);

	if (!ret)
		*out = (uint32_t)v;
	return ret;
}

const char *args_long_name(const struct option *opts, int val)
{
	const struct option *o;

	for (o = opts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}
