// SPDX-License-Identifier: MIT
/*
 * Host unit tests of lutcore-info's output: both formats against golden
 * text for a made-up device, unknown values, and JSON string escaping.
 * The golden JSON was checked with `python3 -m json.tool`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../tools/info/info_print.h"

static const struct lut_caps demo = {
	.driver_name = "lutcore",
	.driver_desc = "LUTCore lookup-table accelerator",
	.driver_major = 1,
	.pci_vendor_id = LUTCORE_PCI_VENDOR_ID,
	.pci_device_id = LUTCORE_PCI_DEVICE_ID,
	.pci_revision = LUTCORE_PCI_REVISION,
	.pci_slot = "0000:00:02.0",
	.hw_version = LUTCORE_VERSION_1_0,
	.num_cores = 2,
	.array_m = 2,
	.array_n = 64,
	.array_k = 4,
	.array_mult = 1,
	.clock_mhz = 1000,
	.weight_formats = LUTCORE_CAP_WEIGHTS_BITS(1) | LUTCORE_CAP_WEIGHTS_BITS(2) |
			  LUTCORE_CAP_WEIGHTS_BITS(3) | LUTCORE_CAP_WEIGHTS_BITS(4) |
			  LUTCORE_CAP_WEIGHTS_TERNARY,
	.act_types = LUTCORE_CAP_ACT_FP32 | LUTCORE_CAP_ACT_FP16 | LUTCORE_CAP_ACT_BF16 |
		     LUTCORE_CAP_ACT_INT8,
	.va_bits = 39,
	.page_size = 4096,
	.pt_levels = 3,
	.queue_depth = 16,
	.features = LUTCORE_FEATURE_MMU,
};

static const char demo_text[] =
	"LUTCore device /dev/lutcore\n"
	"  driver:           lutcore 1.0.0 (LUTCore lookup-table accelerator)\n"
	"  PCI:              1af4:10f0 rev 01 at 0000:00:02.0\n"
	"  hardware version: 1.0\n"
	"  cores:            2\n"
	"  LUT array:        M2N64K4, multiplier 1\n"
	"  clock:            1000 MHz (modeled)\n"
	"  weight formats:   1-bit 2-bit 3-bit 4-bit ternary\n"
	"  activation types: fp32 fp16 bf16 int8\n"
	"  address space:    39-bit VA, 4096-byte pages, 3-level page tables\n"
	"  queue depth:      16 jobs per core\n"
	"  features:         mmu\n";

static const char demo_json[] =
	"{\n"
	"  \"device\": \"/dev/lutcore\",\n"
	"  \"driver\": {\n"
	"    \"name\": \"lutcore\",\n"
	"    \"description\": \"LUTCore lookup-table accelerator\",\n"
	"    \"version\": \"1.0.0\"\n"
	"  },\n"
	"  \"pci\": {\n"
	"    \"vendor_id\": 6900,\n"
	"    \"device_id\": 4336,\n"
	"    \"revision\": 1,\n"
	"    \"slot\": \"0000:00:02.0\"\n"
	"  },\n"
	"  \"hw_version\": {\"major\": 1, \"minor\": 0},\n"
	"  \"cores\": 2,\n"
	"  \"array\": {\"m\": 2, \"n\": 64, \"k\": 4, \"multiplier\": 1},\n"
	"  \"clock_mhz\": 1000,\n"
	"  \"weight_formats\": {\"mask\": 286, \"names\": [\"1-bit\", \"2-bit\", \"3-bit\", "
	"\"4-bit\", \"ternary\"]},\n"
	"  \"activation_types\": {\"mask\": 15, \"names\": [\"fp32\", \"fp16\", \"bf16\", "
	"\"int8\"]},\n"
	"  \"va_bits\": 39,\n"
	"  \"page_size\": 4096,\n"
	"  \"pt_levels\": 3,\n"
	"  \"queue_depth\": 16,\n"
	"  \"features\": {\"mask\": 1, \"names\": [\"mmu\"]}\n"
	"}\n";

typedef void (*printer)(FILE *f, const char *node, const struct lut_caps *c);

/* Run a printer into memory; the caller frees the result. */
static char *render(printer print, const char *node, const struct lut_caps *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	print(f, node, c);
	fclose(f);
	return buf;
}

/* The line of text that contains label, from label on (a static copy). */
static const char *line_of(const char *text, const char *label)
{
	static char line[256];
	const char *p = strstr(text, label);
	size_t n = p ? strcspn(p, "\n") : 0;

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, p ? p : "", n);
	line[n] = '\0';
	return line;
}

TEST(text_golden)
{
	char *out = render(info_print_text, "/dev/lutcore", &demo);

	ASSERT_STREQ(demo_text, out);
	free(out);
}

TEST(json_golden)
{
	char *out = render(info_print_json, "/dev/lutcore", &demo);

	ASSERT_STREQ(demo_json, out);
	free(out);
}

/* A device newer than the library, and identity sysfs could not give. */
static struct lut_caps odd_caps(void)
{
	struct lut_caps c = demo;

	c.pci_vendor_id = 0;
	c.pci_slot[0] = '\0';
	c.driver_desc[0] = '\0';
	c.weight_formats = LUTCORE_CAP_WEIGHTS_BITS(2) | 1u << 31;
	c.act_types = 0;
	c.features = 1u << 7;
	return c;
}

TEST(text_unknown_values)
{
	struct lut_caps c = odd_caps();
	char *out = render(info_print_text, "/dev/accel/accel3", &c);

	ASSERT_STREQ("LUTCore device /dev/accel/accel3", line_of(out, "LUTCore device"));
	ASSERT_STREQ("driver:           lutcore 1.0.0", line_of(out, "driver:"));
	ASSERT_STREQ("PCI:              ????:10f0 rev 01", line_of(out, "PCI:"));
	ASSERT_STREQ("weight formats:   2-bit bit31", line_of(out, "weight formats:"));
	ASSERT_STREQ("activation types: none", line_of(out, "activation types:"));
	ASSERT_STREQ("features:         bit7", line_of(out, "features:"));
	free(out);
}

TEST(json_unknown_values)
{
	struct lut_caps c = odd_caps();
	char *out = render(info_print_json, "x", &c);

	ASSERT_NE(NULL, strstr(out, "\"description\": null,\n"));
	ASSERT_NE(NULL, strstr(out, "\"vendor_id\": null,\n"));
	ASSERT_NE(NULL, strstr(out, "\"slot\": null\n"));
	ASSERT_NE(NULL, strstr(out, "\"weight_formats\": {\"mask\": 2147483652, "
				    "\"names\": [\"2-bit\", \"bit31\"]},\n"));
	ASSERT_NE(NULL, strstr(out, "\"activation_types\": {\"mask\": 0, \"names\": []},\n"));
	ASSERT_NE(NULL, strstr(out, "\"features\": {\"mask\": 128, \"names\": [\"bit7\"]}\n}\n"));
	free(out);
}

TEST(json_escapes_strings)
{
	struct lut_caps c = demo;
	char *out;

	strcpy(c.driver_desc, "say \"hi\"\\\n\t\x01 ok");
	out = render(info_print_json, "/tmp/a\"b", &c);
	ASSERT_NE(NULL, strstr(out, "\"device\": \"/tmp/a\\\"b\",\n"));
	ASSERT_NE(
		NULL,
		strstr(out, "\"description\": \"say \\\"hi\\\"\\\\\\u000a\\u0009\\u0001 ok\",\n"));
	free(out);
}

TEST_HARNESS_MAIN
