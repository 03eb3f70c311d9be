// libFuzzer entry point for the record batch and legacy message set readers: clang++
// -fsanitize=fuzzer,address (KPIPE_FUZZ).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpipe::fuzz::decode_record_batches(data, size);
  return 0;
}
