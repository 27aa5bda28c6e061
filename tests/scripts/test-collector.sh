#!/usr/bin/env bash
# Host test of the test collector and the VM launcher's host side, without
# a VM: scripts/tap-summary.awk on hand-written TAP; scripts/run-tests.sh
# copied into a scratch tree whose tools/vm/lutcore-vm is a stand-in that
# replays recorded boots (console, results port, exit status); and
# tools/vm/lutcore-vm itself with a stand-in QEMU (--qemu) that plays the
# guest's side of the results port the way tools/vm/init does, running the
# command on the host. Both stand-ins live in this file and say so.
#
# The build substitutes @TOP@ (tests/scripts/rules.mk). TAP on stdout.
# The tests are functions called through the list at the end (SC2317
# cannot follow that).
# shellcheck disable=SC2317
set -uo pipefail
top=@TOP@
tmp=$(mktemp -d /tmp/lutcore-collector.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "$*"
	exit 1
}

# ---- scripts/tap-summary.awk ------------------------------------------------

summarise() { # RC TAP-TEXT: the summary lines
	printf '%b' "$2" | awk -v suite=s -v rc="$1" -f "$top/scripts/tap-summary.awk"
}

tap_more_results_than_planned() {
	local out
	out=$(summarise 0 '1..1\nok 1 a\nok 2 b\nok 3 c\n')
	echo "$out"
	grep -q '^FAIL s/(2 results beyond the plan of 1; ' <<<"$out" ||
		fail "three results for a plan of one were not a failure"
}

tap_fewer_results_than_planned() {
	local out
	out=$(summarise 0 '1..3\nok 1 a\n')
	echo "$out"
	grep -q '^FAIL s/(2 planned tests without a result; ' <<<"$out" ||
		fail "two missing results were not a failure"
}

tap_full_plan_passes() {
	local out
	out=$(summarise 0 'TAP version 13\n1..3\nok 1 a\nnot ok 2 b\nok 3 c # SKIP no device\n')
	echo "$out"
	[ "$out" = "$(printf 'PASS s/a\nFAIL s/b\nSKIP s/c')" ] || fail "unexpected summary"
}

tap_crash_after_passes_fails() {
	local out
	out=$(summarise 139 '1..1\nok 1 a\n')
	echo "$out"
	grep -q '^FAIL s/(exit status 139: killed by signal 11)' <<<"$out" ||
		fail "a crash after the last result was not a failure"
}

# ---- scripts/run-tests.sh ----------------------------------------------------

run_tests_help() {
	local out
	out=$("$top/scripts/run-tests.sh" --help) || fail "--help: exit status $?"
	echo "$out"
	grep -q '^usage: run-tests.sh ' <<<"$out" || fail "--help printed no usage line"
}

run_tests_missing_value() {
	local err rc
	err=$("$top/scripts/run-tests.sh" --build 2>&1 >/dev/null)
	rc=$?
	echo "$err"
	[ "$rc" -eq 2 ] || fail "--build without a value: exit status $rc, want 2"
	[ "$(wc -l <<<"$err")" -eq 1 ] || fail "--build without a value: want one line"
	grep -q -- '--build needs a value' <<<"$err" || fail "--build without a value: not named"
}

