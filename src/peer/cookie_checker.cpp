#include "peer/cookie_checker.hpp"

#include <algorithm>

#include "crypto/blake2b.hpp"
#include "crypto/handshake_aead.hpp"
#include "crypto/noise_ik.hpp"

namespace weft::peer {

namespace {

// The endpoint's wire bytes (§6.1) are the cookie's MAC input; on the stack,
// since this runs for every datagram of a flood.
struct EndpointBytes {
  explicit EndpointBytes(const wire::Endpoint& e) noexcept : len(e.buffer_len()) {
    e.emit(MutableByteSpan(buf).first(len));
  }
  [[nodiscard]] ByteSpan span() const noexcept { return ByteSpan(buf).first(len); }
  ByteArray<wire::Endpoint::kIpv6Size> buf{};
  std::size_t len;
};

// Constant time: an early exit would let a sender find a valid MAC byte by byte.
bool same16(ByteSpan a, ByteSpan b) noexcept {
  if (a.size() != 16 || b.size() != 16) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < 16; ++i) diff |= std::to_integer<unsigned>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

CookieChecker::CookieChecker(const crypto::PublicIdentity& self, crypto::Rng& rng) noexcept
    : rng_(rng),
      mac1_key_(crypto::NoiseIk::mac1_key(self)),
      cookie_key_(crypto::NoiseIk::cookie_key(self)) {}

bool CookieChecker::mac1_valid(ByteSpan mac1_input, ByteSpan mac1) const noexcept {
  const auto expected = crypto::mac16(mac1_key_.span(), {mac1_input});
  return same16(expected, mac1);
}

ByteArray<16> CookieChecker::cookie_for(Instant now, const wire::Endpoint& source) noexcept {
  if (!have_secret_ || now - secret_made_ >= kSecretLifetime || now < secret_made_) {
    rng_.fill(secret_.mutable_bytes());
    secret_made_ = now;
    have_secret_ = true;
  }
  return crypto::mac16(secret_.span(), {EndpointBytes(source).span()});
}

bool CookieChecker::mac2_valid(Instant now, const wire::Endpoint& source, ByteSpan mac2_input,
                               ByteSpan mac2) noexcept {
  const auto cookie = cookie_for(now, source);
  const auto expected = crypto::mac16(cookie, {mac2_input});
  return same16(expected, mac2);
}

wire::CookieReply CookieChecker::make_reply(Instant now, const wire::Endpoint& source,
                                            std::uint32_t receiver_index,
                                            std::span<const std::byte, 16> mac1) noexcept {
  wire::CookieReply reply;
  reply.receiver_index = receiver_index;
  rng_.fill(reply.nonce);
  crypto::cookie_seal(cookie_key_, reply.nonce, mac1, cookie_for(now, source),
                      reply.encrypted_cookie);
  return reply;
}

CookieJar::CookieJar(const crypto::PublicIdentity& peer) noexcept
    : mac1_key_(crypto::NoiseIk::mac1_key(peer)), cookie_key_(crypto::NoiseIk::cookie_key(peer)) {}

void CookieJar::stamp(Instant now, ByteSpan mac1_input, std::span<std::byte, 16> mac1,
                      std::span<std::byte, 16> mac2) noexcept {
  last_mac1_ = crypto::mac16(mac1_key_.span(), {mac1_input});
  sent_ = true;
  std::copy(last_mac1_.begin(), last_mac1_.end(), mac1.begin());
  if (has_cookie(now)) {
    // mac2 covers everything before it, mac1 included.
    const auto m2 = crypto::mac16(cookie_, {mac1_input, last_mac1_});
    std::copy(m2.begin(), m2.end(), mac2.begin());
  } else {
    std::fill(mac2.begin(), mac2.end(), std::byte{0});
  }
}

Result<void> CookieJar::accept_reply(Instant now, const wire::CookieReplyView& reply) noexcept {
  if (!sent_) return Error::verification_failed;
  auto cookie =
      crypto::cookie_open(cookie_key_, reply.nonce(), last_mac1_, reply.encrypted_cookie());
  if (!cookie) return cookie.error();
  cookie_ = *cookie;
  cookie_received_ = now;
  have_cookie_ = true;
  return {};
}

bool CookieJar::has_cookie(Instant now) const noexcept {
  return have_cookie_ && now - cookie_received_ < CookieChecker::kSecretLifetime;
}

}  // namespace weft::peer
