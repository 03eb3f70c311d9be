#!/usr/bin/env bats
# Real Apache Kafka only: TLS and SASL failures, each with its exit code and a message that
# names what failed, and never a secret in what kpipe prints. Exit 3 is an authentication or
# authorization failure (wrong password, unknown user, a certificate that cannot be trusted, a
# listener that wants a client certificate); a client that speaks the wrong protocol to a
# listener fails with 1 or 5 within --timeout, and never falls back to a weaker protocol.
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/security.bash"
  start_cluster --topic err:1 --topic err-expiry:1
  # A CA that signed nothing the cluster uses.
  export OTHER_CA="$BATS_FILE_TMPDIR/other-ca.pem"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_FILE_TMPDIR/other-ca.key" \
    -out "$OTHER_CA" -days 2 -subj "/CN=some other CA" >"$BATS_FILE_TMPDIR/openssl.log" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/openssl.log" >&2; return 1; }
  # Records for the tests that read once they are through.
  "$KPIPE_BIN" -b "$KPIPE_KAFKA_PLAINTEXT" produce -t err <<<$'one\ntwo\nthree'
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  isolated_settings
}

teardown() {
  stop_oidc
  stop_forward
  return 0
}

# shellcheck disable=SC2154  # $stderr and $status are set by bats' run.
# show: the last run's status and stderr, for the log of a failing test.
show() { echo "# exit $status; stdout: ${output:0:300}; stderr: ${stderr:0:600}"; }

# ---- SASL credentials ---------------------------------------------------------------------------

@test "wrong password: exit 3, the message names the mechanism and the broker, no password printed (also with -v)" {
  local wrong="not-the-password-$RANDOM$RANDOM" m addr
  for m in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
    for addr in "$KPIPE_KAFKA_SASL_PLAINTEXT" "$KPIPE_KAFKA_SASL_SSL"; do
      local tls=()
      [[ $addr == "$KPIPE_KAFKA_SASL_SSL" ]] && tls=(--tls-ca "$KPIPE_KAFKA_CA")
      run --separate-stderr kp -b "$addr" "${tls[@]}" -v --sasl-mechanism "$m" \
        --sasl-user "$USER_NAME" -X "sasl.password=$wrong" metadata
      show
      [ "$status" -eq 3 ]
      [[ "$stderr" == *"$m"* ]]
      [[ "$stderr" == *"$addr"* ]]
      no_secret "$wrong" "$output" "$stderr"
      no_secret "$PASSWORD" "$output" "$stderr"
    done
  done
  # The same from produce and consume.
  run --separate-stderr kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism SCRAM-SHA-512 \
    --sasl-user "$USER_NAME" -X "sasl.password=$wrong" produce -t err <<<"never"
  show
  [ "$status" -eq 3 ]
  no_secret "$wrong" "$output" "$stderr"
  run --separate-stderr kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism PLAIN \
    --sasl-user "$USER_NAME" -X "sasl.password=$wrong" consume -t err -e
  show
  [ "$status" -eq 3 ]
  no_secret "$wrong" "$output" "$stderr"
}

@test "unknown user: exit 3 (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)" {
  local m
  for m in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
    run --separate-stderr kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism "$m" \
      --sasl-user "nobody-$RANDOM" -X "sasl.password=$PASSWORD" metadata
    show
    [ "$status" -eq 3 ]
    [[ "$stderr" == *"$m"* ]]
    [[ "$stderr" == *"$KPIPE_KAFKA_SASL_PLAINTEXT"* ]]
    no_secret "$PASSWORD" "$output" "$stderr"
  done
}

@test "OAUTHBEARER: an expired token is refused (exit 3) and not printed" {
  local token
  token=$(unsecured_jwt frank -60)
  run --separate-stderr kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism OAUTHBEARER \
    -X "sasl.oauthbearer.token=$token" metadata
  show
  [ "$status" -eq 3 ]
  [[ "$stderr" == *OAUTHBEARER* ]]
  no_secret "$token" "$output" "$stderr"
}

@test "OAUTHBEARER OIDC: a client secret the token endpoint refuses is exit 3, the secret not printed" {
  start_oidc "$T/tokens.log" --client-id app --client-secret right-secret
  local wrong="wrong-secret-$RANDOM$RANDOM"
  run --separate-stderr kp -b "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$KPIPE_KAFKA_CA" \
    --sasl-mechanism OAUTHBEARER -X sasl.oauthbearer.method=oidc -X sasl.oauthbearer.client.id=app \
    -X "sasl.oauthbearer.client.secret=$wrong" \
    -X "sasl.oauthbearer.token.endpoint.url=$KPIPE_TEST_OIDC_URL" metadata
  show
  [ "$status" -eq 3 ]
  no_secret "$wrong" "$output" "$stderr"
  [ ! -s "$T/tokens.log" ]
}

