# fish completion for kpipe
#
# Install as ~/.config/fish/completions/kpipe.fish (or in a directory of $fish_complete_path).
#
# Completes the commands, the subcommands of offsets and groups, the global options anywhere
# on the line, each command's own options after it, the values of options that take a word
# from a fixed set, --profile's names (the [NAME] sections of the -F files on the line, else of
# $KPIPE_CONFIG, else of ${XDG_CONFIG_HOME:-~/.config}/kpipe/config), -X's property names and,
# after "NAME=", the values of those with a fixed set, and file names only where kpipe takes a
# file (-F, --tls-ca, --tls-cert, --tls-key, --sasl-password-file, decode's input, produce's
# FILE arguments, groups reset --to file:PATH). After produce and consume, --format is the
# command's own -f (a record layout), not the global text|json.

# Options, of any command, that take a value as the next word: their values are neither the
# command nor a subcommand.
set -g __kpipe_value_options -b --brokers -X --property -F --config --profile --timeout \
    --format --tls-ca --tls-cert --tls-key --sasl-mechanism --sasl-user --sasl-password-file \
    -t --topic --input --api-key --api-version -D --delimiter -K --key-delimiter -k --key \
    -H --header -p --partition --partitioner -z --compression --acks --transactional-id \
    --batch-bytes --batch-records --linger --max-inflight --rate -f --on-error -G --group \
    --group-protocol --assignor --instance-id --commit -o --offset -c --count --key-encoding \
    --value-encoding --isolation --grep --time --state --type --to --max-lag --interval

# Properties -X completes: those kpipe acts on (src/lib/config/known_properties.cpp).
set -g __kpipe_properties bootstrap.servers metadata.broker.list client.id security.protocol \
    sasl.mechanism sasl.mechanisms sasl.username sasl.password sasl.password.file \
    sasl.jaas.config sasl.oauthbearer.method sasl.oauthbearer.token sasl.oauthbearer.token.file \
    sasl.oauthbearer.client.id sasl.oauthbearer.client.credentials.client.id \
    sasl.oauthbearer.client.secret sasl.oauthbearer.client.credentials.client.secret \
    sasl.oauthbearer.client.secret.file sasl.oauthbearer.scope \
    sasl.oauthbearer.token.endpoint.url sasl.oauthbearer.config sasl.oauthbearer.extensions \
    enable.sasl.oauthbearer.unsecure.jwt ssl.ca.location ssl.ca.pem ssl.certificate.location \
    ssl.certificate.pem ssl.key.location ssl.key.pem ssl.key.password ssl.keystore.location \
    ssl.keystore.password ssl.keystore.type ssl.keystore.certificate.chain ssl.keystore.key \
    ssl.truststore.location ssl.truststore.password ssl.truststore.type \
    ssl.truststore.certificates ssl.endpoint.identification.algorithm \
    enable.ssl.certificate.verification linger.ms queue.buffering.max.ms batch.size \
    batch.num.messages buffer.memory compression.type compression.codec compression.level acks \
    request.required.acks enable.idempotence transactional.id transaction.timeout.ms retries \
    message.send.max.retries retry.backoff.ms delivery.timeout.ms message.timeout.ms \
    request.timeout.ms max.in.flight.requests.per.connection max.in.flight partitioner \
    session.timeout.ms isolation.level check.crcs group.protocol group.remote.assignor

# Prints the command and, for offsets and groups, the subcommand: the first words on the line
# that are neither options nor option values.
function __kpipe_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l found
    set -l skip 0
    for token in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        if contains -- $token $__kpipe_value_options
            set skip 1
            continue
        end
        string match -q -- '-*' $token; and continue
        set -a found $token
        test (count $found) -ge 2; and break
    end
    # printf with no arguments would still print an empty line.
    test (count $found) -gt 0; and printf '%s\n' $found
end

function __kpipe_needs_command
    test (count (__kpipe_words)) -eq 0
end

# __kpipe_using COMMAND [SUBCOMMAND]: the line is at that command (and subcommand).
function __kpipe_using
    set -l words (__kpipe_words)
    test "$words[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; and return 0
    test "$words[2]" = "$argv[2]"
end

