#include "wire/vl2_messages.hpp"

#include <algorithm>

#include "base/assert.hpp"
#include "wire/field.hpp"

namespace weft::wire {

namespace {

Result<void> check_exact(ByteSpan bytes, std::size_t size, Vl2InnerType type) noexcept {
  if (bytes.size() < size) return Error::truncated;
  if (bytes.size() > size) return Error::too_large;
  if (bytes[0] != static_cast<std::byte>(type)) return Error::malformed;
  return {};
}

}  // namespace

Result<Vl2InnerType> vl2_inner_type(ByteSpan plaintext) noexcept {
  if (plaintext.empty()) return Error::malformed;
  switch (const auto t = static_cast<Vl2InnerType>(plaintext[0])) {
    case Vl2InnerType::config_request:
    case Vl2InnerType::config:
    case Vl2InnerType::config_refusal:
    case Vl2InnerType::revocation:
    case Vl2InnerType::network_frame:
    case Vl2InnerType::credential:
    case Vl2InnerType::member_gather:
    case Vl2InnerType::member_list:
    case Vl2InnerType::name_query:
    case Vl2InnerType::name_answer: return t;
  }
  return Error::malformed;
}

Result<ConfigRequest> ConfigRequest::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::config_request));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  return ConfigRequest{*network, load_be64(field<9, 8>(bytes))};
}

void ConfigRequest::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::config_request);
  put(field<1, 8>(out), network.to_bytes());
  store_be64(field<9, 8>(out), have_revision);
}

Result<ConfigMessage> ConfigMessage::parse(ByteSpan bytes) {
  if (bytes.empty()) return Error::truncated;
  if (bytes[0] != static_cast<std::byte>(Vl2InnerType::config)) return Error::malformed;
  auto config = NetworkConfig::parse(bytes.subspan(1));
  if (!config) return config.error();
  return ConfigMessage{std::move(config).value()};
}

void ConfigMessage::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(Vl2InnerType::config);
  config.emit(out.subspan(1));
}

Result<ConfigRefusal> ConfigRefusal::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::config_refusal));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  const auto reason = static_cast<RefusalReason>(bytes[9]);
  switch (reason) {
    case RefusalReason::not_found:
    case RefusalReason::not_authorized:
    case RefusalReason::rate_limited: return ConfigRefusal{*network, reason};
  }
  return Error::malformed;
}

void ConfigRefusal::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::config_refusal);
  put(field<1, 8>(out), network.to_bytes());
  out[9] = static_cast<std::byte>(reason);
}

Result<RevocationMessage> RevocationMessage::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::revocation));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  auto member = NodeId::from_bytes(field<9, 5>(bytes));
  if (!network || !member) return Error::malformed;
  return RevocationMessage{*network, *member, load_be64(field<14, 8>(bytes)),
                           to_array(field<22, 64>(bytes))};
}

void RevocationMessage::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::revocation);
  put(field<1, 8>(out), network.to_bytes());
  put(field<9, 5>(out), member.to_bytes());
  store_be64(field<14, 8>(out), threshold_ms);
  put(field<22, 64>(out), signature);
}

Bytes RevocationMessage::signing_input() const {
  const auto context = as_bytes(kRevocationContext);
  ByteArray<kSize> full{};
  emit(full);
  constexpr std::size_t kSigned = 21;  // network, member, threshold
  Bytes out(context.size() + kSigned);
  std::copy(context.begin(), context.end(), out.begin());
  std::copy_n(full.begin() + 1, kSigned, out.begin() + static_cast<std::ptrdiff_t>(context.size()));
  return out;
}

Result<NetworkFrameView> NetworkFrameView::parse(ByteSpan bytes) noexcept {
  if (bytes.size() < kHeaderSize + kMinFrame) return Error::truncated;
  if (bytes.size() > kHeaderSize + kMaxFrame) return Error::too_large;
  if (bytes[0] != static_cast<std::byte>(Vl2InnerType::network_frame)) return Error::malformed;
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  return NetworkFrameView{bytes, *network};
}

void NetworkFrameHeader::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(Vl2InnerType::network_frame);
  put(field<1, 8>(out), network.to_bytes());
}

Result<NetworkFrame> NetworkFrame::parse(ByteSpan bytes) {
  auto v = NetworkFrameView::parse(bytes);
  if (!v) return v.error();
  return NetworkFrame{v->network(), Bytes(v->frame().begin(), v->frame().end())};
}

void NetworkFrame::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  NetworkFrameHeader{network}.emit(out);
  std::copy(frame.begin(), frame.end(), out.begin() + NetworkFrameView::kHeaderSize);
}

Result<CredentialPresentation> CredentialPresentation::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::credential));
  const auto flags = static_cast<std::uint8_t>(bytes[1]);
  if ((flags & ~kWantReply) != 0) return Error::malformed;
  auto c = MembershipCredential::parse(bytes.subspan(2));
  if (!c) return c.error();
  return CredentialPresentation{(flags & kWantReply) != 0, *c};
}

void CredentialPresentation::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::credential);
  out[1] = std::byte{want_reply ? kWantReply : std::uint8_t{0}};
  credential.emit(out.subspan(2));
}

Result<MemberGather> MemberGather::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::member_gather));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  return MemberGather{*network, load_be16(field<9, 2>(bytes))};
}