@test "OAUTHBEARER: a token file nobody renews: once the token expires a running produce and consume -G fail with exit 3, saying so a few times, not once per retry" {
  # The token lives 6 s; the producer is given a record a second for 14 s, the consumer waits
  # for records. Neither can re-authenticate after the expiry (the 10 s session of this
  # listener, or a reconnection).
  unsecured_jwt ivan 6 >"$T/token"
  local auth=(-b "$KPIPE_KAFKA_SASL_PLAINTEXT" --sasl-mechanism OAUTHBEARER
    -X "sasl.oauthbearer.token.file=$T/token")
  "$KPIPE_BIN" "${auth[@]}" consume -G expiring -t err-expiry -o beginning >"$T/consumed" \
    2>"$T/consume.err" </dev/null 3>&- &
  local consumer=$!
  {
    for ((i = 1; i <= 14; i++)); do
      echo "record $i"
      sleep 1
    done
  } 3>&- | "$KPIPE_BIN" "${auth[@]}" -X delivery.timeout.ms=4000 produce -t err-expiry \
    2>"$T/produce.err" 3>&- &
  local producer=$!
  local pid rc name failed=0 i
  for pid in "$producer" "$consumer"; do
    [[ $pid == "$producer" ]] && name=produce || name=consume
    # The producer's input ends at 14 s: 25 s for it, then 10 s more for the consumer.
    local tenths=250
    [[ $name == consume ]] && tenths=100
    for ((i = 0; i < tenths; i++)); do
      _kpipe_pid_alive "$pid" || break
      sleep 0.1
    done
    if _kpipe_pid_alive "$pid"; then
      echo "# $name still running long after its token expired"
      _kpipe_stop_pid "$pid"
      failed=1
    fi
    rc=0
    wait "$pid" || rc=$?
    echo "# $name: exit $rc; $(grep -c . "$T/$name.err") lines on stderr, the first ones:"
    head -n 5 "$T/$name.err"
    [ "$rc" -eq 3 ] || failed=1
    grep -q "$T/token" "$T/$name.err" || failed=1
    [ "$(grep -c expired "$T/$name.err")" -le 5 ] || failed=1
  done
  [ "$failed" -eq 0 ]
}

# ---- certificates -------------------------------------------------------------------------------

@test "untrusted CA: exit 3 with the system's trust store (no --tls-ca) and with another CA" {
  run --separate-stderr kp -b "$KPIPE_KAFKA_SSL" --tls metadata
  show
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"$KPIPE_KAFKA_SSL"* ]]
  grep -qi certificate <<<"$stderr"

  run --separate-stderr kp -b "$KPIPE_KAFKA_SASL_SSL" --tls-ca "$OTHER_CA" \
    --sasl-mechanism SCRAM-SHA-256 --sasl-user "$USER_NAME" -X "sasl.password=$PASSWORD" metadata
  show
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"$KPIPE_KAFKA_SASL_SSL"* ]]
  grep -qi certificate <<<"$stderr"
  # The password never went out: TLS failed first. Nor is it printed.
  no_secret "$PASSWORD" "$output" "$stderr"
}

@test "hostname mismatch (127.0.0.2 is not in the certificate): exit 3; localhost is; ssl.endpoint.identification.algorithm=none lets it through" {
  start_forward "$KPIPE_KAFKA_SSL" 127.0.0.2:0
  run --separate-stderr kp -b "$KPIPE_TEST_FORWARD" --tls-ca "$KPIPE_KAFKA_CA" metadata
  show
  [ "$status" -eq 3 ]
  [[ "$stderr" == *127.0.0.2* ]]

  # The certificate's other name works (DNS:localhost).
  run -0 --separate-stderr kp -b "localhost:${KPIPE_KAFKA_SSL##*:}" --tls-ca "$KPIPE_KAFKA_CA" \
    consume -t err -e
  [ "$output" = $'one\ntwo\nthree' ]

  run -0 --separate-stderr kp -b "$KPIPE_TEST_FORWARD" --tls-ca "$KPIPE_KAFKA_CA" \
    -X ssl.endpoint.identification.algorithm=none consume -t err -e
  [ "$output" = $'one\ntwo\nthree' ]
}

@test "MTLS listener without a client certificate: exit 3 naming the broker" {
  run --separate-stderr kp -b "$KPIPE_KAFKA_MTLS" --tls-ca "$KPIPE_KAFKA_CA" metadata
  show
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"$KPIPE_KAFKA_MTLS"* ]]
  run --separate-stderr kp -b "$KPIPE_KAFKA_MTLS" --tls-ca "$KPIPE_KAFKA_CA" consume -t err -e
  show
  [ "$status" -eq 3 ]
  [ -z "$output" ]
}

