#!/usr/bin/env bash
# Build lutcore.ko against the oldest Debian 6.12.y headers the archive
# still carries, so that the branches of kernel/lutcore_compat.h the guest
# kernel does not select get compiled too. The headers are extracted into
# <cache>/kernel/<abi>/ (the layout of scripts/fetch-kernel.sh, nothing
# installed); the module is built in build/compat/<abi>/kernel/, a copy of
# kernel/, so the main build's objects are never touched.
#
# Prints on stdout:
#   kernel: <abi> (guest <abi>)
#   macros: <the LUTCORE_* feature macros kernel/Kbuild selected>
#   module: <path of the .ko>
# or `SKIP: <reason>`. Build output and progress go to stderr.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# The status of a skip: kselftest's KSFT_SKIP.
SKIP_STATUS=4

usage() {
	cat <<EOF
usage: scripts/compat-build.sh [--kver ABI]
       scripts/compat-build.sh --check-header GPU_SCHEDULER_H [MACRO...]

Build lutcore.ko against the oldest linux-headers-6.12.*-$LUTCORE_KFLAVOUR
in the archive, with every warning an error, and check that the feature
macros kernel/Kbuild selected (LUTCORE_SCHED_INIT_ARGS,
LUTCORE_JOB_CLIENT_ID) are the ones the headers' drm_sched_init() and
drm_sched_job_init() prototypes call for. The headers are downloaded into
$LUTCORE_CACHE/kernel/<abi>/ (not installed); the build goes to
build/compat/<abi>/kernel/.

  --kver ABI      build against ABI (e.g. 6.12.113+deb12) instead of the
                  oldest; the guest's own version is allowed here
  --check-header  only check that MACRO... are exactly the macros the
                  prototypes in GPU_SCHEDULER_H call for
  -h, --help      show this text

Exit status: 0 built and checked, 1 failure, 2 usage error, $SKIP_STATUS skipped
(the oldest headers are the guest kernel's own, or there are none).
EOF
}

# proto FILE FUNC: the declaration of `int FUNC(...)` in FILE, on one line.
proto() {
	awk -v f="$2" '
		!on && index($0, "int " f "(") == 1 { on = 1 }
		on { s = s " " $0; if (index($0, ";")) { print s; exit } }
	' "$1" | tr -s ' \t' '  '
}

# nparams DECL: how many parameters the declaration DECL has.
nparams() {
	local list=${1#*(}
	list=${list%)*}
	tr -cd , <<<"$list" | wc -c | awk '{ print $1 + 1 }'
}

# expected_macros GPU_SCHEDULER_H: the feature macros that header calls for,
# read from the two prototypes themselves (parameter count and type), not
# with kernel/Kbuild's patterns. A third form is an error: lutcore_compat.h
# would not know it either.
expected_macros() {
	local h=$1 init job n
	[ -r "$h" ] || die "cannot read $h"
	init=$(proto "$h" drm_sched_init)
	job=$(proto "$h" drm_sched_job_init)
	[ -n "$init" ] || die "no drm_sched_init() prototype in $h"
	[ -n "$job" ] || die "no drm_sched_job_init() prototype in $h"
	n=$(nparams "$init")
	if [ "$n" -eq 2 ] && [[ $init == *"const struct drm_sched_init_args *"* ]]; then
		echo LUTCORE_SCHED_INIT_ARGS
	elif [ "$n" -ne 11 ]; then
		die "drm_sched_init() has neither form lutcore_compat.h knows:$init"
	fi
	n=$(nparams "$job")
	if [ "$n" -eq 5 ] && [[ $job == *"u64 drm_client_id)"* ]]; then
		echo LUTCORE_JOB_CLIENT_ID
	elif [ "$n" -ne 4 ]; then
		die "drm_sched_job_init() has neither form lutcore_compat.h knows:$job"
	fi
}

# check_macros GPU_SCHEDULER_H MACRO...: fail unless MACRO... are exactly
# the macros the header calls for.
check_macros() {
	local h=$1 want got
	shift
	want=$(expected_macros "$h" | sort | xargs) || exit 1
	got=$(printf '%s\n' "$@" | sed '/^$/d' | sort | xargs)
	[ "$got" = "$want" ] ||
		die "feature macros '${got:-none}' contradict the prototypes in $h, which call for '${want:-none}'"
}

# oldest_kver: the oldest 6.12.N<suffix> whose flavour headers the
# archive has, by version order; empty if none.
oldest_kver() {
	local suffix
	suffix=$(kernel_abi_suffix) || exit 1
	apt-cache search --names-only "^linux-headers-6\.12\.[0-9]+.*-$LUTCORE_KFLAVOUR\$" |
		awk '{ print $1 }' |
		sed -n "s/^linux-headers-\(6\.12\.[0-9]*\)$suffix-$LUTCORE_KFLAVOUR\$/\1$suffix/p" |
		sort -V | head -n1
}

skip() {
	echo "SKIP: $*"
	exit $SKIP_STATUS
}

kver=
case ${1:-} in
"") ;;
-h | --help) usage; exit 0 ;;
--kver)
	if [ $# -ne 2 ] || [ -z "$2" ]; then usage_error "--kver needs one value"; fi
	kver=$2
	;;
--check-header)
	[ $# -ge 2 ] || usage_error "--check-header needs a file"
	shift
	check_macros "$@"
	exit 0
	;;
*) usage_error "unknown argument '$1'" ;;
esac
[[ -z $kver || $kver =~ ^6\.12\.[0-9]+ ]] || usage_error "--kver $kver is not a 6.12 kernel ABI"

