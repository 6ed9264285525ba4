#!/usr/bin/env bash
# Installs the Debian packages the project builds with, if any is missing. As root it runs apt-get;
# otherwise it prints the command to run and fails. Nothing is fetched from outside Debian.
set -euo pipefail

packages=(
  make cmake ninja-build g++ pkg-config ccache
  libsystemc-dev                   # SystemC 2.3.4 with TLM-2.0
  libboost-dev                     # Boost.Histogram (header-only)
  libboost-program-options-dev     # command line
  libyaml-cpp-dev                  # configuration files
  nlohmann-json3-dev               # statistics JSON
  libgtest-dev libgmock-dev        # tests
  libbenchmark-dev                 # micro-benchmarks
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "iommu-vp needs these Debian packages: ${missing[*]}" >&2
  echo "install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
