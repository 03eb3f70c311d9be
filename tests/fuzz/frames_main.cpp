// libFuzzer entry point for the frame decoder: clang++ -fsanitize=fuzzer,address (KPIPE_FUZZ).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpipe::fuzz::decode_frames(data, size);
  return 0;
}
