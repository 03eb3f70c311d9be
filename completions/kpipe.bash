# bash completion for kpipe                                  -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/kpipe, or source it from ~/.bashrc.
# Self-contained: does not need the bash-completion package.
#
# Completes the commands kpipe implements (and the subcommands of offsets and groups), global
# options anywhere on the line, each command's own options after it, the values of options that
# take a word from a fixed set (--format, --sasl-mechanism, --input, -z, --acks, --partitioner,
# --on-error, --isolation, --group-protocol, --assignor (uniform and range after
# --group-protocol consumer or -X group.protocol=consumer), --commit, --key-encoding,
# --value-encoding, consume's -o keywords, offsets list's --time keywords, groups' --state,
# --type and --to keywords), --profile's names (the [NAME] sections of the config file: those
# given with -F on the line, else $KPIPE_CONFIG, else ${XDG_CONFIG_HOME:-~/.config}/kpipe/config),
# -X's property names (a static list below) and, after "NAME=", the values of the properties
# that have a fixed set or name a file, and file names for -F, --tls-ca, --tls-cert, --tls-key,
# --sasl-password-file, decode's input file and produce's FILE arguments. An option already
# given is not offered again unless kpipe takes it repeatedly (-X, -F, -v, -q, -H, --grep, and -t
# or -p where the command takes several), nor decode's other modes once one is given, nor
# produce's -K and -k next to -J (which excludes them). Other option values (brokers, user
# names, durations, sizes, topics, groups, partitions, offsets, delimiters, formats) get no
# completion at all, never file names.
#
# After produce and consume, --format is the command's own -f (a record layout), not the
# global text|json: kpipe gives it to the command, so only a --format before the command is
# the global one.

# Commands kpipe implements.
_kpipe_commands="metadata decode produce consume offsets groups"
_kpipe_offsets_commands="list get commit"
_kpipe_groups_commands="list describe reset delete delete-offsets wait"

_kpipe_global_options="-b --brokers -X --property -F --config --profile --show-config --timeout
  --format -v --verbose -q --quiet --tls --tls-ca --tls-cert --tls-key --tls-insecure
  --sasl-mechanism --sasl-user --sasl-password-file -h --help --version"

# Properties -X completes: those kpipe acts on, as in src/lib/config/known_properties.cpp (the
# librdkafka and Java names it accepts and ignores are left out). A name kpipe does not know is
# a usage error.
_kpipe_properties="bootstrap.servers metadata.broker.list client.id security.protocol
  sasl.mechanism sasl.mechanisms sasl.username sasl.password sasl.password.file sasl.jaas.config
  sasl.oauthbearer.method sasl.oauthbearer.token sasl.oauthbearer.token.file
  sasl.oauthbearer.client.id sasl.oauthbearer.client.credentials.client.id
  sasl.oauthbearer.client.secret sasl.oauthbearer.client.credentials.client.secret
  sasl.oauthbearer.client.secret.file sasl.oauthbearer.scope sasl.oauthbearer.token.endpoint.url
  sasl.oauthbearer.config sasl.oauthbearer.extensions enable.sasl.oauthbearer.unsecure.jwt
  ssl.ca.location ssl.ca.pem ssl.certificate.location ssl.certificate.pem ssl.key.location
  ssl.key.pem ssl.key.password ssl.keystore.location ssl.keystore.password ssl.keystore.type
  ssl.keystore.certificate.chain ssl.keystore.key ssl.truststore.location
  ssl.truststore.password ssl.truststore.type ssl.truststore.certificates
  ssl.endpoint.identification.algorithm enable.ssl.certificate.verification
  linger.ms queue.buffering.max.ms batch.size batch.num.messages buffer.memory compression.type
  compression.codec compression.level acks request.required.acks enable.idempotence
  transactional.id transaction.timeout.ms retries message.send.max.retries retry.backoff.ms
  delivery.timeout.ms message.timeout.ms request.timeout.ms max.in.flight.requests.per.connection
  max.in.flight partitioner session.timeout.ms isolation.level check.crcs group.protocol
  group.remote.assignor"

