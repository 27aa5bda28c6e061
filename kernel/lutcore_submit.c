// SPDX-License-Identifier: GPL-2.0-only
/*
 * LUTCore accel driver: DRM_IOCTL_LUTCORE_SUBMIT.
 *
 * Does everything that can fail before drm_sched_job_arm(): field checks,
 * buffer and syncobj lookups, dependencies, dma_fence_chain allocations,
 * fence slots in the reservations. After the arm nothing fails: the job id,
 * the reservations' and out-syncobjs' fences and the push.
 */

#include <linux/dma-fence-chain.h>
#include <linux/delay.h>
#include <linux/dma-resv.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>

#include "lutcore_accel.h"
#include "lutcore_drv.h"
#include "lutcore_gem.h"
#include "lutcore_isa.h"
#include "lutcore_job.h"

/**
 * struct lutcore_out_sync - an output syncobj, looked up before the arm
 * @syncobj: the syncobj, one reference
 * @chain: the timeline node for a non-zero @point, else NULL
 * @point: timeline point, 0 for a binary syncobj
 */
struct lutcore_out_sync {
	struct drm_syncobj *syncobj;
	struct dma_fence_chain *chain;
	u64 point;
};

/**
 * struct lutcore_submit - the state of one SUBMIT call
 * @job: the job being built
 * @write: per mapping of @job, whether the job writes the buffer
 * @objs: the buffers, in @job's mapping order, for locking
 * @outs: the output syncobjs
 * @out_count: entries of @outs
 * @obj_count: entries of @objs this submit holds a reference on, until it
 *	has unlocked them (the job may be gone by then)
 * @job_id: the job's id, read before the push, after which the job may
 *	already be freed
 */
struct lutcore_submit {
	struct lutcore_job *job;
	bool *write;
	struct drm_gem_object **objs;
	struct lutcore_out_sync *outs;
	u32 out_count;
	u32 obj_count;
	u64 job_id;
};

static int lutcore_submit_check(struct lutcore_device *ldev,
				const struct drm_lutcore_submit *args)
{
	struct drm_device *drm = &ldev->drm;

	if (args->flags || args->job_id) {
		drm_dbg(drm, "SUBMIT: non-zero flags 0x%x or job_id\n", args->flags);
		return -EINVAL;
	}
	if (args->core != DRM_LUTCORE_CORE_ANY &&
	    args->core >= ldev->caps.num_cores) {
		drm_dbg(drm, "SUBMIT: no core %u\n", args->core);
		return -EINVAL;
	}
	if (!args->cmd_size || args->cmd_size % LUTC_INSN_SIZE ||
	    args->cmd_size > LUTC_STREAM_MAX ||
	    !IS_ALIGNED(args->cmd_addr, LUTC_STREAM_ALIGN)) {
		drm_dbg(drm, "SUBMIT: bad stream 0x%llx size %u\n",
			args->cmd_addr, args->cmd_size);
		return -EINVAL;
	}
	if (args->bo_count > LUTCORE_MAX_SUBMIT_BOS ||
	    args->in_sync_count > LUTCORE_MAX_SUBMIT_SYNCS ||
	    args->out_sync_count > LUTCORE_MAX_SUBMIT_SYNCS) {
		drm_dbg(drm, "SUBMIT: too many buffers or syncs\n");
		return -EINVAL;
	}
	if ((!args->bo_count && args->bo_handles) ||
	    (!args->in_sync_count && args->in_syncs) ||
	    (!args->out_sync_count && args->out_syncs)) {
		drm_dbg(drm, "SUBMIT: pointer given with a count of 0\n");
		return -EINVAL;
	}

	return 0;
}

