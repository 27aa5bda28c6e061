// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-ioctl-lifetime: what a queued or running job keeps alive, through
 * the raw uapi. A job is held in the driver's queue behind a job that hangs
 * (debugfs inject_hang, needs -device lutcore,debug-hooks=on) while its
 * buffer handles and its file are closed; it must still run, on the right
 * pages, once the hang is recovered. Also: WAIT_BO with an expired
 * absolute timeout on a busy buffer (-ETIME), JOB_STATUS of a pending job,
 * closing a file whose job is on the device, and what the hung file gets
 * afterwards (banned: -ECANCELED, counted once). A buffer a job uses
 * without listing it, closed (or its file closed) while the job waits on
 * the device behind the hang, keeps its pages (debugfs "bos") until the
 * job is freed, and the job faults on its address, even when a new buffer
 * is created meanwhile.
 */
#include <sys/wait.h>

#include "lutcore_test.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define DATA_SIZE (256 * 1024)

FIXTURE(life)
{
	int fd_hang; /* the file whose job hangs */
	struct it_bo hang_stream;
	int64_t timeout_ns; /* the driver's job timeout */
	__u64 resets;	    /* RESET_COUNT at setup */
};

FIXTURE_SETUP(life)
{
	__u64 features;

	self->fd_hang = lt_open();
	ASSERT_LE(0, self->fd_hang) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	features = it_param(self->fd_hang, DRM_LUTCORE_PARAM_FEATURES);
	if (!(features & LUTCORE_FEATURE_DEBUG_HANG))
		SKIP(return, "device without debug-hooks=on");
	self->timeout_ns = it_param(self->fd_hang, DRM_LUTCORE_PARAM_JOB_TIMEOUT_MS) * 1000000;
	self->resets = it_param(self->fd_hang, DRM_LUTCORE_PARAM_RESET_COUNT);
	ASSERT_EQ(0, it_bo_create(self->fd_hang, 4096, 0, &self->hang_stream));
	it_stream_nops(self->hang_stream.map, 1);
}

FIXTURE_TEARDOWN(life)
{
	char pci[64], cmd[512];
	int fd;

	it_bo_free(self->fd_hang, &self->hang_stream);
	if (self->fd_hang >= 0)
		close(self->fd_hang);
	/* A failed unbind test must not leave the device without its driver. */
	fd = lt_open();
	if (fd >= 0) {
		close(fd);
		return;
	}
	for (fd = 0; fd < 8; fd++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/class/accel/accel%d/device", fd);
		if (!lt_link_name(path, pci, sizeof(pci)))
			break;
	}
	/* The PCI IDs come from the register map, like everywhere else. */
	snprintf(cmd, sizeof(cmd),
		 "for d in /sys/bus/pci/devices/*; do "
		 "[ \"$(cat $d/vendor)$(cat $d/device)\" = 0x%04x0x%04x ] && [ ! -e $d/driver ] && "
		 "basename $d > /sys/bus/pci/drivers/lutcore/bind; done; lutcore-mklink",
		 LUTCORE_PCI_VENDOR_ID, LUTCORE_PCI_DEVICE_ID);
	system(cmd);
}

/* Whether debugfs "jobs" lists a job of the hanging file on the device. */
static int hang_on_device(int fd)
{
	char buf[4096];

	if (it_debugfs_read(fd, "jobs", buf, sizeof(buf)))
		return -1;
	return strstr(buf, " job ") != NULL;
}

/*
 * Makes the next job hang and submits it on core 0 from the hanging
 * file; returns once the device has it. Its job id is 1.
 */
static void start_hang(struct __test_metadata *_metadata, FIXTURE_DATA(life) * self)
{
	struct drm_lutcore_submit s;
	int i;

	ASSERT_EQ(0, it_debugfs_write(self->fd_hang, "inject_hang", "1"));
	it_submit_init(&s, self->hang_stream.c.dev_addr, 1);
	s.core = 0;
	ASSERT_EQ(0, it_submit(self->fd_hang, &s));
	ASSERT_EQ((__u64)(1), s.job_id);
	for (i = 0; i < 100 && hang_on_device(self->fd_hang) == 0; i++)
		usleep(10000);
}

