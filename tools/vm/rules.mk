# The VM's own helpers (static, initramfs only).
VM_PROGS += $(VMBIN)/bin/lutcore-timeout
$(VMBIN)/bin/lutcore-timeout: $(TOP)/tools/vm/lutcore-timeout.c
	@mkdir -p $(@D)
	$(quiet) VMTOOL $(notdir $@)
	$(Q)$(CC) -static $(BASE_CFLAGS) $(CFLAGS) -o $@ $<
