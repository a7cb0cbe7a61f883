#pragma once

#include <string_view>

#include "base/node_id.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"

namespace weft::crypto {

// The text form shared by PublicIdentity and Identity:
//   <10 hex address>:<version>:<128 hex public keys>[:<128 hex secret keys>]
// Surrounding whitespace (a trailing newline in a file) is ignored.
struct IdentityText {
  struct Fields {
    std::string_view address;
    std::string_view version;
    std::string_view public_keys;
    std::string_view secret;
    bool has_secret = false;  // a fourth field, even an empty one, was present
  };
  struct PublicParts {
    NodeId address;
    PublicKey sign_pk;
    PublicKey kx_pk;
  };

  static Result<Fields> split(std::string_view text);
  static Result<PublicParts> decode_public(const Fields& f);
};

}  // namespace weft::crypto
