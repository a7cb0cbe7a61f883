#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"

namespace weft::crypto {

using PublicKey = ByteArray<32>;
using Signature = ByteArray<64>;

// What a node shows the world: its address and the two public keys the address
// is derived from (Ed25519 for signatures, X25519 for key agreement). Every
// instance has passed verification: its address matches its keys and the
// derivation's proof of work holds, so holding one means the binding is real.
//
// Text form: "<address>:1:<128 hex digits: signing key, then agreement key>".
class PublicIdentity {
 public:
  static constexpr std::string_view kVersion = "1";

  // Checks the address derivation (about 1 ms; see address_derivation.hpp).
  static Result<PublicIdentity> from_keys(NodeId address, const PublicKey& sign_pk,
                                          const PublicKey& kx_pk);
  // The same, for keys that arrived without their address (a handshake): derives
  // it; Error::verification_failed if the keys fail the proof of work.
  static Result<PublicIdentity> from_keys(const PublicKey& sign_pk, const PublicKey& kx_pk);
  // Error::truncated, Error::malformed, Error::unsupported_version or
  // Error::verification_failed; never accepts a partial or unverified identity.
  static Result<PublicIdentity> parse(std::string_view text);

  [[nodiscard]] NodeId address() const noexcept { return address_; }
  [[nodiscard]] const PublicKey& signing_key() const noexcept { return sign_pk_; }
  [[nodiscard]] const PublicKey& agreement_key() const noexcept { return kx_pk_; }
  [[nodiscard]] std::string to_string() const;

  // BLAKE2b-256 over a context string and both public keys: names this exact key
  // set in 32 bytes (credentials bind to it, never to the 40-bit address alone).
  [[nodiscard]] ByteArray<32> fingerprint() const noexcept;

  // Ed25519 detached signature check.
  [[nodiscard]] bool verify(ByteSpan message, const Signature& signature) const noexcept;

  bool operator==(const PublicIdentity&) const = default;

 private:
  PublicIdentity(NodeId address, const PublicKey& sign_pk, const PublicKey& kx_pk)
      : address_(address), sign_pk_(sign_pk), kx_pk_(kx_pk) {}
  friend class Identity;

  NodeId address_;
  PublicKey sign_pk_;
  PublicKey kx_pk_;
};

}  // namespace weft::crypto
