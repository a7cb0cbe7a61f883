#pragma once

// Nodes and roots on a SimNetwork. Each Node and RootServer is driven exactly
// as a runtime would drive it: datagrams in, tick() after every entry point,
// a timer at the deadline it returns.

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
          std::vector<node::RootEntry> roots, std::uint64_t seed, LinkConfig link = {});

  void send_datagram(const wire::Endpoint& to, ByteSpan datagram) override {
    net_.send(local_, to, datagram);
  }
  void deliver_frame(NodeId from, ByteSpan frame) override {
    received.push_back({from, Bytes(frame.begin(), frame.end())});
  }
  void on_event(const node::NodeEvent& e) override { events.push_back(e); }

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

 private:
  void wake();
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
