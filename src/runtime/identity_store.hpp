#pragma once

#include <optional>

#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "runtime/state_store.hpp"

namespace weft::runtime {

// A node's identity in its StateStore: identity.secret (secret text form) and
// identity.public (its public form, for sharing).
struct IdentityStore {
  static constexpr const char* kSecretFile = "identity.secret";
  static constexpr const char* kPublicFile = "identity.public";

  // Loads the stored identity, or, if there is none, stores `given` (or a new
  // identity when none is given). Never silently replaced, since the address
  // is the node's name on every network:
  //   Error::malformed         identity.secret does not parse (half-written, edited)
  //   Error::verification_failed  identity.public is another identity's
  //   Error::already_exists    `given` differs from the stored identity
  //   Error::insecure_permissions  the secret is readable by others
  // and the store's own errors.
  static Result<crypto::Identity> load_or_create(StateStore& store,
                                                 std::optional<crypto::Identity> given = {});
  // The same in a directory (DirectoryState).
  static Result<crypto::Identity> load_or_create(const std::string& dir);
};

}  // namespace weft::runtime