# A scratch tree: run-tests.sh and tap-summary.awk as they are, and a
# stand-in lutcore-vm that replays boot N from $tmp/boots/N/ (console.log,
# results.log, status) into --out, and counts the boots.
make_tree() {
	mkdir -p "$tmp/tree/scripts" "$tmp/tree/tools/vm" "$tmp/boots"
	cp "$top/scripts/run-tests.sh" "$top/scripts/tap-summary.awk" "$tmp/tree/scripts/"
	cat >"$tmp/tree/tools/vm/lutcore-vm" <<-'FAKE'
		#!/usr/bin/env bash
		# Stand-in for lutcore-vm: replays a recorded boot; no VM.
		boots=$(dirname "$0")/../../../boots
		while [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; shift; done
		n=$(($(cat "$boots/count" 2>/dev/null || echo 0) + 1))
		echo $n >"$boots/count"
		: >"$out/console.log"
		: >"$out/results.log"
		[ -d "$boots/$n" ] || exit 125
		cp "$boots/$n/console.log" "$boots/$n/results.log" "$out/"
		exit "$(cat "$boots/$n/status")"
	FAKE
	chmod +x "$tmp/tree/tools/vm/lutcore-vm"
}

GOOD_RESULTS='LUTCORE-START 6.12.0
LUTCORE-BEGIN lutcore-probe
TAP version 13
1..1
ok 1 probe.opens
LUTCORE-END lutcore-probe 0
LUTCORE-BEGIN module-unload
1..1
ok 1 module-unload.rmmod_after_last_close
LUTCORE-END module-unload 0
LUTCORE-TAINT 12288
LUTCORE-EXIT 0'

record_boot() { # N STATUS CONSOLE RESULTS
	mkdir -p "$tmp/boots/$1"
	echo "$2" >"$tmp/boots/$1/status"
	printf '%s\n' "$3" >"$tmp/boots/$1/console.log"
	printf '%s\n' "$4" >"$tmp/boots/$1/results.log"
}

# Runs the collector on the recorded boots; sets rc, out and boots.
collect() {
	out=$("$tmp/tree/scripts/run-tests.sh" --build "$tmp/build" --vm lutcore-probe 2>"$tmp/stderr")
	rc=$?
	boots=$(cat "$tmp/boots/count")
	echo "$out"
	sed 's/^/stderr: /' "$tmp/stderr"
}

vm_good_boot_passes() {
	make_tree
	record_boot 1 0 '[    0.000000] Linux version 6.12.0' "$GOOD_RESULTS"
	collect
	[ "$rc" -eq 0 ] || fail "a clean run failed (status $rc)"
	[ "$(tail -n1 <<<"$out")" = "4 passed, 0 failed" ] || fail "a clean run did not give 4 passed, 0 failed"
}

vm_warning_fails() {
	make_tree
	record_boot 1 0 'WARNING: CPU: 0 PID: 1 at drivers/accel/lutcore/x.c:10' "$GOOD_RESULTS"
	collect
	[ "$rc" -ne 0 ] || fail "a WARNING in the console did not fail the run"
	grep -q '^FAIL vm/kernel-log ' <<<"$out" || fail "no FAIL vm/kernel-log"
}

vm_clean_boot_failure_retried() {
	make_tree
	record_boot 1 124 'Unable to calibrate against PIT' ''
	record_boot 2 0 'booted' "$GOOD_RESULTS"
	collect
	[ "$boots" -eq 2 ] || fail "booted $boots times, want 2"
	[ "$rc" -eq 0 ] || fail "the second, good boot did not pass (status $rc)"
	grep -q 'Unable to calibrate' "$tmp/build/test-logs/vm-boot-failure/console.log" ||
		fail "the failed boot's console was not kept"
}

vm_boot_oops_not_hidden() {
	make_tree
	record_boot 1 125 '[    1.2] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    1.2] Oops: 0000 [#1] PREEMPT SMP NOPTI
[    1.3] Kernel panic - not syncing: Fatal exception' ''
	record_boot 2 0 'booted' "$GOOD_RESULTS"
	collect
	[ "$rc" -ne 0 ] || fail "an Oops during the first boot was hidden by a second boot"
	[ "$boots" -eq 1 ] || fail "booted again after an Oops"
	grep -q '^FAIL vm/kernel-log ' <<<"$out" || fail "no FAIL vm/kernel-log"
}

vm_boot_init_error_not_hidden() {
	make_tree
	record_boot 1 125 'booted' 'LUTCORE-START 6.12.0
init: insmod kernel/drivers/accel/lutcore.ko failed
LUTCORE-TAINT 12288
LUTCORE-EXIT 125'
	record_boot 2 0 'booted' "$GOOD_RESULTS"
	collect
	[ "$rc" -ne 0 ] || fail "an init error during the first boot was hidden by a second boot"
	[ "$boots" -eq 1 ] || fail "booted again after an init error"
	grep -q '^FAIL vm/kernel-log ' <<<"$out" || fail "no FAIL vm/kernel-log"
}

# ---- tools/vm/lutcore-vm -------------------------------------------------------

# Stand-in for QEMU: no guest. It does what tools/vm/init does on the
# results port (LUTCORE-START, the command's output, LUTCORE-TAINT,
# LUTCORE-EXIT), running the command on the host, and logs each start
# ("accel cmd") to $tmp/qemu.log. Under KVM, FAKE_KVM picks the case:
# fast (done at once), slow (the marker, then 1 s of silence) or broken
# (a KVM error on stderr and no guest).
make_vm() {
	mkdir -p "$tmp/kdir/root/boot" "$tmp/fakebin"
	: >"$tmp/kdir/root/boot/vmlinuz-6.12.0-fake"
	: >"$tmp/initramfs"
	: >"$tmp/kvm"
	: >"$tmp/qemu.log"
	cat >"$tmp/fakebin/qemu" <<-'FAKE'
		#!/usr/bin/env bash
		# Stand-in for QEMU (see tests/scripts/test-collector.sh); no guest.
		while [ $# -gt 0 ]; do
			case $1 in
			-accel) accel=$2; shift ;;
			-append) cmd=$(sed -n 's/.*lutcore\.cmd=\([^ ]*\).*/\1/p' <<<"$2" | base64 -d) ;;
			-chardev) results=${2##*path=} ;;
			esac
			shift
		done
		echo "$accel $cmd" >>"$FAKE_QEMU_LOG"
		if [ "$accel" = kvm ] && [ "$FAKE_KVM" = broken ]; then
			echo "KVM internal error. Suberror: 1" >&2
			exec sleep 30
		fi
		echo "LUTCORE-START 6.12.0-fake" >>"$results"
		[ "$accel" = kvm ] && [ "$FAKE_KVM" = slow ] && sleep 1
		sh -c "$cmd" >>"$results" 2>&1
		rc=$?
		printf 'LUTCORE-TAINT 0\nLUTCORE-EXIT %d\n' $rc >>"$results"
	FAKE
	chmod +x "$tmp/fakebin/qemu"
}

