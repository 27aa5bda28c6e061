// SPDX-License-Identifier: GPL-2.0-only
/*
 * lutcore-ioctl-submit: DRM_IOCTL_LUTCORE_SUBMIT through the raw uapi.
 * One test per invalid field (exact errno, struct untouched, no job
 * queued), then small hand-built jobs: NOP, SIGNAL and COPY streams, in-
 * and out-syncobjs (binary and timeline), sync_file export, implicit sync
 * through WAIT_BO, and device errors reported through the fence and
 * JOB_STATUS (page fault, write to a read-only buffer, guard page, bad
 * opcode) without banning the file.
 */
#include <linux/udmabuf.h>

#include "lutcore_test.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define STREAM_SIZE (64 * 1024)
#define DATA_SIZE   (64 * 1024)
#define WAIT_NS	    (20 * IT_SEC)

FIXTURE(submit)
{
	int fd;
	__u32 cores;
	struct it_bo stream; /* instruction streams, at offset 0 */
	struct it_bo data;   /* writable data */
};

FIXTURE_SETUP(submit)
{
	self->fd = lt_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", lt_dev_path(), strerror(errno));
	self->cores = it_param(self->fd, DRM_LUTCORE_PARAM_NUM_CORES);
	ASSERT_EQ(0, it_bo_create(self->fd, STREAM_SIZE, 0, &self->stream));
	ASSERT_EQ(0, it_bo_create(self->fd, DATA_SIZE, 0, &self->data));
	it_stream_nops(self->stream.map, 4);
}

FIXTURE_TEARDOWN(submit)
{
	it_bo_free(self->fd, &self->data);
	it_bo_free(self->fd, &self->stream);
	close(self->fd);
}

/*
 * SUBMIT on a copy of s must fail with the errno returned and leave the
 * struct as it was; and no job may have been queued (the next valid
 * submission is still the file's first job).
 */
static int submit_expect_untouched(struct __test_metadata *_metadata, int fd,
				   const struct drm_lutcore_submit *s)
{
	struct drm_lutcore_submit arg = *s;
	int ret = it_submit(fd, &arg);

	EXPECT_EQ(0, memcmp(&arg, s, sizeof(arg)));
	return ret;
}

/* The next valid job of this file gets id 1: nothing was queued. */
static void expect_no_job_queued(struct __test_metadata *_metadata, FIXTURE_DATA(submit) * self)
{
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	ASSERT_EQ(0, it_submit(self->fd, &s));
	EXPECT_EQ((__u64)(1), s.job_id);
	EXPECT_EQ(0, it_wait_bo(self->fd, self->stream.c.handle, it_now() + WAIT_NS));
}

#define EXPECT_SUBMIT_FAILS(err, s) \
	EXPECT_EQ(err, submit_expect_untouched(_metadata, self->fd, &(s)))

/* ---- invalid fields --------------------------------------------------- */

TEST_F(submit, flags)
{
	struct drm_lutcore_submit s;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.flags = 1u << bit;
		EXPECT_SUBMIT_FAILS(-EINVAL, s);
	}
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, job_id_not_zero)
{
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.job_id = 1;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, core_out_of_range)
{
	const __u32 cores[] = {self->cores, self->cores + 1, LUTCORE_MAX_CORES, 0x7fffffff,
			       DRM_LUTCORE_CORE_ANY - 1};
	struct drm_lutcore_submit s;
	unsigned int i;

	for (i = 0; i < sizeof(cores) / sizeof(cores[0]); i++) {
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.core = cores[i];
		EXPECT_SUBMIT_FAILS(-EINVAL, s);
	}
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, cmd_size_zero)
{
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 0);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, cmd_size_not_instructions)
{
	const __u32 sizes[] = {1, 8, LUTC_INSN_SIZE - 8, LUTC_INSN_SIZE + 64};
	struct drm_lutcore_submit s;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		it_submit_init(&s, self->stream.c.dev_addr, 0);
		s.cmd_size = sizes[i];
		EXPECT_SUBMIT_FAILS(-EINVAL, s);
	}
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, cmd_size_too_big)
{
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 0);
	s.cmd_size = LUTC_STREAM_MAX + LUTC_INSN_SIZE;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	s.cmd_size = 0xffffff80u;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, cmd_addr_unaligned)
{
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr + LUTC_STREAM_ALIGN / 2, 4);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_submit_init(&s, self->stream.c.dev_addr + 1, 4);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

