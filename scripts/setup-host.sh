#!/usr/bin/env bash
# Install the Debian packages the build needs, once. Only packages that are
# missing are installed, without recommends (linux-headers would otherwise
# pull in a kernel image and systemd). The deb-src entry that
# `apt-get source qemu` needs is added when it is missing.
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	# our C code, library, tools and lint
	gcc make pkg-config libdrm-dev clang clang-format cppcheck
	# libFuzzer's runtime (only a Recommends of clang)
	libclang-rt-14-dev
	# QEMU's build (x86_64-softmmu only)
	dpkg-dev meson ninja-build libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev
	python3 bzip2 xz-utils rsync
	# the VM: firmware, initramfs, module tools
	seabios qemu-system-data busybox-static cpio kmod
	# guest kernel pieces are extracted with dpkg-deb, not installed
	gcc-12 libelf1 libssl3 perl
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

add_deb_src() {
	if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 1
	fi
	log "adding a deb-src entry for bookworm"
	# deb822 form with the same Signed-By as Debian's default entries; apt
	# refuses one source with two different keyrings.
	as_root tee /etc/apt/sources.list.d/lutcore-deb-src.sources >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

need_update=0
add_deb_src && need_update=1
[ ${#missing[@]} -eq 0 ] || need_update=1
stamp="$LUTCORE_CACHE/apt-updated"
if [ $need_update -eq 1 ] || [ ! -e "$stamp" ]; then
	log "apt-get update"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	touch "$stamp"
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi
log "host packages present"
