#!/usr/bin/env bash
# The GPU paths, on a machine with CUDA, in under 8 minutes; outputs in benchmarks/results/.
#
#   bash benchmarks/gpu_check.sh          # on a CUDA machine
#   bash benchmarks/gpu_check.sh --cpu    # without one: the same steps, small, to check the script
#
# 1. The tests of the GPU paths (tests/test_gpu_ready.py -k cuda): training in bfloat16, in
#    float16 with a gradient scaler and in float32, channels-last, evaluation, torch.compile.
# 2. benchmarks/train_vs_d2l.py: the matmul peak, lib against d2l on the four models (the
#    paper's AlexNet at 224x224 and ResNet-18 at 96x96 on CUDA), and the MFU of the paper's
#    ResNet-18 at 224x224 against the datasheet's peak (--peak-tflops for GPUs not in its table).
# Each step has its own time limit; the log is benchmarks/results/gpu_check_<device>.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
export COURSE_DATA=offline OMP_WAIT_POLICY=PASSIVE PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

if python -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
  device=cuda results=benchmarks/results bench=()
elif [[ "${1:-}" == "--cpu" ]]; then
  device=cpu results=$(mktemp -d) bench=(--models lenet --runs 1 --train-images 512 --test-images 256 --mfu)
else
  echo "no CUDA device here: run this on a GPU machine (or with --cpu to check the script itself)" >&2
  exit 1
fi
log=$results/gpu_check_$device.txt
status=0
step() {  # step SECONDS COMMAND...: runs it under a time limit, logs it, remembers a failure
  local limit=$1; shift
  echo "\$ $*"
  timeout "$limit" "$@" || { echo "FAILED (exit $?): $*"; status=1; }
}
{
  echo "gpu_check on $(hostname) $(date '+%Y-%m-%d %H:%M'); torch $(python -c 'import torch; print(torch.__version__)')"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  SECONDS=0
  step 240 python -m pytest -q -p no:randomly -o addopts="" tests/test_gpu_ready.py -k cuda -rs
  step 360 python benchmarks/train_vs_d2l.py "${bench[@]}" --out "$results/train_vs_d2l_$device.txt"
  echo "gpu_check: ${SECONDS} s in all; exit status $status"
  exit $status
} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "log: $log"
exit "$status"
