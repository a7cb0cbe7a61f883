#pragma once

// A network config (VL2, docs/vnet.md §2): what a network's controller tells one
// member about the network and about that member, signed by the controller.
//
//   off  size  field
//   0    1     version       1
//   1    8     network       NetworkId
//   9    5     member        NodeId the config is for
//   14   8     revision      u64, the controller's revision of this network
//   22   8     issued_ms     u64, controller clock, ms since the Unix epoch
//   30   1     flags         bit 0: private; other bits zero
//   31   2     mtu           u16, kMinMtu..kMaxMtu
//   33   1     name_len      <= kMaxName, then name (UTF-8)
//        1     ipv4_count    <= kMaxIpv4, then per entry: address[4] prefix[1] (<= 32)
//        1     ipv6_count    <= kMaxIpv6, then per entry: address[16] prefix[1] (<= 128)
//        1     route_count   <= kMaxRoutes, then per entry:
//                              family[1] (4 or 6) target[4|16] prefix[1] via[4|16]
//                              (an all-zero via: the route is on the virtual link)
//        1     domain_len    <= kMaxDnsName, then the network's DNS domain
//        1     dns_name_len  <= kMaxDnsName, then this member's DNS name
//        134   credential    wire::MembershipCredential, the member's own
//        64    signature     Ed25519 by the controller over
//                            kNetworkConfigContext ‖ every byte before it
//
// Integers big-endian. Names are checked for form (UTF-8; DNS names: lower-case
// letters, digits, '-', '.'; labels 1..63) so no consumer sees a hostile string.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/membership_credential.hpp"

namespace weft::wire {

inline constexpr std::string_view kNetworkConfigContext = "weft.vl2.config.v1";
inline constexpr std::uint8_t kNetworkConfigVersion = 1;

struct Ipv4Assignment {
  ByteArray<4> address{};
  std::uint8_t prefix{0};
  bool operator==(const Ipv4Assignment&) const = default;
};

struct Ipv6Assignment {
  ByteArray<16> address{};
  std::uint8_t prefix{0};
  bool operator==(const Ipv6Assignment&) const = default;
};

// An IPv4 route uses the first 4 bytes of target and via; the rest stay zero.
struct ManagedRoute {
  bool ipv6{false};
  ByteArray<16> target{};
  std::uint8_t prefix{0};
  ByteArray<16> via{};
  bool operator==(const ManagedRoute&) const = default;
};

// Form checks shared with the controller, which refuses such names up front.
bool is_valid_utf8(std::string_view s) noexcept;
// Lower-case letters, digits and '-' in labels of 1..63 separated by '.', no
// label starting or ending with '-', at most kMaxDnsName bytes; empty is valid
// (no name).
bool is_valid_dns_name(std::string_view s) noexcept;
// One such label (1..63 bytes, no '.'): a member's name.
bool is_dns_label(std::string_view s) noexcept;

class NetworkConfigView {
 public:
  static constexpr std::size_t kMaxName = 64;
  static constexpr std::size_t kMaxIpv4 = 16;
  static constexpr std::size_t kMaxIpv6 = 16;
  static constexpr std::size_t kMaxRoutes = 32;
  static constexpr std::size_t kMaxDnsName = 253;
  static constexpr std::uint16_t kMinMtu = 1280;
  static constexpr std::uint16_t kMaxMtu = 9000;
  static constexpr std::uint8_t kFlagPrivate = 0x01;
  static constexpr std::size_t kSignatureSize = 64;
  static constexpr std::size_t kMinSize = 34 + 5 + MembershipCredentialView::kSize + 64;
  static constexpr std::size_t kMaxSize = 34 + kMaxName + 1 + kMaxIpv4 * 5 + 1 + kMaxIpv6 * 17 + 1 +
                                          kMaxRoutes * 34 + 2 + 2 * kMaxDnsName +
                                          MembershipCredentialView::kSize + 64;

  // Walks the whole message once. Error::truncated / too_large (bytes after the
  // signature), unsupported_version, or malformed (a count, length, prefix, MTU,
  // flag, name or embedded credential out of form).
  static Result<NetworkConfigView> parse(ByteSpan bytes) noexcept;

  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  [[nodiscard]] NodeId member() const noexcept { return member_; }
  [[nodiscard]] std::uint64_t revision() const noexcept;
  [[nodiscard]] std::uint64_t issued_ms() const noexcept;
  [[nodiscard]] bool is_private() const noexcept;
  [[nodiscard]] std::uint16_t mtu() const noexcept;
  [[nodiscard]] std::string_view name() const noexcept { return text(name_); }
  [[nodiscard]] std::size_t ipv4_count() const noexcept { return ipv4_count_; }
  [[nodiscard]] std::size_t ipv6_count() const noexcept { return ipv6_count_; }
  [[nodiscard]] std::size_t route_count() const noexcept { return routes_.size(); }
  // i < the count (a programming error otherwise).
  [[nodiscard]] Ipv4Assignment ipv4(std::size_t i) const noexcept;
  [[nodiscard]] Ipv6Assignment ipv6(std::size_t i) const noexcept;
  [[nodiscard]] ManagedRoute route(std::size_t i) const noexcept;
  [[nodiscard]] std::string_view dns_domain() const noexcept { return text(domain_); }
  [[nodiscard]] std::string_view dns_name() const noexcept { return text(dns_name_); }
  [[nodiscard]] ByteSpan credential() const noexcept {
    return b_.subspan(credential_, MembershipCredentialView::kSize);
  }
  [[nodiscard]] std::span<const std::byte, 64> signature() const noexcept {
    return b_.last<kSignatureSize>();
  }
  [[nodiscard]] ByteSpan signed_part() const noexcept {
    return b_.first(b_.size() - kSignatureSize);
  }

 private:
  struct Range {
    std::size_t off{0};
    std::size_t len{0};
  };
  NetworkConfigView(ByteSpan b, NetworkId n, NodeId m) : b_(b), network_(n), member_(m) {}
  [[nodiscard]] std::string_view text(Range r) const noexcept {
    return as_chars(b_.subspan(r.off, r.len));
  }

  ByteSpan b_;
  NetworkId network_;
  NodeId member_;
  Range name_;
  std::size_t ipv4_{0};
  std::size_t ipv4_count_{0};
  std::size_t ipv6_{0};
  std::size_t ipv6_count_{0};
  std::vector<std::size_t> routes_;  // entry offsets; at most kMaxRoutes
  Range domain_;
  Range dns_name_;
  std::size_t credential_{0};
};

struct NetworkConfig {
  NetworkId network;
  NodeId member;
  std::uint64_t revision{0};
  std::uint64_t issued_ms{0};
  bool is_private{true};
  std::uint16_t mtu{2800};
  std::string name{};
  std::vector<Ipv4Assignment> ipv4{};
  std::vector<Ipv6Assignment> ipv6{};
  std::vector<ManagedRoute> routes{};
  std::string dns_domain{};
  std::string dns_name{};
  MembershipCredential credential;
  ByteArray<64> signature{};

  static Result<NetworkConfig> parse(ByteSpan bytes);
  // Whether emit() may be called: every bound and form rule parse() checks.
  [[nodiscard]] bool valid() const noexcept;
  [[nodiscard]] std::size_t buffer_len() const noexcept;
  // Requires valid() (a programming error otherwise).
  void emit(MutableByteSpan out) const noexcept;
  [[nodiscard]] Bytes to_bytes() const;
  // kNetworkConfigContext ‖ the emitted bytes before the signature.
  [[nodiscard]] Bytes signing_input() const;

  bool operator==(const NetworkConfig&) const = default;
};

}  // namespace weft::wire