/* The stream must lie inside one buffer mapped in this file. */
TEST_F(submit, cmd_addr_unmapped)
{
	__u64 va_start = it_param(self->fd, DRM_LUTCORE_PARAM_VA_START);
	const __u64 addrs[] = {0,	   4096, va_start - 4096, 1ull << 38, (1ull << 39) - 4096,
			       1ull << 40, ~7ull};
	struct drm_lutcore_submit s;
	unsigned int i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		it_submit_init(&s, addrs[i], 4);
		EXPECT_SUBMIT_FAILS(-EINVAL, s)
		TH_LOG("address 0x%llx", (unsigned long long)addrs[i]);
	}
	expect_no_job_queued(_metadata, self);
}

/* Running into the guard page after the buffer is outside it. */
TEST_F(submit, cmd_range_past_buffer_end)
{
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr + STREAM_SIZE - LUTC_INSN_SIZE, 2);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_submit_init(&s, self->stream.c.dev_addr + STREAM_SIZE, 1);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_submit_init(&s, self->stream.c.dev_addr, STREAM_SIZE / LUTC_INSN_SIZE + 1);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, cmd_in_closed_buffer)
{
	struct drm_lutcore_submit s;
	struct it_bo b;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, 0, &b));
	it_stream_nops(b.map, 1);
	it_submit_init(&s, b.c.dev_addr, 1);
	it_bo_free(self->fd, &b);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

/* Another file's buffer, at an address this file has nothing at. */
TEST_F(submit, cmd_in_other_files_buffer)
{
	struct drm_lutcore_submit s;
	struct it_bo filler, b;
	int fd2 = lt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, it_bo_create(fd2, 4 << 20, DRM_LUTCORE_BO_NO_MMAP, &filler));
	ASSERT_EQ(0, it_bo_create(fd2, 4096, 0, &b));
	it_stream_nops(b.map, 1);
	it_submit_init(&s, b.c.dev_addr, 1);
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_bo_free(fd2, &b);
	it_bo_free(fd2, &filler);
	close(fd2);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, bo_count_too_big)
{
	__u64 max = it_param(self->fd, DRM_LUTCORE_PARAM_MAX_SUBMIT_BOS);
	const __u32 counts[] = {max + 1, 0x10000000, 0x40000000, UINT32_MAX};
	__u32 handle = self->data.c.handle;
	struct drm_lutcore_submit s;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.bo_handles = (uintptr_t)&handle;
		s.bo_count = counts[i];
		EXPECT_SUBMIT_FAILS(-EINVAL, s);
	}
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, in_sync_count_too_big)
{
	__u64 max = it_param(self->fd, DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS);
	struct drm_lutcore_sync sync = {0};
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.in_syncs = (uintptr_t)&sync;
	s.in_sync_count = max + 1;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	s.in_sync_count = UINT32_MAX;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, out_sync_count_too_big)
{
	__u64 max = it_param(self->fd, DRM_LUTCORE_PARAM_MAX_SUBMIT_SYNCS);
	struct drm_lutcore_sync sync = {0};
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)&sync;
	s.out_sync_count = max + 1;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	s.out_sync_count = 0x80000000u;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, pointer_with_zero_count)
{
	struct drm_lutcore_sync sync = {0};
	struct drm_lutcore_submit s;
	__u32 handle = 1;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.bo_handles = (uintptr_t)&handle;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.in_syncs = (uintptr_t)&sync;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)&sync;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

