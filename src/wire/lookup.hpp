#pragma once

// Inner lookup (0x12), node → root: "who is this address?" (ZeroTier's WHOIS).
// docs/protocol.md §6.5.
//
//   0  1  type 0x12
//   1  3  reserved    zero
//   4  4  request_id  u32, echoed in the reply
//   8  5  address     NodeId looked up

#include <cstdint>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class LookupView {
 public:
  static constexpr std::size_t kRequestId = 4;
  static constexpr std::size_t kAddress = 8;
  static constexpr std::size_t kSize = 13;

  static Result<LookupView> parse(ByteSpan plaintext) noexcept;
  [[nodiscard]] std::uint32_t request_id() const noexcept {
    return load_be32(field<kRequestId, 4>(b_));
  }
  [[nodiscard]] NodeId address() const noexcept { return address_; }

 private:
  LookupView(ByteSpan b, NodeId a) : b_(b), address_(a) {}
  ByteSpan b_;
  NodeId address_;
};

struct Lookup {
  std::uint32_t request_id{0};
  NodeId address;

  static Result<Lookup> parse(ByteSpan plaintext) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return LookupView::kSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Lookup&) const = default;
};

}  // namespace weft::wire
