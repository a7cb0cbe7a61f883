#pragma once

// Relayed packet (type 5): a node asks a root to forward a VL1 packet it cannot
// send directly; the root forwards the same bytes to the destination. The payload
// is a complete initiation, response, cookie reply or data message, already
// protected end to end: the root reads only this header. docs/protocol.md §7.
//
//   0   4  header (version 1, type 5, reserved 0)
//   4   5  destination  NodeId
//   9   5  source       NodeId (the root forwards only if it matches the sender's
//                       registration at the datagram's source endpoint)
//  14   2  reserved     zero
//  16   n  payload      a VL1 message of type 1-4 (never another relay), n >= 4

#include <cstdint>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"
#include "wire/header.hpp"

namespace weft::wire {

class RelayView {
 public:
  static constexpr std::size_t kDestination = 4;
  static constexpr std::size_t kSource = 9;
  static constexpr std::size_t kReserved = 14;
  static constexpr std::size_t kHeaderSize = 16;

  // Error::truncated, Error::malformed (reserved ids, non-zero reserved, a payload
  // that is not a VL1 message of type 1-4), header errors as Header::parse.
  static Result<RelayView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] NodeId destination() const noexcept { return destination_; }
  [[nodiscard]] NodeId source() const noexcept { return source_; }
  [[nodiscard]] MessageType payload_type() const noexcept { return payload_type_; }
  [[nodiscard]] ByteSpan payload() const noexcept { return b_.subspan(kHeaderSize); }

 private:
  RelayView(ByteSpan b, NodeId dst, NodeId src, MessageType t)
      : b_(b), destination_(dst), source_(src), payload_type_(t) {}
  ByteSpan b_;
  NodeId destination_;
  NodeId source_;
  MessageType payload_type_;
};

// The relay header; the payload follows it.
struct RelayHeader {
  NodeId destination;
  NodeId source;

  static Result<RelayHeader> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return RelayView::kHeaderSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const RelayHeader&) const = default;
};

}  // namespace weft::wire
