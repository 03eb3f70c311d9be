#!/usr/bin/env bats
# Real Apache Kafka only: config files that other clients read too. A kcat config file
# (librdkafka names) drives kcat and kpipe against the same SASL_SSL listener; Java
# client.properties files (sasl.jaas.config with the Plain, Scram and OAuthBearer login
# modules, PEM truststores, Java's line continuations and comments) drive kpipe and Kafka's own
# console producer and consumer; profiles in the default file; passwords from the environment
# and from a file; a property kpipe knows but has no use for.
#
# What needs no broker (--show-config, precedence, unknown names, missing profiles) is in
# config_local.bats.
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/security.bash"
  start_cluster --topic cfg-kcat:2 --topic cfg-kcat-oauth:1 --topic cfg-java-plain:1 --topic cfg-java-scram:1 \
    --topic cfg-java-oauth:1 --topic cfg-profile:1 --topic cfg-password:1 --topic cfg-ignored:1 \
    --topic cfg-default:1
  export KAFKA_SH="$_KPIPE_REPO_ROOT/scripts/kafka.sh"
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  isolated_settings
}

# keyed N TAG: N lines KEY:VALUE, sorted.
keyed() {
  local i
  for ((i = 1; i <= $1; i++)); do printf 'key-%s-%d:value %d %s\n' "$2" "$i" "$i" "$2"; done | sort
}

# console_producer CONFIG BROKERS TOPIC < KEY:VALUE lines: Kafka's console producer with
# --producer.config CONFIG, keys split at ':'.
console_producer() {
  bash "$KAFKA_SH" run org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$2" \
    --producer.config "$1" --topic "$3" --property parse.key=true --property key.separator=: \
    --producer-property acks=all >"$T/console-producer.out" 2>&1 3>&- ||
    { cat "$T/console-producer.out"; return 1; }
}

# console_consumer CONFIG BROKERS TOPIC COUNT: Kafka's console consumer with --consumer.config
# CONFIG reads COUNT records from the beginning; prints KEY:VALUE lines, sorted.
console_consumer() {
  bash "$KAFKA_SH" run org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$2" \
    --consumer.config "$1" --topic "$3" --from-beginning --max-messages "$4" --timeout-ms 20000 \
    --property print.key=true --property key.separator=: >"$T/console-consumer.out" \
    2>"$T/console-consumer.err" </dev/null 3>&- || { cat "$T/console-consumer.err"; return 1; }
  grep -qx "Processed a total of $4 messages" "$T/console-consumer.err" ||
    { cat "$T/console-consumer.err"; return 1; }
  sort "$T/console-consumer.out"
}

# broker_port ARGS...: the port of the brokers kpipe's metadata lists when run with ARGS.
broker_port() {
  kp "$@" metadata --format json |
    "$KPIPE_TEST_PYTHON" -c 'import json, sys; print(*sorted({b["port"] for b in json.load(sys.stdin)["brokers"]}))'
}

# shellcheck disable=SC2154  # $stderr is set by run --separate-stderr.
@test "a kcat config file (librdkafka names, SASL_SSL PLAIN) drives kcat and kpipe alike, the same records both ways" {
  write_lines "$T/kcat.conf" \
    "# kcat -F / librdkafka properties" \
    "bootstrap.servers=$KPIPE_KAFKA_SASL_SSL" \
    "security.protocol=SASL_SSL" \
    "sasl.mechanisms=PLAIN" \
    "sasl.username=$USER_NAME" \
    "sasl.password=$PASSWORD" \
    "" \
    "ssl.ca.location=$KPIPE_KAFKA_CA"
  keyed 4 kcat >"$T/from-kcat"
  keyed 4 kpipe >"$T/from-kpipe"
  sort "$T/from-kcat" "$T/from-kpipe" >"$T/all"

  # Note: Debian's kcat (librdkafka 2.0) cannot do SCRAM against Kafka 4; PLAIN it can.
  kcat -F "$T/kcat.conf" -P -t cfg-kcat -K : <"$T/from-kcat" 2>"$T/kcat.err" || { cat "$T/kcat.err"; false; }
  run -0 --separate-stderr kp -F "$T/kcat.conf" consume -t cfg-kcat -e -f '%k:%s\n'
  diff <(printf '%s\n' "$output" | sort) "$T/from-kcat"
  no_secret "$PASSWORD" "$output" "$stderr"

  run -0 --separate-stderr kp -F "$T/kcat.conf" produce -t cfg-kcat -K : <"$T/from-kpipe"
  no_secret "$PASSWORD" "$output" "$stderr"
  kcat -F "$T/kcat.conf" -C -t cfg-kcat -e -f '%k:%s\n' >"$T/kcat.out" 2>"$T/kcat.err" ||
    { cat "$T/kcat.err"; false; }
  diff <(sort "$T/kcat.out") "$T/all"

  # Both list the topic, from the SASL_SSL listener.
  kcat -F "$T/kcat.conf" -L -t cfg-kcat 2>/dev/null | grep -q 'topic "cfg-kcat" with 2 partitions'
  [ "$(broker_port -F "$T/kcat.conf")" = "${KPIPE_KAFKA_SASL_SSL##*:}" ]
}

