#pragma once

// The AEADs of the handshake (libsodium): ChaCha20-Poly1305-IETF with an
// all-zero nonce for handshake payloads (every handshake key encrypts exactly
// one message), and XChaCha20-Poly1305 with a random nonce for cookie replies.
// The data plane uses PacketCipher (crypto/packet_cipher.hpp) instead.

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/secret.hpp"

namespace weft::crypto {

inline constexpr std::size_t kAeadTag = 16;

// out.size() must be plaintext.size() + kAeadTag.
void handshake_seal(const Key32& key, ByteSpan ad, ByteSpan plaintext,
                    MutableByteSpan out) noexcept;
// out.size() must be ciphertext.size() - kAeadTag; Error::verification_failed on a bad tag.
Result<void> handshake_open(const Key32& key, ByteSpan ad, ByteSpan ciphertext,
                            MutableByteSpan out) noexcept;

void cookie_seal(const Key32& key, std::span<const std::byte, 24> nonce, ByteSpan ad,
                 const ByteArray<16>& cookie, std::span<std::byte, 32> out) noexcept;
Result<ByteArray<16>> cookie_open(const Key32& key, std::span<const std::byte, 24> nonce,
                                  ByteSpan ad, std::span<const std::byte, 32> sealed) noexcept;

}  // namespace weft::crypto
