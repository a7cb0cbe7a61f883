#include "wire/intercept_message.hpp"

#include <algorithm>

#include "base/assert.hpp"

#include "wire/field.hpp"

namespace weft::wire {

namespace {

Result<void> check_size(ByteSpan b, std::size_t size) noexcept {
  if (b.size() < size) return Error::truncated;
  if (b.size() > size) return Error::too_large;
  return {};
}

Result<SocketType> parse_type(std::byte b) noexcept {
  const auto v = std::to_integer<std::uint8_t>(b);
  if (v != 1 && v != 2) return Error::malformed;
  return static_cast<SocketType>(v);
}

Result<bool> parse_family(std::byte b) noexcept {
  const auto v = std::to_integer<std::uint8_t>(b);
  if (v != 4 && v != 6) return Error::malformed;
  return v == 6;
}

std::byte family_byte(bool ipv6) noexcept {
  return std::byte{static_cast<std::uint8_t>(ipv6 ? 6 : 4)};
}

std::int32_t load_i32(std::span<const std::byte, 4> b) noexcept {
  return static_cast<std::int32_t>(load_be32(b));
}
void store_i32(std::span<std::byte, 4> b, std::int32_t v) noexcept {
  store_be32(b, static_cast<std::uint32_t>(v));
}

}  // namespace

Result<std::optional<SocketAddress>> SocketAddress::parse(ByteSpan b) noexcept {
  if (b.size() != kSize) return Error::truncated;
  const auto family = std::to_integer<std::uint8_t>(b[0]);
  if (b[1] != std::byte{0}) return Error::malformed;
  if (family == 0) {
    if (!all_zero(b)) return Error::malformed;
    return std::optional<SocketAddress>{};
  }
  if (family != 4 && family != 6) return Error::malformed;
  SocketAddress a;
  a.ipv6 = family == 6;
  a.port = load_be16(b.subspan<2, 2>());
  std::copy(b.begin() + 4, b.end(), a.bytes.begin());
  if (!a.ipv6 && !all_zero(b.subspan(8))) return Error::malformed;
  return std::optional<SocketAddress>{a};
}

void SocketAddress::emit(const std::optional<SocketAddress>& a, MutableByteSpan out) noexcept {
  check_room(out, kSize);
  std::fill_n(out.begin(), kSize, std::byte{0});
  if (!a) return;
  out[0] = family_byte(a->ipv6);
  store_be16(out.subspan<2, 2>(), a->port);
  std::copy_n(a->bytes.begin(), a->ipv6 ? 16 : 4, out.begin() + 4);
}

Result<InterceptRequest> InterceptRequest::parse(ByteSpan b) noexcept {
  if (auto r = check_size(b, kSize); !r) return r.error();
  if (std::to_integer<std::uint8_t>(b[0]) != kInterceptVersion) return Error::unsupported_version;
  InterceptRequest q;
  const auto op = std::to_integer<std::uint8_t>(b[1]);
  if (op < 1 || op > 9) return Error::malformed;
  q.op = static_cast<InterceptOp>(op);
  auto type = parse_type(b[2]);
  if (!type) return type.error();
  q.type = *type;
  q.flags = std::to_integer<std::uint8_t>(b[3]);
  if ((q.flags & ~(kNonBlocking | kAlsoKernel)) != 0) return Error::malformed;
  auto family = parse_family(b[4]);
  if (!family) return family.error();
  q.ipv6 = *family;
  if (!all_zero(b.subspan(5, 3)) || !all_zero(b.subspan(44))) return Error::malformed;
  auto address = SocketAddress::parse(field<8, SocketAddress::kSize>(b));
  if (!address) return address.error();
  q.address = *address;
  q.level = load_i32(field<28, 4>(b));
  q.name = load_i32(field<32, 4>(b));
  q.value = load_i32(field<36, 4>(b));
  q.options = load_be32(field<40, 4>(b));
  if ((q.options & ~kOptAll) != 0) return Error::malformed;
  return q;
}

void InterceptRequest::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  std::fill_n(out.begin(), kSize, std::byte{0});
  out[0] = std::byte{kInterceptVersion};
  out[1] = static_cast<std::byte>(op);
  out[2] = static_cast<std::byte>(type);
  out[3] = std::byte{flags};
  out[4] = family_byte(ipv6);
  SocketAddress::emit(address, field<8, SocketAddress::kSize>(out));
  store_i32(field<28, 4>(out), level);
  store_i32(field<32, 4>(out), name);
  store_i32(field<36, 4>(out), value);
  store_be32(field<40, 4>(out), options);
}

