#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

#include "base/fifo.hpp"
#include "stack/lwip/core_lock.hpp"
#include "stack/lwip/lwip_headers.hpp"
#include "stack/lwip/packet_peek.hpp"
#include "stack/lwip/watched_socket.hpp"
#include "stack/stack_driver.hpp"

namespace weft::stack::lwip {

// One UDP socket on lwIP's raw API. Received datagrams (pbufs, no copy) queue up
// to kDefaultRecvBuffer bytes; beyond that new ones are dropped and counted, as a
// kernel drops on a full socket buffer. Sending never blocks. A connected socket
// whose datagram met a closed port gets connection_refused as its pending error,
// returned once by the next recv or send (or take_error), as Linux does.
class UdpSocket final : public WatchedSocket {
 public:
  static constexpr std::size_t kDefaultRecvBuffer = 256 * 1024;
  static constexpr std::size_t kMaxRecvBuffer = 16 * 1024 * 1024;

  static Result<std::unique_ptr<UdpSocket>> create(Family family);
  // Core lock held (lwIP's ICMP input hook): the connected socket that sent the
  // datagram an ICMP port unreachable quotes, if any, takes the error.
  static void port_unreachable(const PortUnreachable& e) noexcept;
  UdpSocket(Family family, udp_pcb* pcb) noexcept;
  ~UdpSocket() override;

  [[nodiscard]] Transport transport() const noexcept override { return Transport::udp; }
  [[nodiscard]] Family family() const noexcept override { return family_; }

  Result<void> bind(const Endpoint& local) override;
  Result<void> listen(int backlog) override;
  Result<std::unique_ptr<Socket>> accept(Endpoint* peer) override;
  Result<void> connect(const Endpoint& remote) override;
  Result<std::size_t> send(ByteSpan data) override;
  Result<std::size_t> recv(MutableByteSpan buffer, bool peek, std::size_t* datagram_size) override;
  Result<std::size_t> recv_visit(const std::function<std::size_t(ByteSpan)>& visitor) override;
  Result<std::size_t> send_to(ByteSpan data, const Endpoint& remote) override;
  Result<std::size_t> recv_from(MutableByteSpan buffer, Endpoint& from, std::size_t* datagram_size) override;
  Result<void> shutdown(bool read, bool write) override;
  void close() noexcept override;
  void abort() noexcept override { close(); }
  Result<void> set_option(Option option, int value) override;
  Result<int> get_option(Option option) override;
  Result<Endpoint> local_endpoint() override;
  Result<Endpoint> peer_endpoint() override;
  [[nodiscard]] std::uint32_t events() override;
  Result<void> take_error() override;

  [[nodiscard]] std::uint64_t dropped() noexcept;

 private:
  struct Datagram {
    pbuf* p;
    Endpoint from;
  };
  static void on_recv(void* arg, udp_pcb* pcb, pbuf* p, const ip_addr_t* addr, u16_t port);
  // mu_ held: the pending error, cleared.
  std::optional<Error> take_error_locked() noexcept {
    auto e = error_;
    error_.reset();
    return e;
  }
  Result<std::size_t> send_locked(ByteSpan data, const ip_addr_t* to, u16_t port);
  // An IPv6 socket with IPV6_V6ONLY 0: it speaks IPv4 through IPv4-mapped
  // addresses, and :: is both families.
  [[nodiscard]] bool dual() const noexcept { return family_ == Family::v6 && !v6_only_; }
  // Core + mu_ held: where a datagram to `remote` goes, as lwIP takes it; binds
  // an unbound dual-stack socket to both families first when `remote` is IPv4.
  Result<ip_addr_t> destination_locked(const IpAddress& remote);
  Result<std::size_t> take(MutableByteSpan buffer, Endpoint* from, bool peek, std::size_t* datagram_size);

  const Family family_;
  udp_pcb* pcb_{nullptr};  // changes only with core lock and mu_
  bool closed_{false};
  bool connected_{false};
  bool rd_shut_{false};
  bool wr_shut_{false};
  bool v6_only_{false};  // IPV6_V6ONLY (IPv6 sockets)
  std::optional<Error> error_;  // SO_ERROR
  Fifo<Datagram> rx_;
  std::size_t rx_bytes_{0};
  std::size_t rx_limit_{kDefaultRecvBuffer};
  std::uint64_t dropped_{0};
};

}  // namespace weft::stack::lwip
