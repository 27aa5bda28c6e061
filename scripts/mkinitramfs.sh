#!/usr/bin/env bash
# Build the VM's initramfs: busybox-static, the DRM modules lutcore.ko needs
# from the same Debian kernel package (decompressed, in dependency order),
# lutcore.ko, our static programs and tests, and tools/vm/init.
#
# usage: mkinitramfs.sh --out FILE --kernel-dir DIR --module KO
#                       --progs "BIN..." --tests "BIN..."
. "$(dirname "$0")/lib.sh"

out= kdir= module= progs= tests=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2 ;;
	--kernel-dir) kdir=$2 ;;
	--module) module=$2 ;;
	--progs) progs=$2 ;;
	--tests) tests=$2 ;;
	*) die "unknown option $1" ;;
	esac
	shift 2
done
[ -n "$out" ] && [ -d "$kdir/root" ] && [ -f "$module" ] ||
	die "usage: mkinitramfs.sh --out FILE --kernel-dir DIR --module KO [--progs ..] [--tests ..]"

root="$kdir/root"
kver=$(basename "$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
stage="$(dirname "$out")/initramfs-root"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc/lutcore,proc,sys,dev,tmp,tests,lib/modules,mnt}

# busybox and its applet links
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done

# Dependencies of lutcore.ko, plus the helpers the later driver uses, in
# the order modprobe would load them; and virtio_blk, through which models
# reach the VM as read-only disks (/dev/vda, lutcore-vm --disk).
[ -f "$root/lib/modules/$kver/modules.dep" ] || depmod -b "$root" "$kver"
deps=$(modinfo -F depends "$module" | tr ',' ' ')
: >"$stage/etc/lutcore/modules"
for m in $deps drm_shmem_helper gpu-sched virtio_blk; do
	modprobe -d "$root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "$ko" .xz)
	case $ko in
	*.xz) xz -dc "$ko" >"$stage/lib/modules/$name" ;;
	*) cp "$ko" "$stage/lib/modules/$name" ;;
	esac
	echo "$name" >>"$stage/etc/lutcore/modules"
done
cp "$module" "$stage/lib/modules/lutcore.ko"
echo lutcore.ko >>"$stage/etc/lutcore/modules"

for p in $progs; do cp "$p" "$stage/bin/"; done
for t in $tests; do cp "$t" "$stage/tests/"; done
install -m 755 "$LUTCORE_TOP/tools/vm/init" "$stage/init"
install -m 755 "$LUTCORE_TOP/tools/vm/lutcore-mklink" "$stage/bin/"
install -m 755 "$LUTCORE_TOP/tools/vm/lutcore-run-tests" "$stage/bin/"

(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
log "$(basename "$out"): $(du -h "$out" | cut -f1), modules: $(tr '\n' ' ' <"$stage/etc/lutcore/modules")"
