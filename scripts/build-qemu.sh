#!/usr/bin/env bash
# Build qemu-system-x86_64 with the LUTCore device.
#
# The QEMU source is Debian's (`apt-get source qemu` for the running release)
# unless QEMU_SRC names another tree. qemu-device/ is copied into the tree as
# hw/misc/lutcore/ and hooked into Kconfig, meson and the trace system once.
# The build directory lives in the cache, keyed by the QEMU version; a stamp
# holding the hash of qemu-device/ makes an unchanged device a no-op, and a
# changed one recompiles only the device's files.
#
# Prints the path of the binary on stdout; with --source-only, fetches the
# source if needed and prints its path (make lint needs QEMU's checkpatch).
. "$(dirname "$0")/lib.sh"

DEV="$LUTCORE_TOP/qemu-device"

debian_qemu_src() {
	local dir="$LUTCORE_CACHE/src"
	local d
	d=$(find "$dir" -maxdepth 1 -type d -name 'qemu-*' 2>/dev/null | sort | tail -n1)
	if [ -z "$d" ]; then
		mkdir -p "$dir"
		log "fetching Debian's QEMU source (apt-get source qemu)"
		(cd "$dir" && apt-get source -qq qemu >/dev/null 2>&1) ||
			die "apt-get source qemu failed (is dpkg-dev installed and a deb-src entry present? run scripts/setup-host.sh)"
		d=$(find "$dir" -maxdepth 1 -type d -name 'qemu-*' | sort | tail -n1)
	fi
	echo "$d"
}

# Hook hw/misc/lutcore/ into the tree; each edit is made once.
add_glue() {
	local src=$1
	grep -q 'lutcore/Kconfig' "$src/hw/misc/Kconfig" ||
		printf '\nsource lutcore/Kconfig\n' >>"$src/hw/misc/Kconfig"
	grep -q "subdir('lutcore')" "$src/hw/misc/meson.build" ||
		printf "\nsubdir('lutcore')\n" >>"$src/hw/misc/meson.build"
	grep -q "'hw/misc/lutcore'" "$src/meson.build" ||
		sed -i "s|^    'hw/misc',\$|&\n    'hw/misc/lutcore',|" "$src/meson.build"
	grep -q "'hw/misc/lutcore'" "$src/meson.build" ||
		die "could not add hw/misc/lutcore to the trace subdirs of $src/meson.build"
}

# Copy the device in; rsync --checksum keeps the mtime of unchanged files so
# ninja recompiles only what changed.
sync_device() {
	local src=$1
	mkdir -p "$src/hw/misc/lutcore"
	rsync -a --checksum --delete --exclude '*.mak' "$DEV/" "$src/hw/misc/lutcore/"
	cp "$DEV/lutcore-devices.mak" "$src/configs/devices/x86_64-softmmu/lutcore.mak.new"
	cmp -s "$src/configs/devices/x86_64-softmmu/lutcore.mak.new" \
		"$src/configs/devices/x86_64-softmmu/lutcore.mak" ||
		mv "$src/configs/devices/x86_64-softmmu/lutcore.mak.new" \
			"$src/configs/devices/x86_64-softmmu/lutcore.mak"
	rm -f "$src/configs/devices/x86_64-softmmu/lutcore.mak.new"
}

main() {
	local src=${QEMU_SRC:-$(debian_qemu_src)}
	[ -f "$src/VERSION" ] || die "$src is not a QEMU source tree (no VERSION file)"
	if [ "${1:-}" = --source-only ]; then
		echo "$src"
		return
	fi
	local key
	key="$(cat "$src/VERSION")-$(basename "$src")"
	local build="$LUTCORE_CACHE/qemu-build/$key"
	local bin="$build/qemu-system-x86_64"
	local hash
	hash=$(cd "$LUTCORE_TOP" && find qemu-device scripts/build-qemu.sh -type f -print0 |
		sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)

	if [ -x "$bin" ] && [ "$(cat "$build/.lutcore-device-hash" 2>/dev/null)" = "$hash" ]; then
		echo "$bin"
		return
	fi
	add_glue "$src"
	sync_device "$src"
	if [ ! -f "$build/build.ninja" ]; then
		log "configuring QEMU $key (x86_64-softmmu, LUTCore VM devices only)"
		mkdir -p "$build"
		(cd "$build" && PATH=/usr/bin:$PATH "$src/configure" --meson=meson \
			--target-list=x86_64-softmmu --without-default-features \
			--without-default-devices --with-devices-x86_64=lutcore \
			--enable-kvm --enable-tcg --enable-fdt=system --disable-docs --disable-install-blobs \
			--disable-werror >"$build/configure.log" 2>&1) ||
			die "QEMU configure failed; see $build/configure.log"
	fi
	log "building QEMU $key (first build: ~5 min on 2 cores; device changes: under a minute)"
	# The full log goes to ninja.log; a line every 100 steps shows progress.
	ninja -C "$build" qemu-system-x86_64 2>&1 | tee "$build/ninja.log" |
		awk -F'[][/]' '/^\[[0-9]+\/[0-9]+\]/ && ($2 % 100 == 0 || $2 == $3) {
			printf "[build-qemu.sh] %d/%d build steps\n", $2, $3 > "/dev/stderr" }' ||
		{ grep -E 'error|FAILED|undefined' "$build/ninja.log" | cut -c1-300 | tail -n 20 >&2
		  die "QEMU build failed; see $build/ninja.log"; }
	echo "$hash" >"$build/.lutcore-device-hash"
	echo "$bin"
}

main "$@"
