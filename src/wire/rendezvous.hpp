#pragma once

// Inner rendezvous (0x14), root → node: "this peer wants to reach you; here are
// its keys and the endpoints it was seen at; send to them now". The root sends
// one to each side at once so both NATs open a mapping. docs/protocol.md §6.7.
//
//   0  1  type 0x14
//   1  3  reserved  zero
//   4  …  record    PeerRecord of the other side; nothing follows

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/peer_record.hpp"

namespace weft::wire {

class RendezvousView {
 public:
  static constexpr std::size_t kRecord = 4;

  static Result<RendezvousView> parse(ByteSpan plaintext);
  [[nodiscard]] const PeerRecord& record() const noexcept { return record_; }

 private:
  explicit RendezvousView(PeerRecord r) : record_(std::move(r)) {}
  PeerRecord record_;
};

struct Rendezvous {
  PeerRecord record;

  static Result<Rendezvous> parse(ByteSpan plaintext);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return RendezvousView::kRecord + record.buffer_len();
  }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Rendezvous&) const = default;
};

}  // namespace weft::wire
