// AEAD seal+open throughput: libsodium and OpenSSL 3 side by side in one run, so
// the data-plane cipher is chosen by measurement on the machine at hand
// (docs/protocol.md, "Choice of AEAD"). Each case seals a message and opens it
// again (one packet sent + one received), contexts made once per key as the data
// path does. Prints the median of several runs per case.
//
//   bench_aead [--runs N] [--millis M]
//   taskset -c 1 build/release/bench/bench_aead
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/packet_cipher.hpp"

namespace {

constexpr std::size_t kTag = 16;

struct Case {
  std::string name;
  // seal(counter, in, len, out) then open(out) back into in; returns false on failure.
  std::function<bool(std::uint64_t, std::uint8_t*, std::size_t, std::uint8_t*)> round_trip;
};

void make_nonce(std::uint64_t counter, std::uint8_t nonce[12]) {
  std::memset(nonce, 0, 4);
  for (int i = 11; i >= 4; --i, counter >>= 8U) nonce[i] = static_cast<std::uint8_t>(counter);
}

const std::uint8_t kKey[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                               17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
const std::uint8_t kAd[16] = {1, 4, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9};

Case sodium_chacha() {
  return {"libsodium chacha20-poly1305-ietf",
          [](std::uint64_t ctr, std::uint8_t* buf, std::size_t len, std::uint8_t* out) {
            std::uint8_t nonce[12];
            make_nonce(ctr, nonce);
            unsigned long long clen = 0;
            crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, buf, len, kAd, sizeof kAd,
                                                      nullptr, nonce, kKey);
            unsigned long long mlen = 0;
            return crypto_aead_chacha20poly1305_ietf_decrypt(buf, &mlen, nullptr, out, clen, kAd,
                                                             sizeof kAd, nonce, kKey) == 0;
          }};
}

Case sodium_aesgcm() {
  // The precomputed-state API: key expansion once, as a per-key context would.
  static crypto_aead_aes256gcm_state state;
  crypto_aead_aes256gcm_beforenm(&state, kKey);
  return {"libsodium aes256-gcm",
          [](std::uint64_t ctr, std::uint8_t* buf, std::size_t len, std::uint8_t* out) {
            std::uint8_t nonce[12];
            make_nonce(ctr, nonce);
            unsigned long long clen = 0;
            crypto_aead_aes256gcm_encrypt_afternm(out, &clen, buf, len, kAd, sizeof kAd, nullptr,
                                                  nonce, &state);
            unsigned long long mlen = 0;
            return crypto_aead_aes256gcm_decrypt_afternm(buf, &mlen, nullptr, out, clen, kAd,
                                                         sizeof kAd, nonce, &state) == 0;
          }};
}

// One EVP context per direction, keyed once; per packet only the nonce changes.
Case openssl(const char* label, const EVP_CIPHER* cipher) {
  EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
  if (EVP_EncryptInit_ex(enc, cipher, nullptr, kKey, nullptr) != 1 ||
      EVP_DecryptInit_ex(dec, cipher, nullptr, kKey, nullptr) != 1) {
    std::fprintf(stderr, "EVP init failed for %s\n", label);
    std::exit(1);
  }
  return {label,
          [enc, dec](std::uint64_t ctr, std::uint8_t* buf, std::size_t len, std::uint8_t* out) {
            std::uint8_t nonce[12];
            make_nonce(ctr, nonce);
            int n = 0;
            int fin = 0;
            if (EVP_EncryptInit_ex(enc, nullptr, nullptr, nullptr, nonce) != 1) return false;
            if (EVP_EncryptUpdate(enc, nullptr, &n, kAd, sizeof kAd) != 1) return false;
            if (EVP_EncryptUpdate(enc, out, &n, buf, static_cast<int>(len)) != 1) return false;
            if (EVP_EncryptFinal_ex(enc, out + n, &fin) != 1) return false;
            if (EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_AEAD_GET_TAG, kTag, out + len) != 1) return false;
            if (EVP_DecryptInit_ex(dec, nullptr, nullptr, nullptr, nonce) != 1) return false;
            if (EVP_DecryptUpdate(dec, nullptr, &n, kAd, sizeof kAd) != 1) return false;
            if (EVP_DecryptUpdate(dec, buf, &n, out, static_cast<int>(len)) != 1) return false;
            if (EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_AEAD_SET_TAG, kTag, out + len) != 1) return false;
            return EVP_DecryptFinal_ex(dec, buf + n, &fin) == 1;
          }};
}

