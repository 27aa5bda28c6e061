# shellcheck shell=bash
# Common settings for the host-side build scripts. Sourced, not run.
#
# Everything fetched or built outside the repository lives under
# LUTCORE_CACHE, keyed by the versions it was made from, so that a fresh
# clone reuses it and a version change never mixes old and new files.

set -euo pipefail

LUTCORE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LUTCORE_CACHE=${LUTCORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lutcore}
# The guest kernel flavour: Debian's generic amd64 build (the cloud flavour
# has no DRM at all).
LUTCORE_KFLAVOUR=amd64
# Debian's own Python, which sees Debian's meson; a pyenv python3 earlier in
# PATH must not take over QEMU's configure.
LUTCORE_PYTHON=/usr/bin/python3

mkdir -p "$LUTCORE_CACHE"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
# A bad command line: one line on stderr, exit status 2.
usage_error() { printf '[%s] error: %s (see --help)\n' "$(basename "$0")" "$*" >&2; exit 2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# lutcore_lock NAME WHAT: take $LUTCORE_CACHE/locks/NAME.lock and hold it
# until the calling script exits, so that two make runs or two clones
# sharing the cache never fetch or build into the same place at once. The
# lock's path goes into LUTCORE_LOCKS_HELD, which child processes inherit:
# a script run by a holder skips that lock instead of waiting for its own
# parent. Call it from the script's shell, not from inside $(...): a
# subshell drops the lock when it ends.
lutcore_lock() {
	local file="$LUTCORE_CACHE/locks/$1.lock" what=$2 fd
	case ":${LUTCORE_LOCKS_HELD:-}:" in *":$file:"*) return 0 ;; esac
	mkdir -p "${file%/*}"
	exec {fd}>>"$file"
	if ! flock -n "$fd"; then
		log "waiting for another build of $what ($file)"
		flock "$fd"
	fi
	export LUTCORE_LOCKS_HELD="${LUTCORE_LOCKS_HELD:+$LUTCORE_LOCKS_HELD:}$file"
}

# debian_release: sets LUTCORE_CODENAME (bookworm) and LUTCORE_DEBVER (12)
# from os-release; LUTCORE_OS_RELEASE names another file, for tests.
debian_release() {
	local f=${LUTCORE_OS_RELEASE:-/etc/os-release}
	[ -r "$f" ] || die "cannot read $f to find the Debian release"
	# shellcheck disable=SC1090
	LUTCORE_CODENAME=$(. "$f" && echo "${VERSION_CODENAME:-}")
	# shellcheck disable=SC1090
	LUTCORE_DEBVER=$(. "$f" && echo "${VERSION_ID:-}")
	[ -n "$LUTCORE_CODENAME" ] || die "no VERSION_CODENAME in $f (not Debian?)"
}

# kernel_abi_suffix: what this release puts after 6.12.N in a kernel's ABI
# name: stable releases +deb<VERSION_ID>, testing and unstable nothing.
kernel_abi_suffix() {
	debian_release
	[ -z "$LUTCORE_DEBVER" ] || echo "+deb$LUTCORE_DEBVER"
}

# guest_kernel_version: the ABI name (e.g. 6.12.117+deb12) of the image the
# linux-image-6.12-amd64 meta package points at today, remembered in the
# cache so every later step uses the same one.
guest_kernel_version() {
	local f="$LUTCORE_CACHE/kernel-version" suffix
	if [ -n "${LUTCORE_KVER:-}" ]; then
		echo "$LUTCORE_KVER"
		return
	fi
	if [ ! -s "$f" ]; then
		suffix=$(kernel_abi_suffix) || exit 1
		apt-cache depends "linux-image-6.12-$LUTCORE_KFLAVOUR" |
			sed -n "s/.*Depends: linux-image-\(6\.12\.[0-9]*$suffix\)-$LUTCORE_KFLAVOUR\$/\1/p" |
			head -n1 >"$f.tmp" || true
		[ -s "$f.tmp" ] || die "cannot resolve linux-image-6.12-$LUTCORE_KFLAVOUR (apt-get update?)"
		mv "$f.tmp" "$f"
	fi
	cat "$f"
}

# kernel_header_packages ABI: the packages whose extraction makes a KDIR
# for kernel ABI (6.12.117+deb12): the flavour's headers, the -common tree
# its Makefile includes and the kbuild tools its scripts/ links point to.
kernel_header_packages() {
	echo "linux-headers-$1-$LUTCORE_KFLAVOUR linux-headers-$1-common linux-kbuild-$1"
}

# kernel_deb_fetch DEBS PKG: download PKG, at the version the archive has,
# into the directory DEBS, unless a .deb of it is already there.
kernel_deb_fetch() {
	local debs=$1 pkg=$2 ver
	ls "$debs/${pkg}_"*.deb >/dev/null 2>&1 && return
	ver=$(apt-cache show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	[ -n "$ver" ] || die "package $pkg is not in the archive (apt-get update?)"
	log "downloading $pkg $ver"
	(cd "$debs" && apt-get download -qq "$pkg=$ver" 2>/dev/null) ||
		die "apt-get download $pkg=$ver failed"
}

# kernel_deb_extract DEBS ROOT PKG...: fetch each PKG into DEBS and unpack
# it under ROOT with dpkg-deb -x: nothing is installed.
kernel_deb_extract() {
	local debs=$1 root=$2 pkg
	shift 2
	mkdir -p "$debs" "$root"
	for pkg in "$@"; do
		kernel_deb_fetch "$debs" "$pkg"
		dpkg-deb -x "$debs/${pkg}_"*.deb "$root"
	done
}
