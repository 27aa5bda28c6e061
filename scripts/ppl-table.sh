#!/usr/bin/env bash
# make ppl-table: the analogue of the LUT Tensor Core paper's Table 5 on our
# default models: held-out perplexity with FP16 and with INT8 lookup tables,
# on the device (in the VM) and on the CPU backend (on the host), next to the
# trainer's float forward pass. Prints the table and writes it, with how it
# was made, to --out (docs/accuracy.md).
#
# usage: ppl-table.sh --build DIR --ternary FILE --float FILE [--tokens N]
#                     [--out FILE] [--kernel-dir DIR]
#
# The text: the held-out split of the corpus (scripts/fetch-corpus.sh),
# cut to its smallest prefix of whole cookies that has at least N tokens
# (default 8192; 0: all of it), so that every row, the trainer's included,
# scores exactly the same tokens. Rows:
#   float model   the trainer's float forward pass (lutcore-train --eval)
#   float model   on the engine as it loads by default: F16 projections
#                 quantized to 4 bits (--wbits 4), FP16 tables; CPU
#   float model   quantized to ternary on load (--wbits ternary); CPU
#   ternary model the trainer's float forward pass
#   ternary model FP16 tables, and INT8 tables: CPU and device
# The device runs in one VM boot: the model on /dev/vda and the text on
# /dev/vdb, both read-only virtio-blk disks padded to whole sectors with
# zeros (model-vm.sh; lutcore-infer stops reading a text at its first NUL,
# the GGUF reader ignores what follows the image).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/model-vm.sh"

build= ternary= float= tokens=8192 out= kdir=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--ternary) ternary=$2; shift ;;
	--float) float=$2; shift ;;
	--tokens) tokens=$2; shift ;;
	--out) out=$2; shift ;;
	--kernel-dir) kdir=$2; shift ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
[ -n "$build" ] || die "--build DIR is required"
[[ $tokens =~ ^[0-9]+$ ]] || die "PPL_TOKENS=$tokens: not a number of tokens"
for m in "$ternary" "$float"; do
	[ -n "$m" ] || die "--ternary and --float are required"
	model_check "$m" "$m"
done
infer="$build/host/bin/lutcore-infer"
train="$build/host/bin/lutcore-train"
[ -x "$infer" ] && [ -x "$train" ] || die "build the tools first (make host)"
work="$build/ppl"
mkdir -p "$work"
rm -f "$work"/*.log

# ---- The text --------------------------------------------------------------

# The first k cookies of the held-out text (each ends with a line "%").
cookies() { awk -v k="$2" '{ print } /^%$/ { if (++n == k) exit }' "$1"; }

# How many tokens a text has, as lutcore-infer tokenizes it.
tokens_of() {
	"$infer" -m "$ternary" --backend cpu --perplexity "$1" --ppl-tokens 1 2>&1 >/dev/null |
		sed -n 's/^lutcore-infer: perplexity: [0-9]* of \([0-9]*\) tokens in .*/\1/p'
}

# The smallest whole-cookie prefix of $held with at least $tokens tokens
# (a binary search) into $text; prints how many cookies it has.
cut_text() {
	local lo=1 hi mid c
	hi=$(grep -c '^%$' "$held")
	if [ "$tokens" -eq 0 ] || [ "$n_held" -le "$tokens" ]; then
		cp "$held" "$text"
		echo "$hi"
		return
	fi
	while [ "$lo" -lt "$hi" ]; do
		mid=$(((lo + hi) / 2))
		cookies "$held" $mid >"$text"
		c=$(tokens_of "$text") && [ -n "$c" ] || die "cannot count the tokens of $text"
		if [ "$c" -ge "$tokens" ]; then hi=$mid; else lo=$((mid + 1)); fi
	done
	cookies "$held" $lo >"$text"
	echo $lo
}

# ---- Measuring -------------------------------------------------------------

# "P N L": perplexity, tokens, nll per token from lutcore-infer's result line.
parse_infer() {
	sed -n 's/^perplexity: \([0-9.]*\) over \([0-9]*\) tokens (nll \([0-9.]*\)\/token).*/\1 \2 \3/p' |
		head -n1
}

