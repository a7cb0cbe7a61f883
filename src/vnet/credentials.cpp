#include "vnet/credentials.hpp"

#include <algorithm>

namespace weft::vnet {

namespace {

bool signed_by(const wire::MembershipCredential& c, const crypto::PublicIdentity& controller) {
  return c.network.controller() == controller.address() &&
         controller.verify(c.signing_input(), c.signature);
}

bool names(const wire::MembershipCredential& c, const crypto::PublicIdentity& node) {
  return c.member == node.address() && c.member_key == node.fingerprint();
}

}  // namespace

wire::MembershipCredential Credentials::issue(const crypto::Identity& controller,
                                              NetworkId network,
                                              const crypto::PublicIdentity& member,
                                              std::uint64_t issued_ms,
                                              std::uint64_t max_delta_ms,
                                              std::uint64_t revision) {
  wire::MembershipCredential c{network,      member.address(), member.fingerprint(), issued_ms,
                               max_delta_ms, revision,         {}};
  c.signature = controller.sign(c.signing_input());
  return c;
}

Result<void> Credentials::check_own(const wire::MembershipCredential& mine,
                                    const crypto::PublicIdentity& self,
                                    const crypto::PublicIdentity& controller) {
  if (!names(mine, self)) return Error::not_authorized;
  if (!signed_by(mine, controller)) return Error::verification_failed;
  return {};
}

Result<void> Credentials::check(const wire::MembershipCredential& theirs,
                                const crypto::PublicIdentity& peer,
                                const wire::MembershipCredential& mine,
                                const crypto::PublicIdentity& controller,
                                const Revocations& revocations) {
  if (theirs.network != mine.network || !names(theirs, peer)) return Error::not_authorized;
  if (!signed_by(theirs, controller)) return Error::verification_failed;
  const std::uint64_t apart = theirs.issued_ms > mine.issued_ms ? theirs.issued_ms - mine.issued_ms
                                                                : mine.issued_ms - theirs.issued_ms;
  if (apart > std::min(theirs.max_delta_ms, mine.max_delta_ms)) return Error::expired;
  if (revocations.covers(theirs.member, theirs.issued_ms)) return Error::revoked;
  return {};
}

}  // namespace weft::vnet
