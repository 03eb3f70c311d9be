# bash completion for kpipe                                  -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/kpipe, or source it from ~/.bashrc.
# Self-contained: does not need the bash-completion package.
#
# Completes the commands kpipe implements (and offsets' list, get and commit), global options
# anywhere on the line, each command's own options after it, the values of options that take
# a word from a fixed set (--format, --input, -z, --acks, --partitioner, --on-error,
# --isolation, --assignor, --commit, --key-encoding, --value-encoding, consume's -o keywords,
# offsets list's --time keywords), and file names for decode's input file and produce's FILE
# arguments. An option already given is not offered again unless kpipe takes it repeatedly
# (-X, -v, -q, -H, --grep, and -t or -p where the command takes several), nor decode's other
# modes once one is given, nor produce's -K and -k next to -J (which excludes them). Other
# option values (brokers, properties, durations, sizes, topics, groups, partitions, offsets,
# delimiters, formats) get no completion at all, never file names.
#
# After produce and consume, --format is the command's own -f (a record layout), not the
# global text|json: kpipe gives it to the command, so only a --format before the command is
# the global one.

# Commands kpipe implements. The planned one (groups) is added here, with its options in
# _kpipe_command_options, when it lands.
_kpipe_commands="metadata decode produce consume offsets"
_kpipe_offsets_commands="list get commit"

_kpipe_global_options="-b --brokers -X --property --timeout --format -v --verbose -q --quiet
  -h --help --version"

# Options, of any command, that take a value as the next argument. (No option is a flag in one
# command and takes a value in another.)
_kpipe_value_options="-b --brokers -X --property --timeout --format -t --topic --input --api-key
  --api-version -D --delimiter -K --key-delimiter -k --key -H --header -p --partition
  --partitioner -z --compression --acks --transactional-id --batch-bytes --batch-records
  --linger --max-inflight --rate -f --on-error -G --group --assignor --instance-id --commit
  -o --offset -c --count --key-encoding --value-encoding --isolation --grep --time"

# Prints the options of command $1 (without the global ones); offsets' subcommand is $2.
_kpipe_command_options() {
  case $1 in
    metadata) echo "-t --topic --api-versions" ;;
    decode) echo "--input --frames --request --response --record-batch --api-key --api-version
      --pretty --list-apis" ;;
    produce) echo "-t --topic -D --delimiter -K --key-delimiter -k --key -H --header -Z
      --null-empty -l --lines -J --json -p --partition --partitioner -z --compression --acks
      --no-idempotence --transactional-id --batch-bytes --batch-records --linger --max-inflight
      --rate --dry-run -T --tee -f --format --stats --on-error" ;;
    consume) echo "-t --topic -G --group --assignor --instance-id --commit -p --partition -o
      --offset -e --exit -c --count -f --format -J --json -D --delimiter -K --key-delimiter
      --key-encoding --value-encoding --isolation --print-control-records -u --unbuffered
      --grep" ;;
    offsets)
      case $2 in
        list) echo "-t --topic -p --partition --time --isolation" ;;
        get) echo "-G --group -t --topic -p --partition" ;;
        commit) echo "-G --group -t --topic -p --partition -o --offset" ;;
        *) ;; # before the subcommand: offsets has no options of its own, only the global ones
      esac
      ;;
  esac
}

# Sets long_name (the caller's local) to the long name of option $1, or to $1 itself when it
# has no short form or is long already. No subshell: it runs for every option and word.
_kpipe_long_name() {
  case $1 in
    -b) long_name=--brokers ;; -X) long_name=--property ;; -v) long_name=--verbose ;;
    -q) long_name=--quiet ;; -h) long_name=--help ;; -t) long_name=--topic ;;
    -D) long_name=--delimiter ;; -K) long_name=--key-delimiter ;; -k) long_name=--key ;;
    -H) long_name=--header ;; -Z) long_name=--null-empty ;; -l) long_name=--lines ;;
    -J) long_name=--json ;; -p) long_name=--partition ;; -z) long_name=--compression ;;
    -T) long_name=--tee ;; -f) long_name=--format ;; -G) long_name=--group ;;
    -o) long_name=--offset ;; -e) long_name=--exit ;; -c) long_name=--count ;;
    -u) long_name=--unbuffered ;;
    *) long_name=$1 ;;
  esac
}

# True when option $1 (a long name) may be given more than once after command $2 (offsets'
# subcommand $3).
_kpipe_repeatable() {
  case $1 in
    --property | --verbose | --quiet | --header | --grep) return 0 ;;
    --topic) [[ $2 == metadata || $2 == consume ]] ;;
    --partition) [[ $2 == consume || ($2 == offsets && $3 != commit) ]] ;;
    *) return 1 ;;
  esac
}

# Prints the words of $1 less the options already given, in words 1 to COMP_CWORD-1, that
# kpipe takes once (kpipe rejects "-b x metadata -b y"; a flag given twice changes nothing),
# less decode's modes when one of them is given (they exclude one another), and less
# produce's -K and -k when -J is given and the other way round. $2 is the command, $3 offsets'
# subcommand, $4 the index of the command's word (0 when there is none yet): after produce and
# consume, -f/--format is the command's own option, so only the words after the command count
# for it.
_kpipe_unused_options() {
  local out="" opt long word i seen first long_name
  for opt in $1; do
    seen=""
    _kpipe_long_name "$opt"
    long=$long_name
    first=1
    [[ $long == --format && ($2 == produce || $2 == consume) ]] && first=$(($4 + 1))
    if ! _kpipe_repeatable "$long" "$2" "$3"; then
      for ((i = first; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]%%=*}
        [[ $word == -* ]] || continue
        _kpipe_long_name "$word"
        word=$long_name
        case $long in
          --frames | --request | --response | --record-batch)
            case $word in
              --frames | --request | --response | --record-batch) seen=1 ;;
            esac
            ;;
          --key-delimiter | --key)
            [[ $word == "$long" || ($2 == produce && $word == --json) ]] && seen=1
            ;;
          --json)
            [[ $word == --json || ($2 == produce && ($word == --key-delimiter || $word == --key)) ]] &&
              seen=1
            ;;
          *) [[ $word == "$long" ]] && seen=1 ;;
        esac
      done
    fi
    [[ -z $seen ]] && out+="$opt "
  done
  echo "$out"
}

