// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers of the in-VM job suites (see jobs_util.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs_util.h"

int64_t jt_now(void)
{
	return lut_deadline(0);
}

int jt_open(struct lut_dev **dev)
{
	return lut_dev_open(NULL, dev);
}

int jt_buf_new(struct lut_dev *dev, uint64_t size, uint32_t flags, struct jt_buf *b)
{
	void *p = NULL;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = lut_bo_new(dev, size, flags, &b->bo);
	if (ret)
		return ret;
	if (!(flags & DRM_LUTCORE_BO_NO_MMAP)) {
		ret = lut_bo_map(b->bo, &p);
		if (ret) {
			lut_bo_free(b->bo);
			b->bo = NULL;
			return ret;
		}
	}
	b->p = p;
	b->va = lut_bo_va(b->bo);
	b->size = lut_bo_size(b->bo);
	return 0;
}

void jt_buf_free(struct jt_buf *b)
{
	lut_bo_free(b->bo);
	memset(b, 0, sizeof(*b));
}

int jt_stream(struct jt_buf *b, struct lut_stream **s)
{
	return lut_stream_new(s, b->p, b->size, b->va);
}

uint64_t jt_param(struct lut_dev *dev, uint32_t param)
{
	uint64_t v;

	return lut_dev_param(dev, param, &v) ? UINT64_MAX : v;
}

int jt_copy_job(struct lut_dev *dev, struct jt_buf *sb, uint64_t dst, uint64_t src, uint64_t len,
		uint64_t sig, uint64_t value, struct lut_bo *const *bos, uint32_t nbos,
		struct lut_job *job)
{
	struct lut_stream *s;
	int ret = jt_stream(sb, &s);

	if (ret)
		return ret;
	lut_stream_memcpy(s, dst, src, len);
	if (sig)
		lut_stream_signal(s, sig, value, 0);
	ret = lut_stream_error(s);
	if (!ret)
		ret = lut_submit_stream(dev, s, bos, nbos, job);
	lut_stream_free(s);
	return ret;
}

void jt_pattern(void *p, uint64_t len, uint64_t seed)
{
	uint8_t *b = p;
	uint64_t i, x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
}

int jt_pattern_check(const void *p, uint64_t len, uint64_t seed)
{
	uint8_t *want = malloc(len);
	int ret;

	if (!want)
		return -ENOMEM;
	jt_pattern(want, len, seed);
	ret = memcmp(p, want, len) ? 1 : 0;
	free(want);
	return ret;
}

/* ---- The slow job --------------------------------------------------------- */

enum { SLOW_M = 64, SLOW_N = 4096, SLOW_K = 4096, SLOW_STREAM = 64 << 10 };

static uint64_t slow_table_bytes(void)
{
	return lutc_table_bytes(SLOW_M, SLOW_K, LUTC_DT_I8);
}

static uint64_t slow_weight_bytes(void)
{
	return lutc_weight_bytes(SLOW_N, SLOW_K, LUTC_WF_INT4);
}

int jt_slow_build(struct jt_slow *sj, uint64_t dst, uint64_t src, uint64_t len)
{
	uint64_t table = sj->ops.va + SLOW_STREAM, weights = table + slow_table_bytes();
	uint64_t acc = weights + slow_weight_bytes(), tscale = acc + 4ull * SLOW_M * SLOW_N;
	const struct lutc_lmma l = {
		.table_dtype = LUTC_DT_I8,
		.wfmt = LUTC_WF_INT4,
		.acc_dtype = LUTC_DT_F32,
		.flags = LUTC_MM_TSCALE,
		.m = SLOW_M,
		.n = SLOW_N,
		.k = SLOW_K,
		.table = table,
		.weights = weights,
		.acc = acc,
		.tscale = tscale,
	};
	struct lut_stream *s;
	uint32_t i;
	int ret = lut_stream_new(&s, sj->ops.p, SLOW_STREAM, sj->ops.va);

	if (ret)
		return ret;
	for (i = 0; i < sj->reps; i++)
		lut_stream_lmma(s, &l);
	lut_stream_memcpy(s, dst, src, len);
	ret = lut_stream_error(s);
	sj->stream_size = lut_stream_size(s);
	lut_stream_free(s);
	return ret;
}

