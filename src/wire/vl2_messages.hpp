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
//
// The requester of a config is the peer whose session carried the request: no
// identity field is needed, and none could be trusted.

#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"
#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/network_config.hpp"

namespace weft::wire {

enum class Vl2InnerType : std::uint8_t {
  config_request = 0x20,
  config = 0x21,
  config_refusal = 0x22,
  revocation = 0x23,
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

}  // namespace weft::wire
