#!/usr/bin/env bash
# Build qemu-system-x86_64 with the LUTCore device.
#
# The QEMU source is Debian's (`apt-get source qemu` for the running release)
# unless QEMU_SRC names another tree. qemu-device/ is copied into the tree as
# hw/misc/lutcore/ and hooked into Kconfig, meson and the trace system once.
#
# Two caches, both under $LUTCORE_CACHE:
#   qemu-build/<version>-<h>/   one incremental build directory per QEMU
#       version, source tree and configure options (<h> hashes the last two),
#       so a changed device recompiles only the device's files;
#   qemu-bin/<version>-<h>-<device hash>/qemu-system-x86_64   the finished
#       binary of every recent qemu-device/ version, so switching between
#       two branches or clones costs nothing.
# Fetching and building hold a lock, so two make runs or clones sharing the
# cache take turns.
#
# Prints the path of the binary on stdout; with --source-only, fetches the
# source if needed and prints its path (make lint needs QEMU's checkpatch).
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: scripts/build-qemu.sh [--source-only]

Build qemu-system-x86_64 with the LUTCore device (qemu-device/) in
$LUTCORE_CACHE and print the binary's path.

  --source-only  fetch the QEMU source if needed and print its path
  -h, --help     show this text

QEMU_SRC=/path/to/qemu builds the device into that QEMU tree instead of
Debian's (apt-get source qemu). LUTCORE_CACHE moves the cache.
EOF
}

DEV="$LUTCORE_TOP/qemu-device"
# Every configure option, in one place: the build directory's key hashes
# them, so a change here gets a fresh build directory.
CONFIGURE_ARGS=(--meson=meson --target-list=x86_64-softmmu
	--without-default-features --without-default-devices
	--with-devices-x86_64=lutcore --enable-kvm --enable-tcg
	--enable-fdt=system --disable-docs --disable-install-blobs --disable-werror)
# How many finished binaries (device versions) to keep per build directory.
KEEP_BINARIES=4

# The newest complete qemu-* tree in $1; fetches unpack elsewhere first.
newest_tree() {
	find "$1" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | sort -V | tail -n1
}

# Sets SRC to Debian's QEMU source in the cache, fetching it the first time.
debian_qemu_src() {
	local dir="$LUTCORE_CACHE/src" tmp tree
	mkdir -p "$dir"
	SRC=$(newest_tree "$dir")
	[ -z "$SRC" ] || return 0
	lutcore_lock qemu-fetch "Debian's QEMU source"
	SRC=$(newest_tree "$dir") # fetched while we waited?
	[ -z "$SRC" ] || return 0
	log "fetching Debian's QEMU source (apt-get source qemu)"
	rm -rf "$dir"/.fetch.* # left by an interrupted fetch; we hold the lock
	tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
	if ! (cd "$tmp" && apt-get source -qq qemu >apt-get-source.log 2>&1); then
		tail -n 5 "$tmp/apt-get-source.log" >&2
		rm -rf "$tmp"
		die "apt-get source qemu failed (is dpkg-dev installed and a deb-src entry for Debian present? run scripts/setup-host.sh)"
	fi
	tree=$(newest_tree "$tmp")
	[ -n "$tree" ] || die "apt-get source qemu unpacked no qemu-* directory"
	mv "$tree" "$dir/" # atomic: other runs see the whole tree or none
	rm -rf "$tmp"
	SRC=$(newest_tree "$dir")
}

# Hook hw/misc/lutcore/ into the tree; each edit is made once.
add_glue() {
	grep -q 'lutcore/Kconfig' "$SRC/hw/misc/Kconfig" ||
		printf '\nsource lutcore/Kconfig\n' >>"$SRC/hw/misc/Kconfig"
	grep -q "subdir('lutcore')" "$SRC/hw/misc/meson.build" ||
		printf "\nsubdir('lutcore')\n" >>"$SRC/hw/misc/meson.build"
	grep -q "'hw/misc/lutcore'" "$SRC/meson.build" ||
		sed -i "s|^    'hw/misc',\$|&\n    'hw/misc/lutcore',|" "$SRC/meson.build"
	grep -q "'hw/misc/lutcore'" "$SRC/meson.build" ||
		die "could not add hw/misc/lutcore to the trace subdirs of $SRC/meson.build"
}

# Copy the device in. --checksum leaves identical files alone, so ninja
# recompiles only what changed; without -t a changed file gets the current
# time, so it is newer than its object even when it came from an older
# clone's checkout.
sync_device() {
	local mak="$SRC/configs/devices/x86_64-softmmu/lutcore.mak"
	mkdir -p "$SRC/hw/misc/lutcore"
	rsync -rlp --checksum --delete --exclude '*.mak' "$DEV/" "$SRC/hw/misc/lutcore/"
	cmp -s "$DEV/lutcore-devices.mak" "$mak" || cp "$DEV/lutcore-devices.mak" "$mak"
}

