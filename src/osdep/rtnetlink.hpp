#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// An address with its prefix length, as an interface holds it.
struct InterfaceAddress {
  bool ipv6{false};
  std::array<std::byte, 16> bytes{};  // IPv4 uses the first 4
  std::uint8_t prefix{0};
};

// A route netlink socket (NETLINK_ROUTE) that adds and removes an interface's
// addresses: the one job weft needs from rtnetlink, written by hand (no libnl,
// no `ip`). Each request waits for the kernel's acknowledgement, so an error
// (no such device, no permission, a bad prefix) comes back from the call that
// caused it. Not thread-safe: one owner.
class RtNetlink {
 public:
  // Error::permission_denied and the like from socket(2)/bind(2).
  static Result<RtNetlink> open() noexcept;

  // Adds (or replaces) `address` on interface `index`. IPv6 addresses skip
  // duplicate address detection (IFA_F_NODAD): the controller assigned them,
  // and a tentative address would refuse traffic for a second or more.
  Result<void> add_address(int index, const InterfaceAddress& address);
  // Error::not_found... as the kernel says (EADDRNOTAVAIL when not there).
  Result<void> remove_address(int index, const InterfaceAddress& address);

  // The request as sent (RTM_NEWADDR or RTM_DELADDR with NLM_F_ACK), and the
  // reading of the kernel's answer: pure, bounds-checked, tested alone.
  static std::vector<std::byte> address_request(bool add, int index,
                                                const InterfaceAddress& address,
                                                std::uint32_t sequence);
  // The acknowledgement of `sequence` in `reply` (one datagram; messages of
  // other sequences are skipped): nullopt if `reply` holds no answer to it;
  // else {} for success, the kernel's errno as an Error, or Error::malformed /
  // Error::truncated for bytes that do not parse.
  static std::optional<Result<void>> read_ack(ByteSpan reply, std::uint32_t sequence);

 private:
  explicit RtNetlink(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  Result<void> request(bool add, int index, const InterfaceAddress& address);

  UniqueFd fd_;
  std::uint32_t sequence_{0};
};

}  // namespace weft::osdep