/* Arrays that cannot be read: NULL, unmapped, PROT_NONE, straddling. */
TEST_F(submit, bad_array_pointers)
{
	long page = sysconf(_SC_PAGESIZE);
	struct drm_lutcore_submit s;
	unsigned char *guard;
	__u64 bad[4];
	unsigned int i;

	guard = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, guard);
	ASSERT_EQ(0, mprotect(guard + page, page, PROT_NONE));
	bad[0] = 0;
	bad[1] = 8;
	bad[2] = (uintptr_t)(guard + page);
	bad[3] = (uintptr_t)(guard + page - 4); /* the second entry is unreadable */

	for (i = 0; i < 4; i++) {
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.bo_handles = bad[i];
		s.bo_count = 2;
		EXPECT_SUBMIT_FAILS(-EFAULT, s) TH_LOG("bo_handles case %u", i);
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.in_syncs = bad[i] ? bad[i] - 8 : 0;
		s.in_sync_count = 1;
		EXPECT_SUBMIT_FAILS(-EFAULT, s) TH_LOG("in_syncs case %u", i);
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.out_syncs = bad[i] ? bad[i] - 8 : 0;
		s.out_sync_count = 1;
		EXPECT_SUBMIT_FAILS(-EFAULT, s) TH_LOG("out_syncs case %u", i);
	}
	munmap(guard, 2 * page);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, struct_bad_pointer)
{
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_SUBMIT, NULL));
	EXPECT_EQ(-EFAULT, it_ioctl(self->fd, DRM_IOCTL_LUTCORE_SUBMIT, (void *)16));
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, bad_bo_handle)
{
	__u32 handles[3] = {self->data.c.handle, 0, 0};
	const __u32 bad[] = {0, 0x7777, 0xffffffff};
	struct drm_lutcore_submit s;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		handles[1] = bad[i];
		it_submit_init(&s, self->stream.c.dev_addr, 4);
		s.bo_handles = (uintptr_t)handles;
		s.bo_count = 2;
		EXPECT_SUBMIT_FAILS(-ENOENT, s);
	}
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, closed_bo_handle)
{
	struct drm_lutcore_submit s;
	struct it_bo b;
	__u32 handle;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_NO_MMAP, &b));
	handle = b.c.handle;
	it_bo_free(self->fd, &b);
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.bo_handles = (uintptr_t)&handle;
	s.bo_count = 1;
	EXPECT_SUBMIT_FAILS(-ENOENT, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, duplicate_bo_handle)
{
	__u32 handles[3] = {self->data.c.handle, self->stream.c.handle, self->data.c.handle};
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.bo_handles = (uintptr_t)handles;
	s.bo_count = 3;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, in_sync_flags)
{
	struct drm_lutcore_sync sync = {.flags = 1};
	struct drm_lutcore_submit s;

	ASSERT_EQ(0, it_syncobj_create(self->fd, DRM_SYNCOBJ_CREATE_SIGNALED, &sync.handle));
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.in_syncs = (uintptr_t)&sync;
	s.in_sync_count = 1;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	sync.flags = 0x80000000u;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_syncobj_destroy(self->fd, sync.handle);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, in_sync_bad_handle)
{
	struct drm_lutcore_sync sync = {.handle = 0x1234};
	struct drm_lutcore_submit s;

	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.in_syncs = (uintptr_t)&sync;
	s.in_sync_count = 1;
	EXPECT_SUBMIT_FAILS(-ENOENT, s);
	sync.handle = 0;
	EXPECT_SUBMIT_FAILS(-ENOENT, s);
	expect_no_job_queued(_metadata, self);
}

/* A syncobj with no fence yet: no wait-for-submit. */
TEST_F(submit, in_sync_without_fence)
{
	struct drm_lutcore_sync sync = {0};
	struct drm_lutcore_submit s;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &sync.handle));
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.in_syncs = (uintptr_t)&sync;
	s.in_sync_count = 1;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	/* A timeline point that was never added. */
	sync.point = 3;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_syncobj_destroy(self->fd, sync.handle);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, out_sync_flags)
{
	struct drm_lutcore_sync sync = {.flags = 2};
	struct drm_lutcore_submit s;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &sync.handle));
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)&sync;
	s.out_sync_count = 1;
	EXPECT_SUBMIT_FAILS(-EINVAL, s);
	it_syncobj_destroy(self->fd, sync.handle);
	expect_no_job_queued(_metadata, self);
}

