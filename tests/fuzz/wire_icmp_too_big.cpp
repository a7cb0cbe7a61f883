// ICMP "too big" answers on any frame head and MTU: answer or not, never read
// outside the frame nor write outside the answer, and an answer is a whole
// frame whose IP length agrees with the length returned.
#include <cstdint>
#include <vector>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "wire/icmp_too_big.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weft;  // NOLINT(google-build-using-namespace)
  if (size < 2) return 0;
  // The first two bytes choose the MTU (the rest is the frame).
  const std::size_t mtu = static_cast<std::size_t>(data[0] << 8 | data[1]);
  std::vector<std::uint8_t> out(wire::kTooBigReplyMax);
  const std::size_t n = wire::too_big_reply(as_bytes(data + 2, size - 2), mtu,
                                            as_writable_bytes(out.data(), out.size()));
  WEFT_CHECK(n <= out.size());
  if (n == 0) return 0;
  WEFT_CHECK(n >= 14 + 28);
  const std::size_t ip_len = static_cast<std::size_t>(
      out[12] == 0x08 ? (out[16] << 8 | out[17]) : 40 + (out[18] << 8 | out[19]));
  WEFT_CHECK(14 + ip_len == n);
  return 0;
}
