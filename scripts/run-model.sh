#!/usr/bin/env bash
# make run: boot the VM and run lutcore-infer on a GGUF model with the
# device backend; the text and the speed line stream to the terminal.
#
# usage: run-model.sh --model FILE [--prompt TEXT] [--n N] [--args "FLAGS"]
#                     [--kernel-dir DIR] [--timeout SECS] [--check]
#
# The model reaches the VM as a read-only virtio-blk disk (/dev/vda), the
# way any user's file does (model-vm.sh: a zero-padded copy in build/run/
# when its size is not whole sectors; the user's file is never changed),
# and the VM's memory is sized from it (model-vm.sh). --check only
# validates the values (and the model, when one is given), so that make
# can fail before it builds. Timeout: 600 s + 1 s per MiB of model (TCG
# converts the weights slowly).
#
# The command travels base64-encoded on the kernel command line, which
# takes lutcore-vm's 1400 bytes; a longer prompt goes on a second disk
# (/dev/vdb, NUL-padded), read with lutcore-infer -f.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/model-vm.sh"

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


# Single-quote for the VM's sh: ' becomes '\''.
sh_quote() {
	local q="'\\''"
	printf "'%s'" "${1//\'/$q}"
}

# lutcore-vm's limit is in bytes; ${#s} counts characters in a UTF-8 locale.
bytes() { LC_ALL=C; echo ${#1}; }

check_values
[ -n "$model" ] || [ $check -eq 1 ] || die "no model given (MODEL=path/to/model.gguf)"
[ -z "$model" ] || model_check "$model" "MODEL=$model"
[ $check -eq 0 ] || exit 0

mkdir -p "$run_dir"
size=$(stat -L -c %s "$model")
size_mb=$(((size + (1 << 20) - 1) >> 20))
disks=(--disk "$(model_disk_image "$model" "$run_dir")")
[ -n "$timeout" ] || timeout=$((600 + size_mb))

base="lutcore-infer -m /dev/vda${n:+ -n $n}${args:+ $args}"
cmd=$base
if [ -n "$prompt" ]; then
	cmd="lutcore-infer -m /dev/vda -p $(sh_quote "$prompt")${n:+ -n $n}${args:+ $args}"
	if [ $(bytes "$cmd") -gt $cmd_max ]; then
		# Too long for the kernel command line: the prompt gets a disk of its
		# own. The newline after it is the one -f strips.
		printf '%s\n' "$prompt" >"$run_dir/prompt.img"
		truncate -s $((($(stat -c %s "$run_dir/prompt.img") + 511) / 512 * 512)) \
			"$run_dir/prompt.img"
		disks+=(--disk "$run_dir/prompt.img")
		cmd="$base -f /dev/vdb"
	fi
fi
[ $(bytes "$cmd") -le $cmd_max ] || die "ARGS too long for the VM's command line ($(bytes "$cmd") > $cmd_max bytes)"

mem=$(model_vm_mem "$size_mb")
log "$(basename "$model"), $size_mb MiB, on the device in the VM ($mem MiB, timeout $timeout s)"
exec "$LUTCORE_TOP/tools/vm/lutcore-vm" ${kdir:+--kernel-dir "$kdir"} --mem "$mem" \
	--timeout "$timeout" "${disks[@]}" -- "$cmd"
