#!/usr/bin/env bash
# make run: boot the VM and run lutcore-infer on a GGUF model with the
# device backend; the text and the speed line stream to the terminal.
#
# usage: run-model.sh --model FILE [--prompt TEXT] [--n N] [--args "FLAGS"]
#                     [--kernel-dir DIR] [--timeout SECS] [--check]
#
# The model reaches the VM as a read-only virtio-blk disk (/dev/vda), the
# way any user's file does. A disk is a whole number of 512-byte sectors,
# so a file of another size is copied to build/run/model.img and padded
# with zeros there (the GGUF reader ignores what follows the image); the
# user's file is never changed. --check only validates the values (and the
# model, when one is given), so that make can fail before it builds.
#
# VM memory: 512 MiB + 3 x the file size (the page cache of the disk, the
# converted weights, the device's buffers), rounded up to 256 MiB, at least
# 1024 MiB, at most 3/4 of the host's available memory. Timeout: 600 s +
# 1 s per MiB of model (TCG converts the weights slowly).
#
# The command travels base64-encoded on the kernel command line, which
# takes lutcore-vm's 1400 bytes; a longer prompt goes on a second disk
# (/dev/vdb, NUL-padded), read with lutcore-infer -f.
. "$(dirname "$0")/lib.sh"

model= prompt= n= args= kdir= timeout= check=0
while [ $# -gt 0 ]; do
	case $1 in
	--model) model=$2; shift ;;
	--prompt) prompt=$2; shift ;;
	--n) n=$2; shift ;;
	--args) args=$2; shift ;;
	--kernel-dir) kdir=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--check) check=1 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
run_dir="$LUTCORE_TOP/build/run"
cmd_max=1400 # lutcore-vm's limit

# Everything a user can get wrong is caught here, before the VM boots.
check_values() {
	[ -z "$n" ] || [[ $n =~ ^[0-9]+$ ]] || die "N=$n: not a number of tokens"
	[ -z "$timeout" ] || [[ $timeout =~ ^[0-9]+$ ]] || die "TIMEOUT=$timeout: not a number of seconds"
}

check_model() {
	[ -e "$model" ] || die "MODEL=$model: no such file"
	[ -f "$model" ] || die "MODEL=$model: not a regular file"
	[ -r "$model" ] && head -c 4 "$model" >/dev/null 2>&1 ||
		die "MODEL=$model: cannot be read (permissions?)"
	[ -s "$model" ] || die "MODEL=$model: the file is empty"
	[ "$(head -c 4 "$model")" = GGUF ] ||
		die "MODEL=$model: not a GGUF file (it does not begin with \"GGUF\")"
}

# The disk to attach: the file itself, or a zero-padded copy, made again
# only when the file changed.
disk_image() {
	local size=$1 img="$run_dir/model.img" stamp
	if [ $((size % 512)) -eq 0 ]; then
		echo "$model"
		return
	fi
	stamp="$(realpath "$model") $size $(stat -c %Y "$model")"
	if [ ! -f "$img" ] || [ "$(cat "$img.src" 2>/dev/null)" != "$stamp" ]; then
		rm -f "$img" "$img.src"
		cp --reflink=auto "$model" "$img.tmp"
		truncate -s $(((size + 511) / 512 * 512)) "$img.tmp"
		mv "$img.tmp" "$img"
		echo "$stamp" >"$img.src"
	fi
	echo "$img"
}

vm_mem() {
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

# Single-quote for the VM's sh: ' becomes '\''.
sh_quote() {
	local q="'\\''"
	printf "'%s'" "${1//\'/$q}"
}

check_values
[ -n "$model" ] || [ $check -eq 1 ] || die "no model given (MODEL=path/to/model.gguf)"
[ -z "$model" ] || check_model
[ $check -eq 0 ] || exit 0

mkdir -p "$run_dir"
size=$(stat -L -c %s "$model")
size_mb=$(((size + (1 << 20) - 1) >> 20))
disks=(--disk "$(disk_image "$size")")
[ -n "$timeout" ] || timeout=$((600 + size_mb))

base="lutcore-infer -m /dev/vda${n:+ -n $n}${args:+ $args}"
cmd=$base
if [ -n "$prompt" ]; then
	cmd="lutcore-infer -m /dev/vda -p $(sh_quote "$prompt")${n:+ -n $n}${args:+ $args}"
	if [ ${#cmd} -gt $cmd_max ]; then
		# Too long for the kernel command line: the prompt gets a disk of its
		# own. The newline after it is the one -f strips.
		printf '%s\n' "$prompt" >"$run_dir/prompt.img"
		truncate -s $((($(stat -c %s "$run_dir/prompt.img") + 511) / 512 * 512)) \
			"$run_dir/prompt.img"
		disks+=(--disk "$run_dir/prompt.img")
		cmd="$base -f /dev/vdb"
	fi
fi
[ ${#cmd} -le $cmd_max ] || die "ARGS too long for the VM's command line (${#cmd} > $cmd_max bytes)"

mem=$(vm_mem "$size_mb")
log "$(basename "$model"), $size_mb MiB, on the device in the VM ($mem MiB, timeout $timeout s)"
exec "$LUTCORE_TOP/tools/vm/lutcore-vm" ${kdir:+--kernel-dir "$kdir"} --mem "$mem" \
	--timeout "$timeout" "${disks[@]}" -- "$cmd"