/* After the recovery: the hung job's error, the ban, the counters. */
static void check_hang_outcome(struct __test_metadata *_metadata, FIXTURE_DATA(life) * self)
{
	struct drm_lutcore_job_status st;
	struct drm_lutcore_submit s;
	int64_t deadline = it_now() + 2 * self->timeout_ns + 10 * IT_SEC;

	do {
		ASSERT_EQ(0, it_job_status(self->fd_hang, 1, &st));
		if (st.state == DRM_LUTCORE_JOB_DONE)
			break;
		usleep(20000);
	} while (it_now() < deadline);
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
	EXPECT_EQ(-ETIMEDOUT, st.error);
	EXPECT_EQ((__u64)(0), st.hw_error);

	EXPECT_EQ((__u64)(1), it_param(self->fd_hang, DRM_LUTCORE_PARAM_FILE_BANNED));
	EXPECT_EQ((__u64)(1), it_param(self->fd_hang, DRM_LUTCORE_PARAM_FILE_RESET_COUNT));
	EXPECT_EQ(self->resets + 1, it_param(self->fd_hang, DRM_LUTCORE_PARAM_RESET_COUNT));

	/* Field checks still come first; a valid job is refused. */
	it_submit_init(&s, self->hang_stream.c.dev_addr, 1);
	s.flags = 1;
	EXPECT_EQ(-EINVAL, it_submit(self->fd_hang, &s));
	s.flags = 0;
	EXPECT_EQ(-ECANCELED, it_submit(self->fd_hang, &s));
	EXPECT_EQ((__u64)(0), s.job_id);
	/* Everything else still works on a banned file. */
	EXPECT_EQ(0, it_wait_bo(self->fd_hang, self->hang_stream.c.handle, it_now() + IT_SEC));
}

/*
 * A job queued behind the hang keeps its buffers, mappings and address
 * space after every handle and its file are closed, and runs after the
 * recovery on the right pages.
 */
TEST_F(life, close_handles_and_file_while_queued)
{
	struct it_bo stream, src, dst;
	struct drm_lutcore_job_status st;
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_submit s;
	__u32 handles[2];
	unsigned char *keep;
	int64_t t0;
	int fd, sf;
	size_t i;

	fd = lt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	ASSERT_EQ(0, it_bo_create(fd, DATA_SIZE, DRM_LUTCORE_BO_DEV_READ_ONLY, &src));
	ASSERT_EQ(0, it_bo_create(fd, DATA_SIZE, 0, &dst));
	for (i = 0; i < DATA_SIZE; i++)
		((unsigned char *)src.map)[i] = i * 7 + 3;
	it_insn_copy(stream.map, 0, dst.c.dev_addr, src.c.dev_addr, DATA_SIZE);
	ASSERT_EQ(0, it_syncobj_create(fd, 0, &out.handle));

	start_hang(_metadata, self);

	handles[0] = src.c.handle;
	handles[1] = dst.c.handle;
	it_submit_init(&s, stream.c.dev_addr, 1);
	s.core = 0;
	s.bo_handles = (uintptr_t)handles;
	s.bo_count = 2;
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(fd, &s));
	sf = it_syncobj_export(fd, out.handle);
	ASSERT_LE(0, sf);

	/* Queued: pending, and its buffers are busy. */
	ASSERT_EQ(0, it_job_status(fd, s.job_id, &st));
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_PENDING), st.state);
	EXPECT_EQ(0, st.error);
	EXPECT_EQ(-ETIME, it_wait_bo(fd, dst.c.handle, 1));
	EXPECT_EQ(-ETIME, it_wait_bo(fd, dst.c.handle, it_now() - IT_SEC));
	t0 = it_now();
	EXPECT_EQ(-ETIME, it_wait_bo(fd, dst.c.handle, t0 + IT_SEC / 10));
	/* jiffies-based: allow a tick of rounding. */
	EXPECT_LE(IT_SEC / 10 - IT_SEC / 50, it_now() - t0);
	/* The read-only source is only read: it waits for writers only. */
	EXPECT_EQ(-ETIME, it_wait_bo(fd, src.c.handle, 0));

	/* Keep a CPU view of dst, close everything else. */
	keep = dst.map;
	dst.map = NULL;
	it_bo_free(fd, &src);
	it_bo_free(fd, &dst);
	it_bo_free(fd, &stream);
	EXPECT_EQ(0, it_syncobj_destroy(fd, out.handle));
	/* Waits until the driver has handed the job to the device. */
	close(fd);

	EXPECT_EQ(1, it_sync_file_wait(sf, (2 * self->timeout_ns + 10 * IT_SEC) / 1000000));
	close(sf);
	for (i = 0; i < DATA_SIZE; i++)
		if (keep[i] != (unsigned char)(i * 7 + 3))
			break;
	EXPECT_EQ((__u64)(DATA_SIZE), i) TH_LOG("copy wrong at byte %zu", i);
	munmap(keep, DATA_SIZE);

	check_hang_outcome(_metadata, self);
}

