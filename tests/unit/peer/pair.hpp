#pragma once

// Two SessionTables (Alice, Bob) on a perfect simulated link with fixed keys,
// seeded randomness and a manual clock. pump() carries datagrams both ways until
// nothing is left in flight.

#include <vector>

#include "base/manual_clock.hpp"
#include "crypto/rng.hpp"
#include "peer/session_table.hpp"
#include "unit/fixtures/identities.hpp"
#include "wire/endpoint.hpp"

namespace weft::peer::testing {

inline wire::Endpoint endpoint(unsigned last, std::uint16_t port) {
  return wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte(last)}, port);
}

struct Delivered {
  std::vector<Bytes> to_alice;
  std::vector<Bytes> to_bob;
};

struct Pair {
  explicit Pair(SessionTableConfig config = {}, bool know_each_other = true)
      : a(weft::testing::alice(), rng_a, config), b(weft::testing::bob(), rng_b, config) {
    if (know_each_other) {
      EXPECT_TRUE(a.add_peer(weft::testing::bob().public_identity()));
      EXPECT_TRUE(b.add_peer(weft::testing::alice().public_identity()));
    }
  }

  Instant now() const { return clock.now(); }
  NodeId alice_id() const { return weft::testing::alice().address(); }
  NodeId bob_id() const { return weft::testing::bob().address(); }

  // Carries datagrams until both sides are quiet; returns the messages delivered.
  Delivered pump(std::vector<Outgoing> from_a, std::vector<Outgoing> from_b = {}) {
    Delivered d;
    while (!from_a.empty() || !from_b.empty()) {
      std::vector<Outgoing> next_a;
      std::vector<Outgoing> next_b;
      for (auto& o : from_a) {
        auto r = b.receive(now(), alice_ep, o.datagram, next_b);
        if (r && r->kind == Received::Kind::message) d.to_bob.push_back(r->message);
      }
      for (auto& o : from_b) {
        auto r = a.receive(now(), bob_ep, o.datagram, next_a);
        if (r && r->kind == Received::Kind::message) d.to_alice.push_back(r->message);
      }
      from_a = std::move(next_a);
      from_b = std::move(next_b);
    }
    return d;
  }

  // Runs both sides' poll() and pumps what they emit.
  Delivered tick() {
    std::vector<Outgoing> oa;
    std::vector<Outgoing> ob;
    a.poll(now(), oa);
    b.poll(now(), ob);
    return pump(std::move(oa), std::move(ob));
  }

  // Completes a handshake started by Alice; both sides end with a current session.
  void connect() {
    std::vector<Outgoing> out;
    EXPECT_TRUE(a.initiate(now(), bob_id(), out));
    pump(std::move(out));
  }

  ManualClock clock{Instant::from_nanos(1'000'000'000)};
  crypto::SeededRng rng_a{1};
  crypto::SeededRng rng_b{2};
  SessionTable a;
  SessionTable b;
  wire::Endpoint alice_ep = endpoint(1, 1001);
  wire::Endpoint bob_ep = endpoint(2, 1002);
};

inline Bytes frame(std::size_t n, unsigned seed) {
  Bytes m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
  m[0] = std::byte{0x01};
  return m;
}

}  // namespace weft::peer::testing
