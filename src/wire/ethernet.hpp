#pragma once

// An Ethernet II frame as the tap carries it (no preamble, no FCS), with at
// most one IEEE 802.1Q tag.
//
//   untagged              tagged (TPID 0x8100)
//   0   6  destination    0   6  destination
//   6   6  source         6   6  source
//  12   2  ethertype     12   2  TPID 0x8100
//  14   n  payload       14   2  TCI: PCP (3 bits) | DEI (1) | VID (12)
//                        16   2  ethertype
//                        18   n  payload
//
// The ethertype is reported as found: values below 0x0600 are 802.3 length
// fields, and 0x88a8 (an outer QinQ tag) is not looked into; deciding what to
// do with those belongs to the reader. Minimum frame sizes (60 bytes) are not
// enforced: a tap frame may be unpadded.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/mac.hpp"
#include "base/result.hpp"

namespace weft::wire {

struct VlanTag {
  std::uint8_t pcp{0};   // priority, 0..7
  bool dei{false};       // drop eligible
  std::uint16_t vid{0};  // VLAN id, 0..4095
  constexpr bool operator==(const VlanTag&) const = default;
};

// A checked view: parse() checks the length once; after that no accessor can
// read out of bounds.
class EthernetView {
 public:
  static constexpr std::size_t kHeaderSize = 14;
  static constexpr std::size_t kTaggedHeaderSize = 18;
  static constexpr std::uint16_t kTpid8021Q = 0x8100;

  // Error::truncated below 14 bytes, or below 18 when the TPID says tagged.
  static Result<EthernetView> parse(ByteSpan frame) noexcept;

  [[nodiscard]] Mac destination() const noexcept;
  [[nodiscard]] Mac source() const noexcept;
  [[nodiscard]] std::optional<VlanTag> vlan() const noexcept;
  // The ethertype of the payload (after the tag, if tagged).
  [[nodiscard]] std::uint16_t ethertype() const noexcept;
  [[nodiscard]] std::size_t header_len() const noexcept {
    return tagged_ ? kTaggedHeaderSize : kHeaderSize;
  }
  [[nodiscard]] ByteSpan payload() const noexcept { return b_.subspan(header_len()); }
  [[nodiscard]] ByteSpan bytes() const noexcept { return b_; }

 private:
  EthernetView(ByteSpan b, bool tagged) noexcept : b_(b), tagged_(tagged) {}
  ByteSpan b_;
  bool tagged_;
};

// The header as a plain value; emit() writes the header only (the payload
// follows it in the caller's buffer).
struct EthernetRepr {
  Mac destination;
  Mac source;
  std::optional<VlanTag> vlan;
  std::uint16_t ethertype{0};

  static Result<EthernetRepr> parse(ByteSpan frame) noexcept;
  [[nodiscard]] std::size_t buffer_len() const noexcept {
    return vlan ? EthernetView::kTaggedHeaderSize : EthernetView::kHeaderSize;
  }
  // `out` must hold buffer_len() bytes (a caller bug otherwise: checked).
  // PCP and VID are masked to their widths.
  void emit(MutableByteSpan out) const noexcept;
  bool operator==(const EthernetRepr&) const = default;
};

}  // namespace weft::wire