# __kpipe_needs_subcommand COMMAND: at offsets or groups, before its subcommand.
function __kpipe_needs_subcommand
    set -l words (__kpipe_words)
    test "$words[1]" = "$argv[1]" -a (count $words) -eq 1
end

# The global --format is text|json, except after produce and consume, where it is theirs.
function __kpipe_global_format
    not __kpipe_using produce; and not __kpipe_using consume
end

# -X's argument: property names followed by '=', then after "NAME=" its values.
function __kpipe_property_argument
    set -l current (commandline -ct)
    set current (string replace -r -- '^(-X|--property=)' '' $current)
    if not string match -q -- '*=*' $current
        printf '%s=\n' $__kpipe_properties
        return
    end
    set -l name (string split -m 1 = -- $current)[1]
    set -l values
    switch $name
        case security.protocol
            set values PLAINTEXT SSL SASL_PLAINTEXT SASL_SSL
        case sasl.mechanism sasl.mechanisms
            set values PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER
        case sasl.oauthbearer.method
            set values default oidc
        case ssl.endpoint.identification.algorithm
            set values https none
        case enable.ssl.certificate.verification enable.idempotence check.crcs \
            enable.sasl.oauthbearer.unsecure.jwt
            set values true false
        case isolation.level
            set values read_committed read_uncommitted
        case group.protocol
            set values classic consumer
        case group.remote.assignor
            set values uniform range
        case ssl.truststore.type
            set values PEM PKCS12
        case ssl.keystore.type
            set values PKCS12 PEM
        case compression.type compression.codec
            set values none gzip snappy lz4 zstd
        case acks request.required.acks
            set values all 1 0
        case partitioner
            set values murmur2 random roundrobin
        case '*.location' '*.file'
            set -l prefix (string split -m 1 = -- $current)[2]
            for file in (__fish_complete_path $prefix)
                printf '%s=%s\n' $name $file
            end
            return
    end
    printf "$name=%s\n" $values
end

# --profile: the [NAME] (or [profile NAME]) sections of the config files kpipe would read.
function __kpipe_profiles
    set -l tokens (commandline -opc)
    set -l files
    set -l next 0
    for token in $tokens
        if test $next -eq 1
            set -a files $token
            set next 0
            continue
        end
        switch $token
            case -F --config
                set next 1
            case '--config=?*'
                set -a files (string replace -- '--config=' '' $token)
            case '-F?*'
                set -a files (string sub -s 3 -- $token)
        end
    end
    if test (count $files) -eq 0
        if set -q KPIPE_CONFIG; and test -n "$KPIPE_CONFIG"
            set files $KPIPE_CONFIG
        else if set -q XDG_CONFIG_HOME; and test -n "$XDG_CONFIG_HOME"
            set files $XDG_CONFIG_HOME/kpipe/config
        else
            set files $HOME/.config/kpipe/config
        end
    end
    set -l seen
    for file in $files
        set file (string replace -r -- '^~/' "$HOME/" $file)
        test -f $file -a -r $file; or continue
        for name in (string match -r -g -- '^\s*\[\s*([^]]*[^]\s])\s*\]\s*$' <$file)
            set name (string replace -r -- '^profile\s+' '' $name)
            contains -- $name $seen; and continue
            set -a seen $name
            echo $name
        end
    end
end

# groups reset --to: the targets, and file names after file:.
function __kpipe_reset_targets
    set -l current (commandline -ct)
    set current (string replace -r -- '^--to=' '' $current)
    if string match -q -- 'file:*' $current
        for file in (__fish_complete_path (string sub -s 6 -- $current))
            echo file:$file
        end
        return
    end
    printf '%s\n' earliest\t'the log start' latest\t'the log end' \
        current\t'the committed offset' offset:\t'offset:N' shift:\t'shift:+N or shift:-N' \
        time:\t'time:TIME (epoch ms, ISO 8601, -1h)' ago:\t'ago:DURATION' file:\t'file:PATH'
end

complete -c kpipe -f

