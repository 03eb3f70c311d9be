#!/usr/bin/env bats
# Real Apache Kafka only: kpipe over every secured listener of the test cluster (scripts/kafka.sh):
# SSL, mutual TLS (PEM key, encrypted PEM key, PKCS#12 keystore), and SASL_PLAINTEXT and SASL_SSL
# with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (a principal, a static token, a
# token file, tokens from an OAuth token endpoint). Each test runs one client's whole life on
# its listener: produce keyed records, read them back (-e), read and commit them in a group
# (-G), the offsets, the group as groups describe and list show it, the metadata (which must name the brokers by that listener's port). The
# settings come each way there is (flags, -X with librdkafka and Java names, environment), one
# way per test, so that every way is used somewhere.
#
# Re-authentication (KIP-368): the cluster's SASL_PLAINTEXT listener gives SCRAM-SHA-512 and
# OAUTHBEARER sessions of 10 s; long runs there must re-authenticate on their connections.
#
# Failures (wrong passwords, untrusted certificates, ...) are in security_errors.bats, config
# files and profiles in config.bats.
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/security.bash"
  local t topics=()
  for t in ssl ssl-capem ssl-cadir ssl-p12trust mtls-pem mtls-enc mtls-p12 sp-plain sp-s256 sp-s512 sp-oauth \
    sp-tokenfile sp-oidc ss-plain ss-s256 ss-s512 ss-oauth ss-token ss-oidc; do
    topics+=(--topic "sec-$t:2")
  done
  start_cluster "${topics[@]}" --topic reauth-scram:1 --topic reauth-file:1 --topic reauth-oidc:1
  # A PKCS#12 truststore holding the test CA, for the Java-style trust settings.
  export TRUST_P12="$BATS_FILE_TMPDIR/truststore.p12" TRUST_P12_PASSWORD=trust-store-pw
  openssl pkcs12 -export -nokeys -in "$KPIPE_KAFKA_CA" -out "$TRUST_P12" \
    -passout "pass:$TRUST_P12_PASSWORD" 2>"$BATS_FILE_TMPDIR/openssl.err" ||
    { cat "$BATS_FILE_TMPDIR/openssl.err" >&2; return 1; }
  # Every test runs under its own name in the log: the broker's listener ports.
  SSL_PORT=${KPIPE_KAFKA_SSL##*:}
  MTLS_PORT=${KPIPE_KAFKA_MTLS##*:}
  SP_PORT=${KPIPE_KAFKA_SASL_PLAINTEXT##*:}
  SS_PORT=${KPIPE_KAFKA_SASL_SSL##*:}
  export SSL_PORT MTLS_PORT SP_PORT SS_PORT
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  isolated_settings
  # Secrets the current test hands kpipe; roundtrip checks every output for each.
  SECRETS=("$PASSWORD")
  BG_PIDS=()
}

teardown() {
  local pid
  for pid in "${BG_PIDS[@]}"; do _kpipe_stop_pid "$pid"; done
  stop_oidc
  return 0
}

# checked OUT ERR: fails when any of the test's SECRETS appears in the command's stdout or
# stderr (the texts bats' run --separate-stderr left in $output and $stderr).
checked() {
  local s
  for s in "${SECRETS[@]}"; do no_secret "$s" "$1" "$2"; done
}

# roundtrip NAME PORT BROKERS ARGS...: the whole life of a client on one listener, with the
# global options ARGS (its security settings), on topic sec-NAME (2 partitions):
#   produce 6 keyed records; consume -e reads exactly them; consume -G reads exactly them and
#   commits; offsets get shows the group's commits at the end offsets that offsets list shows;
#   groups describe shows the group caught up at the coordinator on PORT, groups list names it;
#   metadata lists the topic, and the brokers at PORT (the listener kpipe spoke to).
# shellcheck disable=SC2154  # $stderr is set by run --separate-stderr.
roundtrip() {
  local name=$1 port=$2 brokers=$3 topic="sec-$1" group="sec-$1-group"
  shift 3
  local i
  for ((i = 1; i <= 6; i++)); do printf 'key-%s-%d:value %d over %s\n' "$name" "$i" "$i" "$name"; done |
    sort >"$T/want"

  run -0 --separate-stderr kp -b "$brokers" "$@" produce -t "$topic" -K : <"$T/want"
  checked "$output" "$stderr"

  run -0 --separate-stderr kp -b "$brokers" "$@" consume -t "$topic" -e -f '%k:%s\n'
  checked "$output" "$stderr"
  diff <(printf '%s\n' "$output" | sort) "$T/want"

  run -0 --separate-stderr kp -b "$brokers" "$@" consume -G "$group" -t "$topic" -o beginning \
    -e -f '%k:%s\n'
  checked "$output" "$stderr"
  diff <(printf '%s\n' "$output" | sort) "$T/want"

  run -0 --separate-stderr kp -b "$brokers" "$@" offsets list -t "$topic" --format json
  checked "$output" "$stderr"
  local latest=$output
  run -0 --separate-stderr kp -b "$brokers" "$@" offsets get -G "$group" -t "$topic" --format json
  checked "$output" "$stderr"
  "$KPIPE_TEST_PYTHON" - "$latest" "$output" <<'PY'
import json, sys
latest = {p["partition"]: p["latest"] for p in json.loads(sys.argv[1])}
# A partition the records missed (keys decide) has nothing to commit: no offset (null) there.
committed = {p["partition"]: p["offset"] or 0 for p in json.loads(sys.argv[2])}
assert sum(latest.values()) == 6, ("end offsets", latest)
assert committed == latest, ("the group's commits", committed, "end offsets", latest)
PY

  run -0 --separate-stderr kp -b "$brokers" "$@" groups describe "$group" --format json
  checked "$output" "$stderr"
  "$KPIPE_TEST_PYTHON" - "$output" "$group" "$port" <<'PY'
import json, sys
g = json.loads(sys.argv[1])["groups"][0]
assert g["group"] == sys.argv[2], g
assert g["lag"] == 0, ("lag after reading everything", g)
assert sum(p["committed"] or 0 for p in g["partitions"]) == 6, g["partitions"]
assert g["coordinator"]["address"].endswith(":" + sys.argv[3]), g["coordinator"]
PY
  run -0 --separate-stderr kp -b "$brokers" "$@" groups list
  checked "$output" "$stderr"
  grep -q "^$group " <<<"$output"

  run -0 --separate-stderr kp -b "$brokers" "$@" metadata --format json
  checked "$output" "$stderr"
  "$KPIPE_TEST_PYTHON" - "$output" "$topic" "$port" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
names = [t["name"] for t in d["topics"]]
assert sys.argv[2] in names, (sys.argv[2], names)
ports = sorted({b["port"] for b in d["brokers"]})
assert ports == [int(sys.argv[3])], ("brokers advertised at", ports)
PY
}

# ---- the broker's side of the matrix ------------------------------------------------------------

@test "the cluster: 10 s sessions for SCRAM-SHA-512 and OAUTHBEARER on SASL_PLAINTEXT, none for the others (what the KIP-368 tests rely on)" {
  local m
  for m in PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER; do
    run -0 sasl_session "$KPIPE_KAFKA_SASL_PLAINTEXT" "$m" "$USER_NAME" "$PASSWORD"
    case $m in
      SCRAM-SHA-512 | OAUTHBEARER) [ "$output" = session_lifetime_ms=10000 ] ;;
      *) [ "$output" = session_lifetime_ms=0 ] ;;
    esac
    run -0 sasl_session "$KPIPE_KAFKA_SASL_SSL" "$m" "$USER_NAME" "$PASSWORD" --ca "$KPIPE_KAFKA_CA"
    # OAUTHBEARER: the token's remaining life (an hour) bounds the session; nothing else does.
    case $m in
      OAUTHBEARER) [[ "$output" =~ ^session_lifetime_ms=3[56][0-9]{5}$ ]] ;;
      *) [ "$output" = session_lifetime_ms=0 ] ;;
    esac
  done
}