# vm FAKE_KVM ARGS...: lutcore-vm with the stand-ins; sets rc, out, err.
vm() {
	local kvm=$1
	shift
	out=$(FAKE_KVM=$kvm FAKE_QEMU_LOG="$tmp/qemu.log" LUTCORE_KVM_DEV="$tmp/kvm" \
		"$top/tools/vm/lutcore-vm" --qemu "$tmp/fakebin/qemu" --kernel-dir "$tmp/kdir" \
		--initramfs "$tmp/initramfs" --timeout 60 "$@" 2>"$tmp/vm.err")
	rc=$?
	err=$(cat "$tmp/vm.err")
	echo "status $rc; stdout:"
	echo "$out"
	echo "stderr:"
	echo "$err"
	echo "QEMU starts:"
	cat "$tmp/qemu.log"
}

vm_kvm_short_command_stays_on_kvm() {
	make_vm
	vm fast -- 'echo hello'
	[ "$rc" -eq 0 ] || fail "exit status $rc"
	[ "$(cat "$tmp/qemu.log")" = "kvm echo hello" ] ||
		fail "a command that finished at once under KVM was run again"
	[ "$out" = hello ] || fail "stdout is not just the command's output"
}

vm_kvm_silent_command_stays_on_kvm() {
	make_vm
	vm slow -- 'echo late'
	[ "$rc" -eq 0 ] || fail "exit status $rc"
	[ "$(cat "$tmp/qemu.log")" = "kvm echo late" ] ||
		fail "a guest that started but printed nothing yet was not trusted"
	[ "$out" = late ] || fail "stdout is not just the command's output"
}

vm_kvm_error_falls_back_to_tcg() {
	make_vm
	vm broken -- 'echo hello; exit 3'
	[ "$rc" -eq 3 ] || fail "exit status $rc, want the command's 3"
	[ "$(cat "$tmp/qemu.log")" = "$(printf 'kvm echo hello; exit 3\ntcg echo hello; exit 3')" ] ||
		fail "did not boot again under TCG"
	grep -q 'KVM did not start the guest (KVM internal error' <<<"$err" ||
		fail "the fallback was not explained"
	[ "$out" = hello ] || fail "stdout is not just the command's output"
}