TEST_F(submit, out_sync_bad_handle)
{
	struct drm_lutcore_sync syncs[2] = {{0}, {.handle = 0x4321}};
	struct drm_lutcore_submit s;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &syncs[0].handle));
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)syncs;
	s.out_sync_count = 2;
	EXPECT_SUBMIT_FAILS(-ENOENT, s);
	/* The valid syncobj got nothing: it still has no fence. */
	EXPECT_EQ(-EINVAL, it_syncobj_wait(self->fd, syncs[0].handle, 0, 0));
	it_syncobj_destroy(self->fd, syncs[0].handle);
	expect_no_job_queued(_metadata, self);
}

/* A syncobj handle is not a GEM handle and vice versa. */
TEST_F(submit, handle_namespaces)
{
	struct drm_lutcore_sync sync;
	struct drm_lutcore_submit s;
	__u32 sobj;

	/*
	 * Handles are small integers in each namespace: use a GEM handle
	 * that is not also the number of the file's only syncobj.
	 */
	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &sobj));
	sync = (struct drm_lutcore_sync){
		.handle = sobj != self->data.c.handle ? self->data.c.handle : self->stream.c.handle,
	};
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)&sync;
	s.out_sync_count = 1;
	EXPECT_SUBMIT_FAILS(-ENOENT, s);
	it_syncobj_destroy(self->fd, sobj);
	expect_no_job_queued(_metadata, self);
}

/* ---- valid jobs --------------------------------------------------------- */

TEST_F(submit, nop_job)
{
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_job_status st;
	struct drm_lutcore_submit s;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &out.handle));
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	EXPECT_EQ((__u64)(1), s.job_id);
	ASSERT_EQ(0, it_syncobj_wait(self->fd, out.handle, 0, it_now() + WAIT_NS));
	ASSERT_EQ(0, it_job_status(self->fd, 1, &st));
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st.state);
	EXPECT_EQ(0, st.error);
	EXPECT_EQ((__u64)(0), st.hw_error);

	s.job_id = 0;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	EXPECT_EQ((__u64)(2), s.job_id);
	ASSERT_EQ(0, it_syncobj_wait(self->fd, out.handle, 0, it_now() + WAIT_NS));
	it_syncobj_destroy(self->fd, out.handle);
}

/* Explicit cores and any core; SIGNAL stores land where asked. */
TEST_F(submit, signal_on_every_core)
{
	__u32 handles[2] = {self->stream.c.handle, self->data.c.handle};
	struct drm_lutcore_submit s;
	volatile __u64 *out = self->data.map;
	__u32 core;

	for (core = 0; core <= self->cores; core++) {
		__u32 sel = core < self->cores ? core : DRM_LUTCORE_CORE_ANY;

		it_insn_signal(self->stream.map, 0, self->data.c.dev_addr + 8 * core,
			       0x1000 + core);
		it_submit_init(&s, self->stream.c.dev_addr, 1);
		s.core = sel;
		s.bo_handles = (uintptr_t)handles;
		s.bo_count = 2;
		ASSERT_EQ(0, it_submit(self->fd, &s));
		/* Implicit sync: the data buffer's reservation has the job. */
		ASSERT_EQ(0, it_wait_bo(self->fd, self->data.c.handle, it_now() + WAIT_NS));
		EXPECT_EQ(0x1000 + core, out[core]);
	}
}

