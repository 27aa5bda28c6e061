# Host tests of the model layer: GGUF, block formats, tokenizer, sampling,
# the model generator; and the GGUF reader's fuzzer.
MODEL_TEST_GEN := $(TOP)/tools/mkmodel/model.c $(TOP)/tools/mkmodel/vocab.c \
	$(TOP)/tools/mkmodel/corpus.c
$(eval $(call host_test,model-gguf,$(TOP)/tests/model/test_gguf.c $(MODEL_TEST_GEN)))
$(eval $(call host_test,model-quant,$(TOP)/tests/model/test_quant.c))
$(eval $(call host_test,model-tokenizer,$(TOP)/tests/model/test_tokenizer.c $(MODEL_TEST_GEN)))
$(eval $(call host_test,model-sampling,$(TOP)/tests/model/test_sampling.c))
$(eval $(call host_test,model-mkmodel,$(TOP)/tests/model/test_mkmodel.c $(MODEL_TEST_GEN)))
$(eval $(call host_test,model-weights,$(TOP)/tests/model/test_weights.c))
$(eval $(call host_test,model-runtime,$(TOP)/tests/model/test_runtime.c $(TOP)/tests/model/ref_forward.c $(MODEL_TEST_GEN)))

# The tests above also read the generator's header.
$(foreach t,model-gguf model-tokenizer model-mkmodel,\
	$(eval $(HOST)/tests/$(t) $(HOST)/san/$(t): $(TOP)/tools/mkmodel/mkmodel.h))

# The GGUF reader's fuzzer: clang's libFuzzer with ASan and UBSan (Debian:
# clang and libclang-rt-14-dev). `make test` runs it for 20 s through a
# TAP wrapper; `make fuzz-gguf [FUZZ_TIME=seconds]` runs it on its own.
FUZZ_DIR := $(HOST)/fuzz
FUZZ_GGUF := $(FUZZ_DIR)/fuzz_gguf
FUZZ_GGUF_SRCS := $(TOP)/tests/model/fuzz_gguf.c $(TOP)/lib/gguf.c $(TOP)/lib/quant.c \
	$(TOP)/qemu-device/engine/numeric.c \
	$(wildcard $(TOP)/lib/tok_*.c)
# Without the libFuzzer runtime the binary is not made and the test skips.
FUZZ_PROBE := 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }'
$(FUZZ_GGUF): $(FUZZ_GGUF_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(quiet) FUZZ $(notdir $@)
	$(Q)if echo $(FUZZ_PROBE) | clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then \
		clang -std=gnu11 -g -O1 -D_GNU_SOURCE -I$(TOP)/lib/include -I$(TOP)/qemu-device \
			-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
			-o $@ $(FUZZ_GGUF_SRCS) -lm; \
	else \
		echo "clang has no libFuzzer runtime (libclang-rt-14-dev): fuzz-gguf will skip" >&2; \
		rm -f $@; \
	fi

HOST_TESTS += $(HOST)/tests/fuzz-gguf
$(HOST)/tests/fuzz-gguf: $(TOP)/tests/model/fuzz-gguf.sh $(FUZZ_GGUF) $(HOST)/bin/lutcore-mkmodel
	@mkdir -p $(@D)
	$(quiet) GEN $(notdir $@)
	$(Q)sed -e 's|@FUZZER@|$(FUZZ_GGUF)|' -e 's|@MKMODEL@|$(HOST)/bin/lutcore-mkmodel|' \
		-e 's|@WORKDIR@|$(FUZZ_DIR)|' $< >$@.tmp && chmod +x $@.tmp && mv $@.tmp $@

.PHONY: fuzz-gguf
fuzz-gguf: $(HOST)/tests/fuzz-gguf
	@FUZZ_TIME=$${FUZZ_TIME:-20} $(HOST)/tests/fuzz-gguf
