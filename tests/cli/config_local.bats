#!/usr/bin/env bats
# Client settings without a broker: strict -X names (a typo is a usage error with a
# suggestion), --show-config (every effective setting with its source, secrets masked, text and
# JSON), the precedence flags > -X > environment > profile > file, profiles and the default config
# file, Java and librdkafka file syntax. Nothing here contacts a broker (the brokers named are a
# closed port), so every test is broker-free and runs once, in the mock tier. What needs a broker
# is in config.bats, security.bats and security_errors.bats.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/security.bash"
  # TLS files for the settings that name them: a self-signed certificate, its key in PEM, the
  # key encrypted, and both in a PKCS#12 bundle.
  local d="$BATS_FILE_TMPDIR/tls"
  mkdir -p "$d"
  export KEY_PASSWORD="key-password-$RANDOM$RANDOM"
  (
    cd "$d" &&
      openssl req -x509 -newkey rsa:2048 -nodes -keyout client.key -out client.pem -days 2 \
        -subj "/CN=config-local" &&
      openssl pkcs8 -topk8 -in client.key -out client-encrypted.key -v2 aes-256-cbc \
        -passout "pass:$KEY_PASSWORD" &&
      openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12 \
        -passout "pass:$KEY_PASSWORD"
  ) >"$BATS_FILE_TMPDIR/openssl.log" 2>&1 || { cat "$BATS_FILE_TMPDIR/openssl.log" >&2; return 1; }
  export TLS_DIR=$d
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  T=$BATS_TEST_TMPDIR
  unset KPIPE_CONFIG KPIPE_PROFILE KPIPE_BROKERS KPIPE_SASL_MECHANISM KPIPE_SASL_USER \
    KPIPE_SASL_PASSWORD KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET XDG_CONFIG_HOME
  export HOME="$T/home"
  mkdir -p "$HOME"
  # Port 9 on loopback: nothing listens there, so a test that did contact it would fail.
  NOBODY=127.0.0.1:9
}

kp() { timeout 20 "$KPIPE_BIN" "$@"; }

# field KEY: from --show-config's text in $output, "VALUE|SOURCE" for KEY (empty when absent).
field() {
  printf '%s\n' "$output" | python3 -c '
import re, sys
key = sys.argv[1]
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("#") or not line.startswith(key + "="):
        continue
    rest = line[len(key) + 1:]
    m = list(re.finditer(r"\s+# ", rest))
    value, source = (rest[: m[-1].start()], rest[m[-1].end():]) if m else (rest, "")
    print(value + "|" + source)
' "$1"
}

# origin KEY: from --show-config --format json in $output, "VALUE|ORIGIN|SECRET" for KEY.
origin() {
  printf '%s\n' "$output" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for s in doc["settings"]:
    if s["key"] == sys.argv[1]:
        print("|".join([s["value"], s["origin"], str(s["secret"]).lower()]))
' "$1"
}

# bats test_tags=broker-free
@test "-X with a name kpipe does not know: exit 2, naming it and the closest known name" {
  run -2 --separate-stderr kp -b "$NOBODY" -X ssl.ca.locaton=/tmp/ca.pem metadata
  # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr.
  echo "# $stderr"
  [[ "$stderr" == *ssl.ca.locaton* ]]
  [[ "$stderr" == *ssl.ca.location* ]]
  [ -z "$output" ]

  run -2 --separate-stderr kp -b "$NOBODY" -X sasl.mechansim=PLAIN consume -t x -e
  [[ "$stderr" == *sasl.mechansim* && "$stderr" == *"sasl.mechanism"* ]]
  run -2 --separate-stderr kp -b "$NOBODY" -X security.protocl=SSL produce -t x </dev/null
  [[ "$stderr" == *security.protocl* && "$stderr" == *"security.protocol"* ]]
  # Also before --show-config, which would otherwise print it.
  run -2 --separate-stderr kp -b "$NOBODY" -X ssl.key.pasword=x --show-config
  [[ "$stderr" == *ssl.key.pasword* && "$stderr" == *"ssl.key.password"* ]]
  # Not KEY=VALUE at all.
  run -2 --separate-stderr kp -b "$NOBODY" -X ssl.ca.location metadata
}