static int lutcore_cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* A handle named twice would make the reservation locking fail. */
static int lutcore_submit_check_unique(struct drm_gem_object **objs, u32 count)
{
	struct drm_gem_object **sorted;
	int ret = 0;
	u32 i;

	if (count < 2)
		return 0;
	sorted = kvmemdup(objs, array_size(count, sizeof(*objs)), GFP_KERNEL);
	if (!sorted)
		return -ENOMEM;
	sort(sorted, count, sizeof(*sorted), lutcore_cmp_ptr, NULL);
	for (i = 1; i < count; i++) {
		if (sorted[i] == sorted[i - 1]) {
			ret = -EINVAL;
			break;
		}
	}
	kvfree(sorted);

	return ret;
}

/*
 * Turns the handle list into mapping references (the job's) plus the
 * stream's buffer, which the job holds as well. Mappings are looked up
 * before any reservation is locked: lutcore_bo.mappings_lock nests outside
 * the reservations.
 */
static int lutcore_submit_buffers(struct lutcore_submit *submit,
				  struct drm_file *file,
				  const struct drm_lutcore_submit *args)
{
	struct lutcore_job *job = submit->job;
	struct lutcore_vm *vm = job->lfile->vm;
	struct drm_gem_object **objs = NULL;
	struct lutcore_mapping *stream;
	bool stream_listed = false;
	u32 i;
	int ret;

	job->mappings = kvcalloc(args->bo_count + 1, sizeof(*job->mappings),
				 GFP_KERNEL);
	submit->write = kvcalloc(args->bo_count + 1, sizeof(*submit->write),
				 GFP_KERNEL);
	submit->objs = kvcalloc(args->bo_count + 1, sizeof(*submit->objs),
				GFP_KERNEL);
	if (!job->mappings || !submit->write || !submit->objs)
		return -ENOMEM;

	ret = drm_gem_objects_lookup(file, u64_to_user_ptr(args->bo_handles),
				     args->bo_count, &objs);
	if (ret) {
		drm_dbg(file->minor->dev, "SUBMIT: bad buffer handle array\n");
		goto out_put;
	}
	ret = lutcore_submit_check_unique(objs, args->bo_count);
	if (ret) {
		drm_dbg(file->minor->dev, "SUBMIT: buffer listed twice\n");
		goto out_put;
	}

	stream = lutcore_mapping_find_va(vm, args->cmd_addr, args->cmd_size);
	if (!stream) {
		drm_dbg(file->minor->dev, "SUBMIT: stream 0x%llx+%u not in a buffer\n",
			args->cmd_addr, args->cmd_size);
		ret = -EINVAL;
		goto out_put;
	}

	for (i = 0; i < args->bo_count; i++) {
		struct lutcore_bo *bo = to_lutcore_bo(objs[i]);
		struct lutcore_mapping *mapping;

		mapping = lutcore_mapping_get(bo, vm);
		if (!mapping) {
			/* The handle was closed since the lookup. */
			ret = -ENOENT;
			break;
		}
		job->mappings[job->mapping_count] = mapping;
		submit->objs[job->mapping_count] = objs[i];
		submit->write[job->mapping_count++] =
			!(bo->flags & DRM_LUTCORE_BO_DEV_READ_ONLY);
		if (mapping == stream)
			stream_listed = true;
	}
	if (ret || stream_listed) {
		lutcore_mapping_put(stream);
	} else {
		/* Only read by the device as far as implicit sync goes. */
		job->mappings[job->mapping_count] = stream;
		submit->objs[job->mapping_count++] = &stream->bo->base.base;
	}

out_put:
	/*
	 * The job's mappings hold the buffers while it lives; the submit holds
	 * its own references until it has unlocked their reservations, which
	 * is after the job may have finished.
	 */
	for (i = 0; i < job->mapping_count; i++)
		drm_gem_object_get(submit->objs[i]);
	submit->obj_count = job->mapping_count;
	for (i = 0; objs && i < args->bo_count; i++)
		if (objs[i])
			drm_gem_object_put(objs[i]);
	kvfree(objs);
	return ret;
}

