// SPDX-License-Identifier: MIT
/*
 * Device discovery, open/close and GET_PARAM.
 *
 * Debian 12's libdrm (2.4.114) knows no accel node type and its
 * drmGetDevice*() assume the DRM major, so the node is opened here by path
 * and recognised by its driver name; sysfs is used only to skip other
 * vendors' accel nodes without opening them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xf86drm.h>

#include "device_priv.h"

int lut_dev_sysfs_path(dev_t rdev, const char *attr, char *buf, size_t size)
{
	int n = snprintf(buf, size, "/sys/dev/char/%u:%u/device%s%s", major(rdev), minor(rdev),
			 attr ? "/" : "", attr ? attr : "");

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int lut_dev_sysfs_u32(dev_t rdev, const char *attr, uint32_t *val)
{
	char path[128], text[32];
	unsigned long v;
	char *end;
	FILE *f;
	int ret;

	ret = lut_dev_sysfs_path(rdev, attr, path, sizeof(path));
	if (ret)
		return ret;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = fgets(text, sizeof(text), f) ? 0 : -EIO;
	fclose(f);
	if (ret)
		return ret;
	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || end == text || v > UINT32_MAX)
		return -EINVAL;
	*val = v;
	return 0;
}

/* Copy a counted, not necessarily terminated string from drm_version. */
static void copy_name(char *dst, size_t size, const char *src, int len)
{
	size_t n = src && len > 0 ? (size_t)len : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* DRM_IOCTL_VERSION fails on anything that is not a DRM node. */
static int check_driver(struct lut_dev *dev)
{
	drmVersionPtr v = drmGetVersion(dev->fd);
	int ret = 0;

	if (!v)
		return -ENODEV;
	copy_name(dev->drv_name, sizeof(dev->drv_name), v->name, v->name_len);
	copy_name(dev->drv_desc, sizeof(dev->drv_desc), v->desc, v->desc_len);
	dev->drv_major = v->version_major;
	dev->drv_minor = v->version_minor;
	dev->drv_patch = v->version_patchlevel;
	if (strcmp(dev->drv_name, DRM_LUTCORE_DRIVER_NAME))
		ret = -ENODEV;
	drmFreeVersion(v);
	return ret;
}

/*
 * stat() first so that a regular file or directory is refused as "not a
 * device" instead of being opened for writing. O_NOCTTY because a wrong
 * path may name a terminal, which must not become our controlling tty.
 */
static int open_node(const char *path, struct lut_dev **out)
{
	struct lut_dev *dev;
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (dev->fd < 0) {
		ret = -errno;
		free(dev);
		return ret;
	}
	ret = fstat(dev->fd, &st) ? -errno : 0;
	dev->rdev = st.st_rdev;
	if (!ret)
		ret = check_driver(dev);
	if (!ret) {
		dev->path = strdup(path);
		ret = dev->path ? 0 : -ENOMEM;
	}
	if (ret) {
		lut_dev_close(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

/* Keep the first error that says more than "not here" or "not ours". */
static void note_error(int *hard, int err)
{
	if (!*hard && err != -ENOENT && err != -ENODEV)
		*hard = err;
}

static int is_accel_name(const struct dirent *d)
{
	const char *p = d->d_name;

	if (strncmp(p, "accel", 5) || !p[5])
		return 0;
	for (p += 5; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/*
 * sysfs says another driver owns the node's device: skip it without opening
 * it (opening a node can wake or reset other hardware). When sysfs has no
 * answer, the node is opened and its DRM driver name decides.
 */
static int is_foreign(const char *path)
{
	char link[128], target[PATH_MAX];
	struct stat st;
	const char *name;
	ssize_t n;

	if (stat(path, &st) || !S_ISCHR(st.st_mode))
		return 0;
	if (lut_dev_sysfs_path(st.st_rdev, "driver", link, sizeof(link)))
		return 0;
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	name = strrchr(target, '/');
	return strcmp(name ? name + 1 : target, DRM_LUTCORE_DRIVER_NAME) != 0;
}

static int scan_dir(const char *dir, int *hard, struct lut_dev **out)
{
	struct dirent **names;
	char path[PATH_MAX];
	int i, n, ret = -ENOENT;

	n = scandir(dir, &names, is_accel_name, versionsort);
	if (n < 0) {
		note_error(hard, -errno);
		return -ENOENT;
	}
	for (i = 0; i < n && ret; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) >=
		    sizeof(path)) {
			note_error(hard, -ENAMETOOLONG);
			continue;
		}
		if (is_foreign(path))
			continue;
		ret = open_node(path, out);
		note_error(hard, ret);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int lut_dev_search(const char *link, const char *accel_dir, struct lut_dev **out)
{
	int hard = 0;
	int ret;

	*out = NULL;
	if (link) {
		ret = open_node(link, out);
		if (!ret)
			return 0;
		note_error(&hard, ret);
	}
	ret = scan_dir(accel_dir, &hard, out);
	if (!ret)
		return 0;
	return hard ? hard : -ENOENT;
}

int lut_dev_open(const char *path, struct lut_dev **out)
{
	const char *env;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (path)
		return open_node(path, out);
	env = secure_getenv(LUT_DEV_ENV);
	if (env && *env)
		return open_node(env, out);
	return lut_dev_search(LUT_DEV_DEFAULT, LUT_DEV_ACCEL_DIR, out);
}

void lut_dev_close(struct lut_dev *dev)
{
	if (!dev)
		return;
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev->path);
	free(dev);
}

int lut_dev_fd(const struct lut_dev *dev)
{
	return dev ? dev->fd : -EINVAL;
}

const char *lut_dev_path(const struct lut_dev *dev)
{
	return dev ? dev->path : NULL;
}

int lut_dev_param(struct lut_dev *dev, uint32_t param, uint64_t *value)
{
	struct drm_lutcore_get_param gp = {.param = param};

	if (!dev || !value)
		return -EINVAL;
	if (drmIoctl(dev->fd, DRM_IOCTL_LUTCORE_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}