// The data plane's own wrapper (crypto/packet_cipher.hpp), to show it costs
// nothing over raw EVP calls.
Case weft_packet_cipher() {
  weft::ByteArray<32> raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::byte>(kKey[i]);
  const weft::crypto::Key32 key{raw};
  using weft::crypto::PacketCipher;
  auto seal = std::make_shared<PacketCipher>(
      PacketCipher::create(key, PacketCipher::Direction::seal).value());
  auto open = std::make_shared<PacketCipher>(
      PacketCipher::create(key, PacketCipher::Direction::open).value());
  return {"weft PacketCipher (openssl aes-256-gcm)",
          [seal, open](std::uint64_t ctr, std::uint8_t* buf, std::size_t len, std::uint8_t* out) {
            const auto ad = weft::as_bytes(kAd, sizeof kAd);
            const auto in = weft::as_writable_bytes(buf, len);
            const auto sealed = weft::as_writable_bytes(out, len + kTag);
            return seal->seal(ctr, ad, in, sealed).ok() && open->open(ctr, ad, sealed, in).ok();
          }};
}

// MB/s of payload (each byte is sealed once and opened once) over ~millis ms.
double measure(const Case& c, std::size_t size, int millis) {
  std::vector<std::uint8_t> buf(size, 0x5a);
  std::vector<std::uint8_t> out(size + kTag);
  using Clock = std::chrono::steady_clock;
  std::uint64_t ctr = 0;
  for (int i = 0; i < 200; ++i)
    if (!c.round_trip(ctr++, buf.data(), size, out.data())) std::abort();
  const auto start = Clock::now();
  const auto stop = start + std::chrono::milliseconds(millis);
  std::uint64_t packets = 0;
  auto now = start;
  while (now < stop) {
    for (int i = 0; i < 64; ++i, ++packets)
      if (!c.round_trip(ctr++, buf.data(), size, out.data())) std::abort();
    now = Clock::now();
  }
  const double secs = std::chrono::duration<double>(now - start).count();
  return static_cast<double>(packets * size) / secs / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  int millis = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--millis") == 0) millis = std::atoi(argv[i + 1]);
  }
  if (sodium_init() < 0) return 1;
  std::vector<Case> cases{sodium_chacha()};
  if (crypto_aead_aes256gcm_is_available() != 0)
    cases.push_back(sodium_aesgcm());
  else
    std::printf("# libsodium aes256-gcm: not available on this CPU\n");
  cases.push_back(openssl("openssl aes-256-gcm", EVP_aes_256_gcm()));
  cases.push_back(openssl("openssl chacha20-poly1305", EVP_chacha20_poly1305()));
  cases.push_back(weft_packet_cipher());

  const std::vector<std::size_t> sizes{64, 1400, 9000};
  // results[case][size] = one figure per run. Runs are the outer loop so that
  // noise from other processes spreads over every case alike.
  std::vector<std::vector<std::vector<double>>> results(
      cases.size(), std::vector<std::vector<double>>(sizes.size()));
  for (int run = 0; run < runs; ++run)
    for (std::size_t c = 0; c < cases.size(); ++c)
      for (std::size_t z = 0; z < sizes.size(); ++z)
        results[c][z].push_back(measure(cases[c], sizes[z], millis));

  std::vector<std::vector<double>> median(cases.size(), std::vector<double>(sizes.size()));
  std::vector<double> best(sizes.size(), 0);
  for (std::size_t c = 0; c < cases.size(); ++c)
    for (std::size_t z = 0; z < sizes.size(); ++z) {
      auto r = results[c][z];
      std::sort(r.begin(), r.end());
      median[c][z] = r[r.size() / 2];
      best[z] = std::max(best[z], median[c][z]);
    }
  std::printf(
      "# seal+open per message: MB/s of payload (median of %d runs x %d ms), and the\n"
      "# ratio to the fastest at that size\n",
      runs, millis);
  std::printf("%-40s %16s %16s %16s\n", "aead", "64 B", "1400 B", "9000 B");
  for (std::size_t c = 0; c < cases.size(); ++c) {
    std::printf("%-40s", cases[c].name.c_str());
    for (std::size_t z = 0; z < sizes.size(); ++z)
      std::printf(" %8.0f (%4.2f)", median[c][z], median[c][z] / best[z]);
    std::printf("\n");
  }
  return 0;
}