# lutcore-infer on the host: name, model, flags.
cpu_row() {
	local name=$1 model=$2 r
	shift 2
	log "CPU backend: $name"
	r=$("$infer" -m "$model" --backend cpu --perplexity "$text" "$@" 2>"$work/$name.log" |
		parse_infer) || true
	[ -n "$r" ] || { cat "$work/$name.log" >&2; die "lutcore-infer failed for $name"; }
	echo "$r"
}

# The trainer's own float forward pass: "P N L".
ref_row() {
	local name=$1 model=$2 line
	log "trainer's float forward pass: $name"
	line=$("$train" --eval "$model" --heldout "$text" 2>"$work/$name.log") ||
		{ cat "$work/$name.log" >&2; die "lutcore-train --eval failed for $name"; }
	echo "$line" >>"$work/$name.log"
	sed -n 's/.*held-out loss \([0-9.]*\) nats\/token, perplexity \([0-9.]*\) over \([0-9]*\) tokens.*/\2 \3 \1/p' \
		<<<"$line" | grep . || die "cannot read lutcore-train's result: $line"
}

# Both table types on the device in one VM boot; fills dev_f16 and dev_i8.
device_rows() {
	local cmd t model_img text_img mem
	model_img=$(model_disk_image "$ternary" "$work")
	text_img=$(model_disk_image "$text" "$work")
	mem=$(model_vm_mem $((($(stat -L -c %s "$ternary") + (1 << 20) - 1) >> 20)))
	cmd="lutcore-infer -m /dev/vda --perplexity /dev/vdb --tables f16"
	cmd="$cmd && lutcore-infer -m /dev/vda --perplexity /dev/vdb --tables i8"
	log "device backend in the VM ($mem MiB): ternary model, FP16 then INT8 tables"
	"$LUTCORE_TOP/tools/vm/lutcore-vm" ${kdir:+--kernel-dir "$kdir"} --mem "$mem" \
		--timeout $((600 + n_text / 20)) --disk "$model_img" --disk "$text_img" \
		-- "$cmd" 2>&1 | tr -d '\r' | tee "$work/vm.log" >&2 ||
		die "the device run failed (output above)"
	for t in f16 i8; do
		grep "tables $t\$" "$work/vm.log" | parse_infer >"$work/dev-$t.txt"
		[ -s "$work/dev-$t.txt" ] || die "no result from the VM for $t tables"
	done
	dev_f16=$(cat "$work/dev-f16.txt")
	dev_i8=$(cat "$work/dev-i8.txt")
}

# ---- The table and the document --------------------------------------------


# "P (L)" for a table cell.
cell() {
	local p l
	read -r p _ l <<<"$1"
	echo "$p ($l)"
}

# Field i (1: perplexity, 3: nll) of a result.
field() { cut -d' ' -f"$2" <<<"$1"; }

# a - b, and the same relative to b in percent: "+0.005 (+0.01 %)".
delta() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f (%+.2f %%)", a - b, 100 * (a - b) / b }'
}

# How the device's results compare with the CPU's, for both table types.
agreement() {
	if [ "$dev_f16" = "$cpu_f16" ] && [ "$dev_i8" = "$cpu_i8" ]; then
		echo "identical: the same perplexity and the same nll to the 6 decimals printed, with both table types"
	else
		echo "NOT identical: FP16 tables $(cell "$cpu_f16") on the CPU, $(cell "$dev_f16") on the device; INT8 tables $(cell "$cpu_i8") and $(cell "$dev_i8")"
	fi
}

print_table() {
	local f t
	f=$(basename "$float")
	t=$(basename "$ternary")
	echo "held-out perplexity (nll/token) over $n_scored tokens, windows of $window positions"
	echo
	echo "| model | weights as computed | tables | CPU backend (host) | device (VM) |"
	echo "|---|---|---|---|---|"
	echo "| $f | F16, the trainer's float forward pass (reference, no engine) | none | $(cell "$ref_float") | |"
	echo "| $f | INT4, a scale per 32: quantized on load (\`--wbits 4\`, the default) | FP16 | $(cell "$cpu_float4") | |"
	echo "| $f | ternary, absmean per 32: quantized on load (\`--wbits ternary\`), not trained for it | FP16 | $(cell "$cpu_float3") | |"
	echo "| $t | ternary, the trainer's float forward pass (reference, no engine) | none | $(cell "$ref_tern") | |"
	echo "| $t | ternary (TQ2_0 codes as trained) | FP16 | $(cell "$cpu_f16") | $(cell "$dev_f16") |"
	echo "| $t | ternary (TQ2_0 codes as trained) | INT8 | $(cell "$cpu_i8") | $(cell "$dev_i8") |"
}