# ---- global options (before or after the command) -----------------------------------------
complete -c kpipe -s b -l brokers -x -d 'Bootstrap brokers HOST:PORT,... (env KPIPE_BROKERS)'
complete -c kpipe -s X -l property -x -a '(__kpipe_property_argument)' -d 'Client property KEY=VALUE'
complete -c kpipe -s F -l config -r -F -d 'Properties file (Java or kcat syntax)'
complete -c kpipe -l profile -x -a '(__kpipe_profiles)' -d 'Profile: a [NAME] section of the config'
complete -c kpipe -l show-config -d 'Print the effective settings and their sources'
complete -c kpipe -l timeout -x -d 'Deadline per request (500ms, 10s, 2m)'
complete -c kpipe -n __kpipe_global_format -l format -x -a 'text json' -d 'Output format'
complete -c kpipe -s v -l verbose -d 'More detail on stderr'
complete -c kpipe -s q -l quiet -d 'Less on stderr'
complete -c kpipe -l tls -d 'Speak TLS to the brokers'
complete -c kpipe -l tls-ca -r -F -d 'CA certificates to trust (PEM file or directory)'
complete -c kpipe -l tls-cert -r -F -d 'Client certificate (PEM) for mTLS'
complete -c kpipe -l tls-key -r -F -d 'Client key (PEM) for mTLS'
complete -c kpipe -l tls-insecure -d "Do not verify the brokers' certificates"
complete -c kpipe -l sasl-mechanism -x -a 'PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER' -d 'SASL mechanism'
complete -c kpipe -l sasl-user -x -d 'SASL user name'
complete -c kpipe -l sasl-password-file -r -F -d 'File whose first line is the SASL password'
complete -c kpipe -s h -l help -d 'Print usage and exit'
complete -c kpipe -n __kpipe_needs_command -l version -d 'Print the version and exit'

# ---- commands -------------------------------------------------------------------------------
complete -c kpipe -n __kpipe_needs_command -a metadata -d 'Show brokers, topics and partitions'
complete -c kpipe -n __kpipe_needs_command -a decode -d 'Decode raw Kafka protocol bytes to JSON'
complete -c kpipe -n __kpipe_needs_command -a produce -d 'Produce records from stdin or files'
complete -c kpipe -n __kpipe_needs_command -a consume -d 'Read records of topics to stdout'
complete -c kpipe -n __kpipe_needs_command -a offsets -d 'Partition offsets and committed group offsets'
complete -c kpipe -n __kpipe_needs_command -a groups -d 'Consumer groups: list, describe, reset, delete, wait'

# ---- metadata -------------------------------------------------------------------------------
complete -c kpipe -n '__kpipe_using metadata' -s t -l topic -x -d 'Only these topics'
complete -c kpipe -n '__kpipe_using metadata' -l api-versions -d "Each broker's API versions beside kpipe's"

# ---- decode ---------------------------------------------------------------------------------
set -l decode '__kpipe_using decode'
complete -c kpipe -n $decode -F -d 'Input file (default stdin)'
complete -c kpipe -n $decode -l input -x -a 'raw hex base64' -d 'How the input is written'
complete -c kpipe -n $decode -l frames -d 'Size-prefixed requests and responses (default)'
complete -c kpipe -n $decode -l request -d 'One request frame'
complete -c kpipe -n $decode -l response -d 'One response frame (needs --api-key, --api-version)'
complete -c kpipe -n $decode -l record-batch -d 'Record batches and legacy message sets'
complete -c kpipe -n $decode -l api-key -x -d 'API key of responses without their request'
complete -c kpipe -n $decode -l api-version -x -d 'API version of those responses'
complete -c kpipe -n $decode -l pretty -d 'Indented JSON'
complete -c kpipe -n $decode -l list-apis -d "Print kpipe's API table"
complete -c kpipe -n $decode -l pcap -r -F -d 'Kafka conversations in a pcap/pcapng capture'
complete -c kpipe -n $decode -l port -x -d 'Kafka server port in the capture (repeatable)'
complete -c kpipe -n $decode -l max-frame -x -d 'Largest frame decoded (default 16MiB)'
complete -c kpipe -n $decode -l api -x -d 'Print only these APIs (with --pcap)'
complete -c kpipe -n $decode -l records -d 'Decode record batches in Produce and Fetch'
complete -c kpipe -n $decode -l log-segment -r -F -d 'A broker segment (.log), partition directory or index file'
complete -c kpipe -n $decode -l summary -d 'One line per segment (with --log-segment)'
complete -c kpipe -n $decode -l verify-index -d 'Check the index files against the segment'
complete -c kpipe -n $decode -l keep-going -d 'After a corrupt batch, go on at the next valid one'
complete -c kpipe -n $decode -l internal -d 'Decode __consumer_offsets and __transaction_state records in consume -J lines'
complete -c kpipe -n $decode -l internal-topic -x -a 'consumer-offsets transaction-state none' -d 'Take every record as one of this internal topic'