start=$SECONDS
guest=$(guest_kernel_version)
if [ -z "$kver" ]; then
	kver=$(oldest_kver)
	[ -n "$kver" ] || skip "no linux-headers-6.12.*-$LUTCORE_KFLAVOUR in the archive (apt-get update?)"
	[ "$kver" != "$guest" ] ||
		skip "the oldest 6.12 headers in the archive are the guest kernel's own ($guest)"
fi

dir="$LUTCORE_CACHE/kernel/$kver"
root="$dir/root"
kdir="$root/usr/src/linux-headers-$kver-$LUTCORE_KFLAVOUR"
sched_h="$root/usr/src/linux-headers-$kver-common/include/drm/gpu_scheduler.h"
out="$LUTCORE_TOP/build/compat/$kver"
log="$out/build.log"

# The headers: fetch-kernel.sh's .done (a guest kernel, headers included)
# or ours. Fetched under the lock fetch-kernel.sh takes, held by a
# subshell only for as long as the download and extraction take.
headers_fetched() { [ -f "$dir/.done" ] || [ -f "$dir/.headers-done" ]; }
if ! headers_fetched; then
	(
		lutcore_lock kernel "the kernel headers $kver"
		headers_fetched && exit 0
		# shellcheck disable=SC2046 # the package names have no spaces
		kernel_deb_extract "$dir/debs" "$root" $(kernel_header_packages "$kver")
		[ -f "$kdir/Makefile" ] || die "no headers in linux-headers-$kver-$LUTCORE_KFLAVOUR"
		touch "$dir/.headers-done"
	) || exit 1
fi
[ -r "$sched_h" ] || die "no include/drm/gpu_scheduler.h in linux-headers-$kver-common"

# The scratch tree mirrors the repository's layout, so that kernel/Kbuild's
# $(src)/../qemu-device and $(src)/../uapi resolve. cp -p keeps the times:
# Kbuild rebuilds only what changed since the last run. Files gone from
# kernel/ are removed (modpost's lutcore.mod.c is its own).
prepare_tree() {
	local f
	mkdir -p "$out/kernel"
	ln -sfn "$LUTCORE_TOP/qemu-device" "$out/qemu-device"
	ln -sfn "$LUTCORE_TOP/uapi" "$out/uapi"
	find "$out/kernel" -maxdepth 1 -type f \( -name '*.[ch]' ! -name '*.mod.c' \) -delete
	rm -rf "$out/kernel/shim"
	for f in "$LUTCORE_TOP"/kernel/*.[ch]; do
		[[ $f == *.mod.c ]] || cp -p "$f" "$out/kernel/"
	done
	cp -p "$LUTCORE_TOP/kernel/Kbuild" "$LUTCORE_TOP/kernel/Makefile" "$out/kernel/"
	cp -pr "$LUTCORE_TOP/kernel/shim" "$out/kernel/"
}

# kernel/Makefile itself drives the build (its -f for the -common tree,
# BTF, no CC= from outside), with the documented W=1 and every compiler
# warning an error (KCFLAGS reaches Kbuild through the environment). A
# warning the compiler does not own (modpost: a symbol this kernel does
# not export) fails the build too. The outer make's flags stay out.
build() {
	local rc=0
	log "building lutcore.ko against $kver in ${out#"$LUTCORE_TOP"/}/kernel"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL KCFLAGS=-Werror \
		make --no-print-directory -j2 -C "$out/kernel" KDIR="$kdir" W=1 modules \
		>"$log" 2>&1 || rc=$?
	cat "$log" >&2
	[ $rc -eq 0 ] || die "the build against $kver failed (log: $log)"
	! grep -qi 'warning:' "$log" || die "the build against $kver warned (log: $log)"
	[ -f "$out/kernel/lutcore.ko" ] || die "no lutcore.ko after the build against $kver"
}

# The LUTCORE_* macros the feature tests put on the compiler's command line,
# as Kbuild recorded it for a file that includes lutcore_compat.h.
selected_macros() {
	local cmd="$out/kernel/.lutcore_job.o.cmd"
	[ -f "$cmd" ] || die "no $cmd after the build"
	head -n1 "$cmd" | { grep -o -- '-DLUTCORE_[A-Z_]*' || true; } | sed 's/^-D//' | sort -u | xargs
}

prepare_tree
build
selected=$(selected_macros)
read -r -a macros <<<"$selected" || true
check_macros "$sched_h" "${macros[@]}"
log "built and checked in $((SECONDS - start)) s"
echo "kernel: $kver (guest $guest)"
echo "macros: ${macros[*]:-none}"
echo "module: $out/kernel/lutcore.ko"
