#include "crypto/packet_cipher.hpp"

#include <gtest/gtest.h>

#include "base/hex.hpp"

namespace weft::crypto {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }

Key32 key_of(std::string_view h) {
  ByteArray<32> k{};
  EXPECT_TRUE(from_hex(h, k));
  return Key32{k};
}

PacketCipher make(const Key32& k, PacketCipher::Direction d) {
  return PacketCipher::create(k, d).value();
}

TEST(PacketCipher, AesGcmKnownAnswers) {
  // McGrew & Viega's GCM test cases 13 and 14: zero key, zero nonce (counter 0).
  const Key32 zero;
  auto s = make(zero, PacketCipher::Direction::seal);
  Bytes tag(16);
  ASSERT_TRUE(s.seal(0, {}, {}, tag));
  EXPECT_EQ(to_hex(tag), "530f8afbc74536b9a963b4f1c4cb738b");
  const Bytes zeros(16);
  Bytes out(32);
  ASSERT_TRUE(s.seal(0, {}, zeros, out));
  EXPECT_EQ(to_hex(out), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");

  // Our nonce layout: 4 zero bytes, then the counter big-endian. Expected bytes
  // from Python's `cryptography` AESGCM with nonce 00000000‖0102030405060708.
  const Key32 k = key_of("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  auto s2 = make(k, PacketCipher::Direction::seal);
  Bytes ct(4 + 16);
  ASSERT_TRUE(s2.seal(0x0102030405060708ULL, hex("0104000000000007"), as_bytes("weft"), ct));
  EXPECT_EQ(to_hex(ct), "5fa47e940fd5908d41870b86658ef1c4a5c76109");

  auto o = make(k, PacketCipher::Direction::open);
  Bytes pt(4);
  ASSERT_TRUE(o.open(0x0102030405060708ULL, hex("0104000000000007"), ct, pt));
  EXPECT_EQ(pt, Bytes(as_bytes("weft").begin(), as_bytes("weft").end()));
}

TEST(PacketCipher, InPlaceRoundTripAndEveryTamperFails) {
  const Key32 k = key_of("1111111111111111111111111111111111111111111111111111111111111111");
  auto s = make(k, PacketCipher::Direction::seal);
  auto o = make(k, PacketCipher::Direction::open);
  const Bytes ad = hex("01040000000000010000000000000005");
  Bytes buf(1400 + 16);
  for (std::size_t i = 0; i < 1400; ++i) buf[i] = static_cast<std::byte>(i * 7);
  const Bytes plain(buf.begin(), buf.begin() + 1400);
  ASSERT_TRUE(s.seal(5, ad, ByteSpan(buf).first(1400), buf));  // in place
  EXPECT_NE(Bytes(buf.begin(), buf.begin() + 1400), plain);
  const Bytes sealed = buf;

  ASSERT_TRUE(o.open(5, ad, buf, MutableByteSpan(buf).first(1400)));  // in place
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + 1400), plain);

  Bytes out(1400);
  EXPECT_EQ(o.open(6, ad, sealed, out).error(), Error::verification_failed);  // wrong counter
  Bytes bad_ad = ad;
  bad_ad[15] ^= std::byte{1};
  EXPECT_EQ(o.open(5, bad_ad, sealed, out).error(), Error::verification_failed);
  for (std::size_t i : {0UL, 700UL, 1399UL, 1400UL, 1415UL}) {
    Bytes t = sealed;
    t[i] ^= std::byte{0x40};
    EXPECT_EQ(o.open(5, ad, t, out).error(), Error::verification_failed) << i;
  }
  // The context survives failures: the genuine packet still opens.
  ASSERT_TRUE(o.open(5, ad, sealed, out));
  EXPECT_EQ(out, plain);
}

}  // namespace
}  // namespace weft::crypto
