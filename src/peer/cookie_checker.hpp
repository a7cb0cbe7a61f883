#pragma once

// The responder's side of the DoS defence (docs/protocol.md §4.5, after
// WireGuard §5.4.7): mac1 proves a handshake message was made for our public
// keys (a BLAKE2b, no Diffie-Hellman); under load, mac2 must also prove the
// sender received a cookie at its source endpoint, which a spoofed source never
// can. Cookies are MACs of the source endpoint under a secret that changes every
// kSecretLifetime, so nothing per sender is stored.

#include <cstdint>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "crypto/public_identity.hpp"
#include "crypto/rng.hpp"
#include "crypto/secret.hpp"
#include "wire/cookie_reply.hpp"
#include "wire/endpoint.hpp"

namespace weft::peer {

class CookieChecker {
 public:
  static constexpr Duration kSecretLifetime = 120s;

  CookieChecker(const crypto::PublicIdentity& self, crypto::Rng& rng) noexcept;

  [[nodiscard]] bool mac1_valid(ByteSpan mac1_input, ByteSpan mac1) const noexcept;
  // Whether mac2 was made with the cookie `source` would have been given now.
  [[nodiscard]] bool mac2_valid(Instant now, const wire::Endpoint& source, ByteSpan mac2_input,
                                ByteSpan mac2) noexcept;
  // The reply that gives `source` its cookie, bound to the mac1 it answers.
  [[nodiscard]] wire::CookieReply make_reply(Instant now, const wire::Endpoint& source,
                                             std::uint32_t receiver_index,
                                             std::span<const std::byte, 16> mac1) noexcept;

 private:
  ByteArray<16> cookie_for(Instant now, const wire::Endpoint& source) noexcept;

  crypto::Rng& rng_;
  crypto::Key32 mac1_key_;
  crypto::Key32 cookie_key_;
  crypto::Key32 secret_;
  Instant secret_made_{};
  bool have_secret_{false};
};

// The sender's side: remembers the cookie a responder sent and computes mac1
// and mac2 for handshake messages to it.
class CookieJar {
 public:
  explicit CookieJar(const crypto::PublicIdentity& peer) noexcept;

  // Fills mac1 (always) and mac2 (if a cookie younger than the secret lifetime
  // is held, else zero) of a message whose bytes before mac1 are mac1_input.
  void stamp(Instant now, ByteSpan mac1_input, std::span<std::byte, 16> mac1,
             std::span<std::byte, 16> mac2) noexcept;
  // Error::verification_failed unless the reply answers the last mac1 we sent.
  Result<void> accept_reply(Instant now, const wire::CookieReplyView& reply) noexcept;
  [[nodiscard]] bool has_cookie(Instant now) const noexcept;

 private:
  crypto::Key32 mac1_key_;
  crypto::Key32 cookie_key_;
  ByteArray<16> last_mac1_{};
  bool sent_{false};
  ByteArray<16> cookie_{};
  Instant cookie_received_{};
  bool have_cookie_{false};
};

}  // namespace weft::peer
