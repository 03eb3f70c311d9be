// libFuzzer entry point for TCP reassembly and Kafka frame resync (KPIPE_FUZZ).
#include "capture_fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpipe::fuzz::reassemble_tcp(data, size);
  return 0;
}
