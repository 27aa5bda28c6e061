/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the in-VM job suites (lutcore-jobs, -fences, -isolation,
 * -hang, -stress, -hotplug): buffers with their CPU mapping, small jobs
 * whose results are easy to check, a job slow enough to observe ordering,
 * and the device's sysfs and debugfs files. They use liblutcore, so the
 * suites test the library and the driver together; the ioctl suites
 * (lutcore-ioctl-*) test the raw ABI.
 *
 * Include after kselftest_harness.h.
 */
#ifndef LUTCORE_JOBS_UTIL_H
#define LUTCORE_JOBS_UTIL_H

#include <stdint.h>

#include "lutcore/bo.h"
#include "lutcore/lutcore.h"
#include "lutcore/stream.h"
#include "lutcore/submit.h"

#define JT_SEC 1000000000ll

/* A buffer object and its CPU mapping (NULL for NO_MMAP). */
struct jt_buf {
	struct lut_bo *bo;
	uint8_t *p;
	uint64_t va;
	uint64_t size;
};

/* Open the device the library finds; 0 or -errno. */
int jt_open(struct lut_dev **dev);
/* Create (and map unless NO_MMAP) a buffer; 0 or -errno. */
int jt_buf_new(struct lut_dev *dev, uint64_t size, uint32_t flags, struct jt_buf *b);
void jt_buf_free(struct jt_buf *b);
/* A stream builder over a whole mapped buffer. */
int jt_stream(struct jt_buf *b, struct lut_stream **s);
/* A parameter, or UINT64_MAX when it cannot be read. */
uint64_t jt_param(struct lut_dev *dev, uint32_t param);
int64_t jt_now(void);

/*
 * A copy job: the stream in buffer sb copies len bytes from src to dst
 * (device VAs) and stores value at sig (unless sig is 0). Submitted with
 * the given buffers; 0 or -errno.
 */
int jt_copy_job(struct lut_dev *dev, struct jt_buf *sb, uint64_t dst, uint64_t src, uint64_t len,
		uint64_t sig, uint64_t value, struct lut_bo *const *bos, uint32_t nbos,
		struct lut_job *job);

/* Fill len bytes with a pattern made from seed; check it (0 = same). */
void jt_pattern(void *p, uint64_t len, uint64_t seed);
int jt_pattern_check(const void *p, uint64_t len, uint64_t seed);

/*
 * A job that keeps a core busy for a while: reps LMMAs over one set of
 * operands (64 x 4096 x 4096, INT4 weights) in its own buffers, then a
 * copy of len bytes from src to dst, so whatever it writes last appears
 * only at its very end.
 */
struct jt_slow {
	struct jt_buf ops; /* operands and stream */
	uint32_t reps;
	uint32_t stream_size; /* of the last jt_slow_build(), at ops.va */
	int64_t one_rep_ns;   /* measured by jt_slow_new() */
};

/*
 * Make the operands and measure one repetition on the device; then pick
 * reps so that a job takes about target_ns, but at most a third of the
 * driver's hang timeout. 0 or -errno.
 */
int jt_slow_new(struct lut_dev *dev, int64_t target_ns, struct jt_slow *sj);
void jt_slow_free(struct jt_slow *sj);
/* Build the slow stream ending in a copy src -> dst of len bytes. */
int jt_slow_build(struct jt_slow *sj, uint64_t dst, uint64_t src, uint64_t len);

/* ---- sysfs / debugfs / kernel state -------------------------------------- */

/* The PCI address ("0000:00:01.0") of the device behind dev. */
int jt_pci_addr(struct lut_dev *dev, char *buf, size_t len);
/* Write a string to a sysfs or debugfs file; 0 or -errno. */
int jt_write(const char *path, const char *s);
/* /proc/sys/kernel/tainted. */
unsigned long jt_taint(void);
/* Taint bits that mean a kernel problem: M B D W L (kselftest practice). */
#define JT_BAD_TAINT ((1ul << 4) | (1ul << 5) | (1ul << 7) | (1ul << 9) | (1ul << 14))
/* Open the device again after a rebind or rescan, waiting up to ms. */
int jt_reopen(struct lut_dev **dev, int ms);
/*
 * Point /dev/lutcore at the accel node bound to lutcore, as init and the
 * udev rule do, after a rebind gave the device another minor.
 */
int jt_fix_link(void);

#endif /* LUTCORE_JOBS_UTIL_H */
