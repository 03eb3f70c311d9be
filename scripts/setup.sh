#!/usr/bin/env bash
# Installs everything that kpipe's build, tests, benchmarks and demo need:
#   1. Debian packages (compilers, libraries, test peers, Java 17 and Maven);
#   2. <repo>/.venv: a virtual environment of the python3 on PATH with the test packages of
#      tests/support/requirements.txt (kafka-python and its codecs), from PyPI;
#   3. <repo>/.tools/bats: bats-core from npm (test tags and --filter-tags need 1.10+; Debian 12
#      has 1.8);
#   4. Apache Kafka's jars from Maven Central (scripts/kafka.sh fetch; cached in ~/.m2).
# With --fuzz, also clang and its libFuzzer runtime (scripts/fuzz.sh; not needed by the tests).
# Quick when everything is already there: each step checks before it installs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bats_version=1.13.0

packages=(
  # build
  g++ cmake ninja-build pkg-config python3 clang-format
  libcli11-dev libboost1.81-dev libssl-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
  nlohmann-json3-dev libgtest-dev
  # CRC32C with run-time CPU dispatch (ISA-L: ~2-4x the SSE4.2 instruction loop)
  libisal-dev
  # kpipe decode --pcap: pcap and pcapng captures
  libpcap-dev
  # tests: reference brokers (librdkafka's mock cluster; Apache Kafka on Java 17 via Maven),
  # reference clients, the Python that hosts the test venv, npm for bats-core, certificates
  librdkafka-dev kcat openjdk-17-jre-headless maven python3-venv openssl
  # the time-index relay reads zstd batches with the zstd program (python3 has no zstd module)
  zstd
  # the zsh and fish completions' syntax checks; tshark's Kafka dissector, an independent
  # decoder
  zsh fish tshark
  # JSON in the bats tests' assertions
  jq
  # benchmarks: GNU time (peak RSS, CPU of each client run)
  time
)
if [ "${1:-}" = "--fuzz" ]; then
  # libFuzzer ships with clang's compiler runtime; Debian 12's clang is 14
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
# npm may come with a Node.js that is not Debian's (whose npm package would conflict with it).
command -v npm >/dev/null || missing+=(npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # tshark's package would otherwise ask whether non-root users may capture
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  $sudo apt-get update -q </dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

# The test venv, for the python3 that is first on PATH (which may not be Debian's): rebuilt when
# requirements.txt changed or that python3 moved.
req="$repo/tests/support/requirements.txt"
venv="$repo/.venv"
stamp="$(sha256sum "$req" | cut -d' ' -f1) $(command -v python3)"
if [ "$(cat "$venv/.kpipe-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "setup: creating $venv from $req" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" </dev/null
  "$venv/bin/python" -c 'import kafka, lz4, zstandard, snappy, crc32c' # fail here, not in a test
  printf '%s\n' "$stamp" >"$venv/.kpipe-stamp"
fi

# bats-core from npm, kept inside the repository (no global install).
if [ "$("$repo/.tools/bats/node_modules/bats/bin/bats" --version 2>/dev/null)" != "Bats $bats_version" ]; then
  echo "setup: installing bats-core $bats_version from npm into $repo/.tools/bats" >&2
  mkdir -p "$repo/.tools/bats"
  npm install --silent --no-audit --no-fund --prefix "$repo/.tools/bats" "bats@$bats_version" </dev/null
fi

# Apache Kafka's jars (a no-op when the class path is cached and every jar is there).
bash "$repo/scripts/kafka.sh" fetch >/dev/null
