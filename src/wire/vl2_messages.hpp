#pragma once

// VL2 inner messages between a member and its network's controller, carried as
// the plaintext of a data message (docs/protocol.md §5.2; layouts in
// docs/vnet.md §3). Byte 0 is the inner type, from the range 0x20..0x2f that
// VL2 owns; wire/inner.hpp lists VL1's types.
//
//   config_request  0x20 | network[8] | have_revision u64          (member -> controller)
//   config          0x21 | NetworkConfig (wire/network_config.hpp)   (controller -> member,
//                                                                    reply and push alike)
//   config_refusal  0x22 | network[8] | reason u8                  (controller -> member)
//   revocation      0x23 | network[8] | member[5] | threshold_ms u64 | signature[64]
//                   (controller -> members, and member -> member: it is signed, so
//                   anyone may forward it)
//   network_frame   0x24 | network[8] | Ethernet frame (14..kMaxFrame bytes)  (member -> member)
//   credential      0x25 | flags u8 | MembershipCredential[134]              (member -> member)
//                   flags bit 0 want_reply: the sender holds no valid credential of
//                   the receiver's and asks for it; other bits zero
//   member_gather   0x26 | network[8] | limit u16                  (member -> controller)
//   member_list     0x27 | network[8] | count u16 | member[5] * count (controller -> member)
//   name_query      0x28 | network[8] | query u32 | name_len u8 | name  (member -> controller)
//   name_answer     0x29 | network[8] | query u32 | found u8 | member[5] |
//                   ipv4_count u8 | ipv4[4] * n | ipv6_count u8 | ipv6[16] * n
//                                                                  (controller -> member)
//
// The requester of a config is the peer whose session carried the request: no
// identity field is needed, and none could be trusted.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/membership_credential.hpp"
#include "wire/network_config.hpp"

namespace weft::wire {

enum class Vl2InnerType : std::uint8_t {
  config_request = 0x20,
  config = 0x21,
  config_refusal = 0x22,
  revocation = 0x23,
  network_frame = 0x24,
  credential = 0x25,
  member_gather = 0x26,
  member_list = 0x27,
  name_query = 0x28,
  name_answer = 0x29,
};

// Error::malformed unless byte 0 is one of the types above.
Result<Vl2InnerType> vl2_inner_type(ByteSpan plaintext) noexcept;

struct ConfigRequest {
  static constexpr std::size_t kSize = 17;
  NetworkId network;
  std::uint64_t have_revision{0};  // 0: the member holds no config yet

  static Result<ConfigRequest> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const ConfigRequest&) const = default;
};

struct ConfigMessage {
  NetworkConfig config;

  static Result<ConfigMessage> parse(ByteSpan bytes);
  [[nodiscard]] std::size_t buffer_len() const noexcept { return 1 + config.buffer_len(); }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const ConfigMessage&) const = default;
};

enum class RefusalReason : std::uint8_t {
  not_found = 1,       // the controller has no such network
  not_authorized = 2,  // private network, member not (or no longer) authorized
  rate_limited = 3,    // too many unknown members are waiting already; ask later
};

struct ConfigRefusal {
  static constexpr std::size_t kSize = 10;
  NetworkId network;
  RefusalReason reason{RefusalReason::not_found};

  static Result<ConfigRefusal> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const ConfigRefusal&) const = default;
};

inline constexpr std::string_view kRevocationContext = "weft.vl2.revocation.v1";

// Every credential of `member` on `network` issued at or before threshold_ms is
// void (vnet/revocations.hpp).
struct RevocationMessage {
  static constexpr std::size_t kSize = 86;
  NetworkId network;
  NodeId member;
  std::uint64_t threshold_ms{0};
  ByteArray<64> signature{};

  static Result<RevocationMessage> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  // kRevocationContext ‖ bytes [1, 22): network, member, threshold.
  [[nodiscard]] Bytes signing_input() const;
  bool operator==(const RevocationMessage&) const = default;
};

// An Ethernet frame on a network. The view is what the data path uses (no
// copy); the repr is for tests and fuzzing.
class NetworkFrameView {
 public:
  static constexpr std::size_t kHeaderSize = 9;
  static constexpr std::size_t kMinFrame = 14;  // an Ethernet header
  static constexpr std::size_t kMaxFrame = 65536;

