# LUTCore: top-level build.
#
#   make run     build everything, boot the VM, generate text on the device
#                (MODEL=file.gguf PROMPT="..." N=tokens ARGS="lutcore-infer flags")
#   make test    host unit tests, then the in-VM suite; one summary line
#   make lint    checkpatch (kernel, QEMU), clang-format and cppcheck
#   make info    the device's capabilities, read through the driver in the VM
#                (INFO_ARGS=--json for JSON)
#   make bench   benchmarks (ratios measured side by side)
#   make model   train the default models from scratch (models/README.md)
#
# Host-side artefacts go to build/; QEMU, the guest kernel and Debian
# sources go to the cache (scripts/lib.sh, default ~/.cache/lutcore).

SHELL := /bin/bash
.DEFAULT_GOAL := all

TOP     := $(CURDIR)
BUILD   := $(TOP)/build
HOST    := $(BUILD)/host
VMBIN   := $(BUILD)/vm
STAMPS  := $(BUILD)/stamps

CC      ?= gcc
# Quiet by default, like Kbuild; V=1 shows the commands.
ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-7s %s\n'
endif
# The kselftest harness headers come from Debian's linux-source-6.12.
KERNEL_DIR_FILE := $(BUILD)/kernel-dir
KSFT_DIR = $(shell cat $(KERNEL_DIR_FILE) 2>/dev/null)/source/tools/testing/selftests

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-unused-parameter -Werror=implicit-function-declaration
CFLAGS  ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -pthread -ffp-contract=off \
	   -I$(TOP)/lib/include -I$(TOP)/qemu-device -I$(TOP)/uapi/drm \
	   $(shell pkg-config --cflags libdrm 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs libdrm 2>/dev/null) -lm -pthread
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# The kselftest harness defines its functions without prototypes and uses
# setjmp-free forks that -Wclobbered misreads.
TEST_CFLAGS = -I$(KSFT_DIR) -Wno-missing-prototypes -Wno-clobbered

# Fragments add to these lists.
HOST_TESTS :=		# host unit-test binaries (kselftest harness, TAP)
HOST_SAN_TESTS :=	# the same tests built with ASan+UBSan
TOOLS :=		# user tools (host build)
VM_PROGS :=		# static programs installed in the initramfs /bin
VM_TESTS :=		# static kselftest binaries run inside the VM

# Canned rules, so that a fragment only names its program and sources.
# $(call host_test,NAME,SOURCES): a host unit test linked with liblutcore,
# built twice: plainly and with ASan+UBSan (against liblutcore-san.a).
define host_test
HOST_TESTS += $(HOST)/tests/$(1)
HOST_SAN_TESTS += $(HOST)/san/$(1)
$(HOST)/tests/$(1): $(2) $(LIB_A) $(LIB_HDRS) $(KERNEL_DIR_FILE) $$(wildcard $$(dir $$(firstword $(2)))*.h)
	@mkdir -p $$(@D)
	$$(quiet) TEST $$(notdir $$@)
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(CFLAGS) $$(TEST_CFLAGS) -o $$@ $(2) $(LIB_A) $$(LDLIBS)
$(HOST)/san/$(1): $(2) $(LIB_SAN_A) $(LIB_HDRS) $(KERNEL_DIR_FILE) $$(wildcard $$(dir $$(firstword $(2)))*.h)
	@mkdir -p $$(@D)
	$$(quiet) SANTEST $$(notdir $$@)
	$$(Q)$$(CC) $$(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) $$(TEST_CFLAGS) -o $$@ $(2) $(LIB_SAN_A) $$(LDLIBS)
endef
# $(call vm_test,NAME,SOURCES): a static kselftest binary for the VM.
define vm_test
VM_TESTS += $(VMBIN)/tests/$(1)
$(VMBIN)/tests/$(1): $(2) $(LIB_A) $(LIB_HDRS) $(KERNEL_DIR_FILE) $$(wildcard $$(dir $$(firstword $(2)))*.h)
	@mkdir -p $$(@D)
	$$(quiet) VMTEST $$(notdir $$@)
	$$(Q)$$(CC) -static $$(BASE_CFLAGS) $$(CFLAGS) $$(TEST_CFLAGS) -o $$@ $(2) $(LIB_A) $$(LDLIBS)
endef
# Command-line helpers every tool links (tools/common/args.h).
TOOL_COMMON_SRCS := $(TOP)/tools/common/args.c
TOOL_COMMON_HDRS := $(TOP)/tools/common/args.h
TOOL_CFLAGS := -I$(TOP)/tools/common
# $(call tool,NAME,SOURCES): a user tool, for the host and (static) the VM.
define tool
TOOLS += $(HOST)/bin/$(1)
VM_PROGS += $(VMBIN)/bin/$(1)
$(HOST)/bin/$(1): $(2) $(TOOL_COMMON_SRCS) $(TOOL_COMMON_HDRS) $(LIB_A) $(LIB_HDRS) $$(wildcard $$(dir $$(firstword $(2)))*.h)
	@mkdir -p $$(@D)
	$$(quiet) TOOL $$(notdir $$@)
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(TOOL_CFLAGS) $$(CFLAGS) -o $$@ $(2) $(TOOL_COMMON_SRCS) $(LIB_A) $$(LDLIBS)
$(VMBIN)/bin/$(1): $(2) $(TOOL_COMMON_SRCS) $(TOOL_COMMON_HDRS) $(LIB_A) $(LIB_HDRS) $$(wildcard $$(dir $$(firstword $(2)))*.h)
	@mkdir -p $$(@D)
	$$(quiet) VMTOOL $$(notdir $$@)
	$$(Q)$$(CC) -static $$(BASE_CFLAGS) $$(TOOL_CFLAGS) $$(CFLAGS) -o $$@ $(2) $(TOOL_COMMON_SRCS) $(LIB_A) $$(LDLIBS)
