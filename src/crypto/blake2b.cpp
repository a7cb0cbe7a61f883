#include "crypto/blake2b.hpp"

#include <sodium.h>

#include "base/assert.hpp"
#include "crypto/sodium.hpp"

namespace weft::crypto {

namespace {

template <std::size_t N>
ByteArray<N> keyed(ByteSpan key, std::initializer_list<ByteSpan> parts) noexcept {
  ensure_sodium();
  WEFT_CHECK(key.empty() || (key.size() >= crypto_generichash_KEYBYTES_MIN &&
                             key.size() <= crypto_generichash_KEYBYTES_MAX));
  crypto_generichash_state st;
  crypto_generichash_init(&st, key.empty() ? nullptr : as_uchar(key), key.size(), N);
  for (ByteSpan p : parts) crypto_generichash_update(&st, as_uchar(p), p.size());
  ByteArray<N> out{};
  crypto_generichash_final(&st, as_uchar(MutableByteSpan(out)), N);
  sodium_memzero(&st, sizeof st);
  return out;
}

}  // namespace

ByteArray<32> hash(std::initializer_list<ByteSpan> parts) noexcept { return keyed<32>({}, parts); }

ByteArray<16> mac16(ByteSpan key, std::initializer_list<ByteSpan> parts) noexcept {
  return keyed<16>(key, parts);
}

Key32 kdf1(const Key32& ck, ByteSpan input) noexcept { return kdf2(ck, input).first; }

std::pair<Key32, Key32> kdf2(const Key32& ck, ByteSpan input) noexcept {
  const Key32 t{keyed<32>(ck.span(), {input})};
  const std::byte one{1};
  const std::byte two{2};
  Key32 out1{keyed<32>(t.span(), {ByteSpan(&one, 1)})};
  Key32 out2{keyed<32>(t.span(), {out1.span(), ByteSpan(&two, 1)})};
  return {std::move(out1), std::move(out2)};
}

}  // namespace weft::crypto
