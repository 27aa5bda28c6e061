# Device tests: the QEMU LUTCore device driven over the qtest protocol (no
# guest). Each binary starts its own QEMU instances from
# build/qemu-system-x86_64 (or $LUTCORE_QEMU) and skips without one.

DEVTEST_COMMON := $(TOP)/tests/device/devtest.c $(TOP)/tests/device/devmmu.c \
	$(TOP)/tests/device/qtest_pci.c $(TOP)/tests/device/qtest_client.c
DEVTEST_SUITES := regs jobs errors reset
DEVTEST_BINS := client $(DEVTEST_SUITES)

$(eval $(call host_test,device-client,$(TOP)/tests/device/test_client.c $(TOP)/tests/device/qtest_client.c))
$(foreach s,$(DEVTEST_SUITES),$(eval $(call host_test,device-$(s),$(TOP)/tests/device/test_$(s).c $(DEVTEST_COMMON))))

# The sanitizer builds do not pick up the local headers by themselves.
$(foreach s,$(DEVTEST_BINS),$(eval $(HOST)/san/device-$(s): $(wildcard $(TOP)/tests/device/*.h)))
# The harness compares in the type of the expected value, and these tests
# compare register values with plain constants (EXPECT_EQ(0, reg)).
$(foreach s,$(DEVTEST_BINS),$(eval $(HOST)/tests/device-$(s) $(HOST)/san/device-$(s): \
	TEST_CFLAGS += -Wno-sign-compare))
