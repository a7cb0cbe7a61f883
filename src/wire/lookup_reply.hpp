#pragma once

// Inner lookup reply (0x13), root → node. docs/protocol.md §6.6.
//
//   0  1  type 0x13
//   1  1  status      0 found, 1 not found
//   2  2  reserved    zero
//   4  4  request_id  u32, from the lookup
//   8  …  found:      PeerRecord (address, keys, observed endpoints)
//         not found:  5-byte NodeId that was looked up
//
// A reply is only a hint: the node checks that the keys derive the address
// (crypto/address_derivation.hpp) before it uses them, so a lying root can make
// a lookup fail but cannot bind an address to a key of its choosing.

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"
#include "wire/peer_record.hpp"

namespace weft::wire {

class LookupReplyView {
 public:
  static constexpr std::size_t kStatus = 1;
  static constexpr std::size_t kRequestId = 4;
  static constexpr std::size_t kBody = 8;
  static constexpr std::uint8_t kFound = 0;
  static constexpr std::uint8_t kNotFound = 1;

  static Result<LookupReplyView> parse(ByteSpan plaintext);
  [[nodiscard]] std::uint32_t request_id() const noexcept {
    return load_be32(field<kRequestId, 4>(b_));
  }
  [[nodiscard]] NodeId address() const noexcept { return address_; }
  // Set when the status is "found".
  [[nodiscard]] const std::optional<PeerRecord>& record() const noexcept { return record_; }

 private:
  LookupReplyView(ByteSpan b, NodeId a, std::optional<PeerRecord> r)
      : b_(b), address_(a), record_(std::move(r)) {}
  ByteSpan b_;
  NodeId address_;
  std::optional<PeerRecord> record_;
};

struct LookupReply {
  std::uint32_t request_id{0};
  NodeId address;                    // what was looked up (== record->address if found)
  std::optional<PeerRecord> record;  // empty: not found

  static Result<LookupReply> parse(ByteSpan plaintext);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return LookupReplyView::kBody + (record ? record->buffer_len() : NodeId::kSize);
  }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const LookupReply&) const = default;
};

}  // namespace weft::wire
