#include "wire/ethernet.hpp"

#include "base/assert.hpp"

namespace weft::wire {

namespace {
// Field offsets (see the layout in ethernet.hpp).
constexpr std::size_t kDst = 0;
constexpr std::size_t kSrc = 6;
constexpr std::size_t kType = 12;  // ethertype, or the TPID of a tag
constexpr std::size_t kTci = 14;
constexpr std::size_t kInnerType = 16;

std::uint16_t load16(ByteSpan b, std::size_t off) noexcept {
  return load_be16(std::span<const std::byte, 2>(b.subspan(off, 2)));
}
}  // namespace

Result<EthernetView> EthernetView::parse(ByteSpan frame) noexcept {
  if (frame.size() < kHeaderSize) return Error::truncated;
  const bool tagged = load16(frame, kType) == kTpid8021Q;
  if (tagged && frame.size() < kTaggedHeaderSize) return Error::truncated;
  return EthernetView(frame, tagged);
}

Mac EthernetView::destination() const noexcept {
  return Mac::from_bytes(b_.subspan<kDst, Mac::kSize>());
}
Mac EthernetView::source() const noexcept {
  return Mac::from_bytes(b_.subspan<kSrc, Mac::kSize>());
}

std::optional<VlanTag> EthernetView::vlan() const noexcept {
  if (!tagged_) return std::nullopt;
  const std::uint16_t tci = load16(b_, kTci);
  return VlanTag{static_cast<std::uint8_t>(tci >> 13U), ((tci >> 12U) & 1U) != 0,
                 static_cast<std::uint16_t>(tci & 0x0fffU)};
}

std::uint16_t EthernetView::ethertype() const noexcept {
  return load16(b_, tagged_ ? kInnerType : kType);
}

Result<EthernetRepr> EthernetRepr::parse(ByteSpan frame) noexcept {
  auto v = EthernetView::parse(frame);
  if (!v) return v.error();
  return EthernetRepr{v->destination(), v->source(), v->vlan(), v->ethertype()};
}

void EthernetRepr::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(out.size() >= buffer_len());
  destination.write(out.subspan<kDst, Mac::kSize>());
  source.write(out.subspan<kSrc, Mac::kSize>());
  auto put16 = [&out](std::size_t off, std::uint16_t v) {
    store_be16(std::span<std::byte, 2>(out.subspan(off, 2)), v);
  };
  if (vlan) {
    put16(kType, EthernetView::kTpid8021Q);
    put16(kTci, static_cast<std::uint16_t>(((vlan->pcp & 7U) << 13U) |
                                           (vlan->dei ? 1U << 12U : 0U) | (vlan->vid & 0x0fffU)));
    put16(kInnerType, ethertype);
  } else {
    put16(kType, ethertype);
  }
}

}  // namespace weft::wire
