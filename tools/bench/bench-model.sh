#!/usr/bin/env bash
# make bench-model: one model's speed on the CPU backend (on the host) and
# on the device (in the VM), side by side in one table with the ratio of
# their decode rates.
#
# usage: bench-model.sh --build DIR [--model FILE | --preset NAME]
#                       [--default FILE] [--tokens N] [--threads N]
#                       [--kernel-dir DIR]
#
# The model: --model FILE; or --preset NAME (a lutcore-mkmodel preset such
# as bitnet-2b, generated once into DIR/bench/NAME.gguf); or --default (the
# bundled default model); or, without any, a generated llama q4_0 in
# DIR/bench/. Both rows run `lutcore-bench --model` with the same prompt and
# token count; the CPU row uses --threads engine threads (default 1, like
# each of the device's cores, whose engine-threads property defaults to 1),
# so that the ratio is the cost of the device path (guest, driver, QEMU)
# around the same engine work.
#
# The model reaches the VM as a read-only virtio-blk disk (/dev/vda): a
# whole number of 512-byte sectors, so another size is padded with zeros
# (the GGUF reader ignores what follows the image) - in place for a file
# this script generated, in a copy in DIR/bench/ for anyone else's. VM
# memory: 512 MiB + 3 x the file (the disk's page cache, the converted
# weights, the device's buffers), at most 3/4 of what the host has free.
. "$(dirname "$0")/../../scripts/lib.sh"
. "$(dirname "$0")/../../scripts/model-vm.sh"

build= model= preset= default= tokens=32 threads=1 kdir=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--model) model=$2; shift ;;
	--preset) preset=$2; shift ;;
	--default) default=$2; shift ;;
	--tokens) tokens=$2; shift ;;
	--threads) threads=$2; shift ;;
	--kernel-dir) kdir=$2; shift ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
[ -n "$build" ] || die "--build DIR is required"
[[ $tokens =~ ^[0-9]+$ ]] && [[ $threads =~ ^[0-9]+$ ]] ||
	die "BENCH_TOKENS=$tokens and BENCH_THREADS=$threads must be numbers"
[ -z "$model" ] || [ -z "$preset" ] || die "give BENCH_MODEL or BENCH_PRESET, not both"
bench_dir="$build/bench"
bench="$build/host/bin/lutcore-bench"
mkmodel="$build/host/bin/lutcore-mkmodel"
mkdir -p "$bench_dir"

# Generate a model once; pad it to whole sectors in place.
generate() {
	local out=$1
	shift
	if [ ! -f "$out" ]; then
		log "generating $(basename "$out") (once; kept in $bench_dir)"
		"$mkmodel" -q -o "$out.tmp" "$@" || die "lutcore-mkmodel failed"
		truncate -s $((($(stat -c %s "$out.tmp") + 511) / 512 * 512)) "$out.tmp"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

if [ -n "$model" ]; then
	model_check "$model" "BENCH_MODEL=$model"
elif [ -n "$preset" ]; then
	model=$(generate "$bench_dir/$preset.gguf" --preset "$preset")
elif [ -n "$default" ]; then
	model_check "$default" "--default $default"
	model=$default
else
	model=$(generate "$bench_dir/llama-q4_0.gguf" --arch llama --dim 512 --layers 4 \
		--heads 8 --kv-heads 4 --ffn 1536 --vocab 512 --type q4_0 --seed 42)
fi

size_mb=$((($(stat -L -c %s "$model") + (1 << 20) - 1) >> 20))
disk=$(model_disk_image "$model" "$bench_dir")
mem=$(model_vm_mem "$size_mb")
opts=(--tokens "$tokens" --csv -q)
out="$bench_dir/last"
mkdir -p "$out"

log "$(basename "$model"), $size_mb MiB: CPU backend on the host ($threads thread(s))"
"$bench" --model "$disk" --backend cpu --threads "$threads" "${opts[@]}" >"$out/cpu.csv" ||
	die "the CPU run failed"
log "device backend in the VM ($mem MiB)"
"$LUTCORE_TOP/tools/vm/lutcore-vm" ${kdir:+--kernel-dir "$kdir"} --mem "$mem" \
	--timeout $((600 + 2 * size_mb)) --disk "$disk" -- \
	"lutcore-bench --model /dev/vda --backend device ${opts[*]}" >"$out/vm.log" ||
	{ cat "$out/vm.log" >&2; die "the device run failed (VM output above)"; }
tr -d '\r' <"$out/vm.log" | awk '/^backend,/ { h = $0 } /^device,/ { r = $0 }
	END { if (h != "" && r != "") print h "\n" r }' >"$out/device.csv"
grep -q '^device,' "$out/device.csv" || { cat "$out/vm.log" >&2; die "no result from the VM"; }

# One table: the rows, then the ratio of the decode rates.
awk -F, -v model="$model" '
	FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		n++
		name[n] = $col["backend"] == "cpu" ? sprintf("cpu (%d thread%s)", $col["threads"],
			$col["threads"] == 1 ? "" : "s") : "device (VM)"
		for (k in col) v[n, k] = $col[k]
	}
	END {
		printf "model: %s\n", model
		mb = v[1, "weight_bytes"] / 1e6
		printf "       %s %sL d%s v%s %s/%s, %s of engine weights\n",
			v[1, "arch"], v[1, "layers"], v[1, "dim"], v[1, "vocab"], v[1, "type"],
			v[1, "wfmt"], mb < 1000 ? sprintf("%.1f MB", mb) : sprintf("%.2f GB", mb / 1e3)
		printf "%-16s %8s %13s %13s %15s\n", "backend", "load s", "prompt tok/s",
			"decode tok/s", "modeled ms/tok"
		for (i = 1; i <= n; i++) {
			ms = v[i, "modeled_ms_per_token"] < 0 ? "n/a" : \
				sprintf("%.4f", v[i, "modeled_ms_per_token"])
			printf "%-16s %8.2f %13.2f %13.2f %15s\n", name[i], v[i, "load_s"],
				v[i, "prompt_tok_s"], v[i, "decode_tok_s"], ms
		}
		printf "ratio device/cpu decode tok/s: %.3f   prompt tok/s: %.3f\n",
			v[2, "decode_tok_s"] / v[1, "decode_tok_s"],
			v[2, "prompt_tok_s"] / v[1, "prompt_tok_s"]
		printf "prompt: %s tokens in one call, fastest of 3; decode: median of %s greedy steps;\n",
			v[1, "prompt_tokens"], v[1, "decode_tokens"]
		printf "tok/s is wall clock (the device row includes the guest, the driver and QEMU);\n"
		printf "modeled ms/tok is the device cycle model at %s MHz, not host time.\n",
			v[2, "clock_mhz"]
	}
' "$out/cpu.csv" "$out/device.csv"