# True when $1 is an option that takes a value as the next argument.
_kpipe_takes_value() {
  local opt
  for opt in $_kpipe_value_options; do
    [[ $1 == "$opt" ]] && return 0
  done
  return 1
}

# Fills COMPREPLY with the values of option $1 matching $2, each prefixed with $3. $4 is the
# command the option belongs to ("" for a global option before the command), $5 offsets'
# subcommand.
_kpipe_option_values() {
  local values="" v
  case $1 in
    --format) [[ $4 == produce || $4 == consume ]] || values="text json" ;; # else a layout
    --input) values="raw hex base64" ;;
    -z | --compression) values="none gzip snappy lz4 zstd" ;;
    --acks) values="all 1 0" ;;
    --partitioner) values="murmur2 random roundrobin" ;;
    --on-error) values="stop skip" ;;
    --isolation) values="read-committed read-uncommitted" ;;
    --assignor) values="range roundrobin cooperative-sticky" ;;
    --commit) values="after-write on-exit interval: none" ;;
    --key-encoding | --value-encoding) values="text hex base64 json auto" ;;
    -o | --offset) [[ $4 == consume ]] && values="beginning end stored" ;;
    --time) values="earliest latest max-timestamp" ;;
  esac
  COMPREPLY=()
  for v in $(compgen -W "$values" -- "$2"); do
    COMPREPLY+=("$3$v")
  done
  # "interval:" is followed by a duration, typed right after it.
  if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *: ]]; then
    compopt -o nospace 2>/dev/null || : # fails outside a completion (tests)
  fi
}

_kpipe() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local before=""
  ((COMP_CWORD > 1)) && before=${COMP_WORDS[COMP_CWORD - 2]}
  COMPREPLY=()

  # The command is the first word that is neither an option nor an option's value; the words
  # like it after the command are its positional arguments, of which offsets' first is its
  # subcommand.
  local command="" at=0 subcommand="" positionals=0 i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == "=" ]]; then
      ((i++)) # the value after "--option" "="
    elif _kpipe_takes_value "$word"; then
      [[ ${COMP_WORDS[i + 1]} == "=" ]] && ((i++))
      ((i++))
    elif [[ -z $command && $word != -* ]]; then
      command=$word
      at=$i
    elif [[ -n $command && ($word != -* || $word == -) ]]; then
      # "-" is decode's and produce's standard input
      [[ $command == offsets && $positionals == 0 ]] && subcommand=$word
      positionals=$((positionals + 1))
    fi
  done

  # The value of an option. With '=' in COMP_WORDBREAKS (bash's default) "--format=js" arrives
  # as "--format" "=" "js", and readline replaces only the text after '='; without it, as one
  # word that is replaced whole. Which command the option belongs to depends on where it is:
  # before the command, only global options are accepted.
  local option="" where value prefix=""
  if [[ $cur == "=" && $prev == -* ]]; then
    option=$prev where=$((COMP_CWORD - 1)) value=""
  elif [[ $prev == "=" && $before == -* ]]; then
    option=$before where=$((COMP_CWORD - 2)) value=$cur
  elif [[ $cur == --*=* ]]; then
    option=${cur%%=*} where=$COMP_CWORD value=${cur#*=} prefix="${cur%%=*}="
  elif _kpipe_takes_value "$prev"; then
    option=$prev where=$((COMP_CWORD - 1)) value=$cur
  fi
  if [[ -n $option ]]; then
    local owner=""
    [[ -n $command ]] && ((where > at)) && owner=$command
    _kpipe_takes_value "$option" && _kpipe_option_values "$option" "$value" "$prefix" "$owner" \
      "$subcommand"
    return 0
  fi

  local options
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      options=$(_kpipe_unused_options "$_kpipe_global_options" "" "" 0)
      mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$_kpipe_commands" -- "$cur")
    fi
    return 0
  fi

  # File names (directories too, to descend into), marked as such so readline appends '/' and
  # quotes them: decode's one positional argument, the input file, until it is given, and
  # produce's FILE arguments, any number of them. The only file completions.
  if [[ $cur != -* ]] && [[ ($command == decode && $positionals == 0) || $command == produce ]]; then
    compopt -o filenames 2>/dev/null || : # fails outside a completion (tests)
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi

  # offsets' subcommand, until it is given.
  if [[ $command == offsets && -z $subcommand && $cur != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_kpipe_offsets_commands" -- "$cur")
    return 0
  fi

  # After the command: its options and the global ones; an empty word lists them too where no
  # positional argument is expected. After produce and consume, --format is the command's.
  local globals=$_kpipe_global_options
  [[ $command == produce || $command == consume ]] && globals=${globals/--format /}
  options=$(_kpipe_command_options "$command" "$subcommand")
  [[ -n $options || $command == offsets ]] || return 0 # an unknown command: nothing
  options=$(_kpipe_unused_options "$options $globals" "$command" "$subcommand" "$at")
  mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  return 0
}

complete -F _kpipe kpipe
