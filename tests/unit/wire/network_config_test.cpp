#include "wire/network_config.hpp"

#include <gtest/gtest.h>

#include "wire/vl2_messages.hpp"
#include "wire_hex.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

constexpr std::string_view kCredentialHex =
    "01 | 89e92ceee500abcd | fafebe00c8 |"
    " 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f |"
    " 0000019a8b7c6d5e | 000000000000ea60 | 0000000000000007 |"
    " a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "   c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

constexpr std::string_view kSignatureHex =
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f";

Bytes literal() {
  return hex(
      std::string("01 | 89e92ceee500abcd | fafebe00c8 | 0000000000000005 | 0000019a8b7c6d5e |"
                  " 01 | 0af0 | 03 6c6162 |"
                  " 01 0a010005 18 |"
                  " 01 fd000000000000000000000000000001 40 |"
                  " 02 04 0a020000 10 0a010001"
                  "    06 fd120000000000000000000000000000 30 00000000000000000000000000000000 |"
                  " 08 6c61622e77656674 | 0e 616c6963652e6c61622e77656674 |") +
      std::string(kCredentialHex) + std::string(kSignatureHex));
}

NetworkConfig literal_repr() {
  NetworkConfig c{.network = *NetworkId::parse("89e92ceee500abcd"),
                  .member = *NodeId::parse("fafebe00c8"),
                  .credential = *MembershipCredential::parse(hex(kCredentialHex))};
  c.revision = 5;
  c.issued_ms = 0x0000019a8b7c6d5eULL;
  c.is_private = true;
  c.mtu = 2800;
  c.name = "lab";
  c.ipv4 = {{{std::byte{10}, std::byte{1}, std::byte{0}, std::byte{5}}, 24}};
  Ipv6Assignment v6;
  v6.address[0] = std::byte{0xfd};
  v6.address[15] = std::byte{1};
  v6.prefix = 64;
  c.ipv6 = {v6};
  ManagedRoute r4;
  r4.target[0] = std::byte{10};
  r4.target[1] = std::byte{2};
  r4.prefix = 16;
  r4.via[0] = std::byte{10};
  r4.via[1] = std::byte{1};
  r4.via[3] = std::byte{1};
  ManagedRoute r6;
  r6.ipv6 = true;
  r6.target[0] = std::byte{0xfd};
  r6.target[1] = std::byte{0x12};
  r6.prefix = 48;
  c.routes = {r4, r6};
  c.dns_domain = "lab.weft";
  c.dns_name = "alice.lab.weft";
  for (std::size_t i = 0; i < 64; ++i) c.signature[i] = static_cast<std::byte>(0x40 + i);
  return c;
}

TEST(NetworkConfig, ParsesAndEmitsLiteralBytes) {
  const Bytes bytes = literal();
  const NetworkConfig repr = literal_repr();
  ASSERT_EQ(repr.buffer_len(), bytes.size());
  auto parsed = NetworkConfig::parse(bytes);
  ASSERT_TRUE(parsed) << name(parsed.error());
  EXPECT_EQ(*parsed, repr);
  EXPECT_EQ(emit_bytes(repr), bytes);

  auto view = NetworkConfigView::parse(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->name(), "lab");
  EXPECT_EQ(view->mtu(), 2800);
  EXPECT_TRUE(view->is_private());
  EXPECT_EQ(view->route_count(), 2U);
  EXPECT_EQ(view->dns_name(), "alice.lab.weft");
  EXPECT_EQ(view->signed_part().size(), bytes.size() - 64);
}

TEST(NetworkConfig, SigningInputIsContextAndEverythingBeforeTheSignature) {
  const Bytes input = literal_repr().signing_input();
  const Bytes bytes = literal();
  const auto context = as_bytes(kNetworkConfigContext);
  ASSERT_EQ(input.size(), context.size() + bytes.size() - 64);
  EXPECT_TRUE(std::equal(context.begin(), context.end(), input.begin()));
  EXPECT_TRUE(std::equal(input.begin() + static_cast<std::ptrdiff_t>(context.size()), input.end(),
                         bytes.begin()));
}

TEST(NetworkConfig, EveryTruncationFails) {
  const Bytes bytes = literal();
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(NetworkConfig::parse(ByteSpan(bytes).first(n))) << n;
  Bytes longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_EQ(NetworkConfig::parse(longer).error(), Error::too_large);
}

TEST(NetworkConfig, RejectsFieldsOutOfForm) {
  const Bytes good = literal();
  auto with = [&](std::size_t at, std::uint8_t v) {
    Bytes b = good;
    b[at] = std::byte{v};
    return NetworkConfig::parse(b);
  };
  EXPECT_EQ(with(0, 2).error(), Error::unsupported_version);
  EXPECT_EQ(with(30, 0x03).error(), Error::malformed);  // unknown flag
  EXPECT_EQ(with(31, 0x00).error(), Error::malformed);  // MTU 240
  EXPECT_EQ(with(35, 0x01).error(), Error::malformed);  // control char in name
  EXPECT_EQ(with(35, 0xc0).error(), Error::malformed);  // bad UTF-8
  EXPECT_EQ(with(37, 17).error(), Error::malformed);    // 17 IPv4 entries
  EXPECT_EQ(with(42, 33).error(), Error::malformed);    // IPv4 prefix 33
  EXPECT_EQ(with(43, 17).error(), Error::malformed);    // 17 IPv6 entries
  EXPECT_EQ(with(60, 129).error(), Error::malformed);   // IPv6 prefix 129
  EXPECT_EQ(with(61, 33).error(), Error::malformed);    // 33 routes
  EXPECT_EQ(with(62, 5).error(), Error::malformed);     // route family 5
  EXPECT_EQ(with(108, 'A').error(), Error::malformed);  // upper case in domain
  EXPECT_EQ(with(116, '.').error(), Error::malformed);  // empty label in DNS name
}