/* Binary in/out syncs chain jobs; timeline points too; sync_file export. */
TEST_F(submit, syncobj_chain_and_timeline)
{
	struct drm_lutcore_sync bin = {0}, tl = {0}, in;
	struct drm_lutcore_submit s;
	int sf;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &bin.handle));
	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &tl.handle));

	/* Job 1 -> binary syncobj. */
	it_stream_nops(self->stream.map, 4);
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.out_syncs = (uintptr_t)&bin;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));

	/* Job 2 waits for it and signals timeline point 7. */
	in = bin;
	tl.point = 7;
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.core = 0;
	s.in_syncs = (uintptr_t)&in;
	s.in_sync_count = 1;
	s.out_syncs = (uintptr_t)&tl;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));

	/* Job 3 waits for point 7 and signals point 2^40 + 1 (beyond u32). */
	in = tl;
	tl.point = (1ull << 40) + 1;
	it_submit_init(&s, self->stream.c.dev_addr, 4);
	s.in_syncs = (uintptr_t)&in;
	s.in_sync_count = 1;
	s.out_syncs = (uintptr_t)&tl;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	EXPECT_EQ((__u64)(3), s.job_id);

	ASSERT_EQ(0, it_syncobj_wait(self->fd, tl.handle, tl.point, it_now() + WAIT_NS));
	ASSERT_EQ(0, it_syncobj_wait(self->fd, tl.handle, 7, 0));
	ASSERT_EQ(0, it_syncobj_wait(self->fd, bin.handle, 0, 0));

	sf = it_syncobj_export(self->fd, bin.handle);
	ASSERT_LE(0, sf);
	EXPECT_EQ(1, it_sync_file_wait(sf, 1000));
	close(sf);
	it_syncobj_destroy(self->fd, bin.handle);
	it_syncobj_destroy(self->fd, tl.handle);
}

/* A listed read-only buffer may be read; the copy result is checked. */
TEST_F(submit, copy_with_buffer_list)
{
	struct it_bo src;
	__u32 handles[2];
	struct drm_lutcore_submit s;

	ASSERT_EQ(0, it_bo_create(self->fd, 8192, DRM_LUTCORE_BO_DEV_READ_ONLY, &src));
	memset(src.map, 0x6b, 8192);
	memset(self->data.map, 0, 8192);
	handles[0] = src.c.handle;
	handles[1] = self->data.c.handle;
	it_insn_copy(self->stream.map, 0, self->data.c.dev_addr, src.c.dev_addr, 8192);
	it_submit_init(&s, self->stream.c.dev_addr, 1);
	s.bo_handles = (uintptr_t)handles;
	s.bo_count = 2;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	ASSERT_EQ(0, it_wait_bo(self->fd, self->data.c.handle, it_now() + WAIT_NS));
	EXPECT_EQ(0x6b, ((unsigned char *)self->data.map)[0]);
	EXPECT_EQ(0x6b, ((unsigned char *)self->data.map)[8191]);
	EXPECT_EQ(0, ((unsigned char *)self->data.map)[8192]);
	it_bo_free(self->fd, &src);
}

/*
 * A dma-buf of another driver (udmabuf over a memfd): imported as a buffer
 * with flags 0, mapped in this file, written by a job, read back through
 * the memfd.
 */
TEST_F(submit, foreign_dmabuf_import)
{
	struct udmabuf_create c = {.size = 2 * 4096};
	struct drm_lutcore_bo_info info;
	struct drm_lutcore_submit s;
	int dev, memfd, dmabuf;
	volatile __u64 *p;
	__u32 handle;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		SKIP(return, "no /dev/udmabuf");
	memfd = memfd_create("lutcore-test", MFD_ALLOW_SEALING);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, c.size));
	ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK));
	p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	c.memfd = memfd;
	dmabuf = ioctl(dev, UDMABUF_CREATE, &c);
	ASSERT_LE(0, dmabuf) TH_LOG("UDMABUF_CREATE: %s", strerror(errno));

	ASSERT_EQ(0, it_prime_import(self->fd, dmabuf, &handle));
	ASSERT_EQ(0, it_bo_info(self->fd, handle, &info));
	EXPECT_EQ((__u64)c.size, info.size);
	EXPECT_EQ(0u, info.flags);
	EXPECT_LE(it_param(self->fd, DRM_LUTCORE_PARAM_VA_START), info.dev_addr);

	it_insn_signal(self->stream.map, 0, info.dev_addr + 4096 + 8, 0xabcdef);
	it_submit_init(&s, self->stream.c.dev_addr, 1);
	s.bo_handles = (uintptr_t)&handle;
	s.bo_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	ASSERT_EQ(0, it_wait_bo(self->fd, handle, it_now() + WAIT_NS));
	EXPECT_EQ(0xabcdefull, p[513]);

	EXPECT_EQ(0, it_gem_close(self->fd, handle));
	close(dmabuf);
	munmap((void *)p, c.size);
	close(memfd);
	close(dev);
}