# bats test_tags=broker-free
@test "--show-config: key=value  # source, one per line; exits 0 without a broker or a command; runs no command given" {
  run -0 --separate-stderr kp -b "$NOBODY" --tls-ca "$TLS_DIR/client.pem" -X linger.ms=7 --show-config
  echo "$output"
  [ "$(field bootstrap.servers)" = "$NOBODY|-b" ]
  [ "$(field ssl.ca.location)" = "$TLS_DIR/client.pem|--tls-ca" ]
  [ "$(field linger.ms)" = "7|-X" ]
  # Every setting line has its source.
  [ -z "$(printf '%s\n' "$output" | grep -v '^#' | grep -v '  # .' || true)" ]

  # A command given is not run: produce reads no input and sends nothing.
  run -0 --separate-stderr kp -b "$NOBODY" produce -t x --show-config <<<"not sent"
  [ "$(field bootstrap.servers)" = "$NOBODY|-b" ]
}

# bats test_tags=broker-free
@test "--show-config masks every secret: sasl.password, ssl.key.password, ssl.keystore.password, sasl.jaas.config, tokens, client secrets, from flags, files and the environment" {
  local pw="sasl-password-$RANDOM$RANDOM" secret="client-secret-$RANDOM$RANDOM" token

  # SASL_SSL SCRAM with an encrypted client key.
  run -0 --separate-stderr kp -b "$NOBODY" --tls-ca "$TLS_DIR/client.pem" \
    --tls-cert "$TLS_DIR/client.pem" --tls-key "$TLS_DIR/client-encrypted.key" \
    -X "ssl.key.password=$KEY_PASSWORD" --sasl-mechanism SCRAM-SHA-512 --sasl-user u \
    -X "sasl.password=$pw" --show-config
  echo "$output"
  no_secret "$pw" "$output" "$stderr"
  no_secret "$KEY_PASSWORD" "$output" "$stderr"
  [ "$(field sasl.password)" = "********|-X" ]
  [ "$(field ssl.key.password)" = "********|-X" ]
  [ "$(field sasl.username)" = "u|--sasl-user" ]

  # A PKCS#12 keystore; the SASL password from the environment.
  run -0 --separate-stderr env KPIPE_SASL_PASSWORD="$pw" timeout 20 "$KPIPE_BIN" -b "$NOBODY" \
    -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN -X sasl.username=u \
    -X "ssl.keystore.location=$TLS_DIR/client.p12" -X "ssl.keystore.password=$KEY_PASSWORD" \
    -X ssl.keystore.type=PKCS12 --show-config
  no_secret "$pw" "$output" "$stderr"
  no_secret "$KEY_PASSWORD" "$output" "$stderr"
  [ "$(field ssl.keystore.password)" = "********|-X" ]
  [ "$(field sasl.password)" = "********|KPIPE_SASL_PASSWORD" ]

  # Java's sasl.jaas.config in a file.
  write_lines "$T/java.properties" "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=PLAIN" \
    "sasl.jaas.config=$(jaas_config PLAIN u "$pw")"
  run -0 --separate-stderr kp -b "$NOBODY" -F "$T/java.properties" --show-config
  no_secret "$pw" "$output" "$stderr"
  # Masked as a whole, or only its password.
  [[ "$(field sasl.jaas.config)" =~ ^(\*{8}|.*password=\"\*{8}\".*)\|$T/java.properties ]]

  # OAUTHBEARER: a static token; an OIDC client secret from the environment.
  token=$(unsecured_jwt someone)
  run -0 --separate-stderr kp -b "$NOBODY" --sasl-mechanism OAUTHBEARER \
    -X "sasl.oauthbearer.token=$token" --show-config
  no_secret "$token" "$output" "$stderr"
  [ "$(field sasl.oauthbearer.token)" = "********|-X" ]
  run -0 --separate-stderr env KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET="$secret" timeout 20 \
    "$KPIPE_BIN" -b "$NOBODY" --sasl-mechanism OAUTHBEARER -X sasl.oauthbearer.method=oidc \
    -X sasl.oauthbearer.client.id=app -X sasl.oauthbearer.token.endpoint.url=https://127.0.0.1:9/token \
    --show-config
  no_secret "$secret" "$output" "$stderr"
  [ "$(field sasl.oauthbearer.client.secret)" = "********|KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET" ]
  [ "$(field sasl.oauthbearer.client.id)" = "app|-X" ]
}

# bats test_tags=broker-free
@test "--show-config --format json: security_protocol and settings with key, value (masked), secret, origin, source" {
  local pw="sasl-password-$RANDOM$RANDOM"
  run -0 --separate-stderr kp -b "$NOBODY" --format json --tls-ca "$TLS_DIR/client.pem" \
    --sasl-mechanism PLAIN --sasl-user u -X "sasl.password=$pw" --show-config
  echo "$output"
  no_secret "$pw" "$output" "$stderr"
  python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
assert doc["security_protocol"] == "SASL_SSL", doc["security_protocol"]
by_key = {s["key"]: s for s in doc["settings"]}
pw = by_key["sasl.password"]
assert pw["value"] == "********" and pw["secret"] is True and pw["origin"] == "property", pw
user = by_key["sasl.username"]
assert user["value"] == "u" and user["secret"] is False and user["origin"] == "flag", user
assert user["source"] == "--sasl-user", user
assert by_key["bootstrap.servers"]["source"] == "-b", by_key["bootstrap.servers"]
' "$output"
}

# bats test_tags=broker-free
@test "precedence: flag > -X > environment > profile > file (sasl.username and bootstrap.servers; --show-config's source)" {
  write_lines "$T/prec.conf" \
    "# line 1" \
    "security.protocol=SASL_PLAINTEXT" \
    "sasl.mechanism=PLAIN" \
    "sasl.username=from-file" \
    "sasl.password=x" \
    "bootstrap.servers=127.0.0.1:1001" \
    "[staging]" \
    "sasl.username=from-profile" \
    "bootstrap.servers=127.0.0.1:1002"
  local f="$T/prec.conf"

  run -0 kp -F "$f" --show-config
  echo "$output"
  [[ "$(field sasl.username)" =~ ^from-file\|.*prec\.conf.*[^0-9]4$ ]]
  [[ "$(field bootstrap.servers)" =~ ^127\.0\.0\.1:1001\|.*prec\.conf.*[^0-9]6$ ]]
  run -0 kp -F "$f" --format json --show-config
  [ "$(origin sasl.username)" = "from-file|file|false" ]

  run -0 kp -F "$f" --profile staging --show-config
  echo "$output"
  [[ "$(field sasl.username)" =~ ^from-profile\|.*staging ]]
  [[ "$(field bootstrap.servers)" =~ ^127\.0\.0\.1:1002\|.*staging ]]
  run -0 kp -F "$f" --profile staging --format json --show-config
  [ "$(origin sasl.username)" = "from-profile|profile|false" ]

  export KPIPE_SASL_USER=from-env KPIPE_BROKERS=127.0.0.1:1003
  run -0 kp -F "$f" --profile staging --show-config
  echo "$output"
  [ "$(field sasl.username)" = "from-env|KPIPE_SASL_USER" ]
  [ "$(field bootstrap.servers)" = "127.0.0.1:1003|KPIPE_BROKERS" ]
  run -0 kp -F "$f" --profile staging --format json --show-config
  [ "$(origin sasl.username)" = "from-env|environment|false" ]

  run -0 kp -F "$f" --profile staging -X sasl.username=from-x -X bootstrap.servers=127.0.0.1:1004 \
    --show-config
  [ "$(field sasl.username)" = "from-x|-X" ]
  [ "$(field bootstrap.servers)" = "127.0.0.1:1004|-X" ]

  run -0 kp -F "$f" --profile staging -X sasl.username=from-x -X bootstrap.servers=127.0.0.1:1004 \
    --sasl-user from-flag -b 127.0.0.1:1005 --show-config
  [ "$(field sasl.username)" = "from-flag|--sasl-user" ]
  [ "$(field bootstrap.servers)" = "127.0.0.1:1005|-b" ]
  run -0 kp -F "$f" --profile staging -X sasl.username=from-x --sasl-user from-flag --format json \
    --show-config
  [ "$(origin sasl.username)" = "from-flag|flag|false" ]
}

# bats test_tags=broker-free
@test "profiles: --profile and KPIPE_PROFILE select one, the option wins; a missing profile is exit 2 listing those there are" {
  write_lines "$T/profiles.conf" \
    "client.id=shared" \
    "bootstrap.servers=127.0.0.1:2000" \
    "[prod]" \
    "bootstrap.servers=127.0.0.1:2001" \
    "[dev]" \
    "bootstrap.servers=127.0.0.1:2002"
  export KPIPE_CONFIG="$T/profiles.conf"
  run -0 kp --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:2000|"* ]]
  [[ "$(field client.id)" == "shared|"* ]]
  run -0 kp --profile prod --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:2001|"* ]]
  # The file's own lines still apply under a profile.
  [[ "$(field client.id)" == "shared|"* ]]
  run -0 env KPIPE_PROFILE=dev timeout 20 "$KPIPE_BIN" --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:2002|"* ]]
  run -0 env KPIPE_PROFILE=dev timeout 20 "$KPIPE_BIN" --profile prod --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:2001|"* ]]

  run -2 --separate-stderr kp --profile staging metadata
  echo "# $stderr"
  [[ "$stderr" == *staging* && "$stderr" == *prod* && "$stderr" == *dev* ]]
  [ -z "$output" ]
  run -2 --separate-stderr env KPIPE_PROFILE=qa timeout 20 "$KPIPE_BIN" --show-config
  [[ "$stderr" == *qa* && "$stderr" == *prod* && "$stderr" == *dev* ]]
}

# bats test_tags=broker-free
@test "the default file: ~/.config/kpipe/config, else what KPIPE_CONFIG names; -F replaces it; a named file must exist" {
  mkdir -p "$HOME/.config/kpipe"
  write_lines "$HOME/.config/kpipe/config" "bootstrap.servers=127.0.0.1:3001" "client.id=home"
  write_lines "$T/named.conf" "bootstrap.servers=127.0.0.1:3002"
  write_lines "$T/given.conf" "bootstrap.servers=127.0.0.1:3003"

  run -0 kp --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:3001|$HOME/.config/kpipe/config"* ]]
  run -0 env KPIPE_CONFIG="$T/named.conf" timeout 20 "$KPIPE_BIN" --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:3002|$T/named.conf"* ]]
  [ -z "$(field client.id)" ]
  run -0 env KPIPE_CONFIG="$T/named.conf" timeout 20 "$KPIPE_BIN" -F "$T/given.conf" --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:3003|$T/given.conf"* ]]
  [ -z "$(field client.id)" ]

  # XDG_CONFIG_HOME moves the default file.
  mkdir -p "$T/xdg/kpipe"
  write_lines "$T/xdg/kpipe/config" "bootstrap.servers=127.0.0.1:3004"
  run -0 env XDG_CONFIG_HOME="$T/xdg" timeout 20 "$KPIPE_BIN" --show-config
  [[ "$(field bootstrap.servers)" == "127.0.0.1:3004|"* ]]

  run --separate-stderr kp -F "$T/absent.conf" --show-config
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"$T/absent.conf"* ]]
  run --separate-stderr env KPIPE_CONFIG="$T/absent.conf" timeout 20 "$KPIPE_BIN" --show-config
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"$T/absent.conf"* ]]
}