@test "a kcat config file for an unsecured OAUTHBEARER token (sasl.oauthbearer.config, enable.sasl.oauthbearer.unsecure.jwt) drives kcat and kpipe" {
  write_lines "$T/kcat-oauth.conf" \
    "bootstrap.servers=$KPIPE_KAFKA_SASL_PLAINTEXT" \
    "security.protocol=SASL_PLAINTEXT" \
    "sasl.mechanisms=OAUTHBEARER" \
    "enable.sasl.oauthbearer.unsecure.jwt=true" \
    "sasl.oauthbearer.config=principal=kcat-user"
  keyed 3 kcat >"$T/from-kcat"
  keyed 3 kpipe >"$T/from-kpipe"
  kcat -F "$T/kcat-oauth.conf" -P -t cfg-kcat-oauth -K : <"$T/from-kcat" 2>"$T/kcat.err" ||
    { cat "$T/kcat.err"; false; }
  run -0 kp -F "$T/kcat-oauth.conf" produce -t cfg-kcat-oauth -K : <"$T/from-kpipe"
  run -0 kp -F "$T/kcat-oauth.conf" consume -t cfg-kcat-oauth -e -f '%k:%s\n'
  diff <(printf '%s\n' "$output" | sort) <(sort "$T/from-kcat" "$T/from-kpipe")
  kcat -F "$T/kcat-oauth.conf" -C -t cfg-kcat-oauth -e -f '%k:%s\n' >"$T/kcat.out" 2>"$T/kcat.err" ||
    { cat "$T/kcat.err"; false; }
  diff <(sort "$T/kcat.out") <(sort "$T/from-kcat" "$T/from-kpipe")
}

@test "a Java client.properties (PLAIN login module over SASL_SSL, a continued sasl.jaas.config, PEM truststore) drives kpipe and Kafka's console tools" {
  # Java's syntax: '#' and '!' comments, spaces around '=', a value continued over lines.
  {
    echo "# Java client.properties"
    echo "! a comment in Java's other style"
    echo "bootstrap.servers = $KPIPE_KAFKA_SASL_SSL"
    echo "security.protocol=SASL_SSL"
    echo "sasl.mechanism=PLAIN"
    echo 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \'
    echo "    username=\"$USER_NAME\" \\"
    echo "    password=\"$PASSWORD\";"
    echo "ssl.truststore.type=PEM"
    echo "ssl.truststore.location=$KPIPE_KAFKA_CA"
  } >"$T/client.properties"
  keyed 3 java >"$T/from-java"
  keyed 3 kpipe >"$T/from-kpipe"
  sort "$T/from-java" "$T/from-kpipe" >"$T/all"

  console_producer "$T/client.properties" "$KPIPE_KAFKA_SASL_SSL" cfg-java-plain <"$T/from-java"
  # kpipe takes the brokers from the file too.
  run -0 --separate-stderr kp -F "$T/client.properties" consume -t cfg-java-plain -e -f '%k:%s\n'
  diff <(printf '%s\n' "$output" | sort) "$T/from-java"
  no_secret "$PASSWORD" "$output" "$stderr"
  run -0 --separate-stderr kp -F "$T/client.properties" produce -t cfg-java-plain -K : <"$T/from-kpipe"
  no_secret "$PASSWORD" "$output" "$stderr"
  console_consumer "$T/client.properties" "$KPIPE_KAFKA_SASL_SSL" cfg-java-plain 6 >"$T/console"
  diff "$T/console" "$T/all"
}

