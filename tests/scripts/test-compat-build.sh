#!/usr/bin/env bash
# Host test of the 6.12.y compat build (scripts/compat-build.sh): lutcore.ko
# built against the oldest Debian 6.12 headers in the archive, so that the
# branches of kernel/lutcore_compat.h the guest kernel does not take are
# compiled too; the feature macros checked against the headers' prototypes;
# and, in a scratch tree holding a stand-in module (it says so below), that
# a compiler warning and a wrong feature test each fail the build.
#
# The first run downloads the headers (~16 MB of .debs) into the cache.
# The build substitutes @TOP@ (tests/scripts/rules.mk). TAP on stdout.
# The tests are functions called through the list at the end (SC2317
# cannot follow that).
# shellcheck disable=SC2317
set -uo pipefail
top=@TOP@
script=$top/scripts/compat-build.sh
# compat-build.sh's status for a skip (kselftest's KSFT_SKIP).
skip_status=4
macro_sets=("" LUTCORE_SCHED_INIT_ARGS LUTCORE_JOB_CLIENT_ID
	"LUTCORE_SCHED_INIT_ARGS LUTCORE_JOB_CLIENT_ID")
tmp=$(mktemp -d /tmp/lutcore-compat.XXXXXX) || exit 1
# What the build test found, for the tests after it (each runs in a
# subshell): files kver, macros and skip in $state.
state=$(mktemp -d /tmp/lutcore-compat-state.XXXXXX) || exit 1
trap 'rm -rf "$tmp" "$state"' EXIT

fail() {
	echo "$*"
	exit 1
}

# built_kver: the older kernel the build test built against, if it did.
built_kver() { cat "$state/kver" 2>/dev/null; }

# guest_kver: the guest kernel's ABI, as the build scripts resolve it.
guest_kver() {
	# shellcheck disable=SC1091 # lib.sh is sourced in the child shell
	bash -c '. "$1/scripts/lib.sh" && guest_kernel_version' _ "$top"
}

