#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "stack/endpoint.hpp"
#include "tap/frame_sink.hpp"
#include "tap/tap.hpp"

struct netif;  // lwIP's; kept out of this header so users need no lwIP include path

namespace weft::stack::lwip {

struct NetifConfig {
  std::optional<IpAddress> ipv4;   // static address
  int ipv4_prefix{24};
  std::optional<IpAddress> ipv4_gateway;
  std::optional<IpAddress> ipv6;   // static global address; on-link /64
  bool default_route{true};
  // false: attach with the netif down; nothing is transmitted until up(). Lets the
  // owner start the network side (which may need the sink attached) in between.
  bool up{true};
};

// One lwIP Ethernet netif over a Tap (ARP, IPv6 ND with a link-local address from
// the MAC, the tap's MTU). It is the tap's stack-side FrameSink:
//   put(batch) -> send_frames: pbufs allocated and filled OUTSIDE the core lock,
//   then one core-lock acquisition feeds the whole batch to netif->input.
//   linkoutput -> queue_frame (core_lock.hpp) -> tap.transmit, batched.
// Destroy it only after the network side stopped calling put().
class LwipNetif final : public tap::FrameSink {
 public:
  struct Stats {
    std::uint64_t frames_in;
    std::uint64_t dropped_malformed;  // runt or over the MTU
    std::uint64_t dropped_no_memory;  // no pbuf
    std::uint64_t input_rejected;     // lwIP's input refused it
  };

  static Result<std::unique_ptr<LwipNetif>> attach(tap::Tap& tap, const NetifConfig& config);
  ~LwipNetif() override;
  LwipNetif(const LwipNetif&) = delete;
  LwipNetif& operator=(const LwipNetif&) = delete;

  void send_frames(std::span<const ByteSpan> frames) override;
  // Brings the netif up (see NetifConfig::up). Idempotent.
  void up();

  // Addresses that change after attach (a network controller assigns them):
  // set_ipv4 replaces the netif's one IPv4 address (nullopt removes it);
  // IPv6 addresses are added and removed beside the link-local one.
  // Error::invalid_argument (wrong family, prefix out of range), Error::no_buffer
  // (every IPv6 address slot in use), Error::not_found (remove_ipv6 of an
  // address the netif does not hold).
  Result<void> set_ipv4(std::optional<IpAddress> address, int prefix);
  Result<void> add_ipv6(const IpAddress& address);
  Result<void> remove_ipv6(const IpAddress& address);
  // For linkoutput: false until the netif is up.
  [[nodiscard]] bool transmitting() const noexcept { return transmitting_.load(std::memory_order_acquire); }
  [[nodiscard]] Stats stats() const noexcept;
  [[nodiscard]] tap::Tap& tap() noexcept { return tap_; }
  // The LwipNetif behind one of lwIP's netifs; null for a netif that is not ours.
  [[nodiscard]] static LwipNetif* of(netif* n) noexcept;

 private:
  explicit LwipNetif(tap::Tap& tap) noexcept;
  tap::Tap& tap_;
  std::unique_ptr<netif> netif_;
  bool added_{false};
  std::atomic<bool> transmitting_{false};
  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> no_memory_{0};
  std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace weft::stack::lwip
