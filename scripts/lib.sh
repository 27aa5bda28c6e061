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

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# guest_kernel_version: the ABI name (e.g. 6.12.117+deb12) of the image the
# linux-image-6.12-amd64 meta package points at today, remembered in the
# cache so every later step uses the same one.
guest_kernel_version() {
	local f="$LUTCORE_CACHE/kernel-version"
	if [ -n "${LUTCORE_KVER:-}" ]; then
		echo "$LUTCORE_KVER"
		return
	fi
	if [ ! -s "$f" ]; then
		apt-cache depends "linux-image-6.12-$LUTCORE_KFLAVOUR" |
			sed -n "s/.*Depends: linux-image-\(6\.12\.[0-9]*+deb12\)-$LUTCORE_KFLAVOUR\$/\1/p" |
			head -n1 >"$f.tmp"
		[ -s "$f.tmp" ] || die "cannot resolve linux-image-6.12-$LUTCORE_KFLAVOUR (apt-get update?)"
		mv "$f.tmp" "$f"
	fi
	cat "$f"
}
