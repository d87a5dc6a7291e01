#!/usr/bin/env bash
# GPU check of the real runtime (benchmarks/runtime_gpu.py): 3 zoo models split in 3 stages on agents computing on
# the GPU, outputs against local CPU inference, predicted vs actual latency from per-layer tables measured there.
#   bash benchmarks/runtime_gpu.sh                      # on the GPU machine: --device cuda, output under $OUT
#   bash benchmarks/runtime_gpu.sh --device cpu --models tiny-resnet --requests 2   # the same path on a CPU
# Runs from the repository root with PYTHONPATH=src (no install of mcfn itself). A machine that has torch but lacks
# the other dependencies installs them from wheels in .whl/ (no index is reached); PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
NEEDED=(pydantic networkx scipy torchvision)  # beside torch and numpy; pip brings their own dependencies
MISSING=$("$PYTHON" -c 'import importlib.util as u, sys; print(*(m for m in sys.argv[1:] if not u.find_spec(m)))' "${NEEDED[@]}")
if [ -n "$MISSING" ]; then
    "$PYTHON" -m pip install --no-index --find-links .whl $MISSING
fi
PYTHONPATH=src exec "$PYTHON" benchmarks/runtime_gpu.py "$@"
