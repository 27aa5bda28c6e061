// SPDX-License-Identifier: MIT
/*
 * Capability query and the names of capability bits.
 *
 * Tables rather than code: a parameter added to the uapi needs one line in
 * param_fields[], a capability bit one line in its name table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "device_priv.h"

#define FIELD(p, f)                                                  \
	{                                                            \
		DRM_LUTCORE_PARAM_##p, offsetof(struct lut_caps, f), \
			sizeof(((struct lut_caps *)0)->f)            \
	}

/* Where each GET_PARAM value lands in struct lut_caps. */
static const struct param_field {
	uint32_t param;
	size_t offset;
	size_t size; /* 4 or 8 */
} param_fields[] = {
	FIELD(PCI_DEVICE_ID, pci_device_id),
	FIELD(PCI_REVISION, pci_revision),
	FIELD(HW_VERSION, hw_version),
	FIELD(NUM_CORES, num_cores),
	FIELD(ARRAY_M, array_m),
	FIELD(ARRAY_N, array_n),
	FIELD(ARRAY_K, array_k),
	FIELD(ARRAY_MULT, array_mult),
	FIELD(CLOCK_MHZ, clock_mhz),
	FIELD(WEIGHT_FORMATS, weight_formats),
	FIELD(ACT_TYPES, act_types),
	FIELD(VA_BITS, va_bits),
	FIELD(PAGE_SIZE, page_size),
	FIELD(PT_LEVELS, pt_levels),
	FIELD(QUEUE_DEPTH, queue_depth),
	FIELD(FEATURES, features),
	FIELD(VA_START, va_start),
	FIELD(VA_SIZE, va_size),
	FIELD(JOB_TIMEOUT_MS, job_timeout_ms),
	FIELD(MAX_BO_SIZE, max_bo_size),
	FIELD(MAX_SUBMIT_BOS, max_submit_bos),
	FIELD(MAX_SUBMIT_SYNCS, max_submit_syncs),
	FIELD(JOB_HISTORY, job_history),
	FIELD(MAX_JOBS_PER_CORE, max_jobs_per_core),
	/*
	 * Not capabilities, so not here: RESET_COUNT, FILE_RESET_COUNT and
	 * FILE_BANNED change at run time; read them with lut_dev_param().
	 */
};

static int store_field(struct lut_caps *caps, const struct param_field *f, uint64_t v)
{
	char *dst = (char *)caps + f->offset;
	uint32_t v32 = (uint32_t)v;

	if (f->size == sizeof(v)) {
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	if (v > UINT32_MAX)
		return -EOVERFLOW;
	memcpy(dst, &v32, sizeof(v32));
	return 0;
}

/* The PCI address is the name of the node's sysfs "device" link target. */
static void read_pci_slot(dev_t rdev, char *buf, size_t size)
{
	char path[128], target[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	if (lut_dev_sysfs_path(rdev, NULL, path, sizeof(path)))
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	lut_strlcpy(buf, base ? base + 1 : target, size);
}

static void fill_identity(const struct lut_dev *dev, struct lut_caps *caps)
{
	lut_strlcpy(caps->driver_name, dev->drv_name, sizeof(caps->driver_name));
	lut_strlcpy(caps->driver_desc, dev->drv_desc, sizeof(caps->driver_desc));
	caps->driver_major = dev->drv_major;
	caps->driver_minor = dev->drv_minor;
	caps->driver_patch = dev->drv_patch;
	if (lut_dev_sysfs_u32(dev->rdev, "vendor", &caps->pci_vendor_id))
		caps->pci_vendor_id = 0;
	read_pci_slot(dev->rdev, caps->pci_slot, sizeof(caps->pci_slot));
}

int lut_dev_query_caps(struct lut_dev *dev, struct lut_caps *caps)
{
	struct lut_caps c = {0};
	uint64_t v;
	size_t i;

	if (!dev || !caps)
		return -EINVAL;
	for (i = 0; i < sizeof(param_fields) / sizeof(param_fields[0]); i++) {
		int ret = lut_dev_param(dev, param_fields[i].param, &v);

		if (!ret)
			ret = store_field(&c, &param_fields[i], v);
		if (ret)
			return ret;
	}
	fill_identity(dev, &c);
	*caps = c;
	return 0;
}

struct bit_name {
	uint32_t mask;
	const char *name;
};

static const struct bit_name weight_names[] = {
	{.mask = LUTCORE_CAP_WEIGHTS_BITS(1), .name = "1-bit"},
	{.mask = LUTCORE_CAP_WEIGHTS_BITS(2), .name = "2-bit"},
	{.mask = LUTCORE_CAP_WEIGHTS_BITS(3), .name = "3-bit"},
	{.mask = LUTCORE_CAP_WEIGHTS_BITS(4), .name = "4-bit"},
	{.mask = LUTCORE_CAP_WEIGHTS_TERNARY, .name = "ternary"},
	{.name = NULL},
};

static const struct bit_name act_names[] = {
	{.mask = LUTCORE_CAP_ACT_FP32, .name = "fp32"},
	{.mask = LUTCORE_CAP_ACT_FP16, .name = "fp16"},
	{.mask = LUTCORE_CAP_ACT_BF16, .name = "bf16"},
	{.mask = LUTCORE_CAP_ACT_INT8, .name = "int8"},
	{.name = NULL},
};

static const struct bit_name feature_names[] = {
	{.mask = LUTCORE_FEATURE_MMU, .name = "mmu"},
	{.mask = LUTCORE_FEATURE_DEBUG_HANG, .name = "debug-hang"},
	{.name = NULL},
};

static const struct bit_name *cap_table(enum lut_cap_set set)
{
	switch (set) {
	case LUT_CAP_WEIGHTS:
		return weight_names;
	case LUT_CAP_ACTS:
		return act_names;
	case LUT_CAP_FEATURES:
		return feature_names;
	}
	return NULL;
}

const char *lut_cap_name(enum lut_cap_set set, unsigned int bit)
{
	const struct bit_name *t = cap_table(set);

	if (!t || bit >= 32)
		return NULL;
	for (; t->name; t++)
		if (t->mask == 1u << bit)
			return t->name;
	return NULL;
}

/* Append s at *len, truncating at size like snprintf; *len counts it all. */
static void put(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + 1 < size)
		memcpy(buf + *len, s, n < size - *len - 1 ? n : size - *len - 1);
	*len += n;
}

int lut_cap_names(enum lut_cap_set set, uint32_t mask, const char *sep, char *buf, size_t size)
{
	char unknown[16];
	const char *name;
	size_t len = 0;
	unsigned int bit;

	if (!sep || !cap_table(set) || (!buf && size))
		return -EINVAL;
	if (!mask)
		put(buf, size, &len, "none");
	for (bit = 0; bit < 32; bit++) {
		if (!(mask & (1u << bit)))
			continue;
		name = lut_cap_name(set, bit);
		if (!name) {
			snprintf(unknown, sizeof(unknown), "bit%u", bit);
			name = unknown;
		}
		if (len)
			put(buf, size, &len, sep);
		put(buf, size, &len, name);
	}
	if (size)
		buf[len < size ? len : size - 1] = '\0';
	return len > INT_MAX ? INT_MAX : (int)len;
}