@test "a Java client.properties with the Scram login module (SCRAM-SHA-512, SASL_SSL): kpipe writes and reads in a group, the console consumer reads" {
  write_lines "$T/scram.properties" \
    "security.protocol=SASL_SSL" \
    "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.jaas.config=$(jaas_config SCRAM-SHA-512 "$USER_NAME" "$PASSWORD")" \
    "ssl.truststore.type=PEM" \
    "ssl.truststore.location=$KPIPE_KAFKA_CA"
  keyed 5 scram >"$T/want"
  run -0 --separate-stderr kp -b "$KPIPE_KAFKA_SASL_SSL" -F "$T/scram.properties" produce \
    -t cfg-java-scram -K : <"$T/want"
  no_secret "$PASSWORD" "$output" "$stderr"
  run -0 --separate-stderr kp -b "$KPIPE_KAFKA_SASL_SSL" -F "$T/scram.properties" consume \
    -G cfg-scram -t cfg-java-scram -o beginning -e -f '%k:%s\n'
  diff <(printf '%s\n' "$output" | sort) "$T/want"
  run -0 kp -b "$KPIPE_KAFKA_SASL_SSL" -F "$T/scram.properties" offsets get -G cfg-scram \
    -t cfg-java-scram --format json
  [[ "$output" == *'"offset":5'* ]]
  console_consumer "$T/scram.properties" "$KPIPE_KAFKA_SASL_SSL" cfg-java-scram 5 >"$T/console"
  diff "$T/console" "$T/want"
}

@test "a Java client.properties with the OAuthBearer login module (unsecuredLoginStringClaim_sub, SASL_PLAINTEXT): the console producer writes, kpipe reads" {
  write_lines "$T/oauth.properties" \
    "security.protocol=SASL_PLAINTEXT" \
    "sasl.mechanism=OAUTHBEARER" \
    "sasl.jaas.config=$(jaas_config OAUTHBEARER grace)"
  keyed 4 oauth >"$T/want"
  console_producer "$T/oauth.properties" "$KPIPE_KAFKA_SASL_PLAINTEXT" cfg-java-oauth <"$T/want"
  run -0 kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" -F "$T/oauth.properties" consume -t cfg-java-oauth \
    -e -f '%k:%s\n'
  diff <(printf '%s\n' "$output" | sort) "$T/want"
  run -0 kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" -F "$T/oauth.properties" produce -t cfg-java-oauth \
    <<<"one more"
  run -0 kp -b "$KPIPE_KAFKA_SASL_PLAINTEXT" -F "$T/oauth.properties" offsets list \
    -t cfg-java-oauth --format json
  [[ "$output" == *'"latest":5'* ]]
}

@test "profiles in the default file (KPIPE_CONFIG): the file's own lines, [prod] (SASL_SSL SCRAM-SHA-256) and [dev] (SSL) by --profile and KPIPE_PROFILE" {
  write_lines "$T/kpipe.conf" \
    "# shared by every profile" \
    "bootstrap.servers=$KPIPE_KAFKA_PLAINTEXT" \
    "client.id=kpipe-config-tests" \
    "" \
    "[prod]" \
    "bootstrap.servers=$KPIPE_KAFKA_SASL_SSL" \
    "security.protocol=SASL_SSL" \
    "sasl.mechanism=SCRAM-SHA-256" \
    "sasl.username=$USER_NAME" \
    "sasl.password=$PASSWORD" \
    "ssl.ca.location=$KPIPE_KAFKA_CA" \
    "" \
    "[dev]" \
    "bootstrap.servers=$KPIPE_KAFKA_SSL" \
    "security.protocol=SSL" \
    "ssl.ca.location=$KPIPE_KAFKA_CA"
  export KPIPE_CONFIG="$T/kpipe.conf"

  [ "$(broker_port)" = "${KPIPE_KAFKA_PLAINTEXT##*:}" ]
  [ "$(broker_port --profile prod)" = "${KPIPE_KAFKA_SASL_SSL##*:}" ]
  [ "$(KPIPE_PROFILE=dev broker_port)" = "${KPIPE_KAFKA_SSL##*:}" ]
  # The option wins over the variable.
  [ "$(KPIPE_PROFILE=dev broker_port --profile prod)" = "${KPIPE_KAFKA_SASL_SSL##*:}" ]

  keyed 3 prod >"$T/want"
  run -0 --separate-stderr kp --profile prod produce -t cfg-profile -K : <"$T/want"
  no_secret "$PASSWORD" "$output" "$stderr"
  run -0 kp --profile dev consume -t cfg-profile -e -f '%k:%s\n'
  diff <(printf '%s\n' "$output" | sort) "$T/want"
}

