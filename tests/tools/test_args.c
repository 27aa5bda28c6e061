// SPDX-License-Identifier: MIT
/*
 * tools/common/args.c: the number parsing and option names every tool's
 * command line uses.
 */
#include <errno.h>
#include "kselftest_harness.h"
#include "args.h"

TEST(u64_accepts_the_range_and_its_ends)
{
	uint64_t v = 0;

	EXPECT_EQ(0, args_u64("7", 10, 1, 9, &v, NULL));
	EXPECT_EQ(7u, v);
	EXPECT_EQ(0, args_u64("1", 10, 1, 9, &v, NULL));
	EXPECT_EQ(0, args_u64("9", 10, 1, 9, &v, NULL));
	EXPECT_EQ(0, args_u64("18446744073709551615", 10, 0, UINT64_MAX, &v, NULL));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_EQ(0, args_u64("0x20", 0, 0, 64, &v, NULL));
	EXPECT_EQ(32u, v);
}

TEST(u64_rejects_what_is_not_a_number)
{
	static const char *const bad[] = {"", " 5", "-1", "+1", "x", "5x", "1.5", "0x"};
	uint64_t v = 42;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, args_u64(bad[i], 10, 0, 100, &v, NULL)) TH_LOG("'%s'", bad[i]);
	}
	EXPECT_EQ(-EINVAL, args_u64(NULL, 10, 0, 100, &v, NULL));
	EXPECT_EQ(42u, v);
}

TEST(u64_out_of_range_leaves_the_value)
{
	uint64_t v = 42;

	EXPECT_EQ(-ERANGE, args_u64("0", 10, 1, 9, &v, NULL));
	EXPECT_EQ(-ERANGE, args_u64("10", 10, 1, 9, &v, NULL));
	EXPECT_EQ(-ERANGE, args_u64("18446744073709551616", 10, 0, UINT64_MAX, &v, NULL));
	EXPECT_EQ(42u, v);
}

TEST(u32_with_end_stops_at_the_first_non_digit)
{
	uint32_t n = 0, k = 0;
	char *end;

	ASSERT_EQ(0, args_u32("4096x11008", 10, 1, 1u << 20, &n, &end));
	ASSERT_EQ('x', *end);
	ASSERT_EQ(0, args_u32(end + 1, 10, 1, 1u << 20, &k, &end));
	EXPECT_EQ(4096u, n);
	EXPECT_EQ(11008u, k);
	EXPECT_EQ('\0', *end);
	EXPECT_EQ(-ERANGE, args_u32("4294967296", 10, 0, UINT32_MAX, &n, NULL));
}

TEST(long_name_of_an_option)
{
	static const struct option opts[] = {
		{"threads", required_argument, NULL, 't'},
		{"ctx", required_argument, NULL, 300},
		{NULL, 0, NULL, 0},
	};

	EXPECT_STREQ("threads", args_long_name(opts, 't'));
	EXPECT_STREQ("ctx", args_long_name(opts, 300));
	EXPECT_STREQ("?", args_long_name(opts, 301));
}

TEST_HARNESS_MAIN
