# liblutcore host unit tests (no device needed).
$(eval $(call host_test,lib-device,$(TOP)/tests/lib/test_device.c))
