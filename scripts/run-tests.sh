#!/usr/bin/env bash
# Run the host unit tests and the in-VM suite, print one line per test and
# a closing `N passed, N failed[, N skipped]`; exit non-zero on any failure.
# Logs of every binary and of the VM go to DIR/test-logs/.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<'USAGE'
usage: run-tests.sh --build DIR [--host "BIN..."] [--vm "NAME..."] [--kernel-dir DIR]

Runs each host test binary BIN (TAP output, e.g. the kselftest harness's),
then, with --vm, boots the VM once (tools/vm/lutcore-vm) to run the in-VM
test binaries NAME... with lutcore-run-tests, and checks the guest kernel's
console and taint. Prints PASS/FAIL/SKIP per test and `N passed, N failed`;
exits 1 if anything failed, 2 on a usage error. Logs go to DIR/test-logs/.

  --build DIR        the build directory (required)
  --host "BIN..."    host test binaries to run
  --vm "NAME..."     in-VM test binaries that must run (they all do)
  --kernel-dir DIR   guest kernel cache dir, passed to lutcore-vm
  -h, --help         this help
USAGE
}

usage_error() { echo "run-tests.sh: $* (see --help)" >&2; exit 2; }

build='' host='' vm='' kdir='' run_vm=0
while [ $# -gt 0 ]; do
	case $1 in
	--build|--host|--vm|--kernel-dir)
		if [ $# -lt 2 ] || [[ $2 == -* ]]; then usage_error "$1 needs a value"; fi ;;
	esac
	case $1 in
	--build) build=$2; shift ;;
	--host) host=$2; shift ;;
	--vm) vm=$2; run_vm=1; shift ;;
	--kernel-dir) kdir=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage_error "unknown option $1" ;;
	esac
	shift
done
[ -n "$build" ] || usage_error "--build DIR is required"
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

# kernel_problems CONSOLE RESULTS OUT: write to OUT the lines that show a
# kernel problem in the console (a warning, BUG, Oops, panic) or an error
# init reported on the results port; true if there are any.
kernel_problems() {
	{
		grep -nE 'WARNING:|BUG:|Oops|Call Trace:|general protection|Kernel panic' "$1" 2>/dev/null |
			sed 's/^/console:/'
		grep -n '^init: ' "$2" 2>/dev/null | sed 's/^/results:/'
	} >"$3"
	[ -s "$3" ]
}

# The allowed taint: O (out-of-tree module, 4096) and E (unsigned module,
# 8192). Anything else, any warning in the console and any init error is
# a failure.
check_kernel() {
	local console=$1 results=$2 problems="$logs/vm/kernel-problems" taint
	if kernel_problems "$console" "$results" "$problems"; then
		echo "FAIL vm/kernel-log (kernel warnings or init errors; see $problems)" | report
		head -n 5 "$problems" >&2
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
	echo "booting the VM for the in-VM suite ($(wc -w <<<"$vm") test binaries)" >&2
	boot_vm "${kargs[@]}"
	status=$?
	# A VM that died before init ran a single test is a boot failure, not
	# a test result: keep its logs and boot once more; unless the kernel
	# warned or init failed, which is a finding that a second, lucky boot
	# must not hide: then that boot's logs are the result.
	if [ $status -ge 124 ] && ! grep -q '^LUTCORE-BEGIN ' "$logs/vm/results.log"; then
		if kernel_problems "$logs/vm/console.log" "$logs/vm/results.log" "$logs/vm/kernel-problems"; then
			echo "the VM failed to boot (status $status) with kernel warnings or init errors; not retrying" >&2
		else
			echo "the VM failed to boot (status $status); console kept in $logs/vm-boot-failure; retrying once" >&2
			rm -rf "$logs/vm-boot-failure"
			cp -r "$logs/vm" "$logs/vm-boot-failure"
			boot_vm "${kargs[@]}"
			status=$?
		fi
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