Result<InterceptReply> InterceptReply::parse(ByteSpan b) noexcept {
  if (auto r = check_size(b, kSize); !r) return r.error();
  if (std::to_integer<std::uint8_t>(b[0]) != kInterceptVersion) return Error::unsupported_version;
  InterceptReply p;
  if (b[1] != std::byte{0}) {
    auto type = parse_type(b[1]);
    if (!type) return type.error();
    p.type = *type;
  }
  if (b[2] != std::byte{0}) {
    auto family = parse_family(b[2]);
    if (!family) return family.error();
    p.ipv6 = *family;
  }
  if (b[3] != std::byte{0} || !all_zero(b.subspan(52))) return Error::malformed;
  p.error = load_i32(field<4, 4>(b));
  if (p.error < 0) return Error::malformed;
  auto local = SocketAddress::parse(field<8, SocketAddress::kSize>(b));
  if (!local) return local.error();
  auto peer = SocketAddress::parse(field<28, SocketAddress::kSize>(b));
  if (!peer) return peer.error();
  p.local = *local;
  p.peer = *peer;
  p.value = load_i32(field<48, 4>(b));
  return p;
}

void InterceptReply::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  std::fill_n(out.begin(), kSize, std::byte{0});
  out[0] = std::byte{kInterceptVersion};
  if (type) out[1] = static_cast<std::byte>(*type);
  if (type) out[2] = family_byte(ipv6);
  store_i32(field<4, 4>(out), error);
  SocketAddress::emit(local, field<8, SocketAddress::kSize>(out));
  SocketAddress::emit(peer, field<28, SocketAddress::kSize>(out));
  store_i32(field<48, 4>(out), value);
}

Result<VirtualPrefix> VirtualPrefix::parse(ByteSpan b) noexcept {
  if (auto r = check_size(b, kSize); !r) return r.error();
  VirtualPrefix p;
  p.network = load_be64(field<0, 8>(b));
  auto family = parse_family(b[8]);
  if (!family) return family.error();
  p.ipv6 = *family;
  p.length = std::to_integer<std::uint8_t>(b[9]);
  if (p.length > (p.ipv6 ? 128 : 32)) return Error::malformed;
  if (!all_zero(b.subspan(10, 2))) return Error::malformed;
  p.bytes = to_array(field<12, 16>(b));
  if (!p.ipv6 && !all_zero(b.subspan(16))) return Error::malformed;
  return p;
}

void VirtualPrefix::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  std::fill_n(out.begin(), kSize, std::byte{0});
  store_be64(field<0, 8>(out), network);
  out[8] = family_byte(ipv6);
  out[9] = std::byte{length};
  std::copy_n(bytes.begin(), ipv6 ? 16 : 4, out.begin() + 12);
}

bool VirtualPrefix::contains(bool v6, const ByteArray<16>& address) const noexcept {
  if (v6 != ipv6) return false;
  const std::size_t full = length / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(full),
                  address.begin()))
    return false;
  const unsigned rest = length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (std::to_integer<std::uint8_t>(bytes[full]) & mask) ==
         (std::to_integer<std::uint8_t>(address[full]) & mask);
}

Result<std::vector<VirtualPrefix>> parse_prefixes(ByteSpan records, std::size_t count) noexcept {
  if (count > VirtualPrefix::kMaxCount) return Error::too_large;
  if (records.size() < count * VirtualPrefix::kSize) return Error::truncated;
  if (records.size() > count * VirtualPrefix::kSize) return Error::too_large;
  std::vector<VirtualPrefix> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto p = VirtualPrefix::parse(records.subspan(i * VirtualPrefix::kSize, VirtualPrefix::kSize));
    if (!p) return p.error();
    out.push_back(*p);
  }
  return out;
}

