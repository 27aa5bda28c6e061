# Host unit tests of the tools' output formatting (no device needed).
$(eval $(call host_test,tool-info,$(TOP)/tests/tools/test_info_print.c $(TOP)/tools/info/info_print.c))
