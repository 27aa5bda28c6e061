# lutcore-bench: benchmarks with side-by-side baselines (see --help).
BENCH_SRCS := $(TOP)/tools/bench/main.c $(TOP)/tools/bench/engine_mode.c \
	$(TOP)/tools/bench/baseline.c $(TOP)/tools/bench/bench_submit.c
$(eval $(call tool,lutcore-bench,$(BENCH_SRCS)))

# `make bench`: the engine against the dequantize-then-FMA baseline on 1
# thread and on all CPUs.
bench: $(HOST)/bin/lutcore-bench
	$(HOST)/bin/lutcore-bench --engine
