#pragma once

// BLAKE2b (libsodium's crypto_generichash) as the handshake's hash, MAC and KDF.
// docs/protocol.md §4.4 defines each use.

#include <initializer_list>
#include <utility>

#include "base/bytes.hpp"
#include "crypto/secret.hpp"

namespace weft::crypto {

// BLAKE2b-256 of the concatenation of parts (no key).
ByteArray<32> hash(std::initializer_list<ByteSpan> parts) noexcept;

// Keyed BLAKE2b with a 16-byte output: mac1, mac2 and cookies. key is 16..64 bytes.
ByteArray<16> mac16(ByteSpan key, std::initializer_list<ByteSpan> parts) noexcept;

// HKDF's extract-and-expand with keyed BLAKE2b-256 as the PRF (in place of HMAC:
// keyed BLAKE2b is itself a PRF):
//   t = B(key=ck, input); out1 = B(key=t, 0x01); out2 = B(key=t, out1 ‖ 0x02)
Key32 kdf1(const Key32& ck, ByteSpan input) noexcept;
std::pair<Key32, Key32> kdf2(const Key32& ck, ByteSpan input) noexcept;

}  // namespace weft::crypto
