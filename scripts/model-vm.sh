# shellcheck shell=bash
# How a GGUF model reaches the VM, shared by make run (run-model.sh), make
# bench-model (tools/bench/bench-model.sh) and make ppl-table. Sourced after
# lib.sh, not run.

# model_check FILE WHAT: die with one line, naming WHAT (e.g. MODEL=path),
# unless FILE is a readable, non-empty regular file that begins with GGUF.
model_check() {
	local file=$1 what=$2
	[ -e "$file" ] || die "$what: no such file"
	[ -f "$file" ] || die "$what: not a regular file"
	[ -r "$file" ] && head -c 4 "$file" >/dev/null 2>&1 ||
		die "$what: cannot be read (permissions?)"
	[ -s "$file" ] || die "$what: the file is empty"
	[ "$(head -c 4 "$file")" = GGUF ] ||
		die "$what: not a GGUF file (it does not begin with \"GGUF\")"
}

# model_disk_image FILE DIR: the file to attach as a read-only virtio-blk
# disk. A disk is a whole number of 512-byte sectors, so a file of another
# size is copied to DIR/<name>.img and zero-padded there (the GGUF reader
# ignores what follows the image); the copy is made again only when the
# file changed, and the user's file is never written.
model_disk_image() {
	local file=$1 dir=$2 size img stamp
	size=$(stat -L -c %s "$file")
	if [ $((size % 512)) -eq 0 ]; then
		echo "$file"
		return
	fi
	mkdir -p "$dir"
	img="$dir/$(basename "$file").img"
	stamp="$(realpath "$file") $size $(stat -L -c %Y "$file")"
	if [ ! -f "$img" ] || [ "$(cat "$img.src" 2>/dev/null)" != "$stamp" ]; then
		rm -f "$img" "$img.src"
		cp --reflink=auto "$file" "$img.tmp"
		truncate -s $(((size + 511) / 512 * 512)) "$img.tmp"
		mv "$img.tmp" "$img"
		echo "$stamp" >"$img.src"
	fi
	echo "$img"
}

# model_vm_mem SIZE_MB: guest memory in MiB for a model of SIZE_MB: 512 +
# 3 x the file (the disk's page cache, the converted weights, the device's
# buffers), rounded up to 256, at least 1024, at most 3/4 of the host's
# available memory (with a warning when that caps it).
model_vm_mem() {
	local size_mb=$1 mem avail cap
	mem=$(((512 + 3 * size_mb + 255) / 256 * 256))
	[ $mem -ge 1024 ] || mem=1024
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	cap=$((avail * 3 / 4))
	if [ $mem -gt $cap ]; then
		log "warning: the model wants $mem MiB of VM memory; the host has $avail MiB available, using $cap"
		mem=$cap
	fi
	echo $mem
}
