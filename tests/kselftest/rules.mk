# In-VM kselftest suites of the lutcore driver: static binaries that talk
# to /dev/lutcore with raw ioctl() on the uapi header; lutcore-tools runs
# lutcore-info against it. lutcore-lifecycle unbinds, unloads and reloads
# the driver and puts it back, so the suites may run in any order.

KSFT_SUITES := probe param lifecycle tools

$(foreach s,$(KSFT_SUITES),$(eval $(call vm_test,lutcore-$(s),$(TOP)/tests/kselftest/$(s).c)))

# Job suites through liblutcore: real jobs, fences, isolation, hang recovery,
# stress and hot unplug (jobs_util.c holds their shared helpers; mmjob.c is
# the LUT-mpGEMM test job the host stream tests use too).
JOBS_SUITES := jobs fences isolation hang stress hotplug
JOBS_UTIL := $(TOP)/tests/kselftest/jobs_util.c $(TOP)/tests/stream/mmjob.c \
	$(TOP)/tests/engine/ref.c
$(foreach s,$(JOBS_SUITES),$(eval $(call vm_test,lutcore-$(s),$(TOP)/tests/kselftest/$(s).c $(JOBS_UTIL))))

# Raw-ioctl suites: one test per invalid field of every ioctl, buffer
# lifetime and the job-error query (ioctl_helpers.h holds their helpers).
IOCTL_SUITES := bo submit job lifetime
$(foreach s,$(IOCTL_SUITES),$(eval $(call vm_test,lutcore-ioctl-$(s),$(TOP)/tests/kselftest/ioctl_$(s).c)))