/* ---- device errors ----------------------------------------------------- */

/* Submits the stream's first n instructions; returns the finished status. */
static void run_failing(struct __test_metadata *_metadata, FIXTURE_DATA(submit) * self,
			unsigned int n, struct drm_lutcore_job_status *st)
{
	struct drm_lutcore_sync out = {0};
	struct drm_lutcore_submit s;
	int sf;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &out.handle));
	it_submit_init(&s, self->stream.c.dev_addr, n);
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	/* The syncobj wait succeeds; the error is the fence's status. */
	ASSERT_EQ(0, it_syncobj_wait(self->fd, out.handle, 0, it_now() + WAIT_NS));
	sf = it_syncobj_export(self->fd, out.handle);
	ASSERT_LE(0, sf);
	ASSERT_EQ(0, it_job_status(self->fd, s.job_id, st));
	EXPECT_EQ((__u64)(DRM_LUTCORE_JOB_DONE), st->state);
	EXPECT_EQ(st->error, it_sync_file_wait(sf, 1000));
	close(sf);
	it_syncobj_destroy(self->fd, out.handle);
	/* A device error does not ban the file. */
	EXPECT_EQ((__u64)(0), it_param(self->fd, DRM_LUTCORE_PARAM_FILE_BANNED));
}

TEST_F(submit, error_page_fault)
{
	__u64 va = it_param(self->fd, DRM_LUTCORE_PARAM_VA_START) - 4096;
	struct drm_lutcore_job_status st;

	it_stream_nops(self->stream.map, 3);
	it_insn_signal(self->stream.map, 2, va, 1);
	run_failing(_metadata, self, 3, &st);
	EXPECT_EQ(-EFAULT, st.error);
	EXPECT_EQ((__u64)(LUTCORE_ERR_PAGE_FAULT), st.hw_error);
	EXPECT_EQ(va, st.fault_addr);
	EXPECT_EQ((__u64)(2 * LUTC_INSN_SIZE), st.fault_offset);
}

TEST_F(submit, error_guard_page)
{
	struct drm_lutcore_job_status st;

	it_insn_signal(self->stream.map, 0, self->data.c.dev_addr + DATA_SIZE, 1);
	run_failing(_metadata, self, 1, &st);
	EXPECT_EQ(-EFAULT, st.error);
	EXPECT_EQ((__u64)(LUTCORE_ERR_PAGE_FAULT), st.hw_error);
	EXPECT_EQ(self->data.c.dev_addr + DATA_SIZE, st.fault_addr);
	EXPECT_EQ((__u64)(0), st.fault_offset);
}

/*
 * A timeline point's sync_file holds a dma_fence_chain node, and chain
 * nodes do not carry the error of the fence they wrap (dma-fence-chain.c
 * in 6.12): the file's own status is 1. The job's error is in the
 * per-fence info, and in JOB_STATUS.
 */
