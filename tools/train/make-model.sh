#!/usr/bin/env bash
# make model: train LUTCore's default models from scratch and record how.
#
# usage: make-model.sh --bin lutcore-train --work DIR --out DIR [--cflags "..."]
#                      [--record-only]
#
#  1. the corpus: Debian's fortunes, split into train.txt and heldout.txt
#     (scripts/fetch-corpus.sh);
#  2. one byte-level BPE vocabulary of VOCAB tokens learned from train.txt
#     (DIR/vocab.gguf), used by both models;
#  3. the ternary model (BitNet b1.58 QAT, projections TQ2_0) and the float
#     model (projections F16), same shape, data, seed and schedule;
#  4. models/README.md's record (between its record markers): commands,
#     times, loss curves, held-out loss and sample continuations, all
#     produced by this run; the per-step curves go to OUT/*.tsv.
# --record-only writes the record again from the last run's files.
. "$(dirname "$0")/../../scripts/lib.sh"

# The recipe. Sized to train in well under an hour on two (shared) cores.
VOCAB=1024
SHAPE=(--dim 256 --layers 2 --heads 4 --ffn 512 --ctx 256)
TRAIN=(--batch 8 --steps 1000 --warmup 50 --wd 0.1 --seed 1 --threads 2 --eval-every 100
	--eval-windows 64 --log-every 20)
TERNARY=(--ternary --lr 3e-3 --min-lr 3e-4)
FLOAT=(--float --lr 2e-3 --min-lr 2e-4)
PROMPTS=("Once upon a time" "The meaning of life is" "A computer")

bin='' work='' out='' cflags='' record_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bin=$2; shift ;;
	--work) work=$2; shift ;;
	--out) out=$2; shift ;;
	--cflags) cflags=$2; shift ;;
	--record-only) record_only=1 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
[ -x "$bin" ] && [ -n "$work" ] && [ -n "$out" ] ||
	die "usage: make-model.sh --bin lutcore-train --work DIR --out DIR"
mkdir -p "$work" "$out"

corpus=$("$LUTCORE_TOP/scripts/fetch-corpus.sh")

# train KIND NAME OPTS...: one model; its time goes to $work/KIND.time.
train() {
	local kind=$1 name=$2 t0
	shift 2
	t0=$(date +%s)
	log "training $name"
	"$bin" --train "$corpus/train.txt" --heldout "$corpus/heldout.txt" \
		--vocab "$work/vocab.gguf" "${SHAPE[@]}" "${TRAIN[@]}" "$@" --name "$name" \
		--save "$work/$kind.ckpt" --save-every 100 --log "$out/$name.tsv" \
		-o "$out/$name.gguf" | tee "$work/$kind.out" ||
		die "training $name failed"
	echo $(($(date +%s) - t0)) >"$work/$kind.time"
}

if [ $record_only = 0 ]; then
	cut -d' ' -f1-3 /proc/loadavg >"$work/load"
	echo "$cflags" >"$work/cflags"
	start=$(date +%s)
	log "learning a vocabulary of $VOCAB tokens"
	"$bin" --learn-vocab "$VOCAB" --train "$corpus/train.txt" -o "$work/vocab.gguf" -q
	echo $(($(date +%s) - start)) >"$work/vocab.time"
	train ternary lutcore-tiny-ternary "${TERNARY[@]}"
	train float lutcore-tiny-f16 "${FLOAT[@]}"
	echo $(($(date +%s) - start)) >"$work/total.time"
	date -u +%Y-%m-%d >"$work/date"
	log "trained both in $(cat "$work/total.time") s"
fi
vocab_s=$(cat "$work/vocab.time") total=$(cat "$work/total.time")

# ---- The record in models/README.md ---------------------------------------

