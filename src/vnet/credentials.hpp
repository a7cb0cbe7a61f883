#pragma once

#include <cstdint>

#include "base/network_id.hpp"
#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "crypto/public_identity.hpp"
#include "vnet/revocations.hpp"
#include "wire/membership_credential.hpp"

namespace weft::vnet {

// Issuing (controller) and checking (every member) membership credentials.
//
// How a member is cut off: its credential is checked against the checker's OWN
// credential, not against a clock: the two issue times must lie within the
// smaller of their max_delta. The controller re-issues credentials to online
// members well within max_delta, so a deauthorised member, which gets no new
// credential, falls out of step with everyone within max_delta even if every
// revocation is lost; and the controller pushes a revocation at once, which
// cuts it off as soon as members receive it. Both mechanisms, by design: the
// push for speed, the delta for when a push is lost.
struct Credentials {
  // The default max_delta: what a lost revocation costs at worst.
  static constexpr std::uint64_t kDefaultMaxDeltaMs = 60'000;

  static wire::MembershipCredential issue(const crypto::Identity& controller, NetworkId network,
                                          const crypto::PublicIdentity& member,
                                          std::uint64_t issued_ms, std::uint64_t max_delta_ms,
                                          std::uint64_t revision);

  // Checks a credential `theirs` presented by `peer` (the identity its session
  // authenticated) against our own credential `mine` for the same network.
  //   Error::not_authorized        another network, or not the peer's credential
  //   Error::verification_failed   not signed by this network's controller
  //   Error::expired               issue times further apart than max_delta allows
  //   Error::revoked               covered by a revocation
  static Result<void> check(const wire::MembershipCredential& theirs,
                            const crypto::PublicIdentity& peer,
                            const wire::MembershipCredential& mine,
                            const crypto::PublicIdentity& controller,
                            const Revocations& revocations);

  // Checks a credential the controller sent us about ourselves.
  static Result<void> check_own(const wire::MembershipCredential& mine,
                                const crypto::PublicIdentity& self,
                                const crypto::PublicIdentity& controller);
};

}  // namespace weft::vnet
