#!/usr/bin/env bats
# The bash completion in completions/kpipe.bash, driven the way bash drives it: COMP_WORDS and
# COMP_CWORD set, _kpipe called, COMPREPLY read; and a syntax check of the zsh one. Needs no
# cluster and no kpipe binary.

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
