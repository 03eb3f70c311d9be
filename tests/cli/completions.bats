#!/usr/bin/env bats
# The bash completion in completions/kpipe.bash, driven the way bash drives it: COMP_WORDS and
# COMP_CWORD set, _kpipe called, COMPREPLY read; and a syntax check of the zsh one. Needs no
# cluster and no kpipe binary.
# bats file_tags=broker-free

setup() {
  source "$BATS_TEST_DIRNAME/../../completions/kpipe.bash"
}

# complete_words WORD...: completes the last WORD (give "" for an empty one); COMPREPLY joined by
# spaces ends up in $reply.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _kpipe
  reply="${COMPREPLY[*]}"
}

# has WORD / lacks WORD: whether WORD is one of the candidates. (Not "! has": bats does not
# fail a test on a negated command.)
has() {
  local w
  for w in "${COMPREPLY[@]}"; do [[ $w == "$1" ]] && return 0; done
  return 1
}
lacks() {
  if has "$1"; then return 1; fi
}

@test "a command name completes" {
  complete_words kpipe met
  [ "$reply" = "metadata" ]
}

@test "before the command, a dash offers global options only" {
  complete_words kpipe -
  has --brokers
  has --timeout
  has --format
  has --version
  lacks --topic
  lacks --api-versions
  lacks metadata
}

@test "--format completes to text and json, as a separate word or after '='" {
  complete_words kpipe --format ""
  [ "$reply" = "text json" ]
  # bash's default COMP_WORDBREAKS splits --format=j into "--format" "=" "j"
  complete_words kpipe metadata --format = j
  [ "$reply" = "json" ]
  # without '=' in COMP_WORDBREAKS the word arrives whole and is replaced whole
  complete_words kpipe --format=t
  [ "$reply" = "--format=text" ]
}

@test "after metadata: its options and the global ones" {
  complete_words kpipe metadata -
  has -t
  has --topic
  has --api-versions
  has -b
  has --property
  complete_words kpipe metadata --api-versions --t
  [ "$reply" = "--topic --timeout --tls --tls-ca --tls-cert --tls-key --tls-insecure" ]
}

@test "global options and their values before the command do not hide it" {
  complete_words kpipe -b broker1:9092 --timeout = 2s -X client.id=x metadata --a
  [ "$reply" = "--api-versions" ]
}

@test "-b, --timeout and --format are not offered twice; -X is" {
  complete_words kpipe --brokers = h:9092 --format json metadata -
  lacks -b
  lacks --brokers
  lacks --format
  has --timeout
  has -X
}

@test "values that are not files get no candidates" {
  complete_words kpipe metadata -b ""
  [ -z "$reply" ]
  complete_words kpipe -X client.id=""
  [ -z "$reply" ]
  complete_words kpipe --sasl-user ""
  [ -z "$reply" ]
  complete_words kpipe metadata --timeout ""
  [ -z "$reply" ]
  complete_words kpipe metadata -t ""
  [ -z "$reply" ]
  # and bash is not told to fall back to file names
  run complete -p kpipe
  [ "$status" -eq 0 ]
  [ "$output" = "complete -F _kpipe kpipe" ]
}

@test "decode is offered as a command" {
  complete_words kpipe dec
  [ "$reply" = "decode" ]
  complete_words kpipe -b h:9092 ""
  has metadata
  has decode
}

@test "after decode: its options and the global ones, not metadata's" {
  complete_words kpipe decode -
  has --input
  has --frames
  has --request
  has --response
  has --record-batch
  has --api-key
  has --api-version
  has --pretty
  has --list-apis
  has --pcap
  has --port
  has --api
  has --records
  has --format
  has -b
  lacks --topic
  lacks --api-versions
  complete_words kpipe decode --api-
  [ "$reply" = "--api-key --api-version" ]
}

@test "--input completes to raw, hex and base64, as a separate word or after '='" {
  complete_words kpipe decode --input ""
  [ "$reply" = "raw hex base64" ]
  complete_words kpipe decode --input = h
  [ "$reply" = "hex" ]
  complete_words kpipe decode --input=b
  [ "$reply" = "--input=base64" ]
}

