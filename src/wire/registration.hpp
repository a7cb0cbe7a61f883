#pragma once

// Inner registration (0x10), node → root, inside a session with the root: "I am
// this address, these are my keys and my local endpoints", signed with the
// node's Ed25519 key so that the record stands on its own (a root can show it to
// another root, and nobody can register somebody else's address). docs/protocol.md §6.3.
//
//   0   1  type 0x10
//   1   3  reserved   zero
//   4   8  timestamp  u64, nanoseconds since the Unix epoch; strictly increasing
//  12   r  record     PeerRecord (wire/peer_record.hpp), the node's own
//  12+r 64 signature  Ed25519 over kRegistrationContext ‖ bytes [0, 12 + r)

#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"
#include "wire/peer_record.hpp"

namespace weft::wire {

// Prefixed to the signed bytes so that a registration signature can never be
// mistaken for a signature over anything else.
inline constexpr std::string_view kRegistrationContext = "weft.vl1.register.v1";

class RegistrationView {
 public:
  static constexpr std::size_t kTimestamp = 4;
  static constexpr std::size_t kRecord = 12;
  static constexpr std::size_t kSignatureSize = 64;

  static Result<RegistrationView> parse(ByteSpan plaintext);

  [[nodiscard]] std::uint64_t timestamp() const noexcept {
    return load_be64(field<kTimestamp, 8>(b_));
  }
  [[nodiscard]] const PeerRecord& record() const noexcept { return record_; }
  [[nodiscard]] std::span<const std::byte, kSignatureSize> signature() const noexcept {
    return b_.last<kSignatureSize>();
  }
  // The bytes the signature covers, after the context string.
  [[nodiscard]] ByteSpan signed_part() const noexcept {
    return b_.first(b_.size() - kSignatureSize);
  }

 private:
  RegistrationView(ByteSpan b, PeerRecord r) : b_(b), record_(std::move(r)) {}
  ByteSpan b_;
  PeerRecord record_;
};

struct Registration {
  std::uint64_t timestamp{0};
  PeerRecord record;
  ByteArray<64> signature{};

  static Result<Registration> parse(ByteSpan plaintext);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return RegistrationView::kRecord + record.buffer_len() + RegistrationView::kSignatureSize;
  }
  void emit(MutableByteSpan out) const noexcept;
  // kRegistrationContext ‖ the emitted bytes before the signature: what is signed.
  [[nodiscard]] Bytes signing_input() const;

  bool operator==(const Registration&) const = default;
};

}  // namespace weft::wire
