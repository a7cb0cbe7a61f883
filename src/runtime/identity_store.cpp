#include "runtime/identity_store.hpp"

#include "osdep/files.hpp"

namespace weft::runtime {

Result<crypto::Identity> IdentityStore::load_or_create(const std::string& dir) {
  const std::string secret_path = dir + "/" + kSecretFile;
  auto text = osdep::read_secret_file(secret_path);
  if (text) return crypto::Identity::parse(*text);
  if (text.error() != Error::not_found) return text.error();
  WEFT_TRY(osdep::make_directories(dir, 0700));
  crypto::Identity id = crypto::Identity::generate();
  WEFT_TRY(osdep::write_file_atomic(secret_path, id.to_secret_string() + "\n", 0600));
  WEFT_TRY(osdep::write_file_atomic(dir + "/" + kPublicFile,
                                    id.public_identity().to_string() + "\n", 0644));
  return id;
}

}  // namespace weft::runtime