/* One run of the slow stream with a copy inside its own buffer. */
static int64_t slow_time(struct lut_dev *dev, struct jt_slow *sj)
{
	struct lut_job job;
	struct lut_submit_args a = {.cmd_addr = sj->ops.va};
	int64_t t0;

	if (jt_slow_build(sj, sj->ops.va + SLOW_STREAM - 64, sj->ops.va + SLOW_STREAM - 128, 64))
		return -1;
	a.cmd_size = sj->stream_size;
	t0 = jt_now();
	if (lut_submit(dev, &a, &job) || lut_job_wait(dev, &job, lut_deadline(30 * JT_SEC), NULL))
		return -1;
	return jt_now() - t0;
}

int jt_slow_new(struct lut_dev *dev, int64_t target_ns, struct jt_slow *sj)
{
	uint64_t size = SLOW_STREAM + slow_table_bytes() + slow_weight_bytes() +
			4ull * SLOW_M * SLOW_N + 4ull * SLOW_M;
	int64_t limit = (int64_t)jt_param(dev, DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS) * 1000000 / 3;
	int ret = jt_buf_new(dev, size, 0, &sj->ops);

	if (ret)
		return ret;
	sj->reps = 1;
	slow_time(dev, sj); /* the first run touches every page */
	sj->one_rep_ns = slow_time(dev, sj);
	if (sj->one_rep_ns <= 0) {
		jt_slow_free(sj);
		return -EIO;
	}
	if (target_ns > limit)
		target_ns = limit;
	sj->reps = (uint32_t)(target_ns / sj->one_rep_ns);
	if (sj->reps < 1)
		sj->reps = 1;
	if (sj->reps > SLOW_STREAM / LUTC_INSN_SIZE - 1)
		sj->reps = SLOW_STREAM / LUTC_INSN_SIZE - 1;
	return 0;
}

void jt_slow_free(struct jt_slow *sj)
{
	jt_buf_free(&sj->ops);
}

/* ---- sysfs / debugfs ------------------------------------------------------ */

int jt_pci_addr(struct lut_dev *dev, char *buf, size_t len)
{
	struct lut_caps caps;
	int ret = lut_dev_query_caps(dev, &caps);

	if (ret)
		return ret;
	if (!caps.pci_slot[0])
		return -ENOENT;
	snprintf(buf, len, "%s", caps.pci_slot);
	return 0;
}

int jt_write(const char *path, const char *s)
{
	ssize_t n, len = (ssize_t)strlen(s);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	n = n < 0 ? -errno : n;
	close(fd);
	if (n < 0)
		return (int)n;
	return n == len ? 0 : -EIO;
}

unsigned long jt_taint(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "re");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

/*
 * After a rebind the device may have a new accel minor (the old one lives
 * until its last file is closed), so search rather than trust the link.
 */
int jt_reopen(struct lut_dev **dev, int ms)
{
	const struct timespec tick = {.tv_nsec = 20 * 1000 * 1000};
	int ret, waited;

	for (waited = 0;; waited += 20) {
		ret = lut_dev_open(NULL, dev);
		if (!ret || waited >= ms)
			return ret;
		nanosleep(&tick, NULL);
	}
}

/* Whether /sys/class/accel/name is bound to lutcore. */
static int is_lutcore_node(const char *name)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *drv;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/accel/%s/device/driver", name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	drv = strrchr(target, '/');
	return !strcmp(drv ? drv + 1 : target, "lutcore");
}

int jt_fix_link(void)
{
	char target[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir("/sys/class/accel");
	int ret = -ENOENT;

	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && ret) {
		if (strncmp(d->d_name, "accel", 5) || !is_lutcore_node(d->d_name))
			continue;
		snprintf(target, sizeof(target), "/dev/accel/%s", d->d_name);
		unlink(LUT_DEV_DEFAULT);
		ret = symlink(target, LUT_DEV_DEFAULT) ? -errno : 0;
	}
	closedir(dir);
	return ret;
}