# bats test_tags=broker-free
@test "file syntax: Java's continued lines, '!' comments and spaces around '=' or ':'; kcat's key=value with comments and blank lines" {
  {
    echo "! Java comment"
    echo "# another comment"
    echo ""
    echo "bootstrap.servers = 127.0.0.1:4001,\\"
    echo "    127.0.0.1:4002"
    echo "client.id : java-style"
    echo "linger.ms=15"
  } >"$T/java.properties"
  run -0 --separate-stderr kp -F "$T/java.properties" --show-config
  echo "$output"
  [[ "$(field bootstrap.servers)" == "127.0.0.1:4001,127.0.0.1:4002|"* ]]
  [[ "$(field client.id)" == "java-style|"* ]]
  [[ "$(field linger.ms)" == "15|"* ]]
}

# bats test_tags=broker-free
@test "TLS and SASL material kpipe cannot use is a usage error (exit 2) naming the setting, before any connection" {
  local tls=(-b "$NOBODY" --tls-ca "$TLS_DIR/client.pem" --tls-cert "$TLS_DIR/client.pem")
  run -2 --separate-stderr kp "${tls[@]}" --tls-key "$TLS_DIR/client-encrypted.key" \
    -X ssl.key.password=wrong metadata
  [[ "$stderr" == *ssl.key.password* ]]
  run -2 --separate-stderr kp "${tls[@]}" --tls-key "$TLS_DIR/client-encrypted.key" metadata
  [[ "$stderr" == *ssl.key.password* ]]
  run -2 --separate-stderr kp -b "$NOBODY" -X security.protocol=SSL \
    -X "ssl.keystore.location=$TLS_DIR/client.p12" -X ssl.keystore.password=wrong metadata
  [[ "$stderr" == *ssl.keystore* ]]
  no_secret "$KEY_PASSWORD" "$output" "$stderr"
  run -2 --separate-stderr kp -b "$NOBODY" --tls-ca "$T/absent.pem" metadata
  [[ "$stderr" == *"$T/absent.pem"* ]]
  run -2 --separate-stderr kp -b "$NOBODY" --sasl-mechanism PLAIN --sasl-user u \
    --sasl-password-file "$T/absent" metadata
  [[ "$stderr" == *"$T/absent"* ]]
  run -2 --separate-stderr kp -b "$NOBODY" --sasl-mechanism GSSAPI --sasl-user u -X sasl.password=x \
    metadata
  [[ "$stderr" == *GSSAPI* ]]
  # No password and no terminal to ask on (setsid: no controlling terminal).
  run -2 --separate-stderr setsid -w "$KPIPE_BIN" -b "$NOBODY" --sasl-mechanism SCRAM-SHA-256 \
    --sasl-user u metadata </dev/null
  [[ "$stderr" == *password* ]]
}
