# Host tests of lutcore-train (tools/train/): gradients, the ternary
# straight-through path, determinism and resuming, the GGUF export, and
# the command line.
TT := $(TOP)/tests/train
$(eval $(call host_test,train-grad,$(TT)/test_grad.c $(TRAIN_CORE_SRCS)))
$(eval $(call host_test,train-ste,$(TT)/test_ste.c $(TRAIN_CORE_SRCS)))
$(eval $(call host_test,train-determinism,$(TT)/test_determinism.c $(TRAIN_CORE_SRCS)))
$(eval $(call host_test,train-export,$(TT)/test_export.c $(TRAIN_CORE_SRCS)))
$(eval $(call host_test,train-cli,$(TT)/test_cli.c))

# The gradient check runs in double.
$(HOST)/tests/train-grad $(HOST)/san/train-grad: TEST_CFLAGS += -DLT_REAL_DOUBLE

TRAIN_TESTS := train-grad train-ste train-determinism train-export train-cli
$(foreach t,$(TRAIN_TESTS),$(eval $(HOST)/tests/$(t) $(HOST)/san/$(t): $(TRAIN_HDRS)))
# The command-line test runs build/host/bin/lutcore-train.
$(HOST)/tests/train-cli $(HOST)/san/train-cli: $(TRAIN_BIN)
