# Host tests of the LUT engine (qemu-device/engine) against the naive
# reference in tests/engine/ref.c, and of the weight packer (lib/pack.c).
# Every instruction test runs under four engine variants (tfixture.h).
ENGINE_TEST_COMMON := $(TOP)/tests/engine/ref.c $(TOP)/tests/engine/tutil.c
ENGINE_TESTS := lmma precomp matmul epilogue vector malformed cycles cycle_model pack threads

$(foreach t,$(ENGINE_TESTS),$(eval $(call host_test,engine-$(t),$(TOP)/tests/engine/test_$(t).c $(ENGINE_TEST_COMMON))))