# run CMD...: its stdout in $out, stderr in $err, status in $rc.
run() {
	out=$("$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
}

# sched_h ABI: the gpu_scheduler.h of that kernel's extracted headers.
sched_h() {
	local cache=${LUTCORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lutcore}
	echo "$cache/kernel/$1/root/usr/src/linux-headers-$1-common/include/drm/gpu_scheduler.h"
}

help_and_usage_errors() {
	run "$script" --help
	[ "$rc" -eq 0 ] || fail "--help: exit status $rc"
	grep -q '^usage: scripts/compat-build.sh' <<<"$out" || fail "--help printed no usage line"
	run "$script" --bogus
	[ "$rc" -eq 2 ] || fail "an unknown option: exit status $rc, want 2"
	[ "$(wc -l <<<"$err")" -eq 1 ] || fail "an unknown option: want one line on stderr"
	run "$script" --kver 5.10.0
	[ "$rc" -eq 2 ] || fail "--kver 5.10.0: exit status $rc, want 2"
}

# The real build. Its objects must stay out of kernel/: no Kbuild command
# file there may name the scratch tree (a concurrent `make module` may
# rewrite kernel/, so times are not compared).
builds_against_oldest_headers() {
	local ko vermagic kver guest macros reason
	run "$script"
	awk '{ print "  " $0 }' <<<"$out"
	if [ "$rc" -eq "$skip_status" ]; then
		reason=$(sed -n 's/^SKIP: //p' <<<"$out")
		[ -n "$reason" ] || fail "skipped without a reason"
		echo "$reason" >"$state/skip"
		exit "$skip_status"
	fi
	[ "$rc" -eq 0 ] || fail "exit status $rc; stderr:"$'\n'"$err"
	kver=$(sed -n 's/^kernel: \([^ ]*\) (guest \(.*\))$/\1/p' <<<"$out")
	guest=$(sed -n 's/^kernel: \([^ ]*\) (guest \(.*\))$/\2/p' <<<"$out")
	macros=$(sed -n 's/^macros: //p' <<<"$out")
	ko=$(sed -n 's/^module: //p' <<<"$out")
	if [ -z "$kver" ] || [ -z "$guest" ] || [ -z "$macros" ]; then
		fail "no kernel: or macros: line"
	fi
	[ "$kver" != "$guest" ] || fail "built against the guest's own headers"
	[ "$ko" = "$top/build/compat/$kver/kernel/lutcore.ko" ] || fail "module in an unexpected place: $ko"
	vermagic=$(modinfo -F vermagic "$ko") || fail "modinfo $ko failed"
	[[ $vermagic == "$kver-"* ]] || fail "vermagic '$vermagic' is not $kver's"
	! grep -l 'build/compat' "$top"/kernel/.*.cmd 2>/dev/null ||
		fail "kernel/ holds objects of the compat build"
	echo "$kver" >"$state/kver"
	echo "$macros" >"$state/macros"
}

# compat-build.sh --check-header accepts exactly one macro set per header:
# for the older headers the one Kbuild selected, and for the guest's (so
# that both forms of the prototypes are read) whichever is right.
check_header_accepts_only_the_right_set() {
	local v h set n accepted kver
	kver=$(built_kver)
	for v in $kver $(guest_kver); do
		h=$(sched_h "$v")
		[ -r "$h" ] || fail "no $h"
		n=0 accepted=
		for set in "${macro_sets[@]}"; do
			# shellcheck disable=SC2086 # a set is words
			run "$script" --check-header "$h" $set
			[ "$rc" -le 1 ] || fail "--check-header: exit status $rc"
			if [ "$rc" -eq 0 ]; then
				n=$((n + 1))
				accepted=$set
			else
				grep -q 'contradict the prototypes' <<<"$err" ||
					fail "'$set' refused without naming the contradiction: $err"
			fi
		done
		echo "  $v: ${accepted:-none}"
		[ "$n" -eq 1 ] || fail "$v: $n of ${#macro_sets[@]} macro sets accepted, want 1"
		if [ "$v" = "$kver" ]; then
			[ "$(xargs -n1 <<<"$accepted" | sort | xargs)" = "$(cat "$state/macros")" ] ||
				fail "$v: accepted '$accepted', Kbuild selected '$(cat "$state/macros")'"
		fi
	done
}

# A scratch copy of the repository's build scripts with a STAND-IN module:
# kernel/Kbuild, kernel/Makefile and the shim are the real ones, but each
# object Kbuild lists is an empty file (lutcore_drv.c carries the license),
# so a build takes seconds and the test can break it on purpose.
make_tree() {
	local t=$tmp/tree o
	mkdir -p "$t/scripts" "$t/kernel"
	cp "$top/scripts/compat-build.sh" "$top/scripts/lib.sh" "$t/scripts/"
	cp "$top/kernel/Kbuild" "$top/kernel/Makefile" "$t/kernel/"
	cp -r "$top/kernel/shim" "$t/kernel/"
	ln -s "$top/qemu-device" "$t/qemu-device"
	ln -s "$top/uapi" "$t/uapi"
	grep -o 'lutcore_[a-z_]*\.o' "$top/kernel/Kbuild" | while read -r o; do
		echo '// SPDX-License-Identifier: GPL-2.0-only' >"$t/kernel/${o%.o}.c"
	done
	if [ ! -f "$t/kernel/lutcore_drv.c" ] || [ ! -f "$t/kernel/lutcore_job.c" ]; then
		fail "kernel/Kbuild lists no lutcore_drv.o or lutcore_job.o" >&2
	fi
	cat >>"$t/kernel/lutcore_drv.c" <<-'EOF'
		#include <linux/module.h>
		MODULE_LICENSE("GPL");
		MODULE_DESCRIPTION("stand-in for the compat build test");
	EOF
	echo "$t"
}

# The version the stand-in builds against: the older one, or the guest's
# when the archive has no older one (--kver allows it).
tree_kver() {
	local v
	v=$(built_kver)
	echo "${v:-$(guest_kver)}"
}

stand_in_builds_cleanly() {
	local t v
	t=$(make_tree) || exit 1
	v=$(tree_kver)
	run "$t/scripts/compat-build.sh" --kver "$v"
	[ "$rc" -eq 0 ] || fail "the stand-in failed to build: $err"
	[ -f "$t/build/compat/$v/kernel/lutcore.ko" ] || fail "no stand-in lutcore.ko"
}

warning_fails_the_build() {
	local t v
	t=$(make_tree) || exit 1
	v=$(tree_kver)
	echo 'static void lutcore_unused(void) { }' >>"$t/kernel/lutcore_job.c"
	run "$t/scripts/compat-build.sh" --kver "$v"
	[ "$rc" -eq 1 ] || fail "a defined-but-unused function: exit status $rc, want 1"
	grep -q 'Werror=unused-function' <<<"$err" || fail "the warning was not an error: $err"
}

wrong_feature_test_fails() {
	local t v
	t=$(make_tree) || exit 1
	v=$(tree_kver)
	# Invert the client-id test: whatever the headers have, it now lies.
	# shellcheck disable=SC2016 # $(...) is make syntax
	sed -i 's/^ifeq (\(\$(call lutcore_has,\$(lutcore_pat_client_id)),y)\)$/ifneq (\1/' \
		"$t/kernel/Kbuild"
	! cmp -s "$top/kernel/Kbuild" "$t/kernel/Kbuild" || fail "the client-id test was not found in kernel/Kbuild"
	run "$t/scripts/compat-build.sh" --kver "$v"
	[ "$rc" -eq 1 ] || fail "an inverted feature test: exit status $rc, want 1"
	grep -q 'contradict the prototypes' <<<"$err" || fail "not reported as a contradiction: $err"
}

tests=(
	help_and_usage_errors builds_against_oldest_headers
	check_header_accepts_only_the_right_set
	stand_in_builds_cleanly warning_fails_the_build wrong_feature_test_fails
)

echo "TAP version 13"
echo "1..${#tests[@]}"
i=0
status=0
for t in "${tests[@]}"; do
	i=$((i + 1))
	rm -rf "${tmp:?}"/*
	start=$SECONDS
	("$t") >"$tmp/.out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/.out"
	echo "# $t: $((SECONDS - start)) s"
	if [ $rc -eq 0 ]; then
		echo "ok $i compat.$t"
	elif [ $rc -eq "$skip_status" ]; then
		echo "ok $i compat.$t # SKIP $(cat "$state/skip" 2>/dev/null)"
	else
		echo "not ok $i compat.$t"
		status=1
	fi
done
exit $status
