#!/usr/bin/env bash
# bench/gpu_lm.sh: continue the shipped enwiki-mid LMs' stage 1 on a lent GPU machine (no Deno, no
# internet) through fitlam's WebGPU backend, both directions at once, for a fixed time; the
# weights come back half precision, ready for weights/enwiki-mid/.
#
#   bash bench/gpu_lm.sh --prepare         # here: writes dist/lmgpu/ (~62 MB with the corpus)
#   SECONDS_TO_TRAIN=420 bash bench/gpu_lm.sh   # there, with OUT set: OUT/lm-{fwd,bwd}/
#
# Carry dist/lmgpu (and, where the machine lacks a Vulkan loader or glvnd, the .debs in .gl/ that
# bench/gpu_env.sh names; they are unpacked first).
# The run settings are those the committed weights were trained with (weights/README.md,
# mid-gpu.json): a finished epoch is reopened for the next one, a mid-epoch one resumed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIST="$ROOT/dist/lmgpu"
CORPUS="${FITLAM_CORPUS:-../shared/data/enwiki/enwiki_clean.txt.gz}"
CONFIG='{"maxVocab": 20000, "minFreq": 3, "corpusMaxTokens": 0, "dropMult": 0.3,
 "checkpointEvery": 25, "model": {"embSize": 128, "hiddenSize": 384},
 "pretrain": {"epochs": 2, "bs": 512, "bptt": 70, "lr": 0.002, "validFraction": 0.02}}'

prepare() {
  mkdir -p "$DIST"
  deno bundle --quiet --minify --platform deno -o "$DIST/train.js" trainer/main.ts
  deno bundle --quiet --minify --platform deno -o "$DIST/export_lm.js" trainer/export_lm.ts
  # An npm data package in the bundle reads __dirname at load; Deno has none outside CommonJS.
  sed -i '1i globalThis.__dirname ??= "/nonexistent/";' "$DIST/train.js"
  xz -T2 -9 -f "$DIST/train.js"
  xz -T2 -9e -c "$(readlink -f "$(command -v deno)")" >"$DIST/deno.xz"
  zcat -f "$CORPUS" | xz -T2 -9 -c >"$DIST/enwiki_clean.txt.xz"
  for d in fwd bwd; do
    mkdir -p "$DIST/lm/pretrain-$d"
    for f in model.safetensors config.json; do
      xz -9 -c "weights/enwiki-mid/pretrain-$d/$f" >"$DIST/lm/pretrain-$d/$f.xz"
    done
  done
  du -sh "$DIST"
  echo "carry dist/lmgpu; tracked weights/ travel too: move weights/enwiki* aside if the tree is over its limit"
}

run() {
  : "${OUT:?set OUT to the folder results go to}"
  local secs="${SECONDS_TO_TRAIN:-420}" w=/tmp/lmgpu
  mkdir -p "$w" "$OUT"
  # shellcheck source=bench/gpu_env.sh
  . bench/gpu_env.sh
  use_carried_vulkan
  export XDG_RUNTIME_DIR=/tmp
  xz -dc "$DIST/deno.xz" >"$w/deno" && chmod +x "$w/deno"
  xz -dc "$DIST/train.js.xz" >"$w/train.js"
  cp "$DIST/export_lm.js" "$w/"
  xz -dc -T0 "$DIST/enwiki_clean.txt.xz" >"$w/enwiki_clean.txt"
  echo "$CONFIG" >"$w/config.json"
  cd "$w" || exit 1
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
  local pids=()
  for d in fwd bwd; do
    mkdir -p "lm/pretrain-$d" "run-$d/checkpoints"
    for f in model.safetensors config.json; do
      xz -dc "$DIST/lm/pretrain-$d/$f.xz" >"lm/pretrain-$d/$f"
    done
    local reopen=()
    grep -Eq '"done": *true' "lm/pretrain-$d/config.json" && reopen=(--reopen)
    ./deno run -A --no-config export_lm.js --to-checkpoint "lm/pretrain-$d" "${reopen[@]}" \
      --out "run-$d/checkpoints/pretrain-$d" || exit 1
    timeout -s TERM -k 60 "$secs" ./deno run -A --no-config train.js pretrain --config config.json \
      --corpus enwiki_clean.txt --direction "$d" --out "run-$d" --device webgpu --resume \
      >"run-$d/out.txt" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  for d in fwd bwd; do
    tr '\r' '\n' <"run-$d/out.txt" | tail -4
    ./deno run -A --no-config export_lm.js "run-$d/checkpoints/pretrain-$d" --out "$OUT/lm-$d" --half
  done
  tar czf "$OUT/runs.tar.gz" run-*/metrics.jsonl run-*/out.txt
}

case "${1:-}" in
--prepare) prepare ;;
"") run ;;
*) sed -n '2,12p' "$0"; exit 2 ;;
esac