# ---- TLS ----------------------------------------------------------------------------------------

@test "SSL (--tls-ca): produce, consume -e, consume -G with commits, offsets, metadata" {
  roundtrip ssl "$SSL_PORT" "$KPIPE_KAFKA_SSL" --tls-ca "$KPIPE_KAFKA_CA"
}

@test "SSL, the CA as PEM text (ssl.ca.pem), and as a hashed directory (--tls-ca DIR)" {
  roundtrip ssl-capem "$SSL_PORT" "$KPIPE_KAFKA_SSL" -X security.protocol=SSL \
    -X "ssl.ca.pem=$(cat "$KPIPE_KAFKA_CA")"
  mkdir "$T/cadir"
  cp "$KPIPE_KAFKA_CA" "$T/cadir/"
  openssl rehash "$T/cadir"
  roundtrip ssl-cadir "$SSL_PORT" "$KPIPE_KAFKA_SSL" --tls-ca "$T/cadir"
}

@test "SSL, trusting a PKCS#12 truststore (Java names: ssl.truststore.type=PKCS12, location, password)" {
  SECRETS+=("$TRUST_P12_PASSWORD")
  roundtrip ssl-p12trust "$SSL_PORT" "$KPIPE_KAFKA_SSL" -X security.protocol=SSL \
    -X ssl.truststore.type=PKCS12 -X "ssl.truststore.location=$TRUST_P12" \
    -X "ssl.truststore.password=$TRUST_P12_PASSWORD"
}