# Options, of any command, that take a value as the next argument. (No option is a flag in one
# command and takes a value in another.)
_kpipe_value_options="-b --brokers -X --property -F --config --profile --timeout --format --tls-ca
  --tls-cert --tls-key --sasl-mechanism --sasl-user --sasl-password-file -t --topic --input --api-key
  --api-version -D --delimiter -K --key-delimiter -k --key -H --header -p --partition
  --partitioner -z --compression --acks --transactional-id --batch-bytes --batch-records
  --linger --max-inflight --rate -f --on-error -G --group --group-protocol --assignor
  --instance-id --commit --pcap --port --api --log-segment --internal-topic --max-frame
  -o --offset -c --count --key-encoding --value-encoding --isolation --grep --time --state
  --type --to --max-lag --interval"

# Prints the options of command $1 (without the global ones); the subcommand of offsets or
# groups is $2.
_kpipe_command_options() {
  case $1 in
    metadata) echo "-t --topic --api-versions" ;;
    decode) echo "--input --frames --request --response --record-batch --api-key --api-version
      --pretty --list-apis --pcap --port --api --records --log-segment --summary --verify-index
      --keep-going --internal --internal-topic --max-frame" ;;
    produce) echo "-t --topic -D --delimiter -K --key-delimiter -k --key -H --header -Z
      --null-empty -l --lines -J --json -p --partition --partitioner -z --compression --acks
      --no-idempotence --transactional-id --batch-bytes --batch-records --linger --max-inflight
      --rate --dry-run -T --tee -f --format --stats --on-error" ;;
    consume) echo "-t --topic -G --group --group-protocol --assignor --instance-id --commit -p
      --partition -o
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
    groups)
      case $2 in
        list) echo "--state --type" ;;
        describe) echo "--all" ;;
        reset) echo "-t --topic --all-topics --to --execute" ;;
        delete-offsets) echo "-t --topic" ;;
        wait) echo "--max-lag -t --topic --interval" ;;
        *) ;; # delete, and before the subcommand: only the global options
      esac
      ;;
  esac
}

# Sets long_name (the caller's local) to the long name of option $1, or to $1 itself when it
# has no short form or is long already. No subshell: it runs for every option and word.
_kpipe_long_name() {
  case $1 in
    -b) long_name=--brokers ;; -X) long_name=--property ;; -F) long_name=--config ;;
    -v) long_name=--verbose ;; -q) long_name=--quiet ;; -h) long_name=--help ;;
    -t) long_name=--topic ;;
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
    --property | --config | --verbose | --quiet | --header | --grep) return 0 ;;
    --topic) [[ $2 == metadata || $2 == consume || ($2 == groups && $3 != wait) ]] ;;
    --state | --type) [[ $2 == groups ]] ;;
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

# Fills COMPREPLY with file names (directories too, to descend into) matching $1, each prefixed
# with $2. Without a prefix readline is told they are file names, so that it appends '/' to a
# directory and quotes what needs quoting; with one ("--config=" typed as one word) it cannot be.
_kpipe_files() {
  local f
  COMPREPLY=()
  if [[ -z $2 ]]; then
    compopt -o filenames 2>/dev/null || : # fails outside a completion (tests)
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
  else
    while IFS= read -r f; do COMPREPLY+=("$2$f"); done < <(compgen -f -- "$1")
  fi
}