# ---- produce --------------------------------------------------------------------------------
set -l produce '__kpipe_using produce'
complete -c kpipe -n $produce -F -d 'Input file (default stdin)'
complete -c kpipe -n $produce -s t -l topic -x -d 'Topic to produce to'
complete -c kpipe -n $produce -s D -l delimiter -x -d 'Record delimiter (default newline)'
complete -c kpipe -n $produce -s K -l key-delimiter -x -d 'Split key from value at the first occurrence'
complete -c kpipe -n $produce -s k -l key -x -d 'Fixed key for every record'
complete -c kpipe -n $produce -s H -l header -x -d 'Header K=V on every record (repeatable)'
complete -c kpipe -n $produce -s Z -l null-empty -d 'Send an empty key or value as null'
complete -c kpipe -n $produce -s l -l lines -d 'Split files like stdin, not one record each'
complete -c kpipe -n $produce -s J -l json -d 'Each input line is a JSON envelope'
complete -c kpipe -n $produce -s p -l partition -x -d 'Send every record to this partition'
complete -c kpipe -n $produce -l partitioner -x -a 'murmur2 random roundrobin' -d 'Where records without -p go'
complete -c kpipe -n $produce -s z -l compression -x -a 'none gzip snappy lz4 zstd' -d 'Codec of the batches'
complete -c kpipe -n $produce -l acks -x -a 'all 1 0' -d 'Acknowledgement to wait for'
complete -c kpipe -n $produce -l no-idempotence -d 'Plain producer: a retry may duplicate records'
complete -c kpipe -n $produce -l transactional-id -x -d 'Send the whole input in one transaction'
complete -c kpipe -n $produce -l batch-bytes -x -d 'Largest batch, header included'
complete -c kpipe -n $produce -l batch-records -x -d 'Most records per batch'
complete -c kpipe -n $produce -l linger -x -d 'How long a batch waits to fill'
complete -c kpipe -n $produce -l max-inflight -x -d 'Produce requests in flight per broker'
complete -c kpipe -n $produce -l rate -x -d 'At most this many records per second'
complete -c kpipe -n $produce -l dry-run -d 'Print what would be sent, send nothing'
complete -c kpipe -n $produce -s T -l tee -d 'Print each delivered record'
complete -c kpipe -n $produce -s f -l format -x -d 'Layout of --tee (consume -f tokens)'
complete -c kpipe -n $produce -l stats -d 'Throughput, latency, retries on stderr'
complete -c kpipe -n $produce -l on-error -x -a 'stop skip' -d 'What a bad input record does'

# ---- consume --------------------------------------------------------------------------------
set -l consume '__kpipe_using consume'
complete -c kpipe -n $consume -s t -l topic -x -d 'Topic to read (repeatable)'
complete -c kpipe -n $consume -s G -l group -x -d 'Consume as a member of this group'
complete -c kpipe -n $consume -l group-protocol -x -a 'classic consumer' -d 'classic, or consumer (KIP-848)'
complete -c kpipe -n $consume -l assignor -x -a 'range roundrobin cooperative-sticky uniform' -d 'Partition assignor'
complete -c kpipe -n $consume -l instance-id -x -d 'Static group membership (KIP-345)'
complete -c kpipe -n $consume -l commit -x -a 'after-write on-exit interval: none' -d 'What the group commits, and when'
complete -c kpipe -n $consume -s p -l partition -x -d 'Only these partitions'
complete -c kpipe -n $consume -s o -l offset -x -a 'beginning end stored' -d 'Where to start (N, -N, +N, @TIME, START:END)'
complete -c kpipe -n $consume -s e -l exit -d 'Stop at the end offsets taken at start'
complete -c kpipe -n $consume -s c -l count -x -d 'Stop after this many records'
complete -c kpipe -n $consume -s f -l format -x -d 'Output layout with kcat tokens'
complete -c kpipe -n $consume -s J -l json -d 'One JSON envelope per record'
complete -c kpipe -n $consume -s D -l delimiter -x -d 'After each record (default newline)'
complete -c kpipe -n $consume -s K -l key-delimiter -x -d 'Print the key, this delimiter, then the value'
complete -c kpipe -n $consume -l key-encoding -x -a 'text hex base64 json auto' -d 'Keys in -J output'
complete -c kpipe -n $consume -l value-encoding -x -a 'text hex base64 json auto' -d 'Values in -J output'
complete -c kpipe -n $consume -l isolation -x -a 'read-committed read-uncommitted' -d 'Transactions'
complete -c kpipe -n $consume -l print-control-records -d 'Show transaction markers too'
complete -c kpipe -n $consume -s u -l unbuffered -d 'Write each record at once'
complete -c kpipe -n $consume -l grep -x -d 'Only matching records: k:RE, v:RE, h:NAME=RE'

