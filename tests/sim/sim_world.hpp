#pragma once

// Nodes and roots on a SimNetwork. Each Node and RootServer is driven exactly
// as a runtime would drive it: datagrams in, tick() after every entry point,
// a timer at the deadline it returns.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "node/node.hpp"
#include "peer/identity_verifier.hpp"
#include "root/root_server.hpp"
#include "sim/sim_network.hpp"

namespace weft::sim {

// Identities made once per test binary from fixed seeds (each costs ~16
// Argon2id), and one verification cache shared by every node and root.
const crypto::Identity& identity(std::size_t i);
peer::IdentityCache& shared_cache();

class SimRoot {
 public:
  SimRoot(SimNetwork& net, const crypto::Identity& id, wire::Endpoint local, std::uint64_t seed);
  [[nodiscard]] node::RootEntry entry() const { return {id_.public_identity(), {local_}}; }
  root::RootServer& server() { return server_; }
  [[nodiscard]] const wire::Endpoint& local() const { return local_; }

 private:
  void wake();
  SimNetwork& net_;
  const crypto::Identity& id_;
  wire::Endpoint local_;
  crypto::SeededRng rng_;
  root::RootServer server_;
  Instant scheduled_{Instant::max()};
};

class SimNode final : public node::NodeHost {
 public:
  SimNode(SimNetwork& net, const crypto::Identity& id, wire::Endpoint local,
          std::vector<node::RootEntry> roots, std::uint64_t seed, LinkConfig link = {},
          const std::function<void(node::NodeConfig&)>& configure = {});

  void send_datagram(const wire::Endpoint& to, ByteSpan datagram, node::SendOrder order) override {
    ++(order == node::SendOrder::may_lead ? sent_may_lead : sent_in_turn);
    net_.send(local_, to, datagram);
  }
  void deliver_frame(NodeId from, ByteSpan frame) override {
    received.push_back({from, Bytes(frame.begin(), frame.end())});
  }
  void on_event(const node::NodeEvent& e) override { events.push_back(e); }
  void deliver_network_frame(NetworkId network, ByteSpan frame) override {
    network_frames.push_back({network, Bytes(frame.begin(), frame.end())});
  }

  Result<void> join(NetworkId network) {
    auto r = node_->join(net_.now(), network);
    wake();
    return r;
  }
  Result<void> send_network(NetworkId network, ByteSpan frame) {
    auto r = node_->send_network_frame(net_.now(), network, frame);
    wake();
    return r;
  }
  // Runs tick() now: after the test changed something the node cannot see
  // (its hosted controller's admin API).
  void wake();

  Result<void> send(NodeId to, ByteSpan frame) {
    auto r = node_->send_frame(net_.now(), to, frame);
    wake();
    return r;
  }
  node::Node& node() { return *node_; }
  [[nodiscard]] NodeId address() const { return id_.address(); }
  [[nodiscard]] const wire::Endpoint& local() const { return local_; }

  struct Frame {
    NodeId from;
    Bytes bytes;
  };
  std::vector<Frame> received;
  std::vector<node::NodeEvent> events;
  struct NetworkFrame {
    NetworkId network;
    Bytes bytes;
  };
  std::vector<NetworkFrame> network_frames;
  // Datagrams the node sent, by the order it asked for (the simulated
  // network sends each at once, in turn).
  std::uint64_t sent_in_turn{0};
  std::uint64_t sent_may_lead{0};

 private:
  SimNetwork& net_;
  const crypto::Identity& id_;
  wire::Endpoint local_;
  crypto::SeededRng rng_;
  std::unique_ptr<node::Node> node_;
  Instant scheduled_{Instant::max()};
};

// Roots and nodes on one SimNetwork: roots at 100.64.0.n, public nodes at
// 100.64.1.i, a NATed node at 10.k.0.2 behind its own NAT k. Node i's rng is
// seeded with seed_base + i.
struct SimWorld {
  explicit SimWorld(std::uint64_t seed, std::uint64_t node_seed_base = 5000)
      : net(seed), seed_base(node_seed_base) {}
  SimNetwork net;
  std::uint64_t seed_base;
  std::vector<std::unique_ptr<SimRoot>> roots;
  std::vector<std::unique_ptr<SimNode>> nodes;
  std::size_t next_identity = 0;

  SimRoot& add_root(std::uint8_t n);
  [[nodiscard]] std::vector<node::RootEntry> root_entries() const;
  // A public node (nat empty), or one behind its own NAT.
  SimNode& add_node(std::optional<NatType> nat, LinkConfig link = {},
                    const std::function<void(node::NodeConfig&)>& configure = {});
};

// A frame whose bytes name its sender, receiver and sequence number.
Bytes frame_bytes(NodeId from, NodeId to, std::uint32_t seq, std::size_t size = 100);

}  // namespace weft::sim
