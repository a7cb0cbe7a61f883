#include "runtime/identity_store.hpp"

#include "runtime/directory_state.hpp"

namespace weft::runtime {

namespace {
using Secrecy = StateStore::Secrecy;

// Text objects end with a newline for people who cat them; it is not part of
// the identity.
std::string_view trimmed(const std::string& text) {
  std::string_view v(text);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
  return v;
}
}  // namespace

Result<crypto::Identity> IdentityStore::load_or_create(StateStore& store,
                                                       std::optional<crypto::Identity> given) {
  auto secret = store.get(kSecretFile, Secrecy::secret);
  if (!secret) return secret.error();
  if (*secret) {
    auto id = crypto::Identity::parse(trimmed(**secret));
    if (!id) return Error::malformed;
    auto pub = store.get(kPublicFile, Secrecy::open);
    if (!pub) return pub.error();
    if (*pub && trimmed(**pub) != id->public_identity().to_string())
      return Error::verification_failed;
    if (given && given->address() != id->address()) return Error::already_exists;
    return std::move(*id);
  }
  crypto::Identity id = given ? std::move(*given) : crypto::Identity::generate();
  WEFT_TRY(store.put(kSecretFile, id.to_secret_string() + "\n", Secrecy::secret));
  WEFT_TRY(store.put(kPublicFile, id.public_identity().to_string() + "\n", Secrecy::open));
  return id;
}

Result<crypto::Identity> IdentityStore::load_or_create(const std::string& dir) {
  DirectoryState store(dir);
  return load_or_create(store);
}

}  // namespace weft::runtime