TEST(NetworkConfig, FormChecks) {
  EXPECT_TRUE(is_valid_utf8("Büro Ω 🚀"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("a\xe2\x82"));     // cut short
  EXPECT_TRUE(is_valid_dns_name("a-1.example"));
  EXPECT_TRUE(is_valid_dns_name(""));
  EXPECT_FALSE(is_valid_dns_name("-a.example"));
  EXPECT_FALSE(is_valid_dns_name("a..b"));
  EXPECT_FALSE(is_valid_dns_name("a."));
  EXPECT_FALSE(is_valid_dns_name(std::string(64, 'a')));
  EXPECT_TRUE(is_valid_dns_name(std::string(63, 'a')));
  NetworkConfig c = literal_repr();
  EXPECT_TRUE(c.valid());
  c.routes[0].via[7] = std::byte{1};  // the unused tail of an IPv4 route
  EXPECT_FALSE(c.valid());
}

TEST(Vl2Messages, ConfigRequestLiteral) {
  const Bytes bytes = hex("20 | 89e92ceee500abcd | 0000000000000005");
  const ConfigRequest repr{*NetworkId::parse("89e92ceee500abcd"), 5};
  EXPECT_EQ(*ConfigRequest::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  EXPECT_EQ(ConfigRequest::parse(ByteSpan(bytes).first(16)).error(), Error::truncated);
  EXPECT_EQ(*vl2_inner_type(bytes), Vl2InnerType::config_request);
  EXPECT_EQ(vl2_inner_type(hex("2a")).error(), Error::malformed);  // past name_answer (0x29)
}

TEST(Vl2Messages, ConfigMessageWrapsTheConfig) {
  Bytes bytes = hex("21");
  const Bytes config = literal();
  bytes.insert(bytes.end(), config.begin(), config.end());
  const ConfigMessage repr{literal_repr()};
  EXPECT_EQ(*ConfigMessage::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  bytes[0] = std::byte{0x20};
  EXPECT_EQ(ConfigMessage::parse(bytes).error(), Error::malformed);
}

TEST(Vl2Messages, RefusalLiteral) {
  const Bytes bytes = hex("22 | 89e92ceee500abcd | 02");
  const ConfigRefusal repr{*NetworkId::parse("89e92ceee500abcd"), RefusalReason::not_authorized};
  EXPECT_EQ(*ConfigRefusal::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  EXPECT_EQ(ConfigRefusal::parse(hex("22 | 89e92ceee500abcd | 09")).error(), Error::malformed);
}

TEST(Vl2Messages, RevocationLiteral) {
  const Bytes bytes = hex(std::string("23 | 89e92ceee500abcd | fafebe00c8 | 0000019a8b7c6d5e |") +
                          std::string(kSignatureHex));
  RevocationMessage repr{*NetworkId::parse("89e92ceee500abcd"), *NodeId::parse("fafebe00c8"),
                         0x0000019a8b7c6d5eULL};
  for (std::size_t i = 0; i < 64; ++i) repr.signature[i] = static_cast<std::byte>(0x40 + i);
  EXPECT_EQ(*RevocationMessage::parse(bytes), repr);
  EXPECT_EQ(emit_bytes(repr), bytes);
  const Bytes input = repr.signing_input();
  const auto context = as_bytes(kRevocationContext);
  ASSERT_EQ(input.size(), context.size() + 21);
  EXPECT_TRUE(std::equal(input.begin() + static_cast<std::ptrdiff_t>(context.size()), input.end(),
                         bytes.begin() + 1));
  EXPECT_EQ(RevocationMessage::parse(ByteSpan(bytes).first(85)).error(), Error::truncated);
}

}  // namespace
}  // namespace weft::wire

namespace weft::wire {
namespace {

// Every count and length at its bound: the largest config emits, parses back,
// and is kMaxSize bytes; one more entry anywhere is refused by valid().
TEST(NetworkConfig, LargestConfigRoundTrips) {
  NetworkConfig c = literal_repr();
  c.name = std::string(NetworkConfigView::kMaxName, 'n');
  c.ipv4.assign(NetworkConfigView::kMaxIpv4, c.ipv4[0]);
  c.ipv6.assign(NetworkConfigView::kMaxIpv6, c.ipv6[0]);
  c.routes.assign(NetworkConfigView::kMaxRoutes, c.routes[1]);  // IPv6 routes are the larger
  std::string dns;
  for (int i = 0; i < 62; ++i) dns += "abc.";
  dns += "abcde";  // 253 bytes
  ASSERT_EQ(dns.size(), NetworkConfigView::kMaxDnsName);
  ASSERT_TRUE(is_valid_dns_name(dns));
  c.dns_domain = dns;
  c.dns_name = dns;
  ASSERT_TRUE(c.valid());
  EXPECT_EQ(c.buffer_len(), NetworkConfigView::kMaxSize);
  EXPECT_EQ(NetworkConfigView::kMaxSize, 2247U);
  const Bytes bytes = c.to_bytes();
  auto parsed = NetworkConfig::parse(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, c);
  c.routes.push_back(c.routes[0]);
  EXPECT_FALSE(c.valid());
}

}  // namespace
}  // namespace weft::wire
