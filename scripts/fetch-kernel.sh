#!/usr/bin/env bash
# Fetch Debian's 6.12 guest kernel, its headers and the pieces of its source
# tree we use, into the cache, with `apt-get download` + `dpkg-deb -x`:
# nothing is installed into /boot or /usr/src.
#
#   <cache>/kernel/<ver>/root/boot/vmlinuz-<ver>-amd64       the guest kernel
#   <cache>/kernel/<ver>/root/lib/modules/<ver>-amd64/       its modules
#   <cache>/kernel/<ver>/root/usr/src/linux-headers-<ver>-amd64  KDIR
#   <cache>/kernel/<ver>/source/   checkpatch.pl and the kselftest harness
#
# Prints the directory <cache>/kernel/<ver> on stdout. The download holds
# a lock, so two make runs or clones sharing the cache take turns.
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: scripts/fetch-kernel.sh

Download Debian's 6.12 guest kernel, its headers and kbuild, and the parts
of linux-source-6.12 the build uses (checkpatch, the kselftest harness)
into $LUTCORE_CACHE/kernel/<abi>/, unless already there, and print
that directory. Nothing is installed.

  -h, --help  show this text

LUTCORE_KVER=<abi> (e.g. 6.12.117+deb12) picks the kernel instead of the
one linux-image-6.12-$LUTCORE_KFLAVOUR depends on.
EOF
}

case ${1:-} in
"") ;;
-h | --help) usage; exit 0 ;;
*) usage_error "unknown argument '$1'" ;;
esac

# The package version of the image (6.12.117-1~deb12u1) names the source
# package version too.
source_tree() {
	local pkgver src="$dir/source"
	[ -f "$src/.done" ] && return
	pkgver=$(dpkg-deb -f "$debs/linux-image-${flav}_"*.deb Version)
	mkdir -p "$src"
	if ! ls "$debs/linux-source-6.12_"*.deb >/dev/null 2>&1; then
		log "downloading linux-source-6.12 $pkgver (for checkpatch and kselftest)"
		(cd "$debs" && apt-get download -qq "linux-source-6.12=$pkgver" 2>/dev/null) ||
			die "apt-get download linux-source-6.12=$pkgver failed"
	fi
	log "extracting checkpatch.pl and the kselftest harness"
	dpkg-deb --fsys-tarfile "$debs/linux-source-6.12_"*.deb |
		tar -xO --wildcards '*/linux-source-6.12.tar.xz' |
		tar -xJ -C "$src" --strip-components=1 \
			--wildcards 'linux-source-6.12/scripts/checkpatch.pl' \
			'linux-source-6.12/scripts/spelling.txt' \
			'linux-source-6.12/scripts/const_structs.checkpatch' \
			'linux-source-6.12/tools/testing/selftests/kselftest*.h' \
			'linux-source-6.12/Documentation/dev-tools/checkpatch.rst'
	touch "$src/.done"
}

fetched() { [ -f "$dir/.done" ] && [ -f "$dir/source/.done" ]; }

# Already fetched: no lock needed, the .done files are written last.
kver=
if [ -n "${LUTCORE_KVER:-}" ] || [ -s "$LUTCORE_CACHE/kernel-version" ]; then
	kver=$(guest_kernel_version)
fi
dir="$LUTCORE_CACHE/kernel/$kver"
if [ -n "$kver" ] && fetched; then
	echo "$dir"
	exit 0
fi
lutcore_lock kernel "the guest kernel"
kver=$(guest_kernel_version)
dir="$LUTCORE_CACHE/kernel/$kver"
debs="$dir/debs"
root="$dir/root"
flav="$kver-$LUTCORE_KFLAVOUR"

mkdir -p "$debs" "$root"
if [ ! -f "$dir/.done" ]; then
	# shellcheck disable=SC2046 # the package names have no spaces
	kernel_deb_extract "$debs" "$root" "linux-image-$flav" $(kernel_header_packages "$kver")
	[ -f "$root/boot/vmlinuz-$flav" ] || die "no vmlinuz in linux-image-$flav"
	[ -d "$root/usr/src/linux-headers-$flav" ] || die "no headers in linux-headers-$flav"
	touch "$dir/.done"
fi
source_tree
echo "$dir"