@test "MTLS, client certificate and key in PEM (--tls-cert, --tls-key)" {
  roundtrip mtls-pem "$MTLS_PORT" "$KPIPE_KAFKA_MTLS" --tls-ca "$KPIPE_KAFKA_CA" \
    --tls-cert "$KPIPE_KAFKA_CLIENT_CERT" --tls-key "$KPIPE_KAFKA_CLIENT_KEY"
}

@test "MTLS, encrypted PEM key (librdkafka names: ssl.key.location, ssl.key.password)" {
  SECRETS=("$KPIPE_KAFKA_CLIENT_KEY_PASSWORD")
  roundtrip mtls-enc "$MTLS_PORT" "$KPIPE_KAFKA_MTLS" -X security.protocol=SSL \
    -X "ssl.ca.location=$KPIPE_KAFKA_CA" -X "ssl.certificate.location=$KPIPE_KAFKA_CLIENT_CERT" \
    -X "ssl.key.location=$KPIPE_KAFKA_CLIENT_KEY_ENCRYPTED" \
    -X "ssl.key.password=$KPIPE_KAFKA_CLIENT_KEY_PASSWORD"
}

@test "MTLS, PKCS#12 keystore (Java names: ssl.keystore.type=PKCS12, ssl.truststore.type=PEM)" {
  SECRETS=("$KPIPE_KAFKA_CLIENT_KEY_PASSWORD")
  roundtrip mtls-p12 "$MTLS_PORT" "$KPIPE_KAFKA_MTLS" -X security.protocol=SSL \
    -X ssl.keystore.type=PKCS12 -X "ssl.keystore.location=$KPIPE_KAFKA_CLIENT_P12" \
    -X "ssl.keystore.password=$KPIPE_KAFKA_CLIENT_KEY_PASSWORD" \
    -X ssl.truststore.type=PEM -X "ssl.truststore.location=$KPIPE_KAFKA_CA"
}

# ---- SASL_PLAINTEXT -----------------------------------------------------------------------------

@test "SASL_PLAINTEXT PLAIN (--sasl-mechanism, --sasl-user, --sasl-password-file)" {
  printf '%s\n' "$PASSWORD" >"$T/password"
  roundtrip sp-plain "$SP_PORT" "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism PLAIN \
    --sasl-user "$USER_NAME" --sasl-password-file "$T/password"
}