# ---- offsets --------------------------------------------------------------------------------
complete -c kpipe -n '__kpipe_needs_subcommand offsets' -a list -d 'Earliest and latest offsets per partition'
complete -c kpipe -n '__kpipe_needs_subcommand offsets' -a get -d 'Committed offsets of a group'
complete -c kpipe -n '__kpipe_needs_subcommand offsets' -a commit -d 'Commit an offset for a group'
complete -c kpipe -n '__kpipe_using offsets list; or __kpipe_using offsets get; or __kpipe_using offsets commit' \
    -s t -l topic -x -d Topic
complete -c kpipe -n '__kpipe_using offsets list; or __kpipe_using offsets get; or __kpipe_using offsets commit' \
    -s p -l partition -x -d Partitions
complete -c kpipe -n '__kpipe_using offsets list' -l time -x -a 'earliest latest max-timestamp now' -d 'Instead, the offset for a time'
complete -c kpipe -n '__kpipe_using offsets list' -l isolation -x -a 'read-committed read-uncommitted' -d 'Latest offset'
complete -c kpipe -n '__kpipe_using offsets get; or __kpipe_using offsets commit' -s G -l group -x -d 'Consumer group'
complete -c kpipe -n '__kpipe_using offsets commit' -s o -l offset -x -d 'The next offset the group reads'

# ---- groups ---------------------------------------------------------------------------------
set -l groups_start '__kpipe_needs_subcommand groups'
complete -c kpipe -n $groups_start -a list -d 'Every group with its type and state'
complete -c kpipe -n $groups_start -a describe -d 'Members, committed offsets, lag in records and time'
complete -c kpipe -n $groups_start -a reset -d 'Plan new committed offsets; --execute commits them'
complete -c kpipe -n $groups_start -a delete -d 'Delete groups without members'
complete -c kpipe -n $groups_start -a delete-offsets -d "Delete a group's offsets of some topics"
complete -c kpipe -n $groups_start -a wait -d "Wait until a group's lag is at most --max-lag"
complete -c kpipe -n '__kpipe_using groups list' -l state -x \
    -a 'Empty Stable PreparingRebalance CompletingRebalance Assigning Reconciling Dead' -d 'Only groups in this state'
complete -c kpipe -n '__kpipe_using groups list' -l type -x -a 'classic consumer share' -d 'Only groups of this type'
complete -c kpipe -n '__kpipe_using groups describe' -l all -d 'Every classic and consumer group'
complete -c kpipe -n '__kpipe_using groups reset; or __kpipe_using groups delete-offsets' \
    -s t -l topic -x -d 'TOPIC or TOPIC:PARTITIONS'
complete -c kpipe -n '__kpipe_using groups reset' -l all-topics -d 'Every topic the group has offsets for'
complete -c kpipe -n '__kpipe_using groups reset' -l to -x -a '(__kpipe_reset_targets)' -d 'The new offsets'
complete -c kpipe -n '__kpipe_using groups reset' -l execute -d 'Commit the plan (else nothing changes)'
complete -c kpipe -n '__kpipe_using groups wait' -l max-lag -x -d 'Records the group may still be behind'
complete -c kpipe -n '__kpipe_using groups wait' -s t -l topic -x -d 'Only this topic'
complete -c kpipe -n '__kpipe_using groups wait' -l interval -x -d 'Time between two looks (default 500ms)'