# The device's identity: its files and this script (which holds the glue).
device_hash() {
	(cd "$LUTCORE_TOP" && find qemu-device scripts/build-qemu.sh -type f -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# Build directories made before the key held the source path and configure
# options were named <version>-<source dir name>. One configured from this
# very tree with these very options is taken over through a symlink (a meson
# build directory cannot be moved) rather than building QEMU again.
adopt_legacy_build() {
	local old want
	old="$LUTCORE_CACHE/qemu-build/$VERSION-$(basename "$SRC")"
	[ -f "$old/config.status" ] && [ ! -L "$old" ] || return 0
	want="exec $(printf "'%s' " "$SRC/configure" "${CONFIGURE_ARGS[@]}")\"\$@\""
	[ "$(tail -n1 "$old/config.status")" = "$want" ] || return 0
	log "reusing the build directory $old"
	ln -s "${old##*/}" "$BUILD"
}

build() {
	add_glue
	sync_device
	[ -e "$BUILD" ] || adopt_legacy_build
	if [ ! -f "$BUILD/build.ninja" ]; then
		log "configuring QEMU $VERSION from $SRC (x86_64-softmmu, LUTCore VM devices only)"
		mkdir -p "$BUILD"
		(cd "$BUILD" && PATH=/usr/bin:$PATH "$SRC/configure" "${CONFIGURE_ARGS[@]}" \
			>configure.log 2>&1) ||
			{ tail -n 5 "$BUILD/configure.log" >&2 || true
			  die "QEMU configure failed; see $BUILD/configure.log"; }
	fi
	# Older versions of this script trusted this stamp; without it they
	# rebuild instead of taking another device's binary for theirs.
	rm -f "$BUILD/.lutcore-device-hash"
	log "building QEMU $VERSION in $BUILD (first build: ~5 min on 2 cores; device changes: under a minute)"
	# The full log goes to ninja.log; a line every 100 steps shows progress.
	# pipefail makes the pipeline fail when ninja does.
	ninja -C "$BUILD" qemu-system-x86_64 2>&1 | tee "$BUILD/ninja.log" |
		awk -F'[][/]' '/^\[[0-9]+\/[0-9]+\]/ && ($2 % 100 == 0 || $2 == $3) {
			printf "[build-qemu.sh] %d/%d build steps\n", $2, $3 > "/dev/stderr" }' ||
		{ grep -E 'error|FAILED|undefined' "$BUILD/ninja.log" | cut -c1-300 | tail -n 20 >&2 || true
		  die "QEMU build failed; see $BUILD/ninja.log"; }
}

# Copy the binary to its device-keyed place; the rename makes it appear
# whole, since lookups do not take the lock.
store_binary() {
	mkdir -p "$STORE"
	cp "$BUILD/qemu-system-x86_64" "$STORE/.qemu-system-x86_64.tmp"
	mv -f "$STORE/.qemu-system-x86_64.tmp" "$STORE/qemu-system-x86_64"
}

# Keep the most recently used binaries of this build directory; a lookup
# touches its directory.
prune_binaries() {
	find "$LUTCORE_CACHE/qemu-bin" -mindepth 1 -maxdepth 1 -type d -name "$KEY-*" \
		-printf '%T@ %p\n' | sort -rn | tail -n +$((KEEP_BINARIES + 1)) | cut -d' ' -f2- |
		while IFS= read -r d; do
			log "removing the old binary $d"
			rm -rf -- "$d"
		done
}

# Prints the stored binary and succeeds if this device version has one.
lookup() {
	[ -x "$STORE/qemu-system-x86_64" ] || return 1
	touch "$STORE" 2>/dev/null || true
	echo "$STORE/qemu-system-x86_64"
}

main() {
	local source_only=0
	while [ $# -gt 0 ]; do
		case $1 in
		--source-only) source_only=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage_error "unknown argument '$1'" ;;
		esac
		shift
	done

	if [ -n "${QEMU_SRC:-}" ]; then
		SRC=$(realpath -e "$QEMU_SRC") || die "QEMU_SRC=$QEMU_SRC does not exist"
	else
		debian_qemu_src
	fi
	[ -f "$SRC/VERSION" ] || die "$SRC is not a QEMU source tree (no VERSION file)"
	if [ $source_only -eq 1 ]; then
		echo "$SRC"
		return
	fi
	VERSION=$(cat "$SRC/VERSION")
	KEY="$VERSION-$(printf '%s\n' "$SRC" "${CONFIGURE_ARGS[@]}" | sha256sum | cut -c1-12)"
	BUILD="$LUTCORE_CACHE/qemu-build/$KEY"
	STORE="$LUTCORE_CACHE/qemu-bin/$KEY-$(device_hash)"

	lookup && return
	# One lock per source tree: the device is copied into it.
	lutcore_lock "qemu-$(printf '%s' "$SRC" | sha256sum | cut -c1-12)" "QEMU $VERSION from $SRC"
	lookup && return # built while we waited
	build
	store_binary
	prune_binaries
	lookup || die "no binary at $STORE after the build"
}

main "$@"
