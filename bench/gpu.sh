#!/usr/bin/env bash
# bench/gpu.sh: fitlam's GPU benchmark in one call, for a lent GPU machine
# (H100/H200) that has no Deno and no internet. It runs fitlam's WebGPU
# training benchmark (paper preset by default) and the PyTorch CUDA reference
# (bench/torch_train.py --device cuda) on the same GPU, and prints the table.
#
#   bash bench/gpu.sh --prepare     # here, with Deno: writes dist/gpu/ (carry it)
#   bash bench/gpu.sh               # there: paper preset, bs 16
#   bash bench/gpu.sh --preset small --bs 64 --infer --quick
#   bash bench/gpu.sh --dry-run     # print what would run, check the files
#   bash bench/gpu.sh --tiny        # a short run on whatever adapter is here (e.g. llvmpipe)
#
# dist/gpu/ holds the Deno binary xz-compressed (deno.xz) and the harness
# bundled into one file (bench.js, `deno bundle`), so nothing is downloaded.
# The reference scripts are read from bench/ (FITLAM_BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="$ROOT/dist/gpu"

mode=run
preset=paper
bs=16
quick=()
infer=0
device=webgpu
for arg in "$@"; do
  case "$arg" in
  --prepare) mode=prepare ;;
  --dry-run) mode=dry ;;
  --tiny) preset=tiny bs=8 quick=(--quick) ;;
  --quick) quick=(--quick) ;;
  --infer) infer=1 ;;
  --preset=*) preset="${arg#*=}" ;;
  --bs=*) bs="${arg#*=}" ;;
  --device=*) device="${arg#*=}" ;;
  --preset | --bs | --device) echo "use $arg=VALUE" >&2; exit 2 ;;
  -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
  *) echo "bench/gpu.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

prepare() {
  command -v deno >/dev/null || { echo "--prepare needs deno on PATH" >&2; exit 1; }
  mkdir -p "$OUT"
  deno bundle --quiet --platform deno -o "$OUT/bench.js" bench/main.ts
  local bin
  bin="$(readlink -f "$(command -v deno)")"
  xz -T2 -6 -c "$bin" >"$OUT/deno.xz"
  deno --version | head -1 >"$OUT/deno.version"
  ls -la "$OUT"
  echo "carry dist/gpu (with bench/ from the tree) to the GPU machine, then: bash bench/gpu.sh"
}

find_deno() {
  if [ -x "$OUT/deno" ]; then echo "$OUT/deno"; return; fi
  if [ -f "$OUT/deno.xz" ]; then
    if command -v xz >/dev/null; then
      xz -dc "$OUT/deno.xz" >"$OUT/deno.tmp"
    else
      python3 -c "import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" \
        "$OUT/deno.xz" >"$OUT/deno.tmp"
    fi
    chmod +x "$OUT/deno.tmp" && mv "$OUT/deno.tmp" "$OUT/deno"
    echo "$OUT/deno"
    return
  fi
  if command -v deno >/dev/null; then command -v deno; return; fi
  echo "no Deno: run 'bash bench/gpu.sh --prepare' where Deno is installed and carry dist/gpu" >&2
  exit 1
}

if [ "$mode" = prepare ]; then
  prepare
  exit 0
fi

[ -f "$OUT/bench.js" ] || { echo "dist/gpu/bench.js is missing: run 'bash bench/gpu.sh --prepare' first" >&2; exit 1; }

ref_device=cpu
py="${FITLAM_PYTHON:-python3}"
if "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  ref_device=cuda
fi
export FITLAM_BENCH_DIR="$ROOT/bench"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
benches=(train)
[ "$infer" = 1 ] && benches+=(infer)
cmds=()
for b in "${benches[@]}"; do
  cmds+=("run -A $OUT/bench.js $b --preset $preset --bs $bs --device $device --reference-device $ref_device ${quick[*]:-}")
done

if [ "$mode" = dry ]; then
  echo "GPU: $(nvidia-smi -L 2>/dev/null | head -1 || echo 'none found (nvidia-smi missing)')"
  echo "deno: $([ -f "$OUT/deno.xz" ] && echo "dist/gpu/deno.xz ($(du -h "$OUT/deno.xz" | cut -f1))" || command -v deno || echo missing)"
  echo "bundle: dist/gpu/bench.js ($(du -h "$OUT/bench.js" | cut -f1))"
  echo "reference: $py on $ref_device"
  for c in "${cmds[@]}"; do echo "would run: deno $c"; done
  exit 0
fi

DENO="$(find_deno)"
# shellcheck source=bench/gpu_env.sh
. bench/gpu_env.sh
use_carried_vulkan
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
status=0
for c in "${cmds[@]}"; do
  # shellcheck disable=SC2086
  "$DENO" $c || status=$?
done
exit "$status"
