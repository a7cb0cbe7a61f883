#pragma once

#include <string>

#include "base/result.hpp"
#include "crypto/identity.hpp"

namespace weft::runtime {

// A node's identity in its state directory: identity.secret (0600, the
// secret text form) and identity.public (its public form, for sharing).
struct IdentityStore {
  static constexpr const char* kSecretFile = "identity.secret";
  static constexpr const char* kPublicFile = "identity.public";

  // Loads the directory's identity, or, if it has none, creates the directory
  // (0700) and a new identity. A secret file that others may read
  // (Error::insecure_permissions) or that does not verify is an error, never
  // silently replaced: the address is the node's name on every network.
  static Result<crypto::Identity> load_or_create(const std::string& dir);
};

}  // namespace weft::runtime