# One model file: name, bytes and the start of its SHA-256.
model_id() {
	echo "\`$(basename "$1")\` ($(stat -L -c %s "$1") bytes, sha256 $(sha256sum "$1" | cut -c1-16)…)"
}

write_doc() {
	local total_cookies bytes total_bytes cmd
	total_cookies=$(grep -c '^%$' "$held")
	bytes=$(stat -c %s "$text")
	total_bytes=$(stat -c %s "$held")
	cmd="make ppl-table PPL_TOKENS=$tokens"
	cat <<EOF
# Accuracy: FP16 versus INT8 lookup tables

<!-- Written by \`make ppl-table\` (scripts/ppl-table.sh); edit that, not this
     file. -->

The analogue of Table 5 of the LUT Tensor Core paper (model quality with FP16 tables versus
INT8-quantized tables) on the project's own default models (\`models/README.md\`): held-out
perplexity of the float model and of the ternary model, with each kind of lookup table, on the
device and on the CPU backend.

Made by \`$cmd\` on $(date -u +%Y-%m-%d), in $secs s on a $(nproc)-core host (the device is QEMU's,
in the VM that \`tools/vm/lutcore-vm\` boots), from the models

- $(model_id "$float")
- $(model_id "$ternary")

## Table

Perplexity, and in parentheses the mean negative log-likelihood in nats per token (the trainer
prints 4 decimals, lutcore-infer 6), over the same **$n_scored tokens** for every row:

$(print_table | sed -n '3,$p')

For comparison, the paper's Table 5 (LLaMA2-7B, BitDistiller 2-bit QAT, WikiText-2 perplexity):
W_FP16·A_FP16 5.47; W_INT2·A_FP16 7.68; W_INT2 with INT8 tables 7.69.

- **INT8 versus FP16 tables** (ternary model, CPU): $(delta "$(field "$cpu_i8" 1)" "$(field "$cpu_f16" 1)") in perplexity
  (the paper: +0.01, +0.13 %).
- **FP16 tables versus the float reference** on the same ternary weights: $(delta "$(field "$cpu_f16" 1)" "$(field "$ref_tern" 1)").
- **Device versus CPU**: $(agreement).
- **Ternary (QAT) versus float**: $(delta "$(field "$cpu_f16" 1)" "$(field "$ref_float" 1)"); the float model
  made ternary after training instead: $(delta "$(field "$cpu_float3" 1)" "$(field "$ref_float" 1)").

## What was measured

- **Text**: the held-out split of the corpus (\`scripts/fetch-corpus.sh\`: every 20th fortune cookie of
  Debian's \`fortunes\`, never trained on), cut to keep the run to a few minutes: its first
  $n_cookies of $total_cookies cookies ($bytes of $total_bytes bytes), the fewest whole cookies with at least
  $tokens tokens (\`PPL_TOKENS\`; \`make ppl-table PPL_TOKENS=0\` takes all of it, $n_held tokens).
  Every row reads this same text.
- **Method** (\`lutcore-infer --perplexity\`, the same as \`lutcore-train --eval\`): the text is
  tokenized as a whole and cut into windows of $window tokens (the models' context length); each
  window is run from position 0 as BOS followed by its first $((window - 1)) tokens, and all $window are
  scored, the first from BOS alone. So every token is scored exactly once; perplexity = e^(mean
  −ln p). The script checks that every row scored the same number of tokens.
- **Reference rows** come from the trainer's own forward pass in binary32 on the weights of the
  file (\`lutcore-train --eval\`): for the float model its F16 values (the paper's W_FP16·A_FP16), for
  the ternary model exactly the ternary values it was trained with (W_INT2·A_FP16). No lookup
  tables, no engine.
- **Engine rows** run liblutcore's model runtime: \`lutcore-infer --backend cpu\` on the host, and
  \`--backend device\` in the VM (the model on a read-only disk, \`/dev/vda\`, the text on
  \`/dev/vdb\`), both evaluating each window with \`lut_model_eval_all()\` (the logits of every
  position from prompt streams).

## What the table types mean here

The engine never multiplies a weight. PRECOMP turns each group of 4 activations (after RMSNorm) into
a table of the 8 signed sums ±a0±a1±a2−a3 (the other 8 are their negations), and LMMA adds the
table entries that each weight's bits select, plane by plane, then applies the weight scales
(\`docs/isa.md\` §2.1). Activations stay binary32 until they enter a table; the KV cache is F16.

- **FP16 tables**: each entry is computed in binary32 and rounded once to binary16 (relative error
  at most 2⁻¹¹); sums are binary32.
- **INT8 tables**: each entry is rounded to an 8-bit integer in units of A_max/127, where A_max is
  the largest |a0|+|a1|+|a2|+|a3| of the row's weight-scale group (256 weights for TQ2_0); LMMA sums
  the integers exactly and multiplies by that scale once per group. The paper gives every 4-sum
  table its own scale; a scale per group keeps the sums integer (\`docs/isa.md\`), at the price of a
  coarser step for the groups' smaller sums. It halves the table memory and traffic.

## What the float model's rows are

The engine has no float weights: its widest format is 4 bits (8-bit weights run as two 4-bit
parts). F16 projections are quantized when the model loads, to \`--wbits\` bits (default 4,
symmetric, a scale per 32 weights); the float output projection is rounded to Q8_0 (8 bits) and the
token embedding is read as F16. So "the float model on the CPU" is really a 4-bit post-training
quantization of it (second row); the W_FP16 number is the trainer's (first row). The third row
shows what quantizing the float model to ternary after training costs, against the ternary model
trained as such (QAT, BitNet b1.58).

The ternary model's projections are TQ2_0 codes with one scale per tensor, run code for code; its
token embedding and output projection are F16 in the file, and the output projection runs as Q8_0
on the engine (the reference uses F16 there): the FP16-table rows differ from the reference row
by that rounding, the tables' and the F16 KV cache's together.

## Why the device and CPU columns agree

Both backends run the same instruction streams through the same engine code
(\`qemu-device/engine/\`, compiled into QEMU's device and into liblutcore's CPU backend, both with
\`-ffp-contract=off\`). Every output element is computed in a fixed order that does not depend on
the engine's thread count, on how a step is cut into jobs, or on how many rows a stream has
(\`docs/model.md\`), so the logits, and with them the perplexities, are the same bits; the driver,
the guest and the emulated PCIe path only move them. The table shows it to the digits printed.
EOF
}

# ---- Main -------------------------------------------------------------------

held="$("$(dirname "$0")/fetch-corpus.sh")/heldout.txt"
[ -s "$held" ] || die "no held-out text at $held"
text="$work/heldout.txt"
n_held=$(tokens_of "$held")
[ -n "$n_held" ] || die "lutcore-infer could not tokenize $held"
n_cookies=$(cut_text)
n_text=$(tokens_of "$text")
t0=$(date +%s)

ref_float=$(ref_row ref-float "$float")
cpu_float4=$(cpu_row float-wbits4 "$float")
cpu_float3=$(cpu_row float-ternary "$float" --wbits ternary)
ref_tern=$(ref_row ref-ternary "$ternary")
cpu_f16=$(cpu_row ternary-f16 "$ternary" --tables f16)
cpu_i8=$(cpu_row ternary-i8 "$ternary" --tables i8)
device_rows
secs=$(($(date +%s) - t0))

# Every row must have scored the same tokens.
n_scored=$(cut -d' ' -f2 <<<"$cpu_f16")
for r in "$ref_float" "$cpu_float4" "$cpu_float3" "$ref_tern" "$cpu_f16" "$cpu_i8" \
	"$dev_f16" "$dev_i8"; do
	[ "$(cut -d' ' -f2 <<<"$r")" = "$n_scored" ] ||
		die "rows scored different numbers of tokens ($r vs $cpu_f16): not the same method"
done
window=$(sed -n 's/.* windows* of \([0-9]*\) positions.*/\1/p' "$work/ternary-f16.log" | head -n1)

write_doc >"$work/accuracy.md"
[ -z "$out" ] || cp "$work/accuracy.md" "$out"
print_table
log "done in $secs s${out:+; wrote $out}"
