# lutcore-train: trains the default models (models/README.md). Host only:
# training needs no device. `make model` trains both models from scratch.

# The trainer's sources without main.c and the command line, for the tests;
# the vocabulary learner is lutcore-mkmodel's.
TRAIN_CORE_SRCS := $(addprefix $(TOP)/tools/train/,pool.c gemm.c model.c forward.c \
	backward.c optim.c step.c data.c tokens.c export.c ckpt.c) \
	$(TOP)/tools/mkmodel/vocab.c $(TOP)/tools/mkmodel/model.c $(TOP)/tools/mkmodel/corpus.c
TRAIN_SRCS := $(TRAIN_CORE_SRCS) $(addprefix $(TOP)/tools/train/,main.c opts.c run.c sample.c) \
	$(TOOL_COMMON_SRCS)
TRAIN_HDRS := $(wildcard $(TOP)/tools/train/*.h) $(TOP)/tools/mkmodel/mkmodel.h \
	$(TOOL_COMMON_HDRS)
TRAIN_BIN  := $(HOST)/bin/lutcore-train

# Training is matrix products: let the compiler vectorize them with the
# widest vectors the build machine has (x86-64-v4: AVX-512, v3: AVX2 and
# FMA). Fused multiply-adds are used alike everywhere (tools/train/gemm.c),
# so results stay independent of the thread count; they do depend on the
# instruction set level, which is why models/README.md names it.
TRAIN_CPU := $(shell cat /proc/cpuinfo 2>/dev/null)
TRAIN_HAS = $(if $(strip $(foreach f,$(1),$(if $(filter $(f),$(TRAIN_CPU)),,no))),,yes)
TRAIN_ARCH := $(if $(call TRAIN_HAS,avx512f avx512bw avx512cd avx512dq avx512vl avx2 fma bmi2 \
	f16c movbe),-march=x86-64-v4 -mprefer-vector-width=512,$(if $(call TRAIN_HAS,avx2 fma \
	bmi2 f16c movbe),-march=x86-64-v3))
TRAIN_CFLAGS := -O3 $(TRAIN_ARCH) -ffp-contract=fast

TOOLS += $(TRAIN_BIN)
$(TRAIN_BIN): $(TRAIN_SRCS) $(TRAIN_HDRS) $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(quiet) TOOL $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(TRAIN_CFLAGS) $(TOOL_CFLAGS) -o $@ $(TRAIN_SRCS) $(LIB_A) $(LDLIBS)

# ---- make model -----------------------------------------------------------
# Trains both default models from scratch into models/ and writes the record
# in models/README.md (tools/train/make-model.sh holds the recipe); work
# files go to build/model/.
.PHONY: model
model: $(TRAIN_BIN)
	$(Q)tools/train/make-model.sh --bin $(TRAIN_BIN) --work $(BUILD)/model --out $(TOP)/models \
		--cflags "$(CC) $(CFLAGS) $(TRAIN_CFLAGS)"
