# In-VM kselftest suites of the lutcore driver: static binaries that talk
# to /dev/lutcore with raw ioctl() on the uapi header. lutcore-lifecycle
# unbinds, unloads and reloads the driver and puts it back, so the suites
# may run in any order.

KSFT_SUITES := probe param lifecycle

$(foreach s,$(KSFT_SUITES),$(eval $(call vm_test,lutcore-$(s),$(TOP)/tests/kselftest/$(s).c)))
