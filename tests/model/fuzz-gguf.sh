#!/usr/bin/env bash
# Run the GGUF reader's libFuzzer target (tests/model/fuzz_gguf.c) for
# FUZZ_TIME seconds (default 20) and report one TAP result, so that
# `make test` counts it like any host test. The seeds are small models and
# vocabularies written by lutcore-mkmodel; the corpus the fuzzer grows is
# kept between runs in the work directory, and any crashing input is kept
# in its crashes/ directory and named in the output.
#
# The build substitutes @FUZZER@, @MKMODEL@ and @WORKDIR@ (tests/model/rules.mk).
set -uo pipefail
fuzzer=@FUZZER@
mkmodel=@MKMODEL@
work=@WORKDIR@
time=${FUZZ_TIME:-20}
name=fuzz.gguf_reader

echo "TAP version 13"
echo "1..1"
fail() {
	echo "not ok 1 $name # $1"
	exit 1
}

if [ ! -x "$fuzzer" ]; then
	echo "ok 1 $name # SKIP clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)"
	exit 0
fi
mkdir -p "$work/seeds" "$work/corpus" "$work/crashes" || fail "cannot create $work"
# Seeds: a few KiB each, so that mutations stay fast. Regenerated when the
# generator changes.
if [ ! -e "$work/seeds/.stamp" ] || [ "$mkmodel" -nt "$work/seeds/.stamp" ]; then
	tiny=(--dim 32 --heads 2 --kv-heads 1 --ffn 64 --layers 1 --ctx 32 --vocab 320)
	while read -r seed args; do
		# shellcheck disable=SC2086
		"$mkmodel" -q -o "$work/seeds/$seed.gguf" $args ||
			fail "lutcore-mkmodel could not write the seed $seed"
	done <<-SEEDS
		spm-vocab --vocab-only
		bpe-vocab --vocab-only --tokenizer bpe --vocab 300
		llama-q4_0 ${tiny[*]} --type q4_0 --embd-type q8_0
		llama-f16 ${tiny[*]} --type f16 --embd-type bf16 --tied
		bitnet-bf16 ${tiny[*]} --arch bitnet --type bf16 --embd-type q4_0 --tokenizer bpe
	SEEDS
	touch "$work/seeds/.stamp"
fi

log="$work/fuzz.log"
"$fuzzer" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/crashes/" "$work/corpus" "$work/seeds" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "# $name: ${runs:-?} inputs in ${time} s, corpus $(find "$work/corpus" -type f | wc -l) files"
if [ $rc -ne 0 ]; then
	tail -n 40 "$log" | sed 's/^/# /'
	crash=$(grep -o "Test unit written to .*" "$log" | tail -n1)
	fail "libFuzzer exit status $rc${crash:+; $crash}"
fi
echo "ok 1 $name"
