// SPDX-License-Identifier: MIT
/*
 * Text and JSON renderings of struct lut_caps for lutcore-info.
 *
 * Both formats print the same facts in the same order; the JSON keeps raw
 * numbers (masks included) so that scripts need not parse names.
 */
#include "info_print.h"

/* Names of the bits set in mask, space-separated, "none" when empty. */
static void print_names(FILE *f, enum lut_cap_set set, uint32_t mask)
{
	char buf[256];

	lut_cap_names(set, mask, " ", buf, sizeof(buf));
	fprintf(f, "%s\n", buf);
}

/* Labels are padded so that the values form one column. */
static void label(FILE *f, const char *name)
{
	fprintf(f, "  %-18s", name);
}

static void text_identity(FILE *f, const char *node, const struct lut_caps *c)
{
	fprintf(f, "LUTCore device %s\n", node);
	label(f, "driver:");
	fprintf(f, "%s %d.%d.%d", c->driver_name, c->driver_major, c->driver_minor,
		c->driver_patch);
	if (c->driver_desc[0])
		fprintf(f, " (%s)", c->driver_desc);
	fputc('\n', f);
	label(f, "PCI:");
	if (c->pci_vendor_id)
		fprintf(f, "%04x:", c->pci_vendor_id);
	else
		fputs("????:", f);
	fprintf(f, "%04x rev %02x", c->pci_device_id, c->pci_revision);
	if (c->pci_slot[0])
		fprintf(f, " at %s", c->pci_slot);
	fputc('\n', f);
	label(f, "hardware version:");
	fprintf(f, "%u.%u\n", LUTCORE_VERSION_MAJOR(c->hw_version),
		LUTCORE_VERSION_MINOR(c->hw_version));
}

void info_print_text(FILE *f, const char *node, const struct lut_caps *c)
{
	text_identity(f, node, c);
	label(f, "cores:");
	fprintf(f, "%u\n", c->num_cores);
	label(f, "LUT array:");
	fprintf(f, "M%uN%uK%u, multiplier %u\n", c->array_m, c->array_n, c->array_k, c->array_mult);
	label(f, "clock:");
	fprintf(f, "%u MHz (modeled)\n", c->clock_mhz);
	label(f, "weight formats:");
	print_names(f, LUT_CAP_WEIGHTS, c->weight_formats);
	label(f, "activation types:");
	print_names(f, LUT_CAP_ACTS, c->act_types);
	label(f, "address space:");
	fprintf(f, "%u-bit VA, %llu-byte pages, %u-level page tables\n", c->va_bits,
		(unsigned long long)c->page_size, c->pt_levels);
	label(f, "queue depth:");
	fprintf(f, "%u jobs per core\n", c->queue_depth);
	label(f, "features:");
	print_names(f, LUT_CAP_FEATURES, c->features);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_key_str(FILE *f, const char *indent, const char *key, const char *val,
			 const char *end)
{
	fprintf(f, "%s\"%s\": ", indent, key);
	if (val && val[0])
		json_str(f, val);
	else
		fputs("null", f);
	fputs(end, f);
}

/* {"mask": N, "names": [...]}, unknown bits named "bitN" as in the text. */
static void json_bits(FILE *f, const char *key, enum lut_cap_set set, uint32_t mask,
		      const char *end)
{
	const char *sep = "";
	unsigned int bit;

	fprintf(f, "  \"%s\": {\"mask\": %u, \"names\": [", key, mask);
	for (bit = 0; bit < 32; bit++) {
		const char *name = lut_cap_name(set, bit);

		if (!(mask & (1u << bit)))
			continue;
		fputs(sep, f);
		if (name)
			json_str(f, name);
		else
			fprintf(f, "\"bit%u\"", bit);
		sep = ", ";
	}
	fprintf(f, "]}%s", end);
}

static void json_identity(FILE *f, const char *node, const struct lut_caps *c)
{
	json_key_str(f, "  ", "device", node, ",\n");
	fputs("  \"driver\": {\n", f);
	json_key_str(f, "    ", "name", c->driver_name, ",\n");
	json_key_str(f, "    ", "description", c->driver_desc, ",\n");
	fprintf(f, "    \"version\": \"%d.%d.%d\"\n  },\n", c->driver_major, c->driver_minor,
		c->driver_patch);
	fputs("  \"pci\": {\n", f);
	if (c->pci_vendor_id)
		fprintf(f, "    \"vendor_id\": %u,\n", c->pci_vendor_id);
	else
		fputs("    \"vendor_id\": null,\n", f);
	fprintf(f, "    \"device_id\": %u,\n    \"revision\": %u,\n", c->pci_device_id,
		c->pci_revision);
	json_key_str(f, "    ", "slot", c->pci_slot, "\n  },\n");
	fprintf(f, "  \"hw_version\": {\"major\": %u, \"minor\": %u},\n",
		LUTCORE_VERSION_MAJOR(c->hw_version), LUTCORE_VERSION_MINOR(c->hw_version));
}

void info_print_json(FILE *f, const char *node, const struct lut_caps *c)
{
	fputs("{\n", f);
	json_identity(f, node, c);
	fprintf(f, "  \"cores\": %u,\n", c->num_cores);
	fprintf(f, "  \"array\": {\"m\": %u, \"n\": %u, \"k\": %u, \"multiplier\": %u},\n",
		c->array_m, c->array_n, c->array_k, c->array_mult);
	fprintf(f, "  \"clock_mhz\": %u,\n", c->clock_mhz);
	json_bits(f, "weight_formats", LUT_CAP_WEIGHTS, c->weight_formats, ",\n");
	json_bits(f, "activation_types", LUT_CAP_ACTS, c->act_types, ",\n");
	fprintf(f, "  \"va_bits\": %u,\n", c->va_bits);
	fprintf(f, "  \"page_size\": %llu,\n", (unsigned long long)c->page_size);
	fprintf(f, "  \"pt_levels\": %u,\n", c->pt_levels);
	fprintf(f, "  \"queue_depth\": %u,\n", c->queue_depth);
	json_bits(f, "features", LUT_CAP_FEATURES, c->features, "\n}\n");
}
