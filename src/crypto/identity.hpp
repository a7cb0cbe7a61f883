#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/public_identity.hpp"
#include "crypto/rng.hpp"

namespace weft::crypto {

// A node's full identity: its PublicIdentity and the matching secret keys.
// Secrets are wiped from memory when the object dies; the object is move-only.
//
// Text form: the public text followed by ":<64 hex Ed25519 seed><64 hex X25519 secret>".
class Identity {
 public:
  // Tries key pairs until one passes the address proof of work (~16 tries).
  static Identity generate();
  // The same from a caller's randomness (a SeededRng gives the same identity
  // every run: for the simulator and tests, never for real keys).
  static Identity generate(Rng& rng);
  // As PublicIdentity::parse, and also checks that the secret keys match the
  // public ones (Error::verification_failed if not). A public-only text is
  // Error::not_found: there is no secret to load.
  static Result<Identity> parse(std::string_view text);

  Identity(Identity&& other) noexcept;
  Identity& operator=(Identity&& other) noexcept;
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;
  ~Identity();
  // An explicit copy, secrets included (a node restarted in the same process
  // reuses its identity); the copy wipes its own memory when it dies.
  [[nodiscard]] Identity clone() const { return Identity(public_, sign_sk_, kx_sk_); }

  [[nodiscard]] const PublicIdentity& public_identity() const noexcept { return public_; }
  [[nodiscard]] NodeId address() const noexcept { return public_.address(); }

  // The secret text form; handle like the key it is (osdep writes it 0600).
  [[nodiscard]] std::string to_secret_string() const;

  [[nodiscard]] Signature sign(ByteSpan message) const noexcept;

  // X25519 shared secret with a peer's agreement key; Error::verification_failed
  // for a low-order point (an all-zero result).
  [[nodiscard]] Result<ByteArray<32>> agree(const PublicKey& peer_kx_pk) const noexcept;

 private:
  Identity(PublicIdentity pub, const ByteArray<64>& sign_sk, const ByteArray<32>& kx_sk);
  void wipe() noexcept;
  // The identity of fresh key pairs if they pass the address proof of work;
  // the secret arrays are wiped either way.
  static std::optional<Identity> adopt(const PublicKey& sign_pk, ByteArray<64>& sign_sk,
                                       const PublicKey& kx_pk, ByteArray<32>& kx_sk);

  PublicIdentity public_;
  ByteArray<64> sign_sk_{};  // libsodium's Ed25519 secret key: seed || public key
  ByteArray<32> kx_sk_{};
};

}  // namespace weft::crypto
