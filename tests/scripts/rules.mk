# Host test of the test collector (scripts/run-tests.sh, tap-summary.awk)
# and of the VM launcher's host side (tools/vm/lutcore-vm, init,
# lutcore-run-tests), with stand-ins for QEMU and for a VM boot: no VM.
# A shell script, so no sanitizer twin; it runs the scripts in the tree.
HOST_TESTS += $(HOST)/tests/scripts-collector
$(HOST)/tests/scripts-collector: $(TOP)/tests/scripts/test-collector.sh
	@mkdir -p $(@D)
	$(quiet) GEN $(notdir $@)
	$(Q)sed -e 's|@TOP@|$(TOP)|' $< >$@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# Host test of the 6.12.y compat build (scripts/compat-build.sh): lutcore.ko
# against the oldest Debian 6.12 headers in the archive, its feature macros
# checked against the headers' prototypes. A shell script, no sanitizer twin.
HOST_TESTS += $(HOST)/tests/scripts-compat-build
$(HOST)/tests/scripts-compat-build: $(TOP)/tests/scripts/test-compat-build.sh
	@mkdir -p $(@D)
	$(quiet) GEN $(notdir $@)
	$(Q)sed -e 's|@TOP@|$(TOP)|' $< >$@.tmp && chmod +x $@.tmp && mv $@.tmp $@