@test "SASL_PLAINTEXT SCRAM-SHA-256 (-X sasl.mechanism, sasl.username, sasl.password), with -v" {
  roundtrip sp-s256 "$SP_PORT" "$KPIPE_KAFKA_SASL_PLAINTEXT" -v -X security.protocol=SASL_PLAINTEXT \
    -X sasl.mechanism=SCRAM-SHA-256 -X "sasl.username=$USER_NAME" -X "sasl.password=$PASSWORD"
}

@test "SASL_PLAINTEXT SCRAM-SHA-512 (KPIPE_SASL_MECHANISM, KPIPE_SASL_USER, KPIPE_SASL_PASSWORD)" {
  export KPIPE_SASL_MECHANISM=SCRAM-SHA-512 KPIPE_SASL_USER=$USER_NAME KPIPE_SASL_PASSWORD=$PASSWORD
  roundtrip sp-s512 "$SP_PORT" "$KPIPE_KAFKA_SASL_PLAINTEXT"
}

@test "SASL_PLAINTEXT OAUTHBEARER, unsecured token for a principal (sasl.oauthbearer.config=principal=...)" {
  roundtrip sp-oauth "$SP_PORT" "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism OAUTHBEARER \
    -X sasl.oauthbearer.config=principal=alice
}

@test "SASL_PLAINTEXT OAUTHBEARER, token from a file (sasl.oauthbearer.token.file)" {
  local token
  token=$(unsecured_jwt carol 600)
  printf '%s\n' "$token" >"$T/token"
  SECRETS=("$token")
  roundtrip sp-tokenfile "$SP_PORT" "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism OAUTHBEARER \
    -X "sasl.oauthbearer.token.file=$T/token"
}

@test "SASL_PLAINTEXT OAUTHBEARER OIDC: the HTTPS token endpoint verified with ssl.ca.location" {
  local secret="oidc-secret-$RANDOM$RANDOM"
  start_oidc "$T/tokens.log" --client-id plain-app --client-secret "$secret"
  SECRETS=("$secret")
  roundtrip sp-oidc "$SP_PORT" "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism OAUTHBEARER \
    -X sasl.oauthbearer.method=oidc -X sasl.oauthbearer.client.id=plain-app \
    -X "sasl.oauthbearer.client.secret=$secret" \
    -X "sasl.oauthbearer.token.endpoint.url=$KPIPE_TEST_OIDC_URL" -X "ssl.ca.location=$KPIPE_KAFKA_CA"
  [ "$(wc -l <"$T/tokens.log")" -ge 1 ]
}

# ---- SASL_SSL -----------------------------------------------------------------------------------

@test "SASL_SSL PLAIN (--tls-ca, librdkafka's plural sasl.mechanisms)" {
  roundtrip ss-plain "$SS_PORT" "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$KPIPE_KAFKA_CA" \
    -X sasl.mechanisms=PLAIN -X "sasl.username=$USER_NAME" -X "sasl.password=$PASSWORD"
}

@test "SASL_SSL SCRAM-SHA-256 (--tls-ca, --sasl-mechanism, --sasl-user, KPIPE_SASL_PASSWORD)" {
  export KPIPE_SASL_PASSWORD=$PASSWORD
  roundtrip ss-s256 "$SS_PORT" "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$KPIPE_KAFKA_CA" \
    --sasl-mechanism SCRAM-SHA-256 --sasl-user "$USER_NAME"
}

@test "SASL_SSL SCRAM-SHA-512 (Java's sasl.jaas.config with the ScramLoginModule, in -X)" {
  roundtrip ss-s512 "$SS_PORT" "$KPIPE_KAFKA_SASL_SSL" -X security.protocol=SASL_SSL \
    -X "ssl.ca.location=$KPIPE_KAFKA_CA" -X sasl.mechanism=SCRAM-SHA-512 \
    -X "sasl.jaas.config=$(jaas_config SCRAM-SHA-512 "$USER_NAME" "$PASSWORD")"
}