static int lutcore_submit_in_syncs(struct lutcore_submit *submit,
				   struct drm_file *file,
				   const struct drm_lutcore_submit *args)
{
	struct drm_lutcore_sync *syncs;
	struct dma_fence *fence;
	int ret = 0;
	u32 i;

	if (!args->in_sync_count)
		return 0;
	syncs = memdup_array_user(u64_to_user_ptr(args->in_syncs),
				  args->in_sync_count, sizeof(*syncs));
	if (IS_ERR(syncs))
		return PTR_ERR(syncs);

	for (i = 0; i < args->in_sync_count; i++) {
		if (syncs[i].flags) {
			ret = -EINVAL;
			break;
		}
		/* u64 points: drm_sched_job_add_syncobj_dependency() takes u32. */
		ret = drm_syncobj_find_fence(file, syncs[i].handle,
					     syncs[i].point, 0, &fence);
		if (ret)
			break;
		ret = drm_sched_job_add_dependency(&submit->job->base, fence);
		if (ret)
			break;
	}
	if (ret)
		drm_dbg(file->minor->dev, "SUBMIT: in-sync %u (handle %u point %llu): %d\n",
			i, syncs[i].handle, syncs[i].point, ret);
	kfree(syncs);

	return ret;
}

static int lutcore_submit_out_syncs(struct lutcore_submit *submit,
				    struct drm_file *file,
				    const struct drm_lutcore_submit *args)
{
	struct drm_lutcore_sync *syncs;
	int ret = 0;
	u32 i;

	if (!args->out_sync_count)
		return 0;
	syncs = memdup_array_user(u64_to_user_ptr(args->out_syncs),
				  args->out_sync_count, sizeof(*syncs));
	if (IS_ERR(syncs))
		return PTR_ERR(syncs);
	submit->outs = kcalloc(args->out_sync_count, sizeof(*submit->outs),
			       GFP_KERNEL);
	if (!submit->outs) {
		ret = -ENOMEM;
		goto out_free;
	}

	for (i = 0; i < args->out_sync_count; i++) {
		struct lutcore_out_sync *out = &submit->outs[i];

		if (syncs[i].flags) {
			ret = -EINVAL;
			break;
		}
		out->syncobj = drm_syncobj_find(file, syncs[i].handle);
		if (!out->syncobj) {
			ret = -ENOENT;
			break;
		}
		submit->out_count++;
		out->point = syncs[i].point;
		if (out->point) {
			/* Allocated now: nothing may fail after the arm. */
			out->chain = dma_fence_chain_alloc();
			if (!out->chain) {
				ret = -ENOMEM;
				break;
			}
		}
	}
	if (ret)
		drm_dbg(file->minor->dev, "SUBMIT: out-sync %u (handle %u): %d\n",
			i, syncs[i].handle, ret);
out_free:
	kfree(syncs);
	return ret;
}

static void lutcore_submit_fini(struct lutcore_submit *submit)
{
	u32 i;

	for (i = 0; i < submit->out_count; i++) {
		dma_fence_chain_free(submit->outs[i].chain);
		drm_syncobj_put(submit->outs[i].syncobj);
	}
	kfree(submit->outs);
	for (i = 0; i < submit->obj_count; i++)
		drm_gem_object_put(submit->objs[i]);
	kvfree(submit->objs);
	kvfree(submit->write);
}

/* The point of no return: nothing in here can fail. */
static void lutcore_submit_commit(struct lutcore_submit *submit)
{
	struct lutcore_job *job = submit->job;
	struct lutcore_file_priv *lfile = job->lfile;
	struct dma_fence *finished;
	unsigned int i;

	mutex_lock(&lfile->submit_lock);
	drm_sched_job_arm(&job->base);
	finished = &job->base.s_fence->finished;
	job->id = lutcore_job_record(lfile, finished);
	submit->job_id = job->id;

	for (i = 0; i < job->mapping_count; i++)
		dma_resv_add_fence(submit->objs[i]->resv, finished,
				   submit->write[i] ? DMA_RESV_USAGE_WRITE :
				   DMA_RESV_USAGE_READ);
	for (i = 0; i < submit->out_count; i++) {
		struct lutcore_out_sync *out = &submit->outs[i];

		if (out->chain) {
			drm_syncobj_add_point(out->syncobj, out->chain, finished,
					      out->point);
			out->chain = NULL;	/* the syncobj owns it */
		} else {
			drm_syncobj_replace_fence(out->syncobj, finished);
		}
	}
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&lfile->submit_lock);
}

