#include "wire/network_config.hpp"

#include <algorithm>

#include "wire/field.hpp"

namespace weft::wire {

namespace {

using V = NetworkConfigView;

constexpr std::size_t kRevisionOff = 14;
constexpr std::size_t kIssuedOff = 22;
constexpr std::size_t kFlagsOff = 30;
constexpr std::size_t kMtuOff = 31;
constexpr std::size_t kNameLenOff = 33;
constexpr std::uint8_t kFamily4 = 4;
constexpr std::uint8_t kFamily6 = 6;

std::size_t addr_len(bool ipv6) { return ipv6 ? 16 : 4; }

// A bounds-checked walk over the variable part; every read first checks room.
class Cursor {
 public:
  explicit Cursor(ByteSpan b, std::size_t off) : b_(b), off_(off) {}
  [[nodiscard]] bool has(std::size_t n) const noexcept { return b_.size() - off_ >= n; }
  std::size_t take(std::size_t n) noexcept {
    const std::size_t at = off_;
    off_ += n;
    return at;
  }
  [[nodiscard]] std::uint8_t byte_at(std::size_t at) const noexcept {
    return std::to_integer<std::uint8_t>(b_[at]);
  }
  [[nodiscard]] std::size_t offset() const noexcept { return off_; }

 private:
  ByteSpan b_;
  std::size_t off_;
};

// Writes sequentially; the caller sized the buffer with buffer_len().
class Writer {
 public:
  explicit Writer(MutableByteSpan b) : b_(b) {}
  void u8(std::uint8_t v) { b_[off_++] = std::byte{v}; }
  void bytes(ByteSpan s) {
    std::copy(s.begin(), s.end(), b_.begin() + static_cast<std::ptrdiff_t>(off_));
    off_ += s.size();
  }
  void text(std::string_view s) {
    u8(static_cast<std::uint8_t>(s.size()));
    bytes(as_bytes(s));
  }
  MutableByteSpan rest() { return b_.subspan(off_); }
  void skip(std::size_t n) { off_ += n; }

 private:
  MutableByteSpan b_;
  std::size_t off_{0};
};

bool is_dns_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;  // no control characters in names
      ++i;
      continue;
    }
    if ((c & 0xe0U) == 0xc0) {
      n = 1;
      cp = c & 0x1fU;
    } else if ((c & 0xf0U) == 0xe0) {
      n = 2;
      cp = c & 0x0fU;
    } else if ((c & 0xf8U) == 0xf0) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0U) != 0x80) return false;
      cp = (cp << 6U) | (cc & 0x3fU);
    }
    // Overlong forms, surrogates and values beyond Unicode are not UTF-8.
    static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