# Prints the profile names, the [NAME] (or [profile NAME]) section headers, of the config files
# kpipe would read: each -F/--config given on the line, else $KPIPE_CONFIG, else
# ${XDG_CONFIG_HOME:-$HOME/.config}/kpipe/config. Reads the files with bash alone (no
# subprocess); a file that cannot be read gives nothing.
_kpipe_profiles() {
  local -a files=()
  local i word next line name seen=" "
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      -F | --config)
        next=${COMP_WORDS[i + 1]}
        if [[ $next == "=" ]]; then
          ((i++))
          next=${COMP_WORDS[i + 1]}
        fi
        ((i + 1 < COMP_CWORD)) && files+=("$next")
        ((i++))
        ;;
      --config=?*) files+=("${word#--config=}") ;;
      -F?*) files+=("${word#-F}") ;;
    esac
  done
  if ((${#files[@]} == 0)); then
    if [[ -n ${KPIPE_CONFIG-} ]]; then
      files=("$KPIPE_CONFIG")
    elif [[ -n ${XDG_CONFIG_HOME-} ]]; then
      files=("$XDG_CONFIG_HOME/kpipe/config")
    elif [[ -n ${HOME-} ]]; then
      files=("$HOME/.config/kpipe/config")
    fi
  fi
  local header='^[[:space:]]*\[[[:space:]]*([^]]*[^][:space:]])[[:space:]]*\][[:space:]]*$'
  for word in "${files[@]}"; do
    # shellcheck disable=SC2088 # a "~/" typed on the line: the shell has not expanded it yet
    [[ $word == "~/"* ]] && word=$HOME/${word#"~/"}
    [[ -f $word && -r $word ]] || continue
    while IFS= read -r line || [[ -n $line ]]; do
      if [[ $line =~ $header ]]; then
        name=${BASH_REMATCH[1]}
        [[ $name =~ ^profile[[:space:]]+(.+)$ ]] && name=${BASH_REMATCH[1]} # [profile NAME]
        [[ $seen == *" $name "* ]] && continue # a section may be opened again
        seen+="$name "
        echo "$name"
      fi
    done <"$word"
  done
}

# Fills COMPREPLY with what -X's argument $1 completes to, each prefixed with $2. Before '=':
# the property names, with '=' appended and no space after; after it ($1 is then NAME=VALUE):
# the values of properties that take a word from a fixed set or name a file. With '=' in
# COMP_WORDBREAKS the value arrives on its own: then _kpipe_property_value is called directly.
_kpipe_property_argument() {
  local n
  COMPREPLY=()
  if [[ $1 == *=* ]]; then
    _kpipe_property_value "${1%%=*}" "${1#*=}" "$2${1%%=*}="
    return
  fi
  for n in $(compgen -W "$_kpipe_properties" -- "$1"); do
    COMPREPLY+=("$2$n=")
  done
  compopt -o nospace 2>/dev/null || : # fails outside a completion (tests)
}

# Fills COMPREPLY with the values of property $1 matching $2, each prefixed with $3.
_kpipe_property_value() {
  local values="" v
  COMPREPLY=()
  case $1 in
    security.protocol) values="PLAINTEXT SSL SASL_PLAINTEXT SASL_SSL" ;;
    sasl.mechanism | sasl.mechanisms) values="PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER" ;;
    sasl.oauthbearer.method) values="default oidc" ;;
    ssl.endpoint.identification.algorithm) values="https none" ;;
    enable.ssl.certificate.verification | enable.idempotence | check.crcs | \
      enable.sasl.oauthbearer.unsecure.jwt) values="true false" ;;
    isolation.level) values="read_committed read_uncommitted" ;;
    group.protocol) values="classic consumer" ;;
    group.remote.assignor) values="uniform range" ;;
    ssl.truststore.type) values="PEM PKCS12" ;;
    ssl.keystore.type) values="PKCS12 PEM" ;;
    compression.type | compression.codec) values="none gzip snappy lz4 zstd" ;;
    acks | request.required.acks) values="all 1 0" ;;
    partitioner) values="murmur2 random roundrobin" ;;
    *.location | *.file)
      _kpipe_files "$2" "$3"
      return
      ;;
  esac
  for v in $(compgen -W "$values" -- "$2"); do
    COMPREPLY+=("$3$v")
  done
}

# True when word $1 is -X or --property (or the "=" after "--property"), so that the word after
# it is a property NAME.
_kpipe_property_option_at() {
  (($1 > 0)) || return 1
  case ${COMP_WORDS[$1]} in
    -X | --property) return 0 ;;
    =) (($1 > 1)) && [[ ${COMP_WORDS[$1 - 1]} == --property ]] ;;
    *) return 1 ;;
  esac
}

