#include "crypto/identity.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/hex.hpp"
#include "crypto/address_derivation.hpp"

namespace weft::crypto {
namespace {

// A fixed identity made by `weft identity new`; the vectors below pin the text
// format, the address derivation and Ed25519 so that no change slips by.
constexpr std::string_view kPublic =
    "fafebe00c8:1:d731fce89a245cb1208f6380979c57c71f3bfb3098189833c393b8a96eb522a9"
    "f3d11b0a5e4060d8d59528b03cc4e5f41a075b86bb230421475ce372fb251134";
constexpr std::string_view kSecretPart =
    ":e58cb51bf4921d9c74782d8a4b1e9a47c706cce2cc7eff295a7707c66688e8d4"
    "b9388dca116262f47f36adfafa8d08088ee9abe983c13c78b123b58448b47e3a";

// Ed25519 over "weft" with the seed above, checked independently with
// `openssl pkeyutl -sign -rawin` on the same seed.
constexpr std::string_view kSignatureOfWeft =
    "4b3b25f1ba16c98f7e9ece1d6c873009d6f766eacf88e9e970e0de015b9c570f"
    "ce27b0cbbde914641593fcef178e39a20203ae4b04f355a14fbfe619b6dfac00";

std::string secret_text() { return std::string(kPublic) + std::string(kSecretPart); }

TEST(Identity, FixedVectorParsesAndRoundTrips) {
  auto id = Identity::parse(secret_text() + "\n");
  ASSERT_TRUE(id) << name(id.error());
  EXPECT_EQ(id->address().to_string(), "fafebe00c8");
  EXPECT_EQ(id->public_identity().to_string(), kPublic);
  EXPECT_EQ(id->to_secret_string(), secret_text());
  auto pub = PublicIdentity::parse(kPublic);
  ASSERT_TRUE(pub);
  EXPECT_EQ(*pub, id->public_identity());
}

TEST(Identity, FixedVectorAddressDerivation) {
  auto pub = *PublicIdentity::parse(kPublic);
  EXPECT_EQ(AddressDerivation::derive(pub.signing_key(), pub.agreement_key()), pub.address());
}

TEST(Identity, FixedVectorSignature) {
  auto id = std::move(Identity::parse(secret_text())).value();
  const auto sig = id.sign(as_bytes(std::string_view("weft")));
  EXPECT_EQ(to_hex(sig), kSignatureOfWeft);
  EXPECT_TRUE(id.public_identity().verify(as_bytes(std::string_view("weft")), sig));
  EXPECT_FALSE(id.public_identity().verify(as_bytes(std::string_view("weft!")), sig));
  auto tampered = sig;
  tampered[10] ^= std::byte{1};
  EXPECT_FALSE(id.public_identity().verify(as_bytes(std::string_view("weft")), tampered));
}

TEST(Identity, GeneratedIdentitiesRoundTripAndDiffer) {
  auto a = Identity::generate();
  auto b = Identity::generate();
  EXPECT_NE(a.address(), b.address());
  auto again = Identity::parse(a.to_secret_string());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_identity(), a.public_identity());
  EXPECT_EQ(*PublicIdentity::parse(a.public_identity().to_string()), a.public_identity());
}

TEST(Identity, KeyAgreementIsSymmetric) {
  auto a = Identity::generate();
  auto b = Identity::generate();
  auto ab = a.agree(b.public_identity().agreement_key());
  auto ba = b.agree(a.public_identity().agreement_key());
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(*ab, *ba);
  EXPECT_EQ(a.agree(PublicKey{}).error(), Error::verification_failed);  // low-order point
}

TEST(Identity, TruncatedTextIsTruncated) {
  const std::string full = secret_text();
  for (std::size_t len : {0UL, 5UL, 10UL, 12UL, 13UL, 100UL, kPublic.size() + 1, full.size() - 1})
    EXPECT_EQ(Identity::parse(full.substr(0, len)).error(), Error::truncated) << len;
  EXPECT_EQ(PublicIdentity::parse(kPublic.substr(0, kPublic.size() - 2)).error(), Error::truncated);
}

TEST(Identity, MalformedTextIsMalformed) {
  std::string bad = secret_text();
  bad[20] = 'x';
  EXPECT_EQ(Identity::parse(bad).error(), Error::malformed);
  EXPECT_EQ(Identity::parse(secret_text() + ":extra").error(), Error::malformed);
  EXPECT_EQ(Identity::parse("hello world").error(), Error::truncated);
  EXPECT_EQ(PublicIdentity::parse(secret_text()).error(), Error::malformed);
  EXPECT_EQ(Identity::parse(kPublic).error(), Error::not_found);
}

TEST(Identity, WrongVersionIsRefused) {
  std::string v2 = secret_text();
  v2[11] = '2';
  EXPECT_EQ(Identity::parse(v2).error(), Error::unsupported_version);
}

TEST(Identity, TamperedKeysOrAddressFailVerification) {
  // A different address with the same keys.
  std::string addr = std::string(kPublic);
  addr[0] = 'e';
  EXPECT_EQ(PublicIdentity::parse(addr).error(), Error::verification_failed);
  // A flipped bit in the public keys.
  std::string key = std::string(kPublic);
  key[20] = key[20] == '0' ? '1' : '0';
  EXPECT_EQ(PublicIdentity::parse(key).error(), Error::verification_failed);
  // Secret keys that do not match the public ones.
  std::string secret = secret_text();
  secret[secret.size() - 1] = secret.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(Identity::parse(secret).error(), Error::verification_failed);
}

}  // namespace
}  // namespace weft::crypto
