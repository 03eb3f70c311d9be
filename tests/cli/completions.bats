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
  [ "$reply" = "--topic --timeout" ]
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
  complete_words kpipe -X ""
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
  [ "$reply" = "metadata decode produce consume offsets" ]
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
  [ "$reply" = "--partition --print-control-records --property" ]
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
