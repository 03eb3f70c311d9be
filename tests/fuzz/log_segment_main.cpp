// libFuzzer entry point for the log segment and index readers: clang++
// -fsanitize=fuzzer,address (KPIPE_FUZZ).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpipe::fuzz::decode_log_segment(data, size);
  return 0;
}