endef

include lib/lib.mk
include $(sort $(wildcard tools/*/rules.mk))
include $(sort $(wildcard tests/*/rules.mk))

.PHONY: all setup host qemu kernel-fetch module initramfs vm run run-deps info test \
	test-host test-vm lint bench clean distclean help

all: host module qemu initramfs

help:
	@sed -n '3,8p' Makefile | sed 's/^# //'

$(STAMPS)/setup: scripts/setup-host.sh
	@mkdir -p $(@D)
	scripts/setup-host.sh
	@touch $@
setup: $(STAMPS)/setup

# The cached QEMU build; the script prints the binary's path.
qemu: $(STAMPS)/setup
	@mkdir -p $(BUILD)
	@ln -sfn "$$(scripts/build-qemu.sh)" $(BUILD)/qemu-system-x86_64

$(KERNEL_DIR_FILE): $(STAMPS)/setup scripts/fetch-kernel.sh
	@mkdir -p $(@D)
	scripts/fetch-kernel.sh > $@.tmp && mv $@.tmp $@
kernel-fetch: $(KERNEL_DIR_FILE)

# lutcore.ko, against the linux-headers of exactly the guest kernel.
module: $(KERNEL_DIR_FILE)
	$(Q)$(MAKE) --no-print-directory -C kernel KERNEL_DIR_FILE=$(KERNEL_DIR_FILE)

host: $(STAMPS)/setup $(LIB_A) $(LIB_SO) $(LIB_PC) $(TOOLS) $(HOST_TESTS)

initramfs: $(STAMPS)/setup module $(VM_PROGS) $(VM_TESTS)
	$(Q)scripts/mkinitramfs.sh --out $(BUILD)/initramfs.cpio.gz \
		--kernel-dir "$$(cat $(KERNEL_DIR_FILE))" --module kernel/lutcore.ko \
		--progs "$(VM_PROGS)" --tests "$(VM_TESTS)"

vm: qemu initramfs

# The main job: lutcore-infer on the device in the VM, on the bundled
# default model or on MODEL=file.gguf, with PROMPT=, N= (tokens) and ARGS=
# (more lutcore-infer flags); TIMEOUT= overrides the VM's time limit.
# Without ARGS it samples (greedy decoding of a model this small loops)
# with a fixed seed, so a run prints the same text every time.
RUN_PROMPT_DEFAULT := The meaning of life is
RUN_ARGS_DEFAULT := --temp 0.7 --top-k 40 --top-p 0.95 --seed 1
# The model is checked before anything is built (scripts/run-model.sh);
# the values reach the script through the environment, unexpanded, so
# quotes, spaces and $ in a prompt arrive as typed.
run: export LUT_RUN_MODEL = $(or $(value MODEL),$(MODEL_DEFAULT))
run: export LUT_RUN_PROMPT = $(or $(value PROMPT),$(RUN_PROMPT_DEFAULT))
run: export LUT_RUN_N = $(value N)
run: export LUT_RUN_ARGS = $(or $(value ARGS),$(RUN_ARGS_DEFAULT))
run: export LUT_RUN_TIMEOUT = $(value TIMEOUT)
run:
	$(Q)scripts/run-model.sh --check $(if $(value MODEL),--model "$$LUT_RUN_MODEL") \
		--n "$$LUT_RUN_N" --timeout "$$LUT_RUN_TIMEOUT"
	$(Q)$(MAKE) --no-print-directory run-deps
	$(Q)scripts/run-model.sh --kernel-dir "$$(cat $(KERNEL_DIR_FILE))" --model "$$LUT_RUN_MODEL" \
		--prompt "$$LUT_RUN_PROMPT" --n "$$LUT_RUN_N" --args "$$LUT_RUN_ARGS" \
		--timeout "$$LUT_RUN_TIMEOUT"

# What run needs built; a recipe, so that make has nothing to announce.
run-deps: all $(if $(value MODEL),,$(MODEL_DEFAULT))
	@:

# lutcore-info in the VM: identity and capabilities as the driver reports them.
info: all
	$(Q)tools/vm/lutcore-vm --kernel-dir "$$(cat $(KERNEL_DIR_FILE))" \
		--initramfs $(BUILD)/initramfs.cpio.gz -- "lutcore-info $(INFO_ARGS)"

test: all $(HOST_SAN_TESTS)
	@scripts/run-tests.sh --build $(BUILD) --kernel-dir "$$(cat $(KERNEL_DIR_FILE))" \
		--host "$(HOST_TESTS) $(HOST_SAN_TESTS)" --vm "$(notdir $(VM_TESTS))"

test-host: host $(HOST_SAN_TESTS)
	@scripts/run-tests.sh --build $(BUILD) --host "$(HOST_TESTS) $(HOST_SAN_TESTS)"

lint: $(STAMPS)/setup $(KERNEL_DIR_FILE)
	@scripts/lint.sh --kernel-dir "$$(cat $(KERNEL_DIR_FILE))"

clean:
	rm -rf $(BUILD)
	$(MAKE) -C kernel clean KERNEL_DIR_FILE=/dev/null >/dev/null 2>&1 || true

distclean: clean
	@echo "the cache ($${LUTCORE_CACHE:-~/.cache/lutcore}) is kept; remove it by hand to start cold"