@test "SASL_SSL OAUTHBEARER, unsecured token for a principal" {
  roundtrip ss-oauth "$SS_PORT" "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$KPIPE_KAFKA_CA" \
    --sasl-mechanism OAUTHBEARER -X sasl.oauthbearer.config=principal=bob
}

@test "SASL_SSL OAUTHBEARER, static token (sasl.oauthbearer.token)" {
  local token
  token=$(unsecured_jwt dave 600)
  SECRETS=("$token")
  roundtrip ss-token "$SS_PORT" "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$KPIPE_KAFKA_CA" \
    --sasl-mechanism OAUTHBEARER -X "sasl.oauthbearer.token=$token"
}

@test "SASL_SSL OAUTHBEARER, OIDC client credentials from an HTTPS token endpoint (same CA)" {
  local secret="oidc-secret-$RANDOM$RANDOM"
  start_oidc "$T/tokens.log" --client-id kpipe-app --client-secret "$secret" --expires-in 3600
  SECRETS=("$secret")
  roundtrip ss-oidc "$SS_PORT" "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$KPIPE_KAFKA_CA" \
    --sasl-mechanism OAUTHBEARER -X sasl.oauthbearer.method=oidc \
    -X sasl.oauthbearer.client.id=kpipe-app -X "sasl.oauthbearer.client.secret=$secret" \
    -X sasl.oauthbearer.scope=kafka-access \
    -X "sasl.oauthbearer.token.endpoint.url=$KPIPE_TEST_OIDC_URL"
  # The endpoint issued tokens for kpipe-app with the scope asked for; at least one per run.
  cat "$T/tokens.log"
  [ "$(wc -l <"$T/tokens.log")" -ge 1 ]
  "$KPIPE_TEST_PYTHON" - "$T/tokens.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    assert t["sub"] == "kpipe-app" and t["scope"] == "kafka-access", t
PY
}

# ---- KIP-368 re-authentication -----------------------------------------------------------------

# reauth_start NAME ARGS...: on the SASL_PLAINTEXT listener with the security options ARGS,
# starts `consume -G reauth-NAME -c 28` of topic reauth-NAME and a `produce` that is given one
# record a second for 28 s (both kpipe processes stay up the whole time). Records the PIDs in
# $T/NAME.consumer and $T/NAME.producer.
reauth_start() {
  local name=$1
  shift
  "$KPIPE_BIN" -b "$KPIPE_KAFKA_SASL_PLAINTEXT" "$@" consume -G "reauth-$name" \
    -t "reauth-$name" -o beginning -c 28 >"$T/$name.out" 2>"$T/$name.err" </dev/null 3>&- &
  echo $! >"$T/$name.consumer"
  BG_PIDS+=("$!")
  local i
  {
    for ((i = 1; i <= 28; i++)); do
      echo "$name record $i"
      sleep 1
    done
  } 3>&- | "$KPIPE_BIN" -b "$KPIPE_KAFKA_SASL_PLAINTEXT" "$@" produce -t "reauth-$name" \
    >"$T/$name.produced" 2>"$T/$name.produce.err" 3>&- &
  echo $! >"$T/$name.producer"
  BG_PIDS+=("$!")
}

# reauth_ports NAME WHEN: the local ports of both processes' connections to the listener, in
# $T/NAME.WHEN.ports.
reauth_ports() {
  {
    conn_ports "$(cat "$T/$1.consumer")" "$SP_PORT"
    conn_ports "$(cat "$T/$1.producer")" "$SP_PORT"
  } >"$T/$1.$2.ports"
}