@test "decode --internal completes to the internal topics it decodes" {
  complete_words kpipe decode -
  has --internal
  has --internal-topic
  complete_words kpipe decode --internal-topic ""
  [ "$reply" = "consumer-offsets transaction-state none" ]
  complete_words kpipe decode --log-segment /tmp --internal-topic = t
  [ "$reply" = "transaction-state" ]
  complete_words kpipe decode --internal-topic=c
  [ "$reply" = "--internal-topic=consumer-offsets" ]
}

@test "decode's modes exclude one another; --input, --api-key, --api-version are given once" {
  complete_words kpipe decode --request -
  lacks --frames
  lacks --request
  lacks --response
  lacks --record-batch
  has --pretty
  complete_words kpipe decode --input hex --api-key 3 --api-version = 12 --frames -
  lacks --input
  lacks --api-key
  lacks --api-version
  lacks --response
  has --list-apis
}

@test "decode's input file completes to file names; other values do not" {
  cd "$BATS_TEST_TMPDIR"
  touch capture.bin capture.hex notes.txt
  mkdir dumps
  complete_words kpipe decode cap
  [ "${#COMPREPLY[@]}" -eq 2 ]
  has capture.bin
  has capture.hex
  complete_words kpipe decode ""
  has capture.bin
  has notes.txt
  has dumps
  lacks --input
  # options and their values before the file do not count as the file
  complete_words kpipe decode --input hex --api-key 3 --api-version 0 --request no
  [ "$reply" = "notes.txt" ]
  complete_words kpipe --format json decode --pretty d
  [ "$reply" = "dumps" ]
  # one file only: after it (or "-" for stdin), an empty word lists the options
  complete_words kpipe decode capture.bin ""
  lacks notes.txt
  has --pretty
  complete_words kpipe decode - no
  [ -z "$reply" ]
  # values of options are never file names
  complete_words kpipe decode --input cap
  [ -z "$reply" ]
  complete_words kpipe decode --api-key ""
  [ -z "$reply" ]
  complete_words kpipe decode --api-version = ""
  [ -z "$reply" ]
  complete_words kpipe metadata cap
  [ -z "$reply" ]
  complete_words kpipe metadata -t ""
  [ -z "$reply" ]
}

@test "the zsh completion parses" {
  command -v zsh >/dev/null || skip "zsh is not installed"
  zsh -n "$BATS_TEST_DIRNAME/../../completions/_kpipe"
}

# ---- produce, consume, offsets ----------------------------------------------------------------

@test "produce, consume and offsets are offered as commands" {
  complete_words kpipe ""
  [ "$reply" = "metadata decode produce consume offsets groups" ]
  complete_words kpipe pro
  [ "$reply" = "produce" ]
  complete_words kpipe -b h:9092 co
  [ "$reply" = "consume" ]
  complete_words kpipe --timeout = 2s of
  [ "$reply" = "offsets" ]
}

@test "after produce: its options and the global ones, not consume's" {
  complete_words kpipe produce -
  for o in -t --topic -D --delimiter -K --key-delimiter -k --key -H --header -Z --null-empty \
    -l --lines -J --json -p --partition --partitioner -z --compression --acks --no-idempotence \
    --transactional-id --batch-bytes --batch-records --linger --max-inflight --rate --dry-run \
    -T --tee -f --format --stats --on-error -b -X --timeout -v -q --version; do
    has "$o"
  done
  lacks --group
  lacks --isolation
  lacks --api-versions
  lacks --input
  # --format once only: the command's layout option (the global one is not reachable here)
  [ "$(printf '%s\n' "${COMPREPLY[@]}" | grep -c '^--format$')" -eq 1 ]
  complete_words kpipe produce --ba
  [ "$reply" = "--batch-bytes --batch-records" ]
}

