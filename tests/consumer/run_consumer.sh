#!/usr/bin/env bash
# Installs the project from BUILD_DIR into a scratch prefix, then configures, builds and runs the
# consumer project against that prefix only. Usage: run_consumer.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build_dir=$1 consumer_src=$2 scratch=$3

rm -rf "$scratch"
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$consumer_src" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$scratch/prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/build" >/dev/null
SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$scratch/build/consumer"