TEST_F(submit, error_through_timeline_sync_file)
{
	struct drm_lutcore_sync out = {.point = 1};
	struct sync_fence_info fi[2];
	struct sync_file_info info;
	struct drm_lutcore_submit s;
	int sf;

	ASSERT_EQ(0, it_syncobj_create(self->fd, 0, &out.handle));
	it_insn_signal(self->stream.map, 0, 0x2000, 1);
	it_submit_init(&s, self->stream.c.dev_addr, 1);
	s.out_syncs = (uintptr_t)&out;
	s.out_sync_count = 1;
	ASSERT_EQ(0, it_submit(self->fd, &s));
	ASSERT_EQ(0, it_syncobj_wait(self->fd, out.handle, 1, it_now() + WAIT_NS));
	sf = it_syncobj_export(self->fd, out.handle);
	ASSERT_LE(0, sf);

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(sf, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(1, info.status);
	ASSERT_EQ(1u, info.num_fences);
	memset(fi, 0, sizeof(fi));
	info.num_fences = 2;
	info.sync_fence_info = (uintptr_t)fi;
	ASSERT_EQ(0, ioctl(sf, SYNC_IOC_FILE_INFO, &info));
	EXPECT_EQ(-EFAULT, info.status);
	EXPECT_EQ(-EFAULT, fi[0].status);
	close(sf);
	it_syncobj_destroy(self->fd, out.handle);
}

TEST_F(submit, error_write_read_only)
{
	struct drm_lutcore_job_status st;
	struct it_bo ro;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_DEV_READ_ONLY, &ro));
	it_stream_nops(self->stream.map, 2);
	it_insn_signal(self->stream.map, 1, ro.c.dev_addr + 64, 1);
	run_failing(_metadata, self, 2, &st);
	EXPECT_EQ(-EFAULT, st.error);
	EXPECT_EQ((__u64)(LUTCORE_ERR_WRITE_FAULT), st.hw_error);
	EXPECT_EQ(ro.c.dev_addr + 64, st.fault_addr);
	EXPECT_EQ((__u64)(LUTC_INSN_SIZE), st.fault_offset);
	EXPECT_EQ((__u64)(0), ((__u64 *)ro.map)[8]);
	it_bo_free(self->fd, &ro);
}

/* The stream itself in a read-only buffer is fine: it is only read. */
TEST_F(submit, stream_in_read_only_buffer)
{
	struct drm_lutcore_submit s;
	struct it_bo ro;

	ASSERT_EQ(0, it_bo_create(self->fd, 4096, DRM_LUTCORE_BO_DEV_READ_ONLY, &ro));
	it_stream_nops(ro.map, 2);
	it_insn_signal(ro.map, 1, self->data.c.dev_addr, 0xfeed);
	it_submit_init(&s, ro.c.dev_addr, 2);
	ASSERT_EQ(0, it_submit(self->fd, &s));
	ASSERT_EQ(0, it_wait_bo(self->fd, ro.c.handle, it_now() + WAIT_NS));
	EXPECT_EQ((__u64)(0xfeed), *(volatile __u64 *)self->data.map);
	it_bo_free(self->fd, &ro);
}

TEST_F(submit, error_bad_opcode)
{
	struct drm_lutcore_job_status st;
	union lutc_insn *insn = self->stream.map;

	it_stream_nops(self->stream.map, 4);
	insn[3].hdr.op = 0xee;
	run_failing(_metadata, self, 4, &st);
	EXPECT_EQ(-EINVAL, st.error);
	EXPECT_EQ((__u64)(LUTCORE_ERR_BAD_OPCODE), st.hw_error);
	EXPECT_EQ(self->stream.c.dev_addr + 3 * LUTC_INSN_SIZE, st.fault_addr);
	EXPECT_EQ((__u64)(3 * LUTC_INSN_SIZE), st.fault_offset);
}

/* After a failed job the core goes on with the next one. */
TEST_F(submit, error_then_success)
{
	struct drm_lutcore_job_status st;
	struct drm_lutcore_submit s;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		it_insn_signal(self->stream.map, 0, 8, 1); /* VA 8: never mapped */
		it_insn_signal(self->stream.map, 1, self->data.c.dev_addr, 42 + i);
		it_submit_init(&s, self->stream.c.dev_addr, 1);
		s.core = 0;
		ASSERT_EQ(0, it_submit(self->fd, &s));
		it_submit_init(&s, self->stream.c.dev_addr + LUTC_INSN_SIZE, 1);
		s.core = 0;
		ASSERT_EQ(0, it_submit(self->fd, &s));
		ASSERT_EQ(0, it_wait_bo(self->fd, self->stream.c.handle, it_now() + WAIT_NS));
		ASSERT_EQ(0, it_job_status(self->fd, s.job_id - 1, &st));
		EXPECT_EQ(-EFAULT, st.error);
		ASSERT_EQ(0, it_job_status(self->fd, s.job_id, &st));
		EXPECT_EQ(0, st.error);
		EXPECT_EQ(42 + i, *(volatile __u64 *)self->data.map);
	}
}

TEST_HARNESS_MAIN
