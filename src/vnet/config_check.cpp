#include "vnet/config_check.hpp"

#include "vnet/credentials.hpp"

namespace weft::vnet {

Result<void> ConfigCheck::check(const wire::NetworkConfig& config, NetworkId network,
                                const crypto::PublicIdentity& self,
                                const crypto::PublicIdentity& controller,
                                const std::optional<Held>& held) {
  if (config.network != network || config.member != self.address()) return Error::not_authorized;
  if (network.controller() != controller.address()) return Error::verification_failed;
  if (!config.valid() || !controller.verify(config.signing_input(), config.signature))
    return Error::verification_failed;
  if (config.credential.network != network) return Error::not_authorized;
  WEFT_TRY(Credentials::check_own(config.credential, self, controller));
  if (held && (config.revision < held->revision ||
               (config.revision == held->revision && config.issued_ms <= held->issued_ms)))
    return Error::replayed;
  return {};
}

Result<void> ConfigCheck::check_revocation(const wire::RevocationMessage& revocation,
                                           NetworkId network,
                                           const crypto::PublicIdentity& controller) {
  if (revocation.network != network) return Error::not_authorized;
  if (network.controller() != controller.address() ||
      !controller.verify(revocation.signing_input(), revocation.signature))
    return Error::verification_failed;
  return {};
}

}  // namespace weft::vnet
