#!/usr/bin/env bash
# Install the Debian packages the build needs, once. Only packages that are
# missing are installed, without recommends (linux-headers would otherwise
# pull in a kernel image and systemd). The deb-src entry that
# `apt-get source qemu` needs is added when the running release has none
# from a Debian mirror. The apt steps hold a lock, so two make runs or
# clones sharing the cache take turns.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<EOF
usage: scripts/setup-host.sh

Install the Debian packages the build needs that are missing (as root or
through sudo), and add a deb-src entry for Debian's main component of the
running release when there is none, for \`apt-get source qemu\`.

  -h, --help  show this text
EOF
}

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

# debian_deb_src_present CODENAME: succeeds if a deb-src entry gives main of
# CODENAME from a Debian mirror: deb.debian.org, or a repository whose
# Release file (already fetched for its deb entry) says Origin: Debian.
# Another deb-src (a vendor's) does not help apt-get source qemu. apt reads
# the sources itself, so both the one-line and the deb822 form count and
# Enabled: no does not; APT_CONFIG points it at other files for tests.
debian_deb_src_present() {
	# shellcheck disable=SC2016 # $(FIELD) is apt's format syntax
	{
		apt-get indextargets \
			--format 'known|$(REPO_URI)|$(RELEASE)|$(CODENAME)|$(COMPONENT)|$(ORIGIN)'
		apt-get indextargets --no-release-info \
			--format 'entry|$(TARGET_OF)|$(REPO_URI)|$(RELEASE)|$(COMPONENT)'
	} | awk -F'|' -v c="$1" '
		$1 == "known" { code[$2, $3] = $4 }
		$1 == "known" && ($3 == c || $4 == c) && $5 == "main" && $6 == "Debian" {
			debian[$2] = 1
		}
		$1 == "entry" && $2 == "deb-src" && $5 == "main" { src[$3, $4] = 1 }
		END {
			debian["http://deb.debian.org/debian/"] = 1
			debian["https://deb.debian.org/debian/"] = 1
			for (k in src) {
				split(k, f, SUBSEP)
				if ((f[2] == c || code[f[1], f[2]] == c) && (f[1] in debian))
					exit 0
			}
			exit 1
		}'
}

# Adds deb.debian.org's sources for the running release; fails (nothing to
# do) when a Debian deb-src entry is already there.
add_deb_src() {
	local parts c
	debian_release
	c=$LUTCORE_CODENAME
	debian_deb_src_present "$c" && return 1
	eval "$(apt-config shell parts Dir::Etc::sourceparts/d)"
	parts=${parts%/}
	log "adding a deb-src entry for Debian $c main ($parts/lutcore-deb-src.sources)"
	# deb822 form with the same Signed-By as Debian's default entries; apt
	# refuses one source with two different keyrings.
	as_root tee "$parts/lutcore-deb-src.sources" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $c $c-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $c-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

main() {
	case ${1:-} in
	"") ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac

	lutcore_lock apt "the host packages"
	local p missing=() need_update=0 stamp="$LUTCORE_CACHE/apt-updated"
	for p in "${PACKAGES[@]}"; do
		case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
		*" ok installed") ;;
		*) missing+=("$p") ;;
		esac
	done
	add_deb_src && need_update=1
	[ ${#missing[@]} -eq 0 ] || need_update=1
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
}

# Sourcing the script (for a test of debian_deb_src_present) runs nothing.
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
