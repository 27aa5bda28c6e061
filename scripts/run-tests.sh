#!/usr/bin/env bash
# Run the host unit tests and the in-VM suite, print one line per test and
# a closing `N passed, N failed[, N skipped]`; exit non-zero on any failure.
#
# usage: run-tests.sh --build DIR [--host "BIN..."] [--vm "NAME..."]
#                     [--kernel-dir DIR] [--no-vm]
# Logs of every binary and of the VM go to DIR/test-logs/.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

build= host= vm= kdir= run_vm=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--host) host=$2; shift ;;
	--vm) vm=$2; run_vm=1; shift ;;
	--kernel-dir) kdir=$2; shift ;;
	*) echo "run-tests.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$build" ] || { echo "run-tests.sh: --build DIR is required" >&2; exit 2; }
logs="$build/test-logs"
rm -rf "$logs"
mkdir -p "$logs/host" "$logs/vm"
summary="$logs/summary"
: >"$summary"

report() { tee -a "$summary"; }

# Host tests: each binary with a time limit; ASan/UBSan builds stop at the
# first error and exit non-zero, which the TAP summary counts.
run_host() {
	local bin suite log rc
	for bin in $host; do
		[ -x "$bin" ] || { echo "FAIL host/$(basename "$bin")/(not built)" | report; continue; }
		suite="$(basename "$(dirname "$bin")")/$(basename "$bin")"
		suite=${suite/tests\//host\/}
		log="$logs/host/${suite//\//_}.log"
		ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1} \
			UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
			timeout 600 "$bin" >"$log" 2>&1
		rc=$?
		awk -v suite="$suite" -v rc=$rc -f "$TOP/scripts/tap-summary.awk" "$log" | report
	done
}

# The allowed taint: O (out-of-tree module, 4096) and E (unsigned module,
# 8192). Anything else, and any warning in the console, is a failure.
check_kernel() {
	local console=$1 results=$2 taint
	if grep -nE 'WARNING:|BUG:|Oops|Call Trace:|general protection' "$console" >"$logs/vm/kernel-problems"; then
		echo "FAIL vm/kernel-log (warnings in the console; see $logs/vm/kernel-problems)" | report
		head -n 5 "$logs/vm/kernel-problems" >&2
	else
		echo "PASS vm/kernel-log" | report
	fi
	taint=$(sed -n 's/^LUTCORE-TAINT \([0-9]*\).*/\1/p' "$results" | tail -n1)
	if [ -z "$taint" ]; then
		echo "FAIL vm/taint (not reported)" | report
	elif [ $((taint & ~(4096 | 8192))) -ne 0 ]; then
		echo "FAIL vm/taint (tainted=$taint)" | report
	else
		echo "PASS vm/taint" | report
	fi
}

# Split the VM's results port into one log per test binary and summarise
# each; a binary that began but never ended took the VM down with it.
parse_vm() {
	local results=$1 name rc
	awk -v dir="$logs/vm" '
		/^LUTCORE-BEGIN / { name = $2; file = dir "/" name ".log"; printf "" > file; next }
		/^LUTCORE-END / { print $3 > (dir "/" $2 ".rc"); close(file); name = ""; next }
		name != "" { print > file }
	' "$results"
	for log in "$logs"/vm/*.log; do
		[ -e "$log" ] || continue
		name=$(basename "$log" .log)
		case $name in console|results) continue ;; esac
		rc=$(cat "$logs/vm/$name.rc" 2>/dev/null || echo "none")
		[ "$rc" = none ] && rc=125
		awk -v suite="vm/$name" -v rc="$rc" -f "$TOP/scripts/tap-summary.awk" "$log" | report
	done
}

# debug-hooks=on: the hang-recovery tests need the device's hang hook.
boot_vm() {
	"$TOP/tools/vm/lutcore-vm" "$@" --timeout 3000 --out "$logs/vm" --device debug-hooks=on \
		-- lutcore-run-tests >"$logs/vm/stdout" 2>"$logs/vm/stderr"
}

run_vm_suite() {
	local kargs=() status t
	[ -n "$kdir" ] && kargs=(--kernel-dir "$kdir")
	echo "booting the VM for the in-VM suite ($(echo $vm | wc -w) test binaries)" >&2
	boot_vm "${kargs[@]}"
	status=$?
	# A VM that died before init ran a single test is a boot failure, not
	# a test result: say so, keep its logs, and boot once more.
	if [ $status -ge 124 ] && ! grep -q '^LUTCORE-BEGIN ' "$logs/vm/results.log"; then
		echo "the VM failed to boot (status $status); console kept in $logs/vm-boot-failure; retrying once" >&2
		rm -rf "$logs/vm-boot-failure"
		cp -r "$logs/vm" "$logs/vm-boot-failure"
		boot_vm "${kargs[@]}"
		status=$?
	fi
	cat "$logs/vm/stderr" >&2
	for t in $vm; do
		grep -q "^LUTCORE-BEGIN $t\$" "$logs/vm/results.log" ||
			echo "FAIL vm/$t/(did not run)" | report
	done
	parse_vm "$logs/vm/results.log"
	if [ $status -ne 0 ]; then
		echo "FAIL vm/run (lutcore-vm exit status $status; console: $logs/vm/console.log)" | report
	fi
	check_kernel "$logs/vm/console.log" "$logs/vm/results.log"
}

run_host
[ $run_vm -eq 1 ] && run_vm_suite

pass=$(grep -c '^PASS ' "$summary")
fail=$(grep -c '^FAIL ' "$summary")
skip=$(grep -c '^SKIP ' "$summary")
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
