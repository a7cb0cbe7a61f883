#include "vnet/config_check.hpp"

#include <gtest/gtest.h>

#include "unit/fixtures/identities.hpp"
#include "vnet/credentials.hpp"

namespace weft::vnet {
namespace {

using testing::alice;
using testing::bob;
using testing::mallory;

// Alice runs the controller; Bob is the member.
NetworkId network() { return NetworkId::make(alice().address(), 7); }
constexpr std::uint64_t kT = 1'700'000'000'000;

wire::NetworkConfig config_for(const crypto::Identity& member, std::uint64_t revision,
                               std::uint64_t at, const crypto::Identity& signer = alice(),
                               NetworkId net = network()) {
  wire::NetworkConfig c{
      .network = net,
      .member = member.address(),
      .credential = Credentials::issue(signer, net, member.public_identity(), at,
                                       Credentials::kDefaultMaxDeltaMs, revision)};
  c.revision = revision;
  c.issued_ms = at;
  c.name = "lab";
  c.signature = signer.sign(c.signing_input());
  return c;
}

const crypto::PublicIdentity& pub(const crypto::Identity& id) { return id.public_identity(); }

TEST(ConfigCheck, AcceptsTheControllersConfigForUs) {
  EXPECT_TRUE(ConfigCheck::check(config_for(bob(), 3, kT), network(), pub(bob()), pub(alice()),
                                 std::nullopt));
  EXPECT_TRUE(ConfigCheck::check(config_for(bob(), 3, kT), network(), pub(bob()), pub(alice()),
                                 ConfigCheck::Held{2, kT + 5}));
  // Same revision, later issue time: a credential refresh.
  EXPECT_TRUE(ConfigCheck::check(config_for(bob(), 3, kT + 1), network(), pub(bob()), pub(alice()),
                                 ConfigCheck::Held{3, kT}));
}

TEST(ConfigCheck, RefusesAnotherSignerOrATamperedConfig) {
  // Mallory signs a config for Alice's network: she is not its controller.
  EXPECT_EQ(ConfigCheck::check(config_for(bob(), 3, kT, mallory()), network(), pub(bob()),
                               pub(mallory()), std::nullopt)
                .error(),
            Error::verification_failed);
  // Checked against Alice's key, Mallory's signature fails too.
  EXPECT_EQ(ConfigCheck::check(config_for(bob(), 3, kT, mallory()), network(), pub(bob()),
                               pub(alice()), std::nullopt)
                .error(),
            Error::verification_failed);
  auto c = config_for(bob(), 3, kT);
  c.ipv4.push_back({{std::byte{10}, std::byte{0}, std::byte{0}, std::byte{1}}, 24});
  EXPECT_EQ(ConfigCheck::check(c, network(), pub(bob()), pub(alice()), std::nullopt).error(),
            Error::verification_failed);
}

TEST(ConfigCheck, RefusesAConfigForSomeoneElse) {
  EXPECT_EQ(ConfigCheck::check(config_for(mallory(), 3, kT), network(), pub(bob()), pub(alice()),
                               std::nullopt)
                .error(),
            Error::not_authorized);
  EXPECT_EQ(
      ConfigCheck::check(config_for(bob(), 3, kT, alice(), NetworkId::make(alice().address(), 8)),
                         network(), pub(bob()), pub(alice()), std::nullopt)
          .error(),
      Error::not_authorized);
  // A config for Bob carrying Mallory's credential, signed by the controller.
  auto c = config_for(bob(), 3, kT);
  c.credential = config_for(mallory(), 3, kT).credential;
  c.signature = alice().sign(c.signing_input());
  EXPECT_EQ(ConfigCheck::check(c, network(), pub(bob()), pub(alice()), std::nullopt).error(),
            Error::not_authorized);
}

TEST(ConfigCheck, RefusesAReplayedOrOlderConfig) {
  const auto c = config_for(bob(), 3, kT);
  EXPECT_EQ(
      ConfigCheck::check(c, network(), pub(bob()), pub(alice()), ConfigCheck::Held{3, kT}).error(),
      Error::replayed);
  EXPECT_EQ(
      ConfigCheck::check(c, network(), pub(bob()), pub(alice()), ConfigCheck::Held{4, kT - 10})
          .error(),
      Error::replayed);
}

TEST(ConfigCheck, Revocations) {
  wire::RevocationMessage r{network(), bob().address(), kT};
  r.signature = alice().sign(r.signing_input());
  EXPECT_TRUE(ConfigCheck::check_revocation(r, network(), pub(alice())));
  auto forged = r;
  forged.threshold_ms += 1;
  EXPECT_EQ(ConfigCheck::check_revocation(forged, network(), pub(alice())).error(),
            Error::verification_failed);
  EXPECT_EQ(
      ConfigCheck::check_revocation(r, NetworkId::make(alice().address(), 8), pub(alice())).error(),
      Error::not_authorized);
  wire::RevocationMessage by_mallory{network(), bob().address(), kT};
  by_mallory.signature = mallory().sign(by_mallory.signing_input());
  EXPECT_EQ(ConfigCheck::check_revocation(by_mallory, network(), pub(mallory())).error(),
            Error::verification_failed);
}

}  // namespace
}  // namespace weft::vnet