@test "the password from KPIPE_SASL_PASSWORD or --sasl-password-file, the rest from a file" {
  write_lines "$T/sasl.conf" \
    "bootstrap.servers=$KPIPE_KAFKA_SASL_PLAINTEXT" \
    "security.protocol=SASL_PLAINTEXT" \
    "sasl.mechanism=SCRAM-SHA-256" \
    "sasl.username=$USER_NAME"
  run -0 --separate-stderr env KPIPE_SASL_PASSWORD="$PASSWORD" timeout 60 "$KPIPE_BIN" \
    -F "$T/sasl.conf" produce -t cfg-password <<<"from the environment"
  no_secret "$PASSWORD" "$output" "$stderr"
  printf '%s\n' "$PASSWORD" >"$T/password"
  run -0 --separate-stderr kp -F "$T/sasl.conf" --sasl-password-file "$T/password" produce \
    -t cfg-password <<<"from a file"
  run -0 --separate-stderr kp -F "$T/sasl.conf" --sasl-password-file "$T/password" consume \
    -t cfg-password -e
  [ "$output" = $'from the environment\nfrom a file' ]
  no_secret "$PASSWORD" "$output" "$stderr"
}

@test "a known property kpipe has no use for (socket.keepalive.enable) warns once per run and works, in -X and in a file" {
  run -0 --separate-stderr kp -b "$KPIPE_KAFKA_PLAINTEXT" -X socket.keepalive.enable=true \
    produce -t cfg-ignored <<<$'a\nb'
  echo "# stderr: $stderr"
  [ "$(grep -c socket.keepalive.enable <<<"$stderr")" -eq 1 ]

  write_lines "$T/ignored.conf" "bootstrap.servers=$KPIPE_KAFKA_PLAINTEXT" "socket.keepalive.enable=true"
  run -0 --separate-stderr kp -F "$T/ignored.conf" consume -t cfg-ignored -e
  [ "$output" = $'a\nb' ]
  echo "# stderr: $stderr"
  [ "$(grep -c socket.keepalive.enable <<<"$stderr")" -eq 1 ]
}

@test "the default file ~/.config/kpipe/config is read when there is no -F (SASL_SSL), and -F replaces it" {
  mkdir -p "$HOME/.config/kpipe"
  write_lines "$HOME/.config/kpipe/config" \
    "bootstrap.servers=$KPIPE_KAFKA_SASL_SSL" \
    "security.protocol=SASL_SSL" \
    "sasl.mechanism=PLAIN" \
    "sasl.username=$USER_NAME" \
    "sasl.password=$PASSWORD" \
    "ssl.ca.location=$KPIPE_KAFKA_CA"
  run -0 --separate-stderr kp produce -t cfg-default <<<"through the default file"
  no_secret "$PASSWORD" "$output" "$stderr"
  [ "$(broker_port)" = "${KPIPE_KAFKA_SASL_SSL##*:}" ]

  write_lines "$T/plain.conf" "bootstrap.servers=$KPIPE_KAFKA_PLAINTEXT"
  [ "$(broker_port -F "$T/plain.conf")" = "${KPIPE_KAFKA_PLAINTEXT##*:}" ]
  run -0 kp -F "$T/plain.conf" consume -t cfg-default -e
  [ "$output" = "through the default file" ]
}