/* Closing a file whose job is on the device (hung) neither blocks nor crashes. */
TEST_F(life, close_file_with_job_on_device)
{
	int fd = lt_open();
	int64_t t0;

	ASSERT_LE(0, fd);
	start_hang(_metadata, self);
	t0 = it_now();
	it_bo_free(self->fd_hang, &self->hang_stream);
	close(self->fd_hang);
	self->fd_hang = -1;
	EXPECT_GT(self->timeout_ns / 2, it_now() - t0);

	/* The recovery happens all the same, counted once. */
	t0 = it_now();
	while (it_param(fd, DRM_LUTCORE_PARAM_RESET_COUNT) == self->resets &&
	       it_now() - t0 < 2 * self->timeout_ns + 10 * IT_SEC)
		usleep(20000);
	EXPECT_EQ(self->resets + 1, it_param(fd, DRM_LUTCORE_PARAM_RESET_COUNT));
	/* This file was not involved. */
	EXPECT_EQ((__u64)(0), it_param(fd, DRM_LUTCORE_PARAM_FILE_RESET_COUNT));
	EXPECT_EQ((__u64)(0), it_param(fd, DRM_LUTCORE_PARAM_FILE_BANNED));
	close(fd);
}

/*
 * Jobs of other files on other cores, and one queued behind the hang on
 * its core, all complete successfully; the buffer of the hung file can be
 * reused afterwards through a new file.
 */
TEST_F(life, innocent_jobs_survive)
{
	struct it_bo stream, data;
	struct drm_lutcore_submit s;
	struct drm_lutcore_job_status st;
	__u32 cores = it_param(self->fd_hang, DRM_LUTCORE_PARAM_NUM_CORES);
	__u32 c, n = 0;
	int fd = lt_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &data));
	for (c = 0; c < 8; c++)
		it_insn_signal(stream.map, c, data.c.dev_addr + 8 * c, 0x5000 + c);

	start_hang(_metadata, self);
	/* One job per core, core 0 behind the hang, plus two on any core. */
	for (c = 0; c < cores + 2 && c < 8; c++) {
		it_submit_init(&s, stream.c.dev_addr + c * LUTC_INSN_SIZE, 1);
		s.core = c < cores ? c : DRM_LUTCORE_CORE_ANY;
		ASSERT_EQ(0, it_submit(fd, &s));
		n++;
	}
	EXPECT_EQ(0,
		  it_wait_bo(fd, stream.c.handle, it_now() + 2 * self->timeout_ns + 10 * IT_SEC));
	for (c = 0; c < n; c++) {
		ASSERT_EQ(0, it_job_status(fd, c + 1, &st));
		EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
		EXPECT_EQ(0, st.error) TH_LOG("job %u", c + 1);
		EXPECT_EQ(0x5000 + c, ((volatile __u64 *)data.map)[c]);
	}
	check_hang_outcome(_metadata, self);
	EXPECT_EQ((__u64)(0), it_param(fd, DRM_LUTCORE_PARAM_FILE_BANNED));
	it_bo_free(fd, &data);
	it_bo_free(fd, &stream);
	close(fd);
}

/* A size no other buffer of these tests has, to find the victim in debugfs. */
#define VICTIM_SIZE (5 * 4096)

/* Jobs debugfs "jobs" lists on the device, over all cores. */
static int jobs_on_device(int fd)
{
	char buf[4096], *p = buf;
	int n = 0;

	if (it_debugfs_read(fd, "jobs", buf, sizeof(buf)))
		return -1;
	while ((p = strstr(p, "  client ")) != NULL) {
		n++;
		p++;
	}
	return n;
}

/*
 * Buffers of size bytes that debugfs "bos" lists as mapped in no address
 * space: closed, and kept only because a job may still touch their pages.
 */
