// Root messages and the records and endpoints inside them, against literal bytes
// (docs/protocol.md §6).
#include <gtest/gtest.h>

#include <string_view>

#include "unit/wire/wire_hex.hpp"
#include "wire/endpoint.hpp"
#include "wire/lookup.hpp"
#include "wire/lookup_reply.hpp"
#include "wire/peer_record.hpp"
#include "wire/registration.hpp"
#include "wire/registration_ack.hpp"
#include "wire/rendezvous.hpp"

namespace weft::wire {
namespace {

using testing::emit_bytes;
using testing::hex;

constexpr std::string_view kV4 = "04 | 1f90 | c0a80001";  // 192.168.0.1:8080
constexpr std::string_view kV6 =
    "06 | 01bb | 20010db8000000000000000000000001";  // [2001:db8::1]:443

Endpoint v4() {
  return Endpoint::ipv4({std::byte{192}, std::byte{168}, std::byte{0}, std::byte{1}}, 8080);
}
Endpoint v6() {
  ByteArray<16> a{};
  a[0] = std::byte{0x20};
  a[1] = std::byte{0x01};
  a[2] = std::byte{0x0d};
  a[3] = std::byte{0xb8};
  a[15] = std::byte{0x01};
  return Endpoint::ipv6(a, 443);
}

template <std::size_t N>
ByteArray<N> filled(unsigned v) {
  ByteArray<N> a{};
  a.fill(static_cast<std::byte>(v));
  return a;
}

// address 0a0b0c0d0e, keys 0x51… and 0x52…, the two endpoints above.
constexpr std::string_view kRecord =
    "0a0b0c0d0e |"
    "5151515151515151515151515151515151515151515151515151515151515151 |"
    "5252525252525252525252525252525252525252525252525252525252525252 |"
    "02 | 04 1f90 c0a80001 | 06 01bb 20010db8000000000000000000000001";

PeerRecord record() {
  return PeerRecord{
      *NodeId::from_u64(0x0a0b0c0d0e), filled<32>(0x51), filled<32>(0x52), {v4(), v6()}};
}

TEST(Endpoint, LiteralRoundTrip) {
  EXPECT_EQ(*Endpoint::parse(hex(kV4)), v4());
  EXPECT_EQ(*Endpoint::parse(hex(kV6)), v6());
  EXPECT_EQ(emit_bytes(v4()), hex(kV4));
  EXPECT_EQ(emit_bytes(v6()), hex(kV6));
  EXPECT_EQ(Endpoint::parse(hex("04 1f90 c0a800")).error(), Error::truncated);
  EXPECT_EQ(Endpoint::parse(hex("06 01bb 20010db8")).error(), Error::truncated);
  EXPECT_EQ(Endpoint::parse(hex("05 1f90 c0a80001")).error(), Error::malformed);
  EXPECT_EQ(Endpoint::parse(hex("04 0000 c0a80001")).error(), Error::malformed);
}

TEST(PeerRecord, LiteralRoundTripAndBound) {
  EXPECT_EQ(*PeerRecord::parse(hex(kRecord)), record());
  EXPECT_EQ(emit_bytes(record()), hex(kRecord));
  // Nine endpoints: over the cap of eight, rejected before reading them.
  Bytes nine = hex(kRecord);
  nine[PeerRecord::kEndpointCount] = std::byte{9};
  EXPECT_EQ(PeerRecord::parse(nine).error(), Error::malformed);
  // A count promising more endpoints than there are bytes.
  Bytes three = hex(kRecord);
  three[PeerRecord::kEndpointCount] = std::byte{3};
  EXPECT_EQ(PeerRecord::parse(three).error(), Error::truncated);
}

TEST(Registration, LiteralRoundTripAndSigningInput) {
  const std::string sig(128, 'e');
  const Bytes bytes =
      hex(std::string("10 000000 | 0000000000000064 |") + std::string(kRecord) + "|" + sig);
  const Registration expected{100, record(), filled<64>(0xee)};
  auto r = Registration::parse(bytes);
  ASSERT_TRUE(r) << name(r.error());
  EXPECT_EQ(*r, expected);
  EXPECT_EQ(emit_bytes(expected), bytes);

  auto v = RegistrationView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->timestamp(), 100U);
  EXPECT_EQ(v->signed_part().size(), bytes.size() - 64);
  // "weft.vl1.register.v1" then everything before the signature.
  Bytes input = hex("776566742e766c312e72656769737465722e7631");
  input.insert(input.end(), bytes.begin(), bytes.end() - 64);
  EXPECT_EQ(expected.signing_input(), input);

  EXPECT_EQ(Registration::parse(ByteSpan(bytes).first(bytes.size() - 1)).error(), Error::truncated);
  Bytes longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_EQ(Registration::parse(longer).error(), Error::too_large);
}

TEST(RegistrationAck, LiteralRoundTrip) {
  const Bytes bytes = hex(std::string("11 000000 | 0000000000000064 |") + std::string(kV6));
  const RegistrationAck expected{100, v6()};
  EXPECT_EQ(*RegistrationAck::parse(bytes), expected);
  EXPECT_EQ(emit_bytes(expected), bytes);
  Bytes longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_EQ(RegistrationAck::parse(longer).error(), Error::too_large);
}

TEST(Lookup, LiteralRoundTrip) {
  const Bytes bytes = hex("12 000000 | 00000009 | 0a0b0c0d0e");
  const Lookup expected{9, *NodeId::from_u64(0x0a0b0c0d0e)};
  EXPECT_EQ(*Lookup::parse(bytes), expected);
  EXPECT_EQ(emit_bytes(expected), bytes);
  EXPECT_EQ(Lookup::parse(hex("12 000000 | 00000009 | ff0b0c0d0e")).error(), Error::malformed);
}

TEST(LookupReply, FoundAndNotFound) {
  const Bytes found = hex(std::string("13 00 0000 | 00000009 |") + std::string(kRecord));
  const LookupReply expected_found{9, *NodeId::from_u64(0x0a0b0c0d0e), record()};
  EXPECT_EQ(*LookupReply::parse(found), expected_found);
  EXPECT_EQ(emit_bytes(expected_found), found);

  const Bytes missing = hex("13 01 0000 | 00000009 | 0a0b0c0d0e");
  const LookupReply expected_missing{9, *NodeId::from_u64(0x0a0b0c0d0e), std::nullopt};
  EXPECT_EQ(*LookupReply::parse(missing), expected_missing);
  EXPECT_EQ(emit_bytes(expected_missing), missing);
  EXPECT_EQ(LookupReply::parse(hex("13 02 0000 | 00000009 | 0a0b0c0d0e")).error(),
            Error::malformed);
}

TEST(Rendezvous, LiteralRoundTrip) {
  const Bytes bytes = hex(std::string("14 000000 |") + std::string(kRecord));
  const Rendezvous expected{record()};
  EXPECT_EQ(*Rendezvous::parse(bytes), expected);
  EXPECT_EQ(emit_bytes(expected), bytes);
}

}  // namespace
}  // namespace weft::wire
