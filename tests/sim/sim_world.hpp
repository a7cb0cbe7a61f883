#pragma once

// Nodes and roots on a SimNetwork. Each Node and RootServer is driven exactly
// as a runtime would drive it: datagrams in, tick() after every entry point,
// a timer at the deadline it returns.

#include <functional>
#include <memory>
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

  void send_datagram(const wire::Endpoint& to, ByteSpan datagram) override {
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

 private:
  SimNetwork& net_;
  const crypto::Identity& id_;
  wire::Endpoint local_;
  crypto::SeededRng rng_;
  std::unique_ptr<node::Node> node_;
  Instant scheduled_{Instant::max()};
};

// A frame whose bytes name its sender, receiver and sequence number.
Bytes frame_bytes(NodeId from, NodeId to, std::uint32_t seq, std::size_t size = 100);

}  // namespace weft::sim