static int bos_unmapped(int fd, __u64 size)
{
	static char buf[1 << 16];
	char want[64], *line, *save;
	int n = 0;

	if (it_debugfs_read(fd, "bos", buf, sizeof(buf)))
		return -1;
	snprintf(want, sizeof(want), "%llu 0x0 0:", (unsigned long long)size);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += !strcmp(line, want);
	return n;
}

/*
 * A buffer the job uses without listing it is closed while the job is on
 * the device (queued in the core behind a hang, so not yet started): its
 * pages stay allocated until that job has been freed, and the job, which
 * runs after the recovery, finds the buffer unmapped and faults (-EFAULT
 * at the buffer's address) instead of writing anywhere. With close_file
 * the whole file goes instead of the handle; else a buffer of the same
 * size is created meanwhile, and must not receive the job's write.
 */
static void unlisted_buffer_closed(struct __test_metadata *_metadata, FIXTURE_DATA(life) * self,
				   bool close_file)
{
	static const __u64 value = 0x5eed5eed5eed5eedull;
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_job_status st;
	struct drm_lutcore_submit s;
	struct it_bo stream, victim, fresh = {0};
	int64_t deadline;
	int fd, sf, n, i;
	size_t off;

	if (it_param(self->fd_hang, DRM_LUTCORE_PARAM_MAX_JOBS_PER_CORE) < 2)
		SKIP(return,
			   "max_jobs_per_core=1: no second job reaches the device behind the hang");
	fd = lt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	ASSERT_EQ(0, it_bo_create(fd, VICTIM_SIZE, 0, &victim));
	ASSERT_EQ(0, bos_unmapped(fd, VICTIM_SIZE));
	it_insn_signal(stream.map, 0, victim.c.dev_addr, value);
	ASSERT_EQ(0, it_syncobj_create(fd, 0, &out.handle));

	/* The job goes to the device behind the hang, on the same core. */
	start_hang(_metadata, self);
	it_submit_init(&s, stream.c.dev_addr, 1);
	s.core = 0;
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(fd, &s));
	sf = it_syncobj_export(fd, out.handle);
	ASSERT_LE(0, sf);
	for (i = 0; i < 100 && jobs_on_device(fd) < 2; i++)
		usleep(10000);
	ASSERT_EQ(2, jobs_on_device(fd));

	munmap(victim.map, victim.c.size);
	victim.map = NULL;
	if (close_file) {
		munmap(stream.map, stream.c.size);
		close(fd);
		fd = -1;
	} else {
		ASSERT_EQ(0, it_gem_close(fd, victim.c.handle));
	}
	/* Unmapped everywhere, but its pages are kept for the job. */
	EXPECT_EQ(1, bos_unmapped(self->fd_hang, VICTIM_SIZE));
	if (!close_file) {
		ASSERT_EQ(0, it_bo_create(fd, VICTIM_SIZE, 0, &fresh));
		TH_LOG("closed buffer at 0x%llx, new one at 0x%llx", victim.c.dev_addr,
		       fresh.c.dev_addr);
		/* The job has not run yet, and the pages are still kept. */
		ASSERT_EQ(0, it_job_status(fd, s.job_id, &st));
		EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_PENDING), st.state);
		EXPECT_EQ(1, bos_unmapped(self->fd_hang, VICTIM_SIZE));
	}

	EXPECT_EQ(-EFAULT, it_sync_file_wait(sf, (2 * self->timeout_ns + 10 * IT_SEC) / 1000000));
	close(sf);
	if (!close_file) {
		ASSERT_EQ(0, it_job_status(fd, s.job_id, &st));
		EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
		EXPECT_EQ(-EFAULT, st.error);
		EXPECT_EQ((__u64)(LUTCORE_ERR_PAGE_FAULT), st.hw_error);
		EXPECT_EQ(victim.c.dev_addr, st.fault_addr);
		EXPECT_EQ((__u64)(0), st.fault_offset);
		for (off = 0; off < VICTIM_SIZE; off++)
			if (((unsigned char *)fresh.map)[off])
				break;
		EXPECT_EQ((size_t)(VICTIM_SIZE), off) TH_LOG("new buffer written at byte %zu", off);
	}

	/* Released once the job is freed, which follows its fence shortly. */
	deadline = it_now() + 5 * IT_SEC;
	while ((n = bos_unmapped(self->fd_hang, VICTIM_SIZE)) > 0 && it_now() < deadline)
		usleep(10000);
	EXPECT_EQ(0, n);

	check_hang_outcome(_metadata, self);
	if (fd >= 0) {
		it_bo_free(fd, &fresh);
		it_bo_free(fd, &stream);
		close(fd);
	}
}

