# lutcore-bench: benchmarks with side-by-side baselines (see --help).
BENCH_SRCS := $(TOP)/tools/bench/main.c $(TOP)/tools/bench/engine_mode.c \
	$(TOP)/tools/bench/baseline.c $(TOP)/tools/bench/bench_submit.c \
	$(TOP)/tools/bench/bench_model.c
$(eval $(call tool,lutcore-bench,$(BENCH_SRCS)))

# `make bench`: the engine against the dequantize-then-FMA baseline on 1
# thread and on all CPUs.
bench: $(HOST)/bin/lutcore-bench
	$(HOST)/bin/lutcore-bench --engine

# `make bench-model [BENCH_MODEL=file.gguf | BENCH_PRESET=bitnet-2b]
# [BENCH_TOKENS=32] [BENCH_THREADS=1]`: a model on the CPU backend (host)
# and on the device (VM), one table with the ratio (tools/bench/README.md).
# Default model: the bundled MODEL_DEFAULT (tools/infer/rules.mk, read when
# the recipe runs, as this file is included first). What it runs on is built
# by a sub-make so that only the model asked for is generated.
BENCH_TOKENS ?= 32
BENCH_THREADS ?= 1
.PHONY: bench-model
bench-model:
	$(Q)$(MAKE) --no-print-directory $(HOST)/bin/lutcore-bench $(HOST)/bin/lutcore-mkmodel \
		qemu initramfs $(if $(BENCH_MODEL)$(BENCH_PRESET),,$(MODEL_DEFAULT))
	$(Q)tools/bench/bench-model.sh --build $(BUILD) --kernel-dir "$$(cat $(KERNEL_DIR_FILE))" \
		$(if $(BENCH_MODEL),--model "$(BENCH_MODEL)") \
		$(if $(BENCH_PRESET),--preset "$(BENCH_PRESET)") \
		$(if $(MODEL_DEFAULT),--default "$(MODEL_DEFAULT)") \
		--tokens "$(BENCH_TOKENS)" --threads "$(BENCH_THREADS)"