@test "--tls-insecure: no CA needed, a warning on stderr; also through a name the certificate lacks" {
  run -0 --separate-stderr kp -b "$KPIPE_KAFKA_SSL" --tls-insecure consume -t err -e
  [ "$output" = $'one\ntwo\nthree' ]
  grep -qiE 'insecure|not verif|verification is off' <<<"$stderr"

  # The property it stands for: the same.
  run -0 --separate-stderr kp -b "$KPIPE_KAFKA_SSL" -X security.protocol=SSL \
    -X enable.ssl.certificate.verification=false consume -t err -e
  [ "$output" = $'one\ntwo\nthree' ]
  grep -qiE 'insecure|not verif|verification is off' <<<"$stderr"

  start_forward "$KPIPE_KAFKA_SSL" 127.0.0.2:0
  run -0 --separate-stderr kp -b "$KPIPE_TEST_FORWARD" --tls-insecure metadata -t err --format json
  grep -qiE 'insecure|not verif|verification is off' <<<"$stderr"
  [[ "$output" == *'"name":"err"'* ]]
}

# ---- the wrong protocol for the listener -------------------------------------------------------

# wrong_protocol ADDR ARGS...: kpipe with --timeout 3s fails with 1 or 5 within 5 s, naming ADDR,
# printing nothing on stdout.
wrong_protocol() {
  local addr=$1 start ms
  shift
  start=$(date +%s%N)
  run --separate-stderr kp -b "$addr" --timeout 3s "$@"
  ms=$(elapsed_ms "$start")
  echo "# $addr $*: exit $status in $ms ms: ${stderr:0:300}"
  [[ $status -eq 1 || $status -eq 5 ]]
  [[ "$stderr" == *"$addr"* ]]
  [ -z "$output" ]
  ((ms < 5000))
}

@test "TLS to the PLAINTEXT port: exit 1 or 5 within --timeout (--tls-ca, and -X security.protocol=SSL never falls back)" {
  wrong_protocol "$KPIPE_KAFKA_PLAINTEXT" --tls-ca "$KPIPE_KAFKA_CA" metadata
  wrong_protocol "$KPIPE_KAFKA_PLAINTEXT" -X security.protocol=SSL \
    -X "ssl.ca.location=$KPIPE_KAFKA_CA" consume -t err -e
  wrong_protocol "$KPIPE_KAFKA_PLAINTEXT" -X security.protocol=SSL offsets list -t err
  run --separate-stderr kp -b "$KPIPE_KAFKA_PLAINTEXT" --timeout 3s -X security.protocol=SSL \
    produce -t err <<<"must not arrive"
  [[ $status -eq 1 || $status -eq 5 ]]
  # Nothing reached the topic over plaintext.
  run -0 kp -b "$KPIPE_KAFKA_PLAINTEXT" consume -t err -e
  [ "$output" = $'one\ntwo\nthree' ]
}

@test "plaintext to the TLS ports (SSL, MTLS, SASL_SSL): exit 1 or 5 within --timeout" {
  wrong_protocol "$KPIPE_KAFKA_SSL" metadata
  wrong_protocol "$KPIPE_KAFKA_MTLS" consume -t err -e
  wrong_protocol "$KPIPE_KAFKA_SASL_SSL" -X security.protocol=SASL_PLAINTEXT \
    -X sasl.mechanism=PLAIN -X "sasl.username=$USER_NAME" -X "sasl.password=$PASSWORD" metadata
  no_secret "$PASSWORD" "$output" "$stderr"
}

@test "SASL to the PLAINTEXT listener fails (no mechanism is offered there), naming the broker" {
  local m credentials
  for m in PLAIN SCRAM-SHA-512 OAUTHBEARER; do
    credentials=(--sasl-user "$USER_NAME" -X "sasl.password=$PASSWORD")
    [[ $m == OAUTHBEARER ]] && credentials=(-X sasl.oauthbearer.config=principal=x)
    run --separate-stderr kp -b "$KPIPE_KAFKA_PLAINTEXT" --timeout 3s --sasl-mechanism "$m" \
      "${credentials[@]}" metadata
    show
    [[ $status -eq 1 || $status -eq 3 || $status -eq 5 ]]
    [[ "$stderr" == *"$KPIPE_KAFKA_PLAINTEXT"* ]]
    [ -z "$output" ]
    no_secret "$PASSWORD" "$output" "$stderr"
  done
  # TLS and SASL to the PLAINTEXT port: TLS fails first.
  wrong_protocol "$KPIPE_KAFKA_PLAINTEXT" --tls-ca "$KPIPE_KAFKA_CA" --sasl-mechanism PLAIN \
    --sasl-user "$USER_NAME" -X "sasl.password=$PASSWORD" metadata
}