TEST_F(life, unlisted_buffer_closed_while_job_on_device)
{
	unlisted_buffer_closed(_metadata, self, false);
}

TEST_F(life, file_with_unlisted_buffer_closed_while_job_on_device)
{
	unlisted_buffer_closed(_metadata, self, true);
}

/* The PCI address of the device behind fd, into buf. */
static int pci_addr(int fd, char *buf, size_t len)
{
	char dir[64], link[128];
	int ret = lt_sysfs_dir(fd, dir, sizeof(dir));

	if (ret)
		return ret;
	snprintf(link, sizeof(link), "%s/device", dir);
	return lt_link_name(link, buf, len);
}

#define DRIVER_DIR "/sys/bus/pci/drivers/lutcore"

/* Whether nothing holds the module (or it is built in). */
static bool module_unused(void)
{
	char refcnt[16];

	if (lt_read_file("/sys/module/lutcore/refcnt", refcnt, sizeof(refcnt)))
		return true;
	return !strcmp(refcnt, "0");
}

/*
 * Unbind with a hung job on the device and a job queued behind it: both
 * fences signal with -ENODEV (seen through sync_files: the DRM core
 * refuses every ioctl after the unplug), the CPU mapping of a buffer the
 * queued job uses still works, ioctls fail with -ENODEV, closing works,
 * and a rebind brings a working device back.
 */
TEST_F(life, unbind_with_hung_and_queued_jobs)
{
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_submit s;
	struct it_bo stream, data;
	char pci[64];
	int fd, sf_hang, sf, ret;
	__u64 v;

	ASSERT_EQ(0, pci_addr(self->fd_hang, pci, sizeof(pci)));
	if (access(DRIVER_DIR "/unbind", W_OK))
		SKIP(return, "cannot unbind");
	fd = lt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &data));
	it_insn_signal(stream.map, 0, data.c.dev_addr, 77);

	start_hang(_metadata, self);
	ASSERT_EQ(0, it_syncobj_create(self->fd_hang, 0, &out.handle));
	/* A second job of the hanging file, just for its fence: queued too. */
	it_submit_init(&s, self->hang_stream.c.dev_addr, 1);
	s.core = 0;
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd_hang, &s));
	sf_hang = it_syncobj_export(self->fd_hang, out.handle);
	ASSERT_LE(0, sf_hang);

	ASSERT_EQ(0, it_syncobj_create(fd, 0, &out.handle));
	it_submit_init(&s, stream.c.dev_addr, 1);
	s.core = 0;
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(fd, &s));
	sf = it_syncobj_export(fd, out.handle);
	ASSERT_LE(0, sf);

	ret = lt_write_file(DRIVER_DIR "/unbind", pci);
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", pci, strerror(-ret));
	/* Long before the hang timeout: the unplug fails them itself. */
	EXPECT_EQ(-ENODEV, it_sync_file_wait(sf, self->timeout_ns / 2000000));
	EXPECT_EQ(-ENODEV, it_sync_file_wait(sf_hang, self->timeout_ns / 2000000));
	close(sf);
	close(sf_hang);

	/* Mapping alive, ioctls refused. */
	EXPECT_EQ(0ull, *(volatile __u64 *)data.map);
	memset(data.map, 0x11, 4096);
	EXPECT_EQ(0x11, ((unsigned char *)data.map)[4095]);
	EXPECT_EQ(-ENODEV, lt_get_param(fd, DRM_LUTCORE_PARAM_NUM_CORES, &v));
	s.job_id = 0;
	EXPECT_EQ(-ENODEV, it_submit(fd, &s));
	EXPECT_EQ(-ENODEV, it_wait_bo(fd, data.c.handle, 0));

	munmap(data.map, 4096);
	munmap(stream.map, 4096);
	close(fd);
	it_bo_free(self->fd_hang, &self->hang_stream);
	close(self->fd_hang);
	self->fd_hang = -1;

	ret = lt_write_file(DRIVER_DIR "/bind", pci);
	ASSERT_EQ(0, ret) TH_LOG("bind %s: %s", pci, strerror(-ret));
	system("lutcore-mklink");
	fd = lt_open_wait(5000);
	ASSERT_LE(0, fd) TH_LOG("reopen after bind: %s", strerror(-fd));
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &data));
	it_insn_signal(stream.map, 0, data.c.dev_addr, 78);
	it_submit_init(&s, stream.c.dev_addr, 1);
	ASSERT_EQ(0, it_submit(fd, &s));
	EXPECT_EQ(0, it_wait_bo(fd, stream.c.handle, it_now() + 10 * IT_SEC));
	EXPECT_EQ(78ull, *(volatile __u64 *)data.map);
	it_bo_free(fd, &data);
	it_bo_free(fd, &stream);
	close(fd);
}

