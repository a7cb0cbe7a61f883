#include "peer/session.hpp"

#include <gtest/gtest.h>

#include "crypto/noise_ik.hpp"
#include "wire/data.hpp"

namespace weft::peer {
namespace {

crypto::TransportKeys keys(unsigned a, unsigned b) {
  ByteArray<32> x{};
  ByteArray<32> y{};
  x.fill(static_cast<std::byte>(a));
  y.fill(static_cast<std::byte>(b));
  return {crypto::Key32{x}, crypto::Key32{y}};
}

const Instant t0 = Instant::from_nanos(5'000'000'000);

TEST(Session, SealOpenAndLimits) {
  SessionLimits lim;
  lim.reject_after_messages = 3;
  auto tx = Session::create(keys(1, 2), 10, 20, true, t0).value();
  auto rx = Session::create(keys(2, 1), 20, 10, false, t0).value();
  const Bytes inner{std::byte{1}, std::byte{2}, std::byte{3}};
  std::vector<Bytes> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(tx.seal(t0, inner, lim).value());
  EXPECT_EQ(tx.seal(t0, inner, lim).error(), Error::expired);  // a 4th is over the limit
  EXPECT_TRUE(tx.expired(t0, lim));
  // Header: receiver index 20, counters 0, 1, 2.
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto v = wire::DataView::parse(sent[i]).value();
    EXPECT_EQ(v.receiver_index(), 20U);
    EXPECT_EQ(v.counter(), i);
    Bytes out(v.plaintext_len());
    ASSERT_TRUE(rx.open(t0, v, out, lim));
    EXPECT_EQ(out, inner);
  }
  // A (forged) counter at the limit is refused before any AEAD work.
  Bytes forged = sent[0];
  forged[15] = std::byte{3};
  Bytes out(inner.size());
  EXPECT_EQ(rx.open(t0, wire::DataView::parse(forged).value(), out, lim).error(), Error::replayed);
}

TEST(Session, ExpiresWithAge) {
  SessionLimits lim;
  auto tx = Session::create(keys(1, 2), 1, 2, true, t0).value();
  auto rx = Session::create(keys(2, 1), 2, 1, false, t0).value();
  const Bytes sealed = tx.seal(t0 + 179s, {}, lim).value();
  EXPECT_FALSE(tx.wants_rekey(t0 + 119s, lim));
  EXPECT_TRUE(tx.wants_rekey(t0 + 120s, lim));
  EXPECT_EQ(tx.seal(t0 + 180s, {}, lim).error(), Error::expired);
  Bytes out;
  EXPECT_EQ(rx.open(t0 + 180s, wire::DataView::parse(sealed).value(), out, lim).error(),
            Error::expired);
}

TEST(Session, KeysAreDirectional) {
  SessionLimits lim;
  auto a = Session::create(keys(1, 2), 1, 2, true, t0).value();
  const Bytes sealed = a.seal(t0, Bytes{std::byte{9}}, lim).value();
  // Opening with the sender's own send key as the receive key fails.
  auto wrong = Session::create(keys(2, 2), 2, 1, false, t0).value();
  Bytes out(1);
  EXPECT_EQ(wrong.open(t0, wire::DataView::parse(sealed).value(), out, lim).error(),
            Error::verification_failed);
}

}  // namespace
}  // namespace weft::peer
