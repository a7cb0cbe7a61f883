#pragma once

#include <cstdint>
#include <optional>

#include "base/network_id.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"
#include "wire/network_config.hpp"
#include "wire/vl2_messages.hpp"

namespace weft::vnet {

// What a member checks before it uses a network config or a revocation from its
// controller. The controller's address is in the NetworkId; its full public
// identity (whose address derivation was verified when it was parsed or learned
// from a handshake) is what the signature is checked against, never the 40-bit
// address alone.
struct ConfigCheck {
  // The (revision, issue time) of the config a member holds. A newer config has a
  // higher revision, or the same revision and a later issue time: the controller
  // re-issues an unchanged config to refresh the credential it carries.
  struct Held {
    std::uint64_t revision{0};
    std::uint64_t issued_ms{0};
  };

  //   Error::not_authorized       another network, or a config or credential for
  //                               another member (address or key fingerprint)
  //   Error::verification_failed  `controller` is not the network's controller, or
  //                               a signature (config or credential) does not verify
  //   Error::replayed             not newer than `held`
  static Result<void> check(const wire::NetworkConfig& config, NetworkId network,
                            const crypto::PublicIdentity& self,
                            const crypto::PublicIdentity& controller,
                            const std::optional<Held>& held);

  // A revocation for `network`: signed by its controller (Error::verification_failed),
  // for this network (Error::not_authorized).
  static Result<void> check_revocation(const wire::RevocationMessage& revocation, NetworkId network,
                                       const crypto::PublicIdentity& controller);
};

}  // namespace weft::vnet
