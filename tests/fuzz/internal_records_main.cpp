// libFuzzer entry point for the decoder of Kafka's internal topics' records (__consumer_offsets,
// __transaction_state): clang++ -fsanitize=fuzzer,address (KPIPE_FUZZ).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpipe::fuzz::decode_internal_records(data, size);
  return 0;
}
