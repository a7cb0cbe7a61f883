#pragma once

// Inner registration acknowledgement (0x11), root → node: the registration
// was accepted, and this is the endpoint the root saw it come from (what a NAT
// maps the node to). docs/protocol.md §6.4.
//
//   0  1  type 0x11
//   1  3  reserved   zero
//   4  8  timestamp  u64, echoes the registration's
//  12  e  observed   Endpoint (7 or 19 bytes); nothing follows

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/endpoint.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class RegistrationAckView {
 public:
  static constexpr std::size_t kTimestamp = 4;
  static constexpr std::size_t kObserved = 12;

  static Result<RegistrationAckView> parse(ByteSpan plaintext) noexcept;
  [[nodiscard]] std::uint64_t timestamp() const noexcept {
    return load_be64(field<kTimestamp, 8>(b_));
  }
  [[nodiscard]] const Endpoint& observed() const noexcept { return observed_; }

 private:
  RegistrationAckView(ByteSpan b, Endpoint e) : b_(b), observed_(e) {}
  ByteSpan b_;
  Endpoint observed_;
};

struct RegistrationAck {
  std::uint64_t timestamp{0};
  Endpoint observed;

  static Result<RegistrationAck> parse(ByteSpan plaintext) noexcept;
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return RegistrationAckView::kObserved + observed.buffer_len();
  }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const RegistrationAck&) const = default;
};

}  // namespace weft::wire
