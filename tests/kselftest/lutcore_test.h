/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the in-VM kselftest suites of the lutcore driver.
 *
 * The suites talk to the driver with raw ioctl() on the uapi header, so
 * they test the kernel ABI itself and need nothing but libc. They run as
 * root in the VM, where init links /dev/lutcore to the device's accel node
 * (as kernel/udev/70-lutcore.rules does on a real host). LUTCORE_DEV in the
 * environment names another node.
 */
#ifndef LUTCORE_TEST_H
#define LUTCORE_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lutcore_accel.h"
#include "lutcore_regs.h"
#include "lutcore/lutcore.h"

/* Parameters are filled with this first, to see whether the kernel wrote. */
#define LUTCORE_POISON 0xdeadbeefcafef00dull

/* The device node: $LUTCORE_DEV if set, as liblutcore reads it. */
static inline const char *lt_dev_path(void)
{
	const char *path = getenv(LUT_DEV_ENV);

	return path && *path ? path : LUT_DEV_DEFAULT;
}

static inline int lt_open(void)
{
	return open(lt_dev_path(), O_RDWR | O_CLOEXEC);
}

/* GET_PARAM as the uapi defines it; returns 0 or -errno, fills *gp. */
static inline int lt_get_param_raw(int fd, struct drm_lutcore_get_param *gp)
{
	return ioctl(fd, DRM_IOCTL_LUTCORE_GET_PARAM, gp) ? -errno : 0;
}

static inline int lt_get_param(int fd, __u32 param, __u64 *value)
{
	struct drm_lutcore_get_param gp = {.param = param};
	int ret = lt_get_param_raw(fd, &gp);

	if (!ret)
		*value = gp.value;
	return ret;
}

/* The driver name DRM_IOCTL_VERSION reports, into buf; 0 or -errno. */
static inline int lt_driver_name(int fd, char *buf, size_t len)
{
	struct drm_version v;

	memset(&v, 0, sizeof(v));
	memset(buf, 0, len);
	v.name = buf;
	v.name_len = len - 1;
	return ioctl(fd, DRM_IOCTL_VERSION, &v) ? -errno : 0;
}

/*
 * The sysfs directory of the character device behind fd
 * (/sys/dev/char/MAJ:MIN); its "device" link is the PCI function.
 */
static inline int lt_sysfs_dir(int fd, char *buf, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	snprintf(buf, len, "/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

/* The last path component of a symlink's target, into buf; 0 or -errno. */
static inline int lt_link_name(const char *link, char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *slash;
	ssize_t n;

	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (strlen(slash) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, slash);
	return 0;
}

/* Reads a whole small sysfs file into buf, without the newline. */
static inline int lt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline int lt_write_file(const char *path, const char *s)
{
	ssize_t n, len = strlen(s);
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	close(fd);
	if (n < 0)
		return -errno;
	return n == len ? 0 : -EIO;
}

/*
 * The kernel log from now on: /dev/kmsg opened at its end. Returns the fd
 * or -errno.
 */
static inline int lt_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Reads the kernel log records written since lt_kmsg_open() (or the last
 * call) and copies the first that contains one of the NULL-terminated
 * needles into buf. Returns 1 if one did, 0 if none, or -errno.
 */
static inline int lt_kmsg_find_any(int fd, const char *const *needles, char *buf, size_t len)
{
	char rec[2048];
	int found = 0;

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		const char *const *needle;

		/* EPIPE: records were overwritten; EINVAL: one too long for rec. */
		if (n < 0 && (errno == EPIPE || errno == EINVAL))
			continue;
		if (n < 0)
			return errno == EAGAIN ? found : -errno;
		rec[n] = '\0';
		for (needle = needles; !found && len && *needle; needle++) {
			if (!strstr(rec, *needle))
				continue;
			n = strnlen(rec, len - 1); /* the start is enough */
			memcpy(buf, rec, n);
			buf[n] = '\0';
			found = 1;
		}
	}
}

static inline int lt_kmsg_find(int fd, const char *needle, char *buf, size_t len)
{
	const char *const needles[] = {needle, NULL};

	return lt_kmsg_find_any(fd, needles, buf, len);
}

/* What the kernel logs first for a warning, a BUG or an oops. */
#define LT_KMSG_TROUBLE \
	((const char *const[]){"WARNING:", "BUG:", "Oops", "general protection fault", NULL})

/*
 * Opens the device, retrying for up to timeout_ms: after a bind or a module
 * load the node appears asynchronously from the caller's point of view.
 * Returns the fd or -errno of the last attempt.
 */
static inline int lt_open_wait(int timeout_ms)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	char name[32];
	int i;

	for (i = 0;; i += 10) {
		int fd = lt_open();
		int err = -errno;

		if (fd >= 0) {
			if (!lt_driver_name(fd, name, sizeof(name)) &&
			    !strcmp(name, DRM_LUTCORE_DRIVER_NAME))
				return fd;
			close(fd);
			err = -ENODEV;
		}
		if (i >= timeout_ms)
			return err;
		nanosleep(&tick, NULL);
	}
}

#endif /* LUTCORE_TEST_H */
