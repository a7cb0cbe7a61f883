#include "sim/sim_world.hpp"

#include <map>

#include "base/bytes.hpp"

namespace weft::sim {

const crypto::Identity& identity(std::size_t i) {
  static std::map<std::size_t, crypto::Identity> made;
  auto it = made.find(i);
  if (it == made.end()) {
    crypto::SeededRng rng(0x5eed0000 + i);
    it = made.emplace(i, crypto::Identity::generate(rng)).first;
  }
  return it->second;
}

peer::IdentityCache& shared_cache() {
  static peer::IdentityCache cache(100000);
  return cache;
}

SimRoot::SimRoot(SimNetwork& net, const crypto::Identity& id, wire::Endpoint local,
                 std::uint64_t seed)
    : net_(net), id_(id), local_(local), rng_(seed), server_(id, rng_, [] {
        root::RootServerConfig c;
        c.sessions.verifier = &shared_cache();
        c.sessions.load_threshold = 100000;  // a hundred nodes handshake at once
        return c;
      }()) {
  net_.attach(local_, LinkConfig{}, [this](Instant now, const wire::Endpoint& from, ByteSpan d) {
    std::vector<root::RootOutput> out;
    server_.process_datagram(now, from, d, out);
    for (auto& o : out) net_.send(local_, o.to, o.datagram);
    wake();
  });
  wake();
}

void SimRoot::wake() {
  std::vector<root::RootOutput> out;
  const Instant next = server_.poll(net_.now(), out);
  for (auto& o : out) net_.send(local_, o.to, o.datagram);
  if (next < scheduled_ || scheduled_ <= net_.now()) {
    scheduled_ = next;
    if (next != Instant::max()) net_.schedule(next, [this] { wake(); });
  }
}

SimNode::SimNode(SimNetwork& net, const crypto::Identity& id, wire::Endpoint local,
                 std::vector<node::RootEntry> roots, std::uint64_t seed, LinkConfig link,
                 const std::function<void(node::NodeConfig&)>& configure)
    : net_(net), id_(id), local_(local), rng_(seed) {
  node::NodeConfig c;
  c.roots = std::move(roots);
  c.local_endpoints = {local};
  c.verifier = &shared_cache();
  c.sessions.verifier = &shared_cache();
  // A hundred peers handshaking within a second is what the cookie defence
  // is for (tests/unit/peer/handshake_flood_test.cpp); here it would only
  // stretch every scenario by retry timers.
  c.sessions.load_threshold = 1024;
  if (configure) configure(c);
  node_ = std::make_unique<node::Node>(id, rng_, *this, std::move(c));
  net_.attach(local_, link, [this](Instant now, const wire::Endpoint& from, ByteSpan d) {
    node_->process_datagram(now, from, d);
    wake();
  });
  wake();
}

void SimNode::wake() {
  const Instant next = node_->tick(net_.now());
  if (next < scheduled_ || scheduled_ <= net_.now()) {
    scheduled_ = next;
    if (next != Instant::max()) net_.schedule(next, [this] { wake(); });
  }
}

Bytes frame_bytes(NodeId from, NodeId to, std::uint32_t seq, std::size_t size) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i)
    b[i] =
        std::byte(static_cast<std::uint8_t>((from.value() * 31 + to.value() * 7 + seq + i) & 0xff));
  if (size >= 4) store_be32(std::span<std::byte, 4>(b.data(), 4), seq);
  return b;
}

SimRoot& SimWorld::add_root(std::uint8_t n) {
  roots.push_back(std::make_unique<SimRoot>(net, identity(next_identity++), ep(100, 64, 0, n, 9993),
                                            1000 + n));
  return *roots.back();
}

std::vector<node::RootEntry> SimWorld::root_entries() const {
  std::vector<node::RootEntry> v;
  for (const auto& r : roots) v.push_back(r->entry());
  return v;
}

SimNode& SimWorld::add_node(std::optional<NatType> nat, LinkConfig link,
                            const std::function<void(node::NodeConfig&)>& configure) {
  const auto i = static_cast<std::uint8_t>(nodes.size() + 1);
  wire::Endpoint local = ep(100, 64, 1, i, 9993);
  if (nat) {
    const int k = net.add_nat(*nat);
    local = ep(10, static_cast<std::uint8_t>(k), 0, 2, 9993);
  }
  nodes.push_back(std::make_unique<SimNode>(net, identity(next_identity++), local, root_entries(),
                                            seed_base + i, link, configure));
  return *nodes.back();
}

}  // namespace weft::sim