@test "produce: -z, --acks, --partitioner and --on-error complete their values" {
  complete_words kpipe produce -z ""
  [ "$reply" = "none gzip snappy lz4 zstd" ]
  complete_words kpipe produce --compression = z
  [ "$reply" = "zstd" ]
  complete_words kpipe produce -t x --compression=l
  [ "$reply" = "--compression=lz4" ]
  complete_words kpipe produce --acks ""
  [ "$reply" = "all 1 0" ]
  complete_words kpipe produce --partitioner ""
  [ "$reply" = "murmur2 random roundrobin" ]
  complete_words kpipe produce --partitioner = r
  [ "$reply" = "random roundrobin" ]
  complete_words kpipe produce --on-error ""
  [ "$reply" = "stop skip" ]
  complete_words kpipe produce --on-error=sk
  [ "$reply" = "--on-error=skip" ]
}

@test "produce's FILE arguments complete to file names, any number; its option values do not" {
  cd "$BATS_TEST_TMPDIR"
  touch lines.txt logs.txt other.bin
  mkdir logdir
  complete_words kpipe produce -t t l
  [ "${#COMPREPLY[@]}" -eq 3 ]
  has lines.txt
  has logs.txt
  has logdir
  # after a file, more files; options and their values do not count as files
  complete_words kpipe produce -t t lines.txt -z lz4 -l ""
  has logs.txt
  has other.bin
  lacks --topic
  complete_words kpipe -b h:9092 produce -K : -t t - o
  [ "$reply" = "other.bin" ]
  # a dash still lists the options
  complete_words kpipe produce -t t lines.txt --st
  [ "$reply" = "--stats" ]
  # values that are not files get no candidates
  for o in -t -D -K -k -H -p --transactional-id --batch-bytes --batch-records --linger \
    --max-inflight --rate -f; do
    complete_words kpipe produce "$o" l
    [ -z "$reply" ]
  done
}

@test "produce: options given once are not offered again; -H and -X are; -J excludes -K and -k" {
  complete_words kpipe produce -t x -z lz4 --acks 1 -H a=b -X linger.ms=5 --stats -
  lacks -t
  lacks --topic
  lacks -z
  lacks --compression
  lacks --acks
  lacks --stats
  has -H
  has --header
  has -X
  has --linger
  complete_words kpipe produce -t x -J -
  lacks -K
  lacks --key-delimiter
  lacks -k
  lacks --key
  lacks -J
  has -D
  complete_words kpipe produce -t x --key-delimiter : -
  lacks -J
  lacks --json
  lacks -K
  has -k
}

@test "after consume: its options and the global ones, not produce's" {
  complete_words kpipe consume -
  for o in -t --topic -G --group --assignor --instance-id --commit -p --partition -o --offset \
    -e --exit -c --count -f --format -J --json -D --delimiter -K --key-delimiter \
    --key-encoding --value-encoding --isolation --print-control-records -u --unbuffered --grep \
    -b -X --timeout -v -q; do
    has "$o"
  done
  lacks --acks
  lacks --compression
  lacks --time
  complete_words kpipe consume --p
  [ "$reply" = "--partition --print-control-records --property --profile" ]
}

@test "consume: --isolation, --assignor, --commit, the encodings and -o keywords complete" {
  complete_words kpipe consume --isolation ""
  [ "$reply" = "read-committed read-uncommitted" ]
  complete_words kpipe consume -t x --isolation = read-u
  [ "$reply" = "read-uncommitted" ]
  complete_words kpipe consume -G g --assignor ""
  [ "$reply" = "range roundrobin cooperative-sticky" ]
  complete_words kpipe consume --assignor=c
  [ "$reply" = "--assignor=cooperative-sticky" ]
  complete_words kpipe consume -G g --commit ""
  [ "$reply" = "after-write on-exit interval: none" ]
  complete_words kpipe consume --commit in
  [ "$reply" = "interval:" ]
  complete_words kpipe consume --key-encoding ""
  [ "$reply" = "text hex base64 json auto" ]
  complete_words kpipe consume --value-encoding = b
  [ "$reply" = "base64" ]
  complete_words kpipe consume -t x -o ""
  [ "$reply" = "beginning end stored" ]
  complete_words kpipe consume --offset = e
  [ "$reply" = "end" ]
  # free-form values: nothing, never file names
  for o in -t -G --instance-id -p -c -f -D -K --grep; do
    complete_words kpipe consume "$o" ""
    [ -z "$reply" ]
  done
  complete_words kpipe consume ""
  has --topic
}

