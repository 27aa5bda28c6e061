# lutcore-infer: text generation with a GGUF model (see lutcore-infer.1).
INFER_SRCS := $(TOP)/tools/infer/main.c $(TOP)/tools/infer/opts.c \
	$(TOP)/tools/infer/generate.c $(TOP)/tools/infer/report.c \
	$(TOP)/tools/infer/perplexity.c
$(eval $(call tool,lutcore-infer,$(INFER_SRCS)))

# The default model: trained by the project (lutcore-train, `make model`,
# models/README.md) and committed, ternary (tq2_0) weights. `make run` and
# `make bench-model` use it.
MODEL_DEFAULT := $(TOP)/models/lutcore-tiny-ternary.gguf
MODEL_FLOAT   := $(TOP)/models/lutcore-tiny-f16.gguf

# Generated test models (random weights, from a fixed seed, no file
# committed): one llama shape in three weight formats.
#   MODEL_TQ2   llama-tq2_0.gguf  ternary (tq2_0)
#   MODEL_F16   llama-f16.gguf    f16: for 1-4 bit runs (lutcore-infer --wbits 2)
#   MODEL_Q4    llama-q4_0.gguf   4-bit (q4_0)
# Dimensions are multiples of 256 (tq2_0's block). `make models` makes
# them; rules that need one depend on its variable.
MODELS_DIR    := $(BUILD)/models
INFER_MODEL_SHAPE := --arch llama --dim 512 --layers 4 --heads 8 --kv-heads 4 --ffn 1536 \
	--vocab 512 --ctx 512 --tokenizer spm --seed 5
MODEL_TQ2     := $(MODELS_DIR)/llama-tq2_0.gguf
MODEL_F16     := $(MODELS_DIR)/llama-f16.gguf
MODEL_Q4      := $(MODELS_DIR)/llama-q4_0.gguf
MODELS        := $(MODEL_TQ2) $(MODEL_F16) $(MODEL_Q4)

$(MODELS_DIR)/llama-%.gguf: $(HOST)/bin/lutcore-mkmodel $(TOP)/tools/infer/rules.mk
	@mkdir -p $(@D)
	$(quiet) MODEL $(notdir $@)
	$(Q)$(HOST)/bin/lutcore-mkmodel -q -o $@ $(INFER_MODEL_SHAPE) --type $*

.PHONY: models
models: $(MODELS)

# ---- make ppl-table ----------------------------------------------------------
# The analogue of the paper's Table 5 on the default models: held-out
# perplexity with FP16 and INT8 lookup tables, on the device (in the VM)
# and on the CPU backend, next to the trainer's float forward pass; writes
# docs/accuracy.md (scripts/ppl-table.sh). PPL_TOKENS caps the text (the
# fewest whole held-out cookies with at least that many tokens; 0: all).
PPL_TOKENS  ?= 8192
PPL_TERNARY ?= $(MODEL_DEFAULT)
PPL_FLOAT   ?= $(MODEL_FLOAT)

.PHONY: ppl-table
ppl-table: all
	$(Q)scripts/ppl-table.sh --build $(BUILD) --kernel-dir "$$(cat $(KERNEL_DIR_FILE))" \
		--ternary $(PPL_TERNARY) --float $(PPL_FLOAT) --tokens $(PPL_TOKENS) \
		--out $(TOP)/docs/accuracy.md