void MemberGather::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::member_gather);
  put(field<1, 8>(out), network.to_bytes());
  store_be16(field<9, 2>(out), limit);
}

Result<MemberList> MemberList::parse(ByteSpan bytes) {
  if (bytes.size() < kHeaderSize) return Error::truncated;
  if (bytes[0] != static_cast<std::byte>(Vl2InnerType::member_list)) return Error::malformed;
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  const std::size_t count = load_be16(field<9, 2>(bytes));
  if (count > kMaxMembers) return Error::malformed;
  const std::size_t need = kHeaderSize + NodeId::kSize * count;
  if (bytes.size() < need) return Error::truncated;
  if (bytes.size() > need) return Error::too_large;
  MemberList out{*network, {}};
  out.members.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto id =
        NodeId::from_bytes(bytes.subspan(kHeaderSize + NodeId::kSize * i).first<NodeId::kSize>());
    if (!id) return Error::malformed;
    out.members.push_back(*id);
  }
  return out;
}

void MemberList::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(members.size() <= kMaxMembers);
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(Vl2InnerType::member_list);
  put(field<1, 8>(out), network.to_bytes());
  store_be16(field<9, 2>(out), static_cast<std::uint16_t>(members.size()));
  for (std::size_t i = 0; i < members.size(); ++i)
    put(out.subspan(kHeaderSize + NodeId::kSize * i).first<NodeId::kSize>(), members[i].to_bytes());
}

Result<NameQuery> NameQuery::parse(ByteSpan bytes) {
  if (bytes.size() < kHeaderSize) return Error::truncated;
  if (bytes[0] != static_cast<std::byte>(Vl2InnerType::name_query)) return Error::malformed;
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  const std::size_t len = std::to_integer<std::size_t>(bytes[13]);
  if (bytes.size() < kHeaderSize + len) return Error::truncated;
  if (bytes.size() > kHeaderSize + len) return Error::too_large;
  std::string name(reinterpret_cast<const char*>(bytes.data() + kHeaderSize), len);
  if (!is_dns_label(name)) return Error::malformed;
  return NameQuery{*network, load_be32(field<9, 4>(bytes)), std::move(name)};
}

void NameQuery::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(is_dns_label(name));
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(Vl2InnerType::name_query);
  put(field<1, 8>(out), network.to_bytes());
  store_be32(field<9, 4>(out), query);
  out[13] = static_cast<std::byte>(name.size());
  std::copy(as_bytes(name).begin(), as_bytes(name).end(), out.begin() + kHeaderSize);
}

Result<NameAnswer> NameAnswer::parse(ByteSpan bytes) {
  if (bytes.size() < kMinSize) return Error::truncated;
  if (bytes[0] != static_cast<std::byte>(Vl2InnerType::name_answer)) return Error::malformed;
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  NameAnswer out{*network, load_be32(field<9, 4>(bytes)), std::nullopt, {}, {}};
  const auto found = std::to_integer<std::uint8_t>(bytes[13]);
  if (found > 1) return Error::malformed;
  const auto member = field<14, 5>(bytes);
  if (found == 1) {
    auto id = NodeId::from_bytes(member);
    if (!id) return Error::malformed;
    out.member = *id;
  } else if (!all_zero(member)) {
    return Error::malformed;
  }
  // Two counted lists follow: each count is checked against what remains
  // before a single address is read.
  std::size_t at = 19;
  const std::size_t v4 = std::to_integer<std::size_t>(bytes[at++]);
  if (v4 > kMaxIpv4) return Error::malformed;
  if (bytes.size() < at + 4 * v4 + 1) return Error::truncated;
  for (std::size_t i = 0; i < v4; ++i, at += 4)
    out.ipv4.push_back(to_array(bytes.subspan(at).first<4>()));
  const std::size_t v6 = std::to_integer<std::size_t>(bytes[at++]);
  if (v6 > kMaxIpv6) return Error::malformed;
  if (bytes.size() < at + 16 * v6) return Error::truncated;
  if (bytes.size() > at + 16 * v6) return Error::too_large;
  for (std::size_t i = 0; i < v6; ++i, at += 16)
    out.ipv6.push_back(to_array(bytes.subspan(at).first<16>()));
  if (!out.member && (v4 != 0 || v6 != 0)) return Error::malformed;
  return out;
}

void NameAnswer::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(ipv4.size() <= kMaxIpv4 && ipv6.size() <= kMaxIpv6);
  WEFT_CHECK(member || (ipv4.empty() && ipv6.empty()));
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(Vl2InnerType::name_answer);
  put(field<1, 8>(out), network.to_bytes());
  store_be32(field<9, 4>(out), query);
  out[13] = std::byte{member ? std::uint8_t{1} : std::uint8_t{0}};
  const ByteArray<5> member_bytes = member ? member->to_bytes() : ByteArray<5>{};
  put(field<14, 5>(out), member_bytes);
  std::size_t at = 19;
  out[at++] = static_cast<std::byte>(ipv4.size());
  for (const auto& a : ipv4) {
    std::copy(a.begin(), a.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    at += 4;
  }
  out[at++] = static_cast<std::byte>(ipv6.size());
  for (const auto& a : ipv6) {
    std::copy(a.begin(), a.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    at += 16;
  }
}

}  // namespace weft::wire