Result<AcceptNotice> AcceptNotice::parse(ByteSpan b) noexcept {
  if (auto r = check_size(b, kSize); !r) return r.error();
  auto local = SocketAddress::parse(field<0, SocketAddress::kSize>(b));
  if (!local) return local.error();
  auto peer = SocketAddress::parse(field<20, SocketAddress::kSize>(b));
  if (!peer) return peer.error();
  if (!*local || !*peer) return Error::malformed;
  return AcceptNotice{**local, **peer};
}

void AcceptNotice::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  SocketAddress::emit(local, field<0, SocketAddress::kSize>(out));
  SocketAddress::emit(peer, field<20, SocketAddress::kSize>(out));
}

namespace {

bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

Result<std::string> ResolveName::parse(ByteSpan b) {
  if (b.empty()) return Error::truncated;
  if (b.size() > kMaxName) return Error::too_large;
  std::string name(reinterpret_cast<const char*>(b.data()), b.size());
  if (!std::all_of(name.begin(), name.end(), is_host_char)) return Error::malformed;
  return name;
}

Result<ResolveAnswer> ResolveAnswer::parse(ByteSpan b) {
  if (b.size() < kHeaderSize) return Error::truncated;
  if (std::to_integer<std::uint8_t>(b[0]) != kInterceptVersion) return Error::unsupported_version;
  const auto status = std::to_integer<std::uint8_t>(b[1]);
  if (status < 1 || status > 4) return Error::malformed;
  ResolveAnswer a;
  a.status = static_cast<ResolveStatus>(status);
  const std::size_t count = std::to_integer<std::size_t>(b[2]);
  const std::size_t name_len = std::to_integer<std::size_t>(b[3]);
  a.error = load_i32(field<4, 4>(b));
  if (count > kMaxAddresses || name_len > ResolveName::kMaxName) return Error::malformed;
  const std::size_t need = kHeaderSize + count * SocketAddress::kSize + name_len;
  if (b.size() < need) return Error::truncated;
  if (b.size() > need) return Error::too_large;
  const bool found = a.status == ResolveStatus::found;
  if ((a.status == ResolveStatus::failed) != (a.error > 0)) return Error::malformed;
  if (!found && (count != 0 || name_len != 0)) return Error::malformed;
  if (found && name_len == 0) return Error::malformed;
  for (std::size_t i = 0; i < count; ++i) {
    auto address =
        SocketAddress::parse(b.subspan(kHeaderSize + i * SocketAddress::kSize, SocketAddress::kSize));
    if (!address) return address.error();
    if (!*address || (*address)->port != 0) return Error::malformed;
    a.addresses.push_back(**address);
  }
  if (name_len != 0) {
    auto name = ResolveName::parse(b.subspan(need - name_len));
    if (!name) return Error::malformed;
    a.canonical = std::move(*name);
  }
  return a;
}

void ResolveAnswer::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(addresses.size() <= kMaxAddresses && canonical.size() <= ResolveName::kMaxName);
  check_room(out, buffer_len());
  std::fill_n(out.begin(), kHeaderSize, std::byte{0});
  out[0] = std::byte{kInterceptVersion};
  out[1] = static_cast<std::byte>(status);
  out[2] = static_cast<std::byte>(addresses.size());
  out[3] = static_cast<std::byte>(canonical.size());
  store_i32(field<4, 4>(out), error);
  for (std::size_t i = 0; i < addresses.size(); ++i)
    SocketAddress::emit(addresses[i],
                        out.subspan(kHeaderSize + i * SocketAddress::kSize, SocketAddress::kSize));
  const auto name = as_bytes(canonical);
  std::copy(name.begin(), name.end(),
            out.begin() + static_cast<std::ptrdiff_t>(kHeaderSize +
                                                       addresses.size() * SocketAddress::kSize));
}

}  // namespace weft::wire
