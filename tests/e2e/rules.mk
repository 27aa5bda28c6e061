# lutcore-e2e-infer: the inference path end to end inside the VM. Models
# come from the generator's code (tools/mkmodel), written to the guest's
# /tmp; each runs on the device and on the CPU backend, compared step by
# step.
E2E_SRCS := $(TOP)/tests/e2e/infer.c $(TOP)/tests/e2e/e2e_util.c $(MKMODEL_SRCS)
$(eval $(call vm_test,lutcore-e2e-infer,$(E2E_SRCS)))
$(VMBIN)/tests/lutcore-e2e-infer: $(TOP)/tools/mkmodel/mkmodel.h