bool is_valid_dns_name(std::string_view s) noexcept {
  if (s.empty()) return true;
  if (s.size() > V::kMaxDnsName) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    if (!std::all_of(label.begin(), label.end(), is_dns_char)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_dns_label(std::string_view s) noexcept {
  return !s.empty() && s.find('.') == std::string_view::npos && is_valid_dns_name(s);
}

Result<NetworkConfigView> NetworkConfigView::parse(ByteSpan bytes) noexcept {
  if (bytes.size() < kMinSize) return Error::truncated;
  if (bytes[0] != std::byte{kNetworkConfigVersion}) return Error::unsupported_version;
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  auto member = NodeId::from_bytes(field<9, 5>(bytes));
  if (!network || !member) return Error::malformed;
  const auto flags = std::to_integer<std::uint8_t>(bytes[kFlagsOff]);
  if ((flags & ~kFlagPrivate) != 0) return Error::malformed;
  const std::uint16_t mtu = load_be16(field<kMtuOff, 2>(bytes));
  if (mtu < kMinMtu || mtu > kMaxMtu) return Error::malformed;

  NetworkConfigView v{bytes, *network, *member};
  Cursor c(bytes, kNameLenOff);
  auto text = [&](std::size_t max, Range& out) -> Result<void> {
    if (!c.has(1)) return Error::truncated;
    const std::size_t len = c.byte_at(c.take(1));
    if (len > max) return Error::malformed;
    if (!c.has(len)) return Error::truncated;
    out = {c.take(len), len};
    return {};
  };
  auto table = [&](std::size_t max, std::size_t entry, std::size_t& first,
                   std::size_t& count) -> Result<void> {
    if (!c.has(1)) return Error::truncated;
    count = c.byte_at(c.take(1));
    if (count > max) return Error::malformed;
    if (!c.has(count * entry)) return Error::truncated;
    first = c.take(count * entry);
    return {};
  };

  WEFT_TRY(text(kMaxName, v.name_));
  if (!is_valid_utf8(v.name())) return Error::malformed;
  WEFT_TRY(table(kMaxIpv4, 5, v.ipv4_, v.ipv4_count_));
  for (std::size_t i = 0; i < v.ipv4_count_; ++i)
    if (c.byte_at(v.ipv4_ + i * 5 + 4) > 32) return Error::malformed;
  WEFT_TRY(table(kMaxIpv6, 17, v.ipv6_, v.ipv6_count_));
  for (std::size_t i = 0; i < v.ipv6_count_; ++i)
    if (c.byte_at(v.ipv6_ + i * 17 + 16) > 128) return Error::malformed;

  if (!c.has(1)) return Error::truncated;
  const std::size_t routes = c.byte_at(c.take(1));
  if (routes > kMaxRoutes) return Error::malformed;
  v.routes_.reserve(routes);
  for (std::size_t i = 0; i < routes; ++i) {
    if (!c.has(1)) return Error::truncated;
    const std::uint8_t family = c.byte_at(c.offset());
    if (family != kFamily4 && family != kFamily6) return Error::malformed;
    const std::size_t len = addr_len(family == kFamily6);
    if (!c.has(1 + len + 1 + len)) return Error::truncated;
    const std::size_t at = c.take(1 + len + 1 + len);
    if (c.byte_at(at + 1 + len) > len * 8) return Error::malformed;
    v.routes_.push_back(at);
  }

  WEFT_TRY(text(kMaxDnsName, v.domain_));
  if (!is_valid_dns_name(v.dns_domain())) return Error::malformed;
  WEFT_TRY(text(kMaxDnsName, v.dns_name_));
  if (!is_valid_dns_name(v.dns_name())) return Error::malformed;

  if (!c.has(MembershipCredentialView::kSize + kSignatureSize)) return Error::truncated;
  v.credential_ = c.take(MembershipCredentialView::kSize);
  if (!MembershipCredentialView::parse(v.credential())) return Error::malformed;
  c.take(kSignatureSize);
  if (c.offset() != bytes.size()) return Error::too_large;
  return v;
}

std::uint64_t NetworkConfigView::revision() const noexcept {
  return load_be64(field<kRevisionOff, 8>(b_));
}
std::uint64_t NetworkConfigView::issued_ms() const noexcept {
  return load_be64(field<kIssuedOff, 8>(b_));
}
bool NetworkConfigView::is_private() const noexcept {
  return (std::to_integer<std::uint8_t>(b_[kFlagsOff]) & kFlagPrivate) != 0;
}
std::uint16_t NetworkConfigView::mtu() const noexcept { return load_be16(field<kMtuOff, 2>(b_)); }

Ipv4Assignment NetworkConfigView::ipv4(std::size_t i) const noexcept {
  WEFT_CHECK(i < ipv4_count_);
  const ByteSpan e = b_.subspan(ipv4_ + i * 5, 5);
  return {to_array(e.first<4>()), std::to_integer<std::uint8_t>(e[4])};
}

Ipv6Assignment NetworkConfigView::ipv6(std::size_t i) const noexcept {
  WEFT_CHECK(i < ipv6_count_);
  const ByteSpan e = b_.subspan(ipv6_ + i * 17, 17);
  return {to_array(e.first<16>()), std::to_integer<std::uint8_t>(e[16])};
}

ManagedRoute NetworkConfigView::route(std::size_t i) const noexcept {
  WEFT_CHECK(i < routes_.size());
  const std::size_t at = routes_[i];
  ManagedRoute r;
  r.ipv6 = b_[at] == std::byte{kFamily6};
  const std::size_t len = addr_len(r.ipv6);
  const ByteSpan e = b_.subspan(at + 1, len + 1 + len);
  std::copy_n(e.begin(), len, r.target.begin());
  r.prefix = std::to_integer<std::uint8_t>(e[len]);
  std::copy_n(e.begin() + static_cast<std::ptrdiff_t>(len + 1), len, r.via.begin());
  return r;
}

Result<NetworkConfig> NetworkConfig::parse(ByteSpan bytes) {
  auto v = V::parse(bytes);
  if (!v) return v.error();
  auto cred = MembershipCredential::parse(v->credential());
  if (!cred) return Error::malformed;
  NetworkConfig c{.network = v->network(), .member = v->member(), .credential = *cred};
  c.revision = v->revision();
  c.issued_ms = v->issued_ms();
  c.is_private = v->is_private();
  c.mtu = v->mtu();
  c.name = std::string(v->name());
  for (std::size_t i = 0; i < v->ipv4_count(); ++i) c.ipv4.push_back(v->ipv4(i));
  for (std::size_t i = 0; i < v->ipv6_count(); ++i) c.ipv6.push_back(v->ipv6(i));
  for (std::size_t i = 0; i < v->route_count(); ++i) c.routes.push_back(v->route(i));
  c.dns_domain = std::string(v->dns_domain());
  c.dns_name = std::string(v->dns_name());
  c.signature = to_array(v->signature());
  return c;
}

bool NetworkConfig::valid() const noexcept {
  const auto route_ok = [](const ManagedRoute& r) {
    if (r.prefix > addr_len(r.ipv6) * 8) return false;
    if (r.ipv6) return true;
    // The unused tail of an IPv4 route stays zero, so emit/parse round-trips.
    return all_zero(ByteSpan(r.target).subspan(4)) && all_zero(ByteSpan(r.via).subspan(4));
  };
  return mtu >= V::kMinMtu && mtu <= V::kMaxMtu && name.size() <= V::kMaxName &&
         is_valid_utf8(name) && ipv4.size() <= V::kMaxIpv4 && ipv6.size() <= V::kMaxIpv6 &&
         routes.size() <= V::kMaxRoutes &&
         std::all_of(ipv4.begin(), ipv4.end(), [](const auto& a) { return a.prefix <= 32; }) &&
         std::all_of(ipv6.begin(), ipv6.end(), [](const auto& a) { return a.prefix <= 128; }) &&
         std::all_of(routes.begin(), routes.end(), route_ok) && is_valid_dns_name(dns_domain) &&
         is_valid_dns_name(dns_name);
}

std::size_t NetworkConfig::buffer_len() const noexcept {
  std::size_t n = 34 + name.size() + 1 + ipv4.size() * 5 + 1 + ipv6.size() * 17 + 1;
  for (const auto& r : routes) n += 2 + 2 * addr_len(r.ipv6);
  return n + 1 + dns_domain.size() + 1 + dns_name.size() + MembershipCredential::buffer_len() +
         V::kSignatureSize;
}

void NetworkConfig::emit(MutableByteSpan out) const noexcept {
  WEFT_CHECK(valid());
  check_room(out, buffer_len());
  Writer w(out);
  w.u8(kNetworkConfigVersion);
  w.bytes(network.to_bytes());
  w.bytes(member.to_bytes());
  store_be64(w.rest().first<8>(), revision);
  w.skip(8);
  store_be64(w.rest().first<8>(), issued_ms);
  w.skip(8);
  w.u8(is_private ? V::kFlagPrivate : 0);
  store_be16(w.rest().first<2>(), mtu);
  w.skip(2);
  w.text(name);
  w.u8(static_cast<std::uint8_t>(ipv4.size()));
  for (const auto& a : ipv4) {
    w.bytes(a.address);
    w.u8(a.prefix);
  }
  w.u8(static_cast<std::uint8_t>(ipv6.size()));
  for (const auto& a : ipv6) {
    w.bytes(a.address);
    w.u8(a.prefix);
  }
  w.u8(static_cast<std::uint8_t>(routes.size()));
  for (const auto& r : routes) {
    const std::size_t len = addr_len(r.ipv6);
    w.u8(r.ipv6 ? kFamily6 : kFamily4);
    w.bytes(ByteSpan(r.target).first(len));
    w.u8(r.prefix);
    w.bytes(ByteSpan(r.via).first(len));
  }
  w.text(dns_domain);
  w.text(dns_name);
  credential.emit(w.rest().first(MembershipCredential::buffer_len()));
  w.skip(MembershipCredential::buffer_len());
  w.bytes(signature);
}

Bytes NetworkConfig::to_bytes() const {
  Bytes out(buffer_len());
  emit(out);
  return out;
}

Bytes NetworkConfig::signing_input() const {
  return signed_part_with_context(kNetworkConfigContext, *this, V::kSignatureSize);
}

}  // namespace weft::wire
