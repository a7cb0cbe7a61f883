#include "vnet/credentials.hpp"

#include <gtest/gtest.h>

#include "unit/fixtures/identities.hpp"

namespace weft::vnet {
namespace {

using testing::alice;
using testing::bob;
using testing::mallory;

// Mallory runs the controller in these tests only where it says so; normally the
// controller is a fourth identity.
const crypto::Identity& controller() {
  static const crypto::Identity id = crypto::Identity::generate();
  return id;
}

NetworkId network() { return NetworkId::make(controller().address(), 1); }

constexpr std::uint64_t kT = 1'700'000'000'000;  // ms since the epoch
constexpr std::uint64_t kDelta = Credentials::kDefaultMaxDeltaMs;

wire::MembershipCredential issue_to(const crypto::Identity& member, std::uint64_t at,
                                    NetworkId net = network()) {
  return Credentials::issue(controller(), net, member.public_identity(), at, kDelta, 1);
}

Result<void> bob_checks_alice(const wire::MembershipCredential& alices,
                              const Revocations& revoked = {}) {
  return Credentials::check(alices, alice().public_identity(), issue_to(bob(), kT),
                            controller().public_identity(), revoked);
}

TEST(Credentials, FreshCredentialsOfTwoMembersAgree) {
  EXPECT_TRUE(bob_checks_alice(issue_to(alice(), kT)));
  EXPECT_TRUE(bob_checks_alice(issue_to(alice(), kT + kDelta)));  // at the edge
  EXPECT_TRUE(bob_checks_alice(issue_to(alice(), kT - kDelta)));
  EXPECT_TRUE(Credentials::check_own(issue_to(alice(), kT), alice().public_identity(),
                                     controller().public_identity()));
}

TEST(Credentials, OldOrReplayedCredentialIsExpired) {
  EXPECT_EQ(bob_checks_alice(issue_to(alice(), kT - kDelta - 1)).error(), Error::expired);
  EXPECT_EQ(bob_checks_alice(issue_to(alice(), kT + kDelta + 1)).error(), Error::expired);
}

TEST(Credentials, ForgedSignatureFails) {
  // Signed by someone other than the network's controller.
  auto forged = Credentials::issue(mallory(), network(), alice().public_identity(), kT, kDelta, 1);
  EXPECT_EQ(bob_checks_alice(forged).error(), Error::verification_failed);
  // A genuine credential with one field changed after signing.
  auto tampered = issue_to(alice(), kT);
  tampered.max_delta_ms += 1;
  EXPECT_EQ(bob_checks_alice(tampered).error(), Error::verification_failed);
  // Mallory's own network, with Mallory as controller, names a different network.
  auto other = Credentials::issue(mallory(), NetworkId::make(mallory().address(), 1),
                                  alice().public_identity(), kT, kDelta, 1);
  EXPECT_EQ(bob_checks_alice(other).error(), Error::not_authorized);
}

TEST(Credentials, WrongNetworkOrWrongHolderIsNotAuthorized) {
  EXPECT_EQ(bob_checks_alice(issue_to(alice(), kT, NetworkId::make(controller().address(), 2)))
                .error(),
            Error::not_authorized);
  // Mallory presents Alice's genuine credential on her own session.
  EXPECT_EQ(Credentials::check(issue_to(alice(), kT), mallory().public_identity(),
                               issue_to(bob(), kT), controller().public_identity(), {})
                .error(),
            Error::not_authorized);
  // A config signed for someone else is refused as our own.
  EXPECT_EQ(Credentials::check_own(issue_to(alice(), kT), bob().public_identity(),
                                   controller().public_identity())
                .error(),
            Error::not_authorized);
}

TEST(Credentials, RevocationCutsOffCredentialsUpToTheThreshold) {
  Revocations revoked;
  EXPECT_TRUE(revoked.revoke(alice().address(), kT));
  EXPECT_EQ(bob_checks_alice(issue_to(alice(), kT), revoked).error(), Error::revoked);
  EXPECT_EQ(bob_checks_alice(issue_to(alice(), kT - 1), revoked).error(), Error::revoked);
  // Re-authorised later: a newer credential passes.
  EXPECT_TRUE(bob_checks_alice(issue_to(alice(), kT + 1), revoked));
}

TEST(Revocations, OnlyEverRise) {
  Revocations r;
  const NodeId a = alice().address();
  EXPECT_TRUE(r.revoke(a, 100));
  EXPECT_FALSE(r.revoke(a, 50));  // a replayed older revocation
  EXPECT_FALSE(r.revoke(a, 100));
  EXPECT_TRUE(r.covers(a, 100));
  EXPECT_FALSE(r.covers(a, 101));
  EXPECT_TRUE(r.revoke(a, 200));
  EXPECT_TRUE(r.covers(a, 150));
  EXPECT_FALSE(r.covers(bob().address(), 0));
  r.forget(a);
  EXPECT_FALSE(r.covers(a, 0));
}

}  // namespace
}  // namespace weft::vnet
