# shellcheck shell=bash
# Locates the kpipe binary under test: $KPIPE_BIN, else $KPIPE_BUILD_DIR/kpipe, else build/kpipe.
_KPIPE_CLI_HELPERS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${KPIPE_BIN:-}" ]]; then
  KPIPE_BIN="${KPIPE_BUILD_DIR:-$_KPIPE_CLI_HELPERS/../../../build}/kpipe"
fi
export KPIPE_BIN
export KPIPE_CLI_HELPERS="$_KPIPE_CLI_HELPERS"

kpipe() { "$KPIPE_BIN" "$@"; }
export -f kpipe
