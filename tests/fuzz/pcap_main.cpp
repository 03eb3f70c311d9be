// libFuzzer entry point for pcap reading and Kafka conversation decoding (KPIPE_FUZZ).
#include "capture_fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kpipe::fuzz::decode_pcap(data, size);
  return 0;
}
