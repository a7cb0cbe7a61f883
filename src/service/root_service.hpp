#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/identity.hpp"
#include "crypto/rng.hpp"
#include "osdep/datagram_loop.hpp"
#include "peer/identity_verifier.hpp"
#include "root/root_server.hpp"

namespace weft::service {

// A root on a real UDP socket: root::RootServer driven by one I/O thread
// (batches in with recvmmsg, everything they produced out with sendmmsg).
class RootService final : private osdep::DatagramHandler {
 public:
  static Result<std::unique_ptr<RootService>> open(crypto::Identity identity,
                                                   const osdep::Endpoint& bind,
                                                   root::RootServerConfig config = {});
  ~RootService() override;
  RootService(const RootService&) = delete;
  RootService& operator=(const RootService&) = delete;

  Result<void> start();
  void stop() noexcept;

  [[nodiscard]] const osdep::Endpoint& local() const noexcept { return loop_->local(); }
  [[nodiscard]] const crypto::PublicIdentity& public_identity() const noexcept {
    return identity_.public_identity();
  }

  struct Stats {
    root::RootServerStats root;
    peer::SessionStats sessions;
    osdep::DatagramLoop::Stats io;
    std::uint64_t send_dropped;
  };
  [[nodiscard]] Stats stats() const;

 private:
  RootService(crypto::Identity identity, std::unique_ptr<osdep::DatagramLoop> loop,
              root::RootServerConfig config);
  void on_datagrams(Instant now, std::span<const osdep::Datagram> batch) override;
  Instant on_tick(Instant now) override;
  void send_locked();

  crypto::Identity identity_;
  std::unique_ptr<crypto::Rng> rng_;
  std::unique_ptr<peer::IdentityCache> identities_;  // each node's address derived once
  SteadyClock clock_;
  std::unique_ptr<osdep::DatagramLoop> loop_;
  mutable std::mutex mutex_;  // the I/O thread against stats()
  std::unique_ptr<root::RootServer> root_;
  std::vector<root::RootOutput> out_;
  osdep::Outbox outbox_;
  std::uint64_t send_dropped_{0};
};

}  // namespace weft::service