@test "after produce and consume --format is the command's layout; before them, text|json" {
  complete_words kpipe consume --format ""
  [ -z "$reply" ]
  complete_words kpipe produce -T --format = ""
  [ -z "$reply" ]
  complete_words kpipe --format ""
  [ "$reply" = "text json" ]
  complete_words kpipe --format = j
  [ "$reply" = "json" ]
  # a global --format before the command does not hide the command's own
  complete_words kpipe --format json consume --fo
  [ "$reply" = "--format" ]
  complete_words kpipe consume -f '%s\n' --fo
  [ -z "$reply" ]
  complete_words kpipe produce --format x -
  lacks -f
  lacks --format
  # the other commands take the global one after them too
  complete_words kpipe offsets list --format ""
  [ "$reply" = "text json" ]
}

@test "consume: -t, -p and --grep repeat; -G, -o, -c and --commit are given once" {
  complete_words kpipe consume -t a -p 0,1 --grep k:x -G g -o end -c 5 --commit none -
  has -t
  has -p
  has --grep
  lacks -G
  lacks --group
  lacks -o
  lacks --offset
  lacks -c
  lacks --commit
  has --assignor
}

@test "offsets: list, get and commit, then each one's options" {
  complete_words kpipe offsets ""
  [ "$reply" = "list get commit" ]
  complete_words kpipe -b h:9092 offsets c
  [ "$reply" = "commit" ]
  complete_words kpipe offsets -
  has --brokers
  has --format
  lacks --topic
  lacks list
  complete_words kpipe offsets list -
  has -t
  has --partition
  has --time
  has --isolation
  has --format
  lacks --group
  lacks --offset
  complete_words kpipe offsets get -
  has -G
  has --topic
  has -p
  lacks --time
  lacks --offset
  complete_words kpipe offsets commit -
  has -G
  has -t
  has -p
  has -o
  has --offset
  lacks --time
  # one subcommand: after it no other is offered
  complete_words kpipe offsets list ""
  lacks get
  has --topic
}

@test "offsets: --time and --isolation values; -p repeats but for commit; no value is a file" {
  complete_words kpipe offsets list --time ""
  [ "$reply" = "earliest latest max-timestamp" ]
  complete_words kpipe offsets list -t x --time = m
  [ "$reply" = "max-timestamp" ]
  complete_words kpipe offsets list --isolation r
  [ "$reply" = "read-committed read-uncommitted" ]
  complete_words kpipe offsets list -t x -p 0 -
  lacks -t
  has -p
  complete_words kpipe offsets get -G g -p 0 -
  lacks -G
  has -p
  complete_words kpipe offsets commit -G g -p 0 -o 5 -
  lacks -p
  lacks --partition
  lacks -o
  has -t
  for o in -t -p -G -o; do
    complete_words kpipe offsets commit "$o" ""
    [ -z "$reply" ]
  done
}

