# bash completion for kpipe                                  -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/kpipe, or source it from ~/.bashrc.
# Self-contained: does not need the bash-completion package.
#
# Completes the commands kpipe implements, global options anywhere on the line, each command's
# own options after it, --format and --input values, and file names for decode's input file.
# Options kpipe accepts once (-b, --timeout, --format, --input, --api-key, --api-version) are
# not offered again, nor decode's other modes once one is given. Option values that are not
# files (brokers, properties, durations, topic names, API keys and versions) get no completion
# at all, never file names.

# Commands kpipe implements. The planned ones (produce consume groups offsets) are added here,
# with their options in _kpipe_command_options, as they land.
_kpipe_commands="metadata decode"

_kpipe_global_options="-b --brokers -X --property --timeout --format -v --verbose -q --quiet
  -h --help --version"

# Options, of any command, that take a value as the next argument.
_kpipe_value_options="-b --brokers -X --property --timeout --format -t --topic --input --api-key
  --api-version"

# Prints the options of command $1 (without the global ones).
_kpipe_command_options() {
  case $1 in
    metadata) echo "-t --topic --api-versions" ;;
    decode) echo "--input --frames --request --response --record-batch --api-key --api-version
      --pretty --list-apis" ;;
  esac
}

# Prints the words of $1 less the options that may be given only once and already are, in
# words 1 to COMP_CWORD-1 (kpipe rejects "-b x metadata -b y"), and less decode's modes when
# one of them is (they exclude one another).
_kpipe_unused_options() {
  local out="" opt word i seen
  for opt in $1; do
    seen=""
    case $opt in
      -b | --brokers | --timeout | --format | --input | --api-key | --api-version | --frames | \
        --request | --response | --record-batch)
        for ((i = 1; i < COMP_CWORD; i++)); do
          word=${COMP_WORDS[i]%%=*}
          case $opt in
            -b | --brokers) [[ $word == -b || $word == --brokers ]] && seen=1 ;;
            --frames | --request | --response | --record-batch)
              case $word in
                --frames | --request | --response | --record-batch) seen=1 ;;
              esac
              ;;
            *) [[ $word == "$opt" ]] && seen=1 ;;
          esac
        done
        ;;
    esac
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

# Fills COMPREPLY with the values of option $1 matching $2, each prefixed with $3.
_kpipe_option_values() {
  local values="" v
  case $1 in
    --format) values="text json" ;;
    --input) values="raw hex base64" ;;
  esac
  COMPREPLY=()
  for v in $(compgen -W "$values" -- "$2"); do
    COMPREPLY+=("$3$v")
  done
}

_kpipe() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local before=""
  ((COMP_CWORD > 1)) && before=${COMP_WORDS[COMP_CWORD - 2]}
  COMPREPLY=()

  # The value of an option. With '=' in COMP_WORDBREAKS (bash's default) "--format=js" arrives
  # as "--format" "=" "js", and readline replaces only the text after '='; without it, as one
  # word that is replaced whole.
  if [[ $cur == "=" && $prev == -* ]]; then
    _kpipe_takes_value "$prev" && _kpipe_option_values "$prev" "" ""
    return 0
  fi
  if [[ $prev == "=" && $before == -* ]]; then
    _kpipe_takes_value "$before" && _kpipe_option_values "$before" "$cur" ""
    return 0
  fi
  if [[ $cur == --*=* ]]; then
    _kpipe_takes_value "${cur%%=*}" && _kpipe_option_values "${cur%%=*}" "${cur#*=}" "${cur%%=*}="
    return 0
  fi
  if _kpipe_takes_value "$prev"; then
    _kpipe_option_values "$prev" "$cur" ""
    return 0
  fi

  # The command is the first word that is neither an option nor an option's value; the words
  # like it after the command are its positional arguments.
  local command="" positionals=0 i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == "=" ]]; then
      ((i++)) # the value after "--option" "="
    elif _kpipe_takes_value "$word"; then
      [[ ${COMP_WORDS[i + 1]} == "=" ]] && ((i++))
      ((i++))
    elif [[ -z $command && $word != -* ]]; then
      command=$word
    elif [[ -n $command && ($word != -* || $word == -) ]]; then
      positionals=$((positionals + 1)) # "-" is decode's standard input
    fi
  done

  local options
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      options=$(_kpipe_unused_options "$_kpipe_global_options")
      mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$_kpipe_commands" -- "$cur")
    fi
    return 0
  fi

  # decode's one positional argument, the input file, until it is given: file names
  # (directories too, to descend into), marked as such so readline appends '/' and quotes
  # them. The only file completion.
  if [[ $command == decode && $cur != -* ]] && ((positionals == 0)); then
    compopt -o filenames 2>/dev/null || : # fails outside a completion (tests)
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi

  # After the command: its options and the global ones; an empty word lists them too where no
  # positional argument is expected.
  options=$(_kpipe_command_options "$command")
  [[ -n $options ]] || return 0
  options=$(_kpipe_unused_options "$options $_kpipe_global_options")
  mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  return 0
}

complete -F _kpipe kpipe