static int lutcore_submit_locked(struct lutcore_submit *submit)
{
	struct lutcore_job *job = submit->job;
	/* Copied: once committed, the job may finish and be freed. */
	unsigned int i, count = submit->obj_count;
	struct ww_acquire_ctx ctx;
	int ret;

	ret = drm_gem_lock_reservations(submit->objs, count, &ctx);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		ret = dma_resv_reserve_fences(submit->objs[i]->resv, 1);
		if (ret)
			goto out_unlock;
		ret = drm_sched_job_add_implicit_dependencies(&job->base,
							      submit->objs[i],
							      submit->write[i]);
		if (ret)
			goto out_unlock;
	}
	lutcore_submit_commit(submit);

out_unlock:
	drm_gem_unlock_reservations(submit->objs, count, &ctx);
	return ret;
}

/* Test-only (debugfs submit_delay_ms): let the queued job finish first. */
static void lutcore_submit_test_delay(struct lutcore_device *ldev)
{
	u32 delay_ms = READ_ONCE(ldev->submit_delay_ms);

	if (unlikely(delay_ms))
		msleep(min_t(u32, delay_ms, LUTCORE_TEST_DELAY_MAX_MS));
}

int lutcore_ioctl_submit(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct lutcore_device *ldev = to_lutcore_device(drm);
	struct lutcore_file_priv *lfile = file->driver_priv;
	struct drm_lutcore_submit *args = data;
	struct lutcore_submit submit = { };
	struct drm_sched_entity *entity;
	struct lutcore_job *job;
	int ret;

	ret = lutcore_submit_check(ldev, args);
	if (ret)
		return ret;
	if (atomic_read(&lfile->banned)) {
		drm_dbg(drm, "SUBMIT: file is banned after a hang\n");
		return -ECANCELED;
	}

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	ret = lutcore_job_hold(job, ldev);
	if (ret) {
		kfree(job);
		return ret;
	}
	kref_get(&lfile->refcount);
	job->lfile = lfile;
	job->cmd_addr = args->cmd_addr;
	job->cmd_size = args->cmd_size;
	INIT_LIST_HEAD(&job->hw_link);
	INIT_LIST_HEAD(&job->vm_job.link);
	submit.job = job;

	ret = lutcore_submit_buffers(&submit, file, args);
	if (ret)
		goto err_put_job;

	entity = &lfile->entities[args->core == DRM_LUTCORE_CORE_ANY ?
				  ldev->caps.num_cores : args->core];
	ret = lutcore_sched_job_init(&job->base, entity, 1, lfile, file);
	if (ret)
		goto err_put_job;

	ret = lutcore_submit_in_syncs(&submit, file, args);
	if (ret)
		goto err_cleanup;
	ret = lutcore_submit_out_syncs(&submit, file, args);
	if (ret)
		goto err_cleanup;
	ret = lutcore_submit_locked(&submit);
	if (ret)
		goto err_cleanup;
	lutcore_submit_test_delay(ldev);

	/* The scheduler owns the job now, and may have freed it. */
	args->job_id = submit.job_id;
	lutcore_submit_fini(&submit);
	return 0;

err_cleanup:
	drm_sched_job_cleanup(&job->base);
err_put_job:
	lutcore_submit_fini(&submit);
	lutcore_job_put_resources(job);
	return ret;
}