vm_init_starts_with_marker() {
	local start insmod
	start=$(grep -n '^say "LUTCORE-START ' "$top/tools/vm/init" | cut -d: -f1)
	insmod=$(grep -n 'insmod' "$top/tools/vm/init" | head -n1 | cut -d: -f1)
	[ -n "$start" ] || fail "tools/vm/init does not say LUTCORE-START"
	[ "$start" -lt "$insmod" ] || fail "tools/vm/init says LUTCORE-START only after loading modules"
}

vm_default_command_is_lutcore_info() {
	make_vm
	vm fast
	[ "$(cat "$tmp/qemu.log")" = "kvm lutcore-info" ] ||
		fail "lutcore-vm without a command did not run lutcore-info"
	"$top/tools/vm/lutcore-vm" --help | tr '\n' ' ' | grep -q 'default: *lutcore-info' ||
		fail "--help does not name the default command"
}

vm_bad_options_are_usage_errors() {
	local args bad=0
	make_vm
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		vm fast $args >/dev/null
		echo "lutcore-vm $args: status $rc: $err"
		if [ "$rc" -ne 2 ] || [ "$(wc -l <<<"$err")" -ne 1 ] ||
			! grep -q "^lutcore-vm: ${args%% *}" <<<"$err" || [ -s "$tmp/qemu.log" ]; then
			echo "  want status 2 and one line naming ${args%% *}, without starting QEMU"
			bad=1
		fi
	done <<-ARGS
		--mem
		--mem -- true
		--mem abc -- true
		--mem 0 -- true
		--smp 0 -- true
		--timeout 0 -- true
		--timeout 010 -- true
		--accel foo -- true
		--accel -- true
		--disk $tmp/no-such-disk -- true
		--kernel-dir -- true
		--kernel-dir --mem 512 -- true
		--initramfs
		--qemu -- true
		--out -- true
		--device
		--disk
	ARGS
	[ "$bad" -eq 0 ] || fail "some bad options were not usage errors"
}

# ---- tools/vm/lutcore-run-tests -----------------------------------------------

# Stand-ins for the guest's lutcore-timeout and rmmod, so that a mistake
# runs nothing on the host; they log their calls.
run_in_vm() {
	mkdir -p "$tmp/guestbin"
	for p in lutcore-timeout rmmod; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$p" "$tmp/guest.log" >"$tmp/guestbin/$p"
		chmod +x "$tmp/guestbin/$p"
	done
	: >"$tmp/guest.log"
	out=$(PATH="$tmp/guestbin:$PATH" sh "$top/tools/vm/lutcore-run-tests" "$@" 2>&1)
	rc=$?
	echo "status $rc:"
	echo "$out"
	cat "$tmp/guest.log"
}

in_vm_runner_help() {
	run_in_vm --help
	[ "$rc" -eq 0 ] || fail "--help: exit status $rc"
	grep -q '^usage: lutcore-run-tests' <<<"$out" || fail "--help printed no usage line"
	[ ! -s "$tmp/guest.log" ] || fail "--help ran tests"
	run_in_vm --bogus
	[ "$rc" -eq 2 ] || fail "an unknown option: exit status $rc, want 2"
	[ ! -s "$tmp/guest.log" ] || fail "an unknown option ran tests"
}

tests=(
	tap_more_results_than_planned tap_fewer_results_than_planned tap_full_plan_passes
	tap_crash_after_passes_fails
	run_tests_help run_tests_missing_value vm_good_boot_passes vm_warning_fails
	vm_clean_boot_failure_retried vm_boot_oops_not_hidden vm_boot_init_error_not_hidden
	vm_kvm_short_command_stays_on_kvm vm_kvm_silent_command_stays_on_kvm
	vm_kvm_error_falls_back_to_tcg vm_init_starts_with_marker
	vm_default_command_is_lutcore_info vm_bad_options_are_usage_errors
	in_vm_runner_help
)

echo "TAP version 13"
echo "1..${#tests[@]}"
i=0
status=0
for t in "${tests[@]}"; do
	i=$((i + 1))
	rm -rf "${tmp:?}"/* # each test starts afresh; * leaves .out alone
	if ("$t") >"$tmp/.out" 2>&1; then
		echo "ok $i collector.$t"
	else
		sed 's/^/# /' "$tmp/.out"
		echo "not ok $i collector.$t"
		status=1
	fi
done
exit $status