# zsh_list TEXT: what zsh lists for a Tab after TEXT (list-choices in a zsh run on a pty, with
# the completion from completions/ and nothing else), in $zsh_out. Waits for zsh by what it
# prints, not by sleeping a fixed time: zsh may skip a list while more input is pending, so the
# next keys are sent only once the line was drawn again under the list.
zsh_list() {
  cat >"$BATS_TEST_TMPDIR/list.zsh" <<'ZSH'
zmodload zsh/zpty
export TERM=dumb
zpty z zsh -f -i
zpty -w z "fpath=(${(q)1} \$fpath)"
zpty -w z 'unset zle_bracketed_paste; PS1="> "; autoload -Uz compinit; compinit -u -D; setopt nobeep; LISTMAX=100000; LINES=1000; COLUMNS=200; zstyle ":completion:*:descriptions" format "[%d]"; bindkey "^I" list-choices'
zpty -w z "print READY\$((6*7))"
zpty -r z junk '*READY42*'
zpty -w -n z "$2"$'\t'
out="" chunk="" line="> $2"
integer tries=0
while (( tries++ < 400 )); do
  while zpty -r -t z chunk 2>/dev/null; do out+=$chunk; done
  [[ ${out//$'\r'/} == *${~${(b)line}}*$'\n'*${~${(b)line}}* ]] && break
  sleep 0.05
done
zpty -w z $'\C-u''print END$((6*7))'
zpty -r z chunk '*END42*'
out+=$chunk
zpty -d z
print -r -- "$out" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
ZSH
  zsh_out=$(timeout 60 zsh -f "$BATS_TEST_TMPDIR/list.zsh" "$BATS_TEST_DIRNAME/../../completions" "$1")
}

@test "zsh: the new commands, offsets' subcommands and the value lists" {
  command -v zsh >/dev/null || skip "zsh is not installed"
  zsh_list "kpipe "
  grep -Eq '^produce +-- produce records' <<<"$zsh_out"
  grep -Eq '^consume +-- read records' <<<"$zsh_out"
  grep -Eq '^offsets +-- partition offsets' <<<"$zsh_out"
  zsh_list "kpipe offsets "
  grep -Eq '^commit +-- commit an offset' <<<"$zsh_out"
  grep -Eq '^get +-- committed offsets' <<<"$zsh_out"
  grep -Eq '^list +-- earliest and latest' <<<"$zsh_out"
  zsh_list "kpipe produce -z "
  [[ $zsh_out == *"[codec]"*gzip*lz4*none*snappy*zstd* ]]
  zsh_list "kpipe consume --isolation "
  [[ $zsh_out == *read-committed*read-uncommitted* ]]
  zsh_list "kpipe consume --commit "
  [[ $zsh_out == *after-write*none*on-exit* ]]
  [[ $zsh_out == *interval:* ]]
  zsh_list "kpipe offsets list --time "
  [[ $zsh_out == *earliest*latest*max-timestamp* ]]
}

@test "zsh: options per command; --format after consume is its layout; -J hides -K and -k" {
  command -v zsh >/dev/null || skip "zsh is not installed"
  zsh_list "kpipe offsets get -"
  grep -Eq '^--group +-G +-- consumer group' <<<"$zsh_out"
  grep -Eq '^--partition +-p ' <<<"$zsh_out"
  run grep -Eq '^--(time|isolation|offset) ' <<<"$zsh_out"
  [ "$status" -eq 1 ]
  zsh_list "kpipe consume --format "
  [[ $zsh_out == *"[layout]"* ]]
  [[ $zsh_out != *text* ]]
  zsh_list "kpipe --format "
  [[ $zsh_out == *"[format]"*json*text* ]]
  zsh_list "kpipe produce -t x -J -"
  grep -Eq '^--delimiter +-D ' <<<"$zsh_out"
  run grep -Eq '^--(key-delimiter|key|topic|json) ' <<<"$zsh_out"
  [ "$status" -eq 1 ]
}

# ---- configuration and security ---------------------------------------------------------------

@test "the configuration and security options are global: before and after the command" {
  complete_words kpipe -
  for o in -F --config --profile --show-config --tls --tls-ca --tls-cert --tls-key \
    --tls-insecure --sasl-mechanism --sasl-user --sasl-password-file; do
    has "$o"
  done
  complete_words kpipe consume --tls
  [ "$reply" = "--tls --tls-ca --tls-cert --tls-key --tls-insecure" ]
  complete_words kpipe offsets list --sasl-
  [ "$reply" = "--sasl-mechanism --sasl-user --sasl-password-file" ]
  complete_words kpipe produce --show
  [ "$reply" = "--show-config" ]
}

@test "-F repeats; --profile, --tls-ca, --sasl-mechanism and the flags are given once" {
  complete_words kpipe -F a.conf --config = b.conf --profile p --tls --tls-ca ca.pem \
    --sasl-mechanism PLAIN --sasl-user me --show-config metadata -
  has -F
  has --config
  lacks --profile
  lacks --tls
  lacks --tls-ca
  lacks --sasl-mechanism
  lacks --sasl-user
  lacks --show-config
  has --tls-cert
  has --sasl-password-file
  # their values are not taken for the command
  complete_words kpipe --tls-ca ca.pem --profile p -F a.conf --sasl-user me met
  [ "$reply" = "metadata" ]
}

@test "--sasl-mechanism completes its four mechanisms" {
  complete_words kpipe --sasl-mechanism ""
  [ "$reply" = "PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER" ]
  complete_words kpipe metadata --sasl-mechanism = SC
  [ "$reply" = "SCRAM-SHA-256 SCRAM-SHA-512" ]
  complete_words kpipe --sasl-mechanism=O
  [ "$reply" = "--sasl-mechanism=OAUTHBEARER" ]
}

@test "-F, --tls-ca, --tls-cert, --tls-key and --sasl-password-file complete file names" {
  cd "$BATS_TEST_TMPDIR"
  touch ca.pem client.pem client.key password.txt
  mkdir certs
  for o in -F --config --tls-ca --tls-cert --tls-key --sasl-password-file; do
    complete_words kpipe "$o" c
    [ "${#COMPREPLY[@]}" -eq 4 ]
    has ca.pem
    has client.pem
    has client.key
    has certs # a directory: --tls-ca takes one, and the others may be in one
  done
  complete_words kpipe metadata --tls-ca = ce
  [ "$reply" = "certs" ]
  complete_words kpipe consume -t x --sasl-password-file pa
  [ "$reply" = "password.txt" ]
  # typed as one word (no '=' in COMP_WORDBREAKS), the option stays in front
  complete_words kpipe --tls-cert=client.p
  [ "$reply" = "--tls-cert=client.pem" ]
  complete_words kpipe --config=pass
  [ "$reply" = "--config=password.txt" ]
}

@test "--profile completes the sections of the -F files, else of KPIPE_CONFIG, else XDG's" {
  cd "$BATS_TEST_TMPDIR"
  printf 'bootstrap.servers=h:9092\n[prod]\nsasl.mechanism=PLAIN\n  [ staging ]\n# [commented]\n[dev]\n[prod]' \
    >a.conf # a section opened twice is offered once
  printf '[profile eu-west]\nclient.id=x\n' >b.conf # AWS-style header: the name is eu-west
  mkdir -p xdg/kpipe
  printf '[from-xdg]\n' >xdg/kpipe/config
  complete_words kpipe -F a.conf --profile ""
  [ "$reply" = "prod staging dev" ]
  complete_words kpipe -F a.conf metadata --profile = d
  [ "$reply" = "dev" ]
  # every -F counts, in any spelling
  complete_words kpipe --config = a.conf -Fb.conf --config=nonexistent --profile ""
  [ "$reply" = "prod staging dev eu-west" ]
  KPIPE_CONFIG=b.conf complete_words kpipe metadata --profile ""
  [ "$reply" = "eu-west" ]
  KPIPE_CONFIG=b.conf complete_words kpipe -F a.conf --profile p
  [ "$reply" = "prod" ]
  KPIPE_CONFIG="" XDG_CONFIG_HOME=$PWD/xdg complete_words kpipe --profile ""
  [ "$reply" = "from-xdg" ]
  KPIPE_CONFIG="" XDG_CONFIG_HOME="" HOME=$PWD/xdg-less complete_words kpipe --profile ""
  [ -z "$reply" ]
  mkdir -p home/.config/kpipe
  printf '[from-home]\n' >home/.config/kpipe/config
  KPIPE_CONFIG="" XDG_CONFIG_HOME="" HOME=$PWD/home complete_words kpipe --profile ""
  [ "$reply" = "from-home" ]
  # a "~/" on the line is not expanded by the shell before completion: the completion does it
  HOME=$PWD complete_words kpipe -F '~/b.conf' --profile ""
  [ "$reply" = "eu-west" ]
  complete_words kpipe -F missing.conf --profile ""
  [ -z "$reply" ]
}

@test "-X completes property names with '=' after them, then some properties' values" {
  complete_words kpipe -X ssl.ca
  [ "$reply" = "ssl.ca.location= ssl.ca.pem=" ]
  complete_words kpipe metadata -X sasl.oauthbearer.client.s
  [ "$reply" = "sasl.oauthbearer.client.secret= sasl.oauthbearer.client.secret.file=" ]
  complete_words kpipe --property = security.
  [ "$reply" = "security.protocol=" ]
  complete_words kpipe --property=enable.ssl
  [ "$reply" = "--property=enable.ssl.certificate.verification=" ]
  complete_words kpipe -X ""
  for p in bootstrap.servers security.protocol sasl.mechanism sasl.username sasl.password.file \
    sasl.jaas.config ssl.ca.location ssl.certificate.location ssl.key.location \
    ssl.keystore.location ssl.truststore.location ssl.endpoint.identification.algorithm \
    sasl.oauthbearer.token.endpoint.url linger.ms session.timeout.ms; do
    has "$p="
  done
  # after '=': as separate words (bash's default COMP_WORDBREAKS) or as one
  complete_words kpipe -X security.protocol = SASL
  [ "$reply" = "SASL_PLAINTEXT SASL_SSL" ]
  complete_words kpipe -X security.protocol =
  [ "$reply" = "PLAINTEXT SSL SASL_PLAINTEXT SASL_SSL" ]
  complete_words kpipe -X sasl.mechanism=SCRAM
  [ "$reply" = "sasl.mechanism=SCRAM-SHA-256 sasl.mechanism=SCRAM-SHA-512" ]
  complete_words kpipe --property = ssl.endpoint.identification.algorithm = ""
  [ "$reply" = "https none" ]
  complete_words kpipe --property=sasl.oauthbearer.method=o
  [ "$reply" = "--property=sasl.oauthbearer.method=oidc" ]
  # properties that name a file complete file names; free-form ones nothing
  cd "$BATS_TEST_TMPDIR"
  touch ca.pem token.jwt
  complete_words kpipe -X ssl.ca.location = c
  [ "$reply" = "ca.pem" ]
  complete_words kpipe -X sasl.oauthbearer.token.file=t
  [ "$reply" = "sasl.oauthbearer.token.file=token.jwt" ]
  complete_words kpipe -X sasl.username = ""
  [ -z "$reply" ]
  # a complete -X argument does not hide the command
  complete_words kpipe -X security.protocol = SSL --property = a=b met
  [ "$reply" = "metadata" ]
}

@test "-X offers exactly the properties kpipe acts on, in bash and zsh alike" {
  local source=$BATS_TEST_DIRNAME/../../src/lib/config/known_properties.cpp
  [ -f "$source" ] || skip "no $source"
  # the names in the acted-on table: acted(...), acted_secret(...) and alias(...) entries
  local known
  known=$(sed -n '/acted_on_table = /,/^});/p' "$source" |
    grep -oE '(acted|acted_secret|alias)\("[^"]+"' | sed 's/.*("//; s/"$//' | sort)
  [ "$(wc -l <<<"$known")" -gt 40 ]
  complete_words kpipe -X ""
  [ "$(printf '%s\n' "${COMPREPLY[@]%=}" | sort)" = "$known" ]
  local zsh_names
  zsh_names=$(sed -n '/^_kpipe_properties() {/,/^  )/p' \
    "$BATS_TEST_DIRNAME/../../completions/_kpipe" | sed '1,3d; $d' | tr -s ' ' '\n' |
    grep . | sort)
  [ "$zsh_names" = "$known" ]
}

@test "zsh: the security options, their values, -X names and --profile's sections" {
  command -v zsh >/dev/null || skip "zsh is not installed"
  cd "$BATS_TEST_TMPDIR"
  printf '[prod]\nsasl.mechanism=PLAIN\n[profile staging]\n' >kpipe.conf
  touch ca-bundle.pem
  zsh_list "kpipe --tls"
  grep -Eq '^--tls-ca +-- CA certificates' <<<"$zsh_out"
  grep -Eq '^--tls-insecure +-- ' <<<"$zsh_out"
  zsh_list "kpipe metadata --sasl-mechanism "
  [[ $zsh_out == *"[mechanism]"*OAUTHBEARER*PLAIN*SCRAM-SHA-256*SCRAM-SHA-512* ]]
  zsh_list "kpipe -X ssl.ca."
  [[ $zsh_out == *ssl.ca.location*ssl.ca.pem* ]]
  zsh_list "kpipe -X security.protocol="
  [[ $zsh_out == *SASL_PLAINTEXT*SASL_SSL* ]]
  zsh_list "kpipe --tls-ca ca-"
  [[ $zsh_out == *ca-bundle.pem* ]]
  zsh_list "kpipe -F kpipe.conf consume --profile "
  [[ $zsh_out == *"[profile]"*prod*staging* ]]
  KPIPE_CONFIG=$PWD/kpipe.conf zsh_list "kpipe --profile "
  [[ $zsh_out == *prod*staging* ]]
  # given before the command, --tls-ca is not offered after it
  zsh_list "kpipe --tls-ca ca-bundle.pem metadata --tls"
  grep -Eq '^--tls-cert +-- ' <<<"$zsh_out"
  run grep -Eq '^--tls-ca ' <<<"$zsh_out"
  [ "$status" -eq 1 ]
}

# ---- groups ---------------------------------------------------------------------------------

@test "groups: its subcommands, then each one's options and value lists" {
  complete_words kpipe gr
  [ "$reply" = "groups" ]
  complete_words kpipe groups ""
  [ "$reply" = "list describe reset delete delete-offsets wait" ]
  complete_words kpipe -b h:9092 groups de
  [ "$reply" = "describe delete delete-offsets" ]
  complete_words kpipe groups list -
  has --state
  has --type
  has --format
  lacks --to
  complete_words kpipe groups reset g -
  for o in -t --topic --all-topics --to --execute -b --timeout; do has "$o"; done
  lacks --state
  complete_words kpipe groups wait g -
  for o in --max-lag --timeout -t --interval; do has "$o"; done
  lacks --execute
  complete_words kpipe groups list --state S
  [ "$reply" = "Stable" ]
  complete_words kpipe groups list --type = c
  [ "$reply" = "classic consumer" ]
  complete_words kpipe groups reset g --to ""
  [ "$reply" = "earliest latest current offset: shift: time: ago: file:" ]
  complete_words kpipe groups reset g --to sh
  [ "$reply" = "shift:" ]
  # -t and --state repeat; --to and --execute are given once
  complete_words kpipe groups reset g -t a --to earliest --execute -
  has -t
  lacks --to
  lacks --execute
  complete_words kpipe groups list --state Empty -
  has --state
  # group names and topics are not files
  complete_words kpipe groups describe ""
  lacks groups.bats
  complete_words kpipe groups reset g -t ""
  [ -z "$reply" ]
}

@test "zsh: groups' subcommands and --to's targets" {
  command -v zsh >/dev/null || skip "zsh is not installed"
  zsh_list "kpipe groups "
  grep -Eq '^describe +-- members, committed offsets' <<<"$zsh_out"
  grep -Eq '^wait +-- wait until' <<<"$zsh_out"
  zsh_list "kpipe groups reset g --to "
  [[ $zsh_out == *earliest*latest* ]]
  [[ $zsh_out == *offset:*shift:* ]]
  zsh_list "kpipe groups list --type "
  [[ $zsh_out == *classic*consumer*share* ]]
}