# curves TERNARY.tsv FLOAT.tsv: a table row every 50 steps (and step 1)
# with both models' training and held-out losses.
curves() {
	awk -F'\t' 'FNR == 1 { f++; next } /^#/ { next }
		$1 == 1 || $1 % 50 == 0 || $7 != "-" {
			s[$1] = 1; t[f, $1] = sprintf("%.3f", $2)
			h[f, $1] = $7 == "-" ? "" : sprintf("%.3f", $7) }
		END { for (k in s) printf "| %d | %s | %s | %s | %s |\n", k, t[1, k], h[1, k],
			t[2, k], h[2, k] }' "$1" "$2" | sort -t'|' -k2 -n
}

# samples MODEL: each prompt greedy and sampled (temperature 0.8, seed 1).
samples() {
	local p
	for p in "${PROMPTS[@]}"; do
		printf '\n*%s*, greedy:\n\n```\n' "$p"
		"$bin" --sample "$1" --prompt "$p" -n 60 --temp 0 -j2
		printf '```\n\n*%s*, temperature 0.8, top-k 40, top-p 0.95, seed 1:\n\n```\n' "$p"
		"$bin" --sample "$1" --prompt "$p" -n 60 -j2
		printf '```\n'
	done
}

record() {
	local m
	cat <<EOF
Made by \`make model\` on $(cat "$work/date") ($(nproc) cores: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1),
load average $(cat "$work/load") when it started: the machine was shared), lutcore-train built with
\`$(cat "$work/cflags")\`.

Corpus: \`$(basename "$corpus")\`: $(wc -c <"$corpus/train.txt") bytes of training text ($(grep -c '^%$' "$corpus/train.txt") cookies)
and $(wc -c <"$corpus/heldout.txt") bytes held out ($(grep -c '^%$' "$corpus/heldout.txt") cookies). Vocabulary: $VOCAB tokens, learned in $vocab_s s.

Common options: \`${SHAPE[*]} ${TRAIN[*]}\`

| model | options | parameters | time | held-out loss (nats/token) | perplexity | file |
|---|---|---|---|---|---|---|
EOF
	for m in ternary float; do
		local name opts params held ppl
		name=lutcore-tiny-ternary opts="${TERNARY[*]}"
		[ $m = float ] && name=lutcore-tiny-f16 opts="${FLOAT[*]}"
		params=$(sed -n 's/^wrote .*: \([0-9]*\) parameters.*/\1/p' "$work/$m.out")
		held=$(sed -n 's/^held-out loss \([0-9.]*\) nats.*/\1/p' "$work/$m.out")
		ppl=$(sed -n 's/.*perplexity \([0-9.]*\) over.*/\1/p' "$work/$m.out")
		printf '| %s | `%s` | %s | %s s | %s | %s | %s bytes |\n' "$name" "$opts" \
			"$params" "$(cat "$work/$m.time")" "$held" "$ppl" \
			"$(wc -c <"$out/$name.gguf")"
	done
	printf '\nBoth models and the vocabulary: %s s in all.\n' "$total"
	printf '\nLoss curves (training loss of the step'"'"'s batch; held-out loss on 64 windows\n'
	printf 'during training, on all of heldout.txt at the end; full curves in *.tsv):\n\n'
	printf '| step | ternary train | ternary held-out | float train | float held-out |\n'
	printf '|---|---|---|---|---|\n'
	curves "$out/lutcore-tiny-ternary.tsv" "$out/lutcore-tiny-f16.tsv"
	for m in lutcore-tiny-ternary lutcore-tiny-f16; do
		printf '\n### %s: sample continuations (lutcore-train --sample)\n' "$m"
		samples "$out/$m.gguf"
	done
}

readme="$out/README.md"
[ -f "$readme" ] || die "$readme is missing"
record >"$work/record.md"
awk -v rec="$work/record.md" '
	/<!-- record:begin -->/ { print; while ((getline l < rec) > 0) print l; skip = 1; next }
	/<!-- record:end -->/ { skip = 0 }
	!skip' "$readme" >"$work/README.md"
grep -q '<!-- record:end -->' "$work/README.md" || die "$readme has no record markers"
mv "$work/README.md" "$readme"
log "wrote $out/lutcore-tiny-ternary.gguf, $out/lutcore-tiny-f16.gguf and the record in $readme"