/*
 * Unbind, then close every file before the scheduler has freed the jobs
 * the unplug failed (debugfs free_delay_ms holds its free worker back).
 * The DRM device is released once the last file is closed and the last
 * job fence dropped; those jobs must be freed by then, or their buffers
 * outlive the device and the DRM core warns ("Memory manager not clean")
 * when it destroys the mmap offset manager. Every fence also holds the
 * module, so its reference count falling to 0 says the release is done.
 */
TEST_F(life, close_before_failed_jobs_are_freed)
{
	struct drm_lutcore_submit s;
	struct it_bo stream;
	char pci[64], rec[512];
	int fd, kmsg, i, ret;

	ASSERT_EQ(0, pci_addr(self->fd_hang, pci, sizeof(pci)));
	if (access(DRIVER_DIR "/unbind", W_OK))
		SKIP(return, "cannot unbind");
	if (it_debugfs_write(self->fd_hang, "free_delay_ms", "500"))
		SKIP(return, "no debugfs free_delay_ms");
	kmsg = lt_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	fd = lt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	it_stream_nops(stream.map, 1);

	/* The hang and, behind it on the same core, jobs of another file. */
	start_hang(_metadata, self);
	for (i = 0; i < 3; i++) {
		it_submit_init(&s, stream.c.dev_addr, 1);
		s.core = 0;
		ASSERT_EQ(0, it_submit(fd, &s));
	}

	ret = lt_write_file(DRIVER_DIR "/unbind", pci);
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", pci, strerror(-ret));
	munmap(stream.map, 4096);
	close(fd);
	it_bo_free(self->fd_hang, &self->hang_stream);
	close(self->fd_hang);
	self->fd_hang = -1;

	for (i = 0; i < 1000 && !module_unused(); i++)
		usleep(10000);
	EXPECT_TRUE(module_unused()) TH_LOG("the device was not released");
	ret = lt_kmsg_find(kmsg, "WARNING:", rec, sizeof(rec));
	EXPECT_EQ(0, ret) TH_LOG("kernel log: %s", ret > 0 ? rec : strerror(-ret));
	close(kmsg);

	ret = lt_write_file(DRIVER_DIR "/bind", pci);
	ASSERT_EQ(0, ret) TH_LOG("bind %s: %s", pci, strerror(-ret));
	system("lutcore-mklink");
	fd = lt_open_wait(5000);
	ASSERT_LE(0, fd) TH_LOG("reopen after bind: %s", strerror(-fd));
	close(fd);
}

/*
 * SUBMIT returns the id of its own job even when that job has finished and
 * been freed before the ioctl returns (debugfs submit_delay_ms holds the
 * ioctl back after queueing). Meanwhile a child submits on the same file,
 * so the freed job's memory is likely reused by a job with another id: a
 * SUBMIT that read the id from its job after queueing it returned that one.
 */
TEST(submit_id_outlives_its_job)
{
	struct drm_lutcore_submit s;
	struct it_bo stream;
	int fd, status;
	pid_t child;

	fd = lt_open();
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	if (it_debugfs_write(fd, "submit_delay_ms", "400"))
		SKIP(close(fd); return, "no debugfs submit_delay_ms");
	ASSERT_EQ(0, it_bo_create(fd, 4096, 0, &stream));
	it_stream_nops(stream.map, 1);

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		usleep(150000);
		it_submit_init(&s, stream.c.dev_addr, 1);
		_exit(it_submit(fd, &s) ? 100 : (int)s.job_id);
	}
	it_submit_init(&s, stream.c.dev_addr, 1);
	EXPECT_EQ(0, it_submit(fd, &s));
	EXPECT_EQ((__u64)(1), s.job_id);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(2, WEXITSTATUS(status));

	it_debugfs_write(fd, "submit_delay_ms", "0");
	it_bo_free(fd, &stream);
	close(fd);
}

TEST_HARNESS_MAIN
