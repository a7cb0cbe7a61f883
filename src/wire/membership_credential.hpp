#pragma once

// A membership credential (VL2): the network's controller states that a node,
// bound to its full public keys, is a member of a network as of a time. Members
// show their credential to each other before either accepts a frame.
//
//   0   1  version      1
//   1   8  network      NetworkId
//   9   5  member       NodeId
//  14  32  member_key   the member's key fingerprint (PublicIdentity::fingerprint)
//  46   8  issued_ms    u64, controller clock, milliseconds since the Unix epoch
//  54   8  max_delta_ms u64, how far apart two members' issued_ms may be
//  62   8  revision     u64, the controller's revision of this network
//  70  64  signature    Ed25519 by the controller over
//                       kCredentialContext ‖ bytes [0, 70)
//
// Members compare their credentials' issue times with each other, not with their
// own clocks, so no clock synchronisation is needed (see vnet/credential_check.hpp).

#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

inline constexpr std::string_view kCredentialContext = "weft.vl2.credential.v1";
inline constexpr std::uint8_t kCredentialVersion = 1;

class MembershipCredentialView {
 public:
  static constexpr std::size_t kNetwork = 1;
  static constexpr std::size_t kMember = 9;
  static constexpr std::size_t kMemberKey = 14;
  static constexpr std::size_t kIssued = 46;
  static constexpr std::size_t kMaxDelta = 54;
  static constexpr std::size_t kRevision = 62;
  static constexpr std::size_t kSignature = 70;
  static constexpr std::size_t kSize = 134;

  // Exactly kSize bytes: Error::truncated if shorter, Error::too_large if longer,
  // Error::unsupported_version, or Error::malformed for an invalid id.
  static Result<MembershipCredentialView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  [[nodiscard]] NodeId member() const noexcept { return member_; }
  [[nodiscard]] std::span<const std::byte, 32> member_key() const noexcept {
    return field<kMemberKey, 32>(b_);
  }
  [[nodiscard]] std::uint64_t issued_ms() const noexcept {
    return load_be64(field<kIssued, 8>(b_));
  }
  [[nodiscard]] std::uint64_t max_delta_ms() const noexcept {
    return load_be64(field<kMaxDelta, 8>(b_));
  }
  [[nodiscard]] std::uint64_t revision() const noexcept {
    return load_be64(field<kRevision, 8>(b_));
  }
  [[nodiscard]] std::span<const std::byte, 64> signature() const noexcept {
    return field<kSignature, 64>(b_);
  }
  [[nodiscard]] ByteSpan signed_part() const noexcept { return b_.first<kSignature>(); }

 private:
  MembershipCredentialView(ByteSpan b, NetworkId n, NodeId m) : b_(b), network_(n), member_(m) {}
  ByteSpan b_;
  NetworkId network_;
  NodeId member_;
};

struct MembershipCredential {
  NetworkId network;
  NodeId member;
  ByteArray<32> member_key{};
  std::uint64_t issued_ms{0};
  std::uint64_t max_delta_ms{0};
  std::uint64_t revision{0};
  ByteArray<64> signature{};

  static Result<MembershipCredential> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return MembershipCredentialView::kSize; }
  void emit(MutableByteSpan out) const noexcept;
  // kCredentialContext ‖ the emitted bytes before the signature: what is signed.
  [[nodiscard]] Bytes signing_input() const;

  bool operator==(const MembershipCredential&) const = default;
};

}  // namespace weft::wire
