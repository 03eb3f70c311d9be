#pragma once
// The version of each API that the client layer sends. Per API it is the highest version that
// both kpipe's protocol table and the broker support (net::connection::version_for), except
// where the client code stops lower because a newer version changes shape in a way it does not
// speak; those caps live with the code that writes the requests, and are gathered here for
// whoever reports versions (`kpipe metadata --api-versions`).

#include <cstdint>

namespace kpipe::client {

// What the client sends of `api_key` to a broker whose highest common version with kpipe is
// `negotiated`. Produce v13 and Fetch v13+ name topics by id: without a topic id (Metadata
// before v10, KIP-516) the producer and the fetcher send v12 at most, which any broker that
// supports those versions does not make them do (it has topic ids since Kafka 2.8).
std::int16_t sent_version(std::int16_t api_key, std::int16_t negotiated);

}  // namespace kpipe::client
