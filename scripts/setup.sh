#!/usr/bin/env bash
# Installs every Debian package that kpipe's build, tests, benchmarks and demo need.
# Quick when everything is already there: apt is only touched for missing packages.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config python3 clang-format
  libcli11-dev libboost1.81-dev libssl-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
  nlohmann-json3-dev libgtest-dev
  # CRC32C with run-time CPU dispatch (ISA-L: ~2-4x the SSE4.2 instruction loop)
  libisal-dev
  # tests: reference broker (librdkafka's mock cluster), reference clients, CLI test runner
  librdkafka-dev kcat python3-kafka bats
  # the time-index relay reads zstd batches with the zstd program (python3 has no zstd module)
  zstd
  # the zsh completion's syntax check; tshark's Kafka dissector, an independent decoder
  zsh tshark
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark's package would otherwise ask whether non-root users may capture
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -q </dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
