// The node's entry point for datagrams: Node::process_datagram on any bytes,
// with a session to its root already up. Each input goes in three ways: as a
// raw datagram, as an inner message sealed by the root (so lookup replies,
// rendezvous, acks and probes with hostile contents reach the root client),
// and as a relayed packet. Nothing may crash, assert or grow without bound.
#include <cstdint>
#include <vector>

#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "node/node.hpp"
#include "peer/identity_verifier.hpp"
#include "peer/session_table.hpp"
#include "wire/inner.hpp"
#include "wire/relay.hpp"

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
  peer::IdentityCache cache{1024};
};

World& world() {
  static World w;
  return w;
}

struct Host final : node::NodeHost {
  std::vector<Bytes> sent;
  void send_datagram(const wire::Endpoint& /*to*/, ByteSpan d, node::SendOrder /*order*/) override {
    if (sent.size() < 4096) sent.emplace_back(d.begin(), d.end());
  }
  void deliver_frame(NodeId /*from*/, ByteSpan /*frame*/) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  crypto::SeededRng rng_a(1);
  crypto::SeededRng rng_b(2);
  const auto root_ep =
      wire::Endpoint::ipv4({std::byte{127}, std::byte{0}, std::byte{0}, std::byte{1}}, 9);
  Host host;
  node::NodeConfig config;
  config.roots = {node::RootEntry{w.b.public_identity(), {root_ep}}};
  config.verifier = &w.cache;
  config.sessions.accept_unknown_peers = false;  // no 1 ms Argon2id per run
  node::Node a(w.a, rng_a, host, config);
  peer::SessionTableConfig rc;
  rc.accept_unknown_peers = false;
  peer::SessionTable root(w.b, rng_b, rc);
  (void)root.add_peer(w.a.public_identity());

  // The node registers (an initiation), the root answers, the node sends its
  // queued registration under the new session.
  Instant now = Instant::from_nanos(1'000'000'000);
  a.tick(now);
  std::vector<peer::Outgoing> out;
  for (int round = 0; round < 3; ++round) {
    auto to_root = std::move(host.sent);
    host.sent.clear();
    for (const auto& d : to_root) (void)root.receive(now, root_ep, d, out);
    for (const auto& o : out) a.process_datagram(now, root_ep, o.datagram);
    out.clear();
  }

  const ByteSpan in = as_bytes(data, size);
  a.process_datagram(now, root_ep, in);
  if (!in.empty() && in.size() <= wire::kMaxInnerMessage) {
    (void)root.send(now, w.a.address(), in, out);
    for (const auto& o : out) a.process_datagram(now, root_ep, o.datagram);
    out.clear();
  }
  Bytes relayed(wire::RelayHeader::buffer_len() + in.size());
  wire::RelayHeader{w.a.address(), w.b.address()}.emit(relayed);
  std::copy(in.begin(), in.end(), relayed.begin() + wire::RelayHeader::buffer_len());
  a.process_datagram(now, root_ep, relayed);
  now += 1s;
  (void)a.tick(now);
  return 0;
}
