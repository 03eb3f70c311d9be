# shellcheck shell=bash
# Bats helpers for the TLS and SASL tests (security*.bats, config*.bats): unsecured JWTs, the
# HTTPS token endpoint (tests/support/oidc_server.py), the TCP forwarder that reaches a broker
# under a name its certificate lacks (tests/support/tcp_forward.py), config files, and checks
# that a secret stays out of what kpipe prints.
#
# Source after cluster.bash (it uses _kpipe_start_background and _kpipe_stop_pid); every
# function is exported, so tests can call them without sourcing again:
#
#   setup_file() {
#     source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
#     source "$BATS_TEST_DIRNAME/helpers/security.bash"
#     start_cluster --topic t:1
#   }
#
# The cluster's TLS files and SASL credentials come from its cluster.env (start_cluster
# exports KPIPE_KAFKA_CA, KPIPE_KAFKA_SASL_USER, KPIPE_KAFKA_SASL_PASSWORD, ...).

_KPIPE_SECURITY_SUPPORT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../support" && pwd)"
export _KPIPE_SECURITY_SUPPORT

# unsecured_jwt SUB [LIFETIME_SECONDS [SCOPE]]: a JWT as Kafka's unsecured validator takes it
# ("alg":"none", empty signature; claims sub, iat, exp = now + LIFETIME, default 3600, and
# scope when given). A negative lifetime makes a token that has already expired.
unsecured_jwt() {
  python3 - "$1" "${2:-3600}" "${3:-}" <<'PY'
import base64, json, sys, time
sub, lifetime, scope = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def part(doc):
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
now = int(time.time())
claims = {"sub": sub, "iat": now, "exp": now + lifetime}
if scope:
    claims["scope"] = scope
print(part({"alg": "none"}) + "." + part(claims) + ".")
PY
}

# start_oidc LOG [oidc_server.py args...]: the HTTPS token endpoint with the cluster's broker
# certificate, logging one line per issued token to LOG. Exports KPIPE_TEST_OIDC_URL
# (https://localhost:PORT/token; the certificate names localhost and 127.0.0.1) and
# KPIPE_TEST_OIDC_PID. One per test: stop_oidc in teardown.
start_oidc() {
  local log=$1 dir
  shift
  dir=$(_kpipe_tmpdir)
  : >"$log"
  _kpipe_start_background "$dir/oidc.out" "$dir/oidc.err" \
    python3 "$_KPIPE_SECURITY_SUPPORT/oidc_server.py" --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" \
    --log "$log" "$@" || return 1
  export KPIPE_TEST_OIDC_URL="https://localhost:$_KPIPE_BG_LINE/token"
  export KPIPE_TEST_OIDC_PID=$_KPIPE_BG_PID
}

stop_oidc() {
  _kpipe_stop_pid "${KPIPE_TEST_OIDC_PID:-}"
  unset KPIPE_TEST_OIDC_URL KPIPE_TEST_OIDC_PID
}

# start_forward TARGET LISTEN: a TCP forwarder listening on LISTEN (HOST:PORT, port 0 for any)
# to TARGET (HOST:PORT). Exports KPIPE_TEST_FORWARD (the address it listens on) and
# KPIPE_TEST_FORWARD_PID.
start_forward() {
  local dir
  dir=$(_kpipe_tmpdir)
  _kpipe_start_background "$dir/forward.out" "$dir/forward.err" \
    python3 "$_KPIPE_SECURITY_SUPPORT/tcp_forward.py" "$1" --listen "$2" \
    --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" || return 1
  export KPIPE_TEST_FORWARD=$_KPIPE_BG_LINE
  export KPIPE_TEST_FORWARD_PID=$_KPIPE_BG_PID
}

stop_forward() {
  _kpipe_stop_pid "${KPIPE_TEST_FORWARD_PID:-}"
  unset KPIPE_TEST_FORWARD KPIPE_TEST_FORWARD_PID
}

# sasl_session ADDRESS MECHANISM USER PASSWORD [ARGS...]: tests/support/kafka/sasl_session.py,
# which authenticates one connection and prints the session lifetime the broker gave.
sasl_session() {
  python3 "$_KPIPE_SECURITY_SUPPORT/kafka/sasl_session.py" "$@"
}

# jaas_config MECHANISM USER PASSWORD: the sasl.jaas.config value a Java client uses for
# MECHANISM (for OAUTHBEARER: the unsecured login module, USER as the subject; no password).
jaas_config() {
  case $1 in
    PLAIN) printf 'org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="%s";\n' "$2" "$3" ;;
    SCRAM-SHA-256 | SCRAM-SHA-512)
      printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' "$2" "$3" ;;
    OAUTHBEARER)
      printf 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="%s";\n' "$2" ;;
    *) echo "jaas_config: unknown mechanism $1" >&2; return 1 ;;
  esac
}

# write_lines FILE LINE...: FILE holds the LINEs, one per line (config files, inputs).
write_lines() {
  local file=$1
  shift
  printf '%s\n' "$@" >"$file"
}

# no_secret SECRET TEXT...: fails, showing where, when SECRET occurs in any TEXT (kpipe's
# stdout, stderr, a log). An empty SECRET is a test bug.
no_secret() {
  local secret=$1 text
  shift
  [[ -n "$secret" ]] || { echo "no_secret: empty secret"; return 1; }
  for text in "$@"; do
    if [[ "$text" == *"$secret"* ]]; then
      echo "the secret appears in kpipe's output:"
      printf '%s\n' "$text" | grep -nF -- "$secret" | cut -c 1-300
      return 1
    fi
  done
}

# elapsed_ms START_NS: milliseconds since START_NS (a `date +%s%N` value).
elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

# conn_ports PID PORT: the local ports of PID's established TCP connections to port PORT,
# sorted, one per line. Read from /proc (the process's socket inodes, /proc/net/tcp), which
# needs nothing installed.
conn_ports() {
  python3 - "$1" "$2" <<'PY'
import os, sys
pid, port = sys.argv[1], int(sys.argv[2])
inodes = set()
try:
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
except OSError:
    pass
ports = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for line in lines:
        f = line.split()
        local, remote, state, inode = f[1], f[2], f[3], f[9]
        # State 01 is ESTABLISHED.
        if state == "01" and inode in inodes and int(remote.rsplit(":", 1)[1], 16) == port:
            ports.add(int(local.rsplit(":", 1)[1], 16))
for p in sorted(ports):
    print(p)
PY
}

# isolated_settings: for setup(): the developer's own settings (KPIPE_* variables, config files in
# HOME, the OpenSSL trust variables) stay out of the test, which gets a HOME of its own under
# its temporary directory. Sets T (that directory), USER_NAME and PASSWORD (the cluster's SASL
# user).
isolated_settings() {
  T=$BATS_TEST_TMPDIR
  unset KPIPE_CONFIG KPIPE_PROFILE KPIPE_BROKERS KPIPE_SASL_MECHANISM KPIPE_SASL_USER \
    KPIPE_SASL_PASSWORD KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET SSL_CERT_FILE SSL_CERT_DIR
  export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
  mkdir -p "$HOME"
  USER_NAME=$KPIPE_KAFKA_SASL_USER
  PASSWORD=$KPIPE_KAFKA_SASL_PASSWORD
}

# kp ARGS...: kpipe with a deadline, so that a hang fails the test (exit 124) instead of
# stopping the run.
kp() { timeout 60 "$KPIPE_BIN" "$@"; }

export -f isolated_settings kp unsecured_jwt start_oidc stop_oidc start_forward stop_forward sasl_session \
  jaas_config write_lines no_secret elapsed_ms conn_ports