# reauth_check NAME: both exited 0, the consumer printed every record in order, and the
# connections open at about 21 s are ones that were open at 4 s: they lived through two 10 s
# sessions, so they re-authenticated. (The broker closes a connection whose session expired at
# its next request; a client that reconnected instead would show new local ports, at least for
# the fetch and produce connections, which send requests all the time.)
reauth_check() {
  local name=$1 pid rc i
  for pid in "$(cat "$T/$name.consumer")" "$(cat "$T/$name.producer")"; do
    for ((i = 0; i < 300; i++)); do
      _kpipe_pid_alive "$pid" || break
      sleep 0.1
    done
    rc=0
    wait "$pid" || rc=$?
    if ((rc != 0)); then
      echo "# $name: pid $pid exited $rc; consumer stderr:"
      cat "$T/$name.err"
      echo "# producer stderr:"
      cat "$T/$name.produce.err"
      return 1
    fi
  done
  diff <(seq 1 28 | sed "s/^/$name record /") "$T/$name.out"
  if [ ! -s "$T/$name.late.ports" ] || grep -qvxFf "$T/$name.early.ports" "$T/$name.late.ports"; then
    echo "# $name: connections were replaced between 4 s and about 21 s (ports $(tr '\n' ' ' <"$T/$name.early.ports")then $(tr '\n' ' ' <"$T/$name.late.ports"))"
    return 1
  fi
}

@test "KIP-368: 28 s of produce and consume -G on 10 s sessions re-authenticate on the same connections (SCRAM-SHA-512; OAUTHBEARER token file rewritten before expiry; OIDC tokens of 20 s)" {
  # All three at once, to spend the 28 s once.
  # OIDC: tokens live 20 s, so each process needs a second one (Java's clients, and kpipe,
  # refresh after 80% of a token's life) for its re-authentication at about 18 s.
  start_oidc "$T/tokens.log" --client-id reauth-app --client-secret reauth-secret --expires-in 20
  # The token file's tokens live 15 s. The test writes a fresh one at 5 s and at 15 s: the
  # re-authentications at about 9 s and 18 s must read the file again, as the first token has
  # expired by the second.
  unsecured_jwt erin 15 >"$T/token"

  reauth_start scram --sasl-mechanism SCRAM-SHA-512 --sasl-user "$USER_NAME" -X "sasl.password=$PASSWORD"
  reauth_start file --sasl-mechanism OAUTHBEARER -X "sasl.oauthbearer.token.file=$T/token"
  reauth_start oidc --sasl-mechanism OAUTHBEARER -X sasl.oauthbearer.method=oidc \
    -X sasl.oauthbearer.client.id=reauth-app -X sasl.oauthbearer.client.secret=reauth-secret \
    -X "sasl.oauthbearer.token.endpoint.url=$KPIPE_TEST_OIDC_URL" -X "ssl.ca.location=$KPIPE_KAFKA_CA"

  local name i
  sleep 4
  for name in scram file oidc; do reauth_ports "$name" early; done
  sleep 1
  unsecured_jwt erin 15 >"$T/token.new" && mv "$T/token.new" "$T/token"
  sleep 10
  unsecured_jwt erin 15 >"$T/token.new" && mv "$T/token.new" "$T/token"
  # The late look once each consumer printed its 21st record (about 21 s: past two 10 s
  # sessions), not after a fixed sleep: on a loaded machine the test's own steps take time, and
  # the processes end at 28 s.
  for name in scram file oidc; do
    for ((i = 0; i < 300; i++)); do
      [ "$(wc -l <"$T/$name.out")" -ge 21 ] && break
      sleep 0.1
    done
    reauth_ports "$name" late
  done

  local failed=0
  for name in scram file oidc; do
    reauth_check "$name" || failed=1
  done
  # OIDC: a first token for each of the two processes, and a second one each.
  cat "$T/tokens.log"
  [ "$(wc -l <"$T/tokens.log")" -ge 4 ] ||
    { echo "# oidc: $(wc -l <"$T/tokens.log") tokens issued in 28 s, not 4"; failed=1; }
  [ "$failed" -eq 0 ]
}