  // Error::truncated (no room for the header and a 14-byte frame),
  // Error::too_large (frame over kMaxFrame), Error::malformed (type, network id).
  static Result<NetworkFrameView> parse(ByteSpan bytes) noexcept;
  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  [[nodiscard]] ByteSpan frame() const noexcept { return b_.subspan(kHeaderSize); }

 private:
  NetworkFrameView(ByteSpan b, NetworkId n) : b_(b), network_(n) {}
  ByteSpan b_;
  NetworkId network_;
};

struct NetworkFrameHeader {
  NetworkId network;
  static constexpr std::size_t buffer_len() noexcept { return NetworkFrameView::kHeaderSize; }
  void emit(MutableByteSpan out) const noexcept;
};

struct NetworkFrame {
  NetworkId network;
  Bytes frame;

  static Result<NetworkFrame> parse(ByteSpan bytes);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return NetworkFrameView::kHeaderSize + frame.size();
  }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const NetworkFrame&) const = default;
};

// A member shows its credential to another member. Checked by the receiver
// against its own credential (vnet/credentials.hpp); the network is the one the
// credential names.
struct CredentialPresentation {
  static constexpr std::size_t kSize = 2 + MembershipCredentialView::kSize;
  static constexpr std::uint8_t kWantReply = 0x01;
  bool want_reply{false};
  MembershipCredential credential;

  // Error::truncated / too_large (not exactly kSize), Error::malformed (type,
  // unknown flag bits), or the credential's own parse error.
  static Result<CredentialPresentation> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const CredentialPresentation&) const = default;
};

// A member asks its controller which members are online, so broadcast and
// multicast frames know where to go (docs/vnet.md §6.3).
struct MemberGather {
  static constexpr std::size_t kSize = 11;
  NetworkId network;
  std::uint16_t limit{0};

  static Result<MemberGather> parse(ByteSpan bytes) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return kSize; }
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const MemberGather&) const = default;
};

struct MemberList {
  static constexpr std::size_t kHeaderSize = 11;
  static constexpr std::size_t kMaxMembers = 1024;
  NetworkId network;
  std::vector<NodeId> members;

  // Error::truncated / too_large (the count disagrees with the length),
  // Error::malformed (type, a reserved address, count over kMaxMembers).
  static Result<MemberList> parse(ByteSpan bytes);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return kHeaderSize + NodeId::kSize * members.size();
  }
  // Requires members.size() <= kMaxMembers (a programming error otherwise).
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const MemberList&) const = default;
};

// A member asks its controller for the addresses of the member called `name`
// (one DNS label: docs/vnet.md §3.9). `query` is the asker's, echoed back.
struct NameQuery {
  static constexpr std::size_t kHeaderSize = 14;
  static constexpr std::size_t kMaxName = 63;
  NetworkId network;
  std::uint32_t query{0};
  std::string name;

  // Error::truncated / too_large (the length disagrees), Error::malformed
  // (type, network id, a name that is not one lower-case DNS label).
  static Result<NameQuery> parse(ByteSpan bytes);
  [[nodiscard]] std::size_t buffer_len() const noexcept { return kHeaderSize + name.size(); }
  // Requires a valid label (a programming error otherwise).
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const NameQuery&) const = default;
};

// The controller's answer: the authorized member of that name and its
// addresses, or no member (none of that name, or not authorized). On the wire
// `found` is 1 with a member, 0 with zeros in its place and no addresses.
struct NameAnswer {
  static constexpr std::size_t kMinSize = 21;
  static constexpr std::size_t kMaxIpv4 = NetworkConfigView::kMaxIpv4;
  static constexpr std::size_t kMaxIpv6 = NetworkConfigView::kMaxIpv6;
  NetworkId network;
  std::uint32_t query{0};
  std::optional<NodeId> member;
  std::vector<ByteArray<4>> ipv4;
  std::vector<ByteArray<16>> ipv6;

  // Error::truncated / too_large, Error::malformed (type, network id, a
  // count over its limit, a found flag other than 0/1, a "not found" with a
  // member or addresses, a reserved member address).
  static Result<NameAnswer> parse(ByteSpan bytes);
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return kMinSize + 4 * ipv4.size() + 16 * ipv6.size();
  }
  // Requires the counts within their limits, and none without a member.
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const NameAnswer&) const = default;
};

}  // namespace weft::wire
