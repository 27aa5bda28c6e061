# Host unit tests of the tools' output formatting (no device needed).
$(eval $(call host_test,tool-args,$(TOP)/tests/tools/test_args.c $(TOOL_COMMON_SRCS)))
$(HOST)/tests/tool-args $(HOST)/san/tool-args: TEST_CFLAGS += $(TOOL_CFLAGS)
$(eval $(call host_test,tool-info,$(TOP)/tests/tools/test_info_print.c $(TOP)/tools/info/info_print.c))
# lutcore-infer run as a program (finds build/host/bin/ from its own path).
$(eval $(call host_test,tool-infer,$(TOP)/tests/tools/test_infer.c))
$(HOST)/tests/tool-infer $(HOST)/san/tool-infer: $(HOST)/bin/lutcore-infer $(HOST)/bin/lutcore-mkmodel
