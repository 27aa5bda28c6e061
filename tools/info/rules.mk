# lutcore-info: the device's identity and capabilities (see lutcore-info.1).
$(eval $(call tool,lutcore-info,$(TOP)/tools/info/lutcore-info.c $(TOP)/tools/info/info_print.c))
