// The peer layer's entry point for datagrams: SessionTable::receive on any bytes,
// with a session to a fixed peer already up so data, fragments and handshake
// replies all reach deep code. Nothing may crash, assert or grow without bound.
#include <cstdint>
#include <memory>
#include <vector>

#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "peer/session_table.hpp"

namespace {

using namespace weft;  // NOLINT(google-build-using-namespace)

// Two fixed identities (the same as tests/unit/fixtures/identities.hpp).
constexpr std::string_view kA =
    "b6e2e73296:1:153b6837bc389fb8da8fa881ab55cd9e60dd1b39c414f2d04a553ebdb9cd1426"
    "cbe17c5382f09a39296919c12c3729b5caad7ba81fe88e13c5a126a989148509:"
    "a8cd8285178034b345c863c7dafe89e3804a90d0b9809f052e0fe18626d26685"
    "9b4e360b0df6959f02ffecc27666b556fb176adf1ac31cabc67d9842883a3227";
constexpr std::string_view kB =
    "3a6d19a682:1:98dca6a623474fd8162ece69b0863450d05068152b2e02dd7ac134a9a10ac1b8"
    "37973d41609a9b2d1b4a5c0fb7f464f25792458446baf60abedb91af11f4123a:"
    "91d4b827b8e67c2b973f31ad4f86d8dc809d92e0794a966b07d7d2fa6de521d6"
    "144369efd764a39124b90dc6cf7ca878526646f90a9b56640ca334e5ac429358";

struct World {
  crypto::Identity a = crypto::Identity::parse(kA).value();
  crypto::Identity b = crypto::Identity::parse(kB).value();
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  crypto::SeededRng rng_a(1);
  crypto::SeededRng rng_b(2);
  peer::SessionTableConfig config;
  config.accept_unknown_peers = false;  // keeps each run free of 1 ms Argon2id checks
  peer::SessionTable a(w.a, rng_a, config);
  peer::SessionTable b(w.b, rng_b, config);
  (void)a.add_peer(w.b.public_identity());
  (void)b.add_peer(w.a.public_identity());
  const auto ep =
      wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte{1}}, 9);
  Instant now = Instant::from_nanos(1'000'000'000);
  std::vector<peer::Outgoing> oa;
  std::vector<peer::Outgoing> ob;
  (void)a.initiate(now, w.b.address(), oa);
  (void)b.receive(now, ep, oa.at(0).datagram, ob);
  oa.clear();
  (void)a.receive(now, ep, ob.at(0).datagram, oa);
  ob.clear();

  // The input, and the input as a relayed packet, to both sides.
  const ByteSpan in = as_bytes(data, size);
  (void)a.receive(now, ep, in, oa);
  (void)b.receive(now, ep, in, ob);
  now += 200ms;
  (void)a.poll(now, oa);
  (void)b.poll(now, ob);
  return 0;
}