# Fills COMPREPLY with the values of option $1 matching $2, each prefixed with $3. $4 is the
# command the option belongs to ("" for a global option before the command), $5 offsets'
# subcommand.
_kpipe_option_values() {
  local values="" v
  case $1 in
    --format) [[ $4 == produce || $4 == consume ]] || values="text json" ;; # else a layout
    -F | --config | --tls-ca | --tls-cert | --tls-key | --sasl-password-file | --pcap | --log-segment)
      _kpipe_files "$2" "$3"
      return
      ;;
    -X | --property)
      _kpipe_property_argument "$2" "$3"
      return
      ;;
    --profile)
      local IFS=$'\n'
      values=$(_kpipe_profiles)
      ;;
    --sasl-mechanism) values="PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER" ;;
    --input) values="raw hex base64" ;;
    --internal-topic) values="consumer-offsets transaction-state none" ;;
    -z | --compression) values="none gzip snappy lz4 zstd" ;;
    --acks) values="all 1 0" ;;
    --partitioner) values="murmur2 random roundrobin" ;;
    --on-error) values="stop skip" ;;
    --isolation) values="read-committed read-uncommitted" ;;
    --group-protocol) values="classic consumer" ;;
    --assignor)
      # The broker's assignors for KIP-848 groups, the members' own for classic ones.
      values="range roundrobin cooperative-sticky"
      local w prev_w=""
      for w in "${COMP_WORDS[@]}"; do
        if [[ ($prev_w == --group-protocol && $w == consumer) || $w == --group-protocol=consumer ||
          $w == group.protocol=consumer || $w == -Xgroup.protocol=consumer ]]; then
          values="uniform range"
        fi
        prev_w=$w
      done
      ;;
    --commit) values="after-write on-exit interval: none" ;;
    --key-encoding | --value-encoding) values="text hex base64 json auto" ;;
    -o | --offset) [[ $4 == consume ]] && values="beginning end stored" ;;
    --time) values="earliest latest max-timestamp" ;;
    --state) values="Empty Stable PreparingRebalance CompletingRebalance Assigning Reconciling Dead" ;;
    --type) values="classic consumer share" ;;
    --to) values="earliest latest current offset: shift: time: ago: file:" ;;
  esac
  COMPREPLY=()
  for v in $(compgen -W "$values" -- "$2"); do
    COMPREPLY+=("$3$v")
  done
  # "interval:", "offset:" and the like are followed by a value typed right after them.
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
      [[ ($command == offsets || $command == groups) && $positionals == 0 ]] && subcommand=$word
      positionals=$((positionals + 1))
    fi
  done

  # The value of an option. With '=' in COMP_WORDBREAKS (bash's default) "--format=js" arrives
  # as "--format" "=" "js", and readline replaces only the text after '='; without it, as one
  # word that is replaced whole. Which command the option belongs to depends on where it is:
  # before the command, only global options are accepted.
  # -X's "NAME=VALUE" arrives as "NAME" "=" "VALUE" in the same way: the value of a property.
  if [[ $cur == "=" ]] && _kpipe_property_option_at $((COMP_CWORD - 2)); then
    _kpipe_property_value "$prev" "" ""
    return 0
  elif [[ $prev == "=" ]] && _kpipe_property_option_at $((COMP_CWORD - 3)); then
    _kpipe_property_value "$before" "$cur" ""
    return 0
  fi
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
  # produce's FILE arguments, any number of them. (The other file names are option values.)
  if [[ $cur != -* ]] && [[ ($command == decode && $positionals == 0) || $command == produce ]]; then
    _kpipe_files "$cur" ""
    return 0
  fi

  # The subcommand of offsets or groups, until it is given.
  if [[ $command == offsets && -z $subcommand && $cur != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_kpipe_offsets_commands" -- "$cur")
    return 0
  fi
  if [[ $command == groups && -z $subcommand && $cur != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_kpipe_groups_commands" -- "$cur")
    return 0
  fi

  # After the command: its options and the global ones; an empty word lists them too where no
  # positional argument is expected. After produce and consume, --format is the command's.
  local globals=$_kpipe_global_options
  [[ $command == produce || $command == consume ]] && globals=${globals/--format /}
  options=$(_kpipe_command_options "$command" "$subcommand")
  [[ -n $options || $command == offsets || $command == groups ]] || return 0 # unknown: nothing
  options=$(_kpipe_unused_options "$options $globals" "$command" "$subcommand" "$at")
  mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  return 0
}

complete -F _kpipe kpipe
