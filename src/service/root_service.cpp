#include "service/root_service.hpp"

#include "runtime/wire_endpoint.hpp"

namespace weft::service {

Result<std::unique_ptr<RootService>> RootService::open(crypto::Identity identity,
                                                       const osdep::Endpoint& bind,
                                                       root::RootServerConfig config) {
  osdep::DatagramLoop::Options io;
  // A root relays other nodes' datagrams with a header in front.
  io.max_datagram = 4096;
  auto loop = osdep::DatagramLoop::open(bind, io);
  if (!loop) return loop.error();
  return std::unique_ptr<RootService>(
      new RootService(std::move(identity), std::move(*loop), std::move(config)));
}

RootService::RootService(crypto::Identity identity, std::unique_ptr<osdep::DatagramLoop> loop,
                         root::RootServerConfig config)
    : identity_(std::move(identity)),
      rng_(std::make_unique<crypto::SystemRng>()),
      identities_(std::make_unique<peer::IdentityCache>(16384)),
      loop_(std::move(loop)) {
  if (config.sessions.verifier == nullptr) config.sessions.verifier = identities_.get();
  root_ = std::make_unique<root::RootServer>(identity_, *rng_, std::move(config));
}

RootService::~RootService() { stop(); }

Result<void> RootService::start() {
  return loop_->start(static_cast<osdep::DatagramHandler&>(*this), clock_);
}

void RootService::stop() noexcept { loop_->stop(); }

void RootService::on_datagrams(Instant now, std::span<const osdep::Datagram> batch) {
  std::lock_guard lock(mutex_);
  for (const auto& d : batch) {
    const auto from = runtime::to_wire(d.from);
    if (!from) continue;
    root_->process_datagram(now, *from, d.data, out_);
  }
  send_locked();
}

Instant RootService::on_tick(Instant now) {
  std::lock_guard lock(mutex_);
  const Instant next = root_->poll(now, out_);
  send_locked();
  return next;
}

void RootService::send_locked() {
  for (const auto& o : out_) outbox_.add(runtime::to_osdep(o.to), o.datagram);
  out_.clear();
  send_dropped_ += outbox_.flush(loop_->socket()).dropped;
}

RootService::Stats RootService::stats() const {
  std::lock_guard lock(mutex_);
  return {root_->stats(), root_->session_stats(), loop_->stats(), send_dropped_};
}

}  // namespace weft::service
