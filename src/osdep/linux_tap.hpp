#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/mac.hpp"
#include "base/result.hpp"
#include "osdep/rtnetlink.hpp"
#include "osdep/unique_fd.hpp"

namespace weft::osdep {

// A Linux TAP device: the kernel's own TCP/IP stack on one side, this process
// on the other, Ethernet frames in between (IFF_TAP | IFF_NO_PI: no packet
// info header, no offloads).
//
// The device is created by open() and is NOT persistent: the kernel removes it
// when its last fd closes, i.e. when this object is destroyed or the process
// dies however it dies. So a crash leaves no device behind for the next start
// to trip on, and nothing here has to clean up after a previous run. The fd is
// close-on-exec, so a child process never keeps a device alive.
//
// Link settings (MAC, MTU, up) go by ioctl on a datagram socket: one call
// each, nothing to parse. Addresses go by rtnetlink (RtNetlink): the address
// ioctls hold a single IPv4 address per device and cannot skip IPv6 duplicate
// address detection (see src/osdep/README.md).
//
// Needs CAP_NET_ADMIN in the network namespace's user namespace and a
// readable /dev/net/tun. Not thread-safe for configuration; read_batch (one
// reader thread) and write (one writer thread) may run at the same time.
class LinuxTap {
 public:
  // A name may hold one "%d", which the kernel replaces by the lowest free
  // number ("weft%d" -> "weft0").
  static constexpr std::string_view kDefaultName = "weft%d";
  static constexpr std::size_t kMaxName = 15;  // IFNAMSIZ - 1

  // Creates the device (down, no addresses) with a non-blocking fd.
  // Error::invalid_argument: a name that is empty, longer than kMaxName or
  //   holds '/', ':', whitespace or a second '%';
  // Error::already_exists: a network device of that name exists;
  // Error::not_found: /dev/net/tun is missing (no tun module / no device node);
  // Error::permission_denied: no CAP_NET_ADMIN, or /dev/net/tun not readable.
  static Result<LinuxTap> open(std::string_view name = kDefaultName);
  // Whether open() would take `name` as a name (not whether it is free).
  [[nodiscard]] static bool valid_name(std::string_view name) noexcept;

  LinuxTap(LinuxTap&&) noexcept = default;
  LinuxTap& operator=(LinuxTap&&) noexcept = default;
  ~LinuxTap() = default;  // closing the fd removes the device

  // The device's name as the kernel gave it ("%d" resolved) and its index.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] int index() const noexcept { return index_; }
  // Readable when the kernel has frames for us (for a Poller).
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  Result<void> set_mac(Mac mac);
  Result<void> set_mtu(std::size_t mtu);
  Result<void> set_up(bool up);
  Result<void> add_address(const InterfaceAddress& address);
  Result<void> remove_address(const InterfaceAddress& address);

  // Reads up to out.size() frames the kernel sent, each into its own
  // `slot`-byte piece of `buffer` (buffer.size() >= out.size() * slot),
  // without waiting: 0 when none is queued. A frame that fills its slot
  // entirely may have been cut short by the kernel: it is delivered all the
  // same, as its first `slot` bytes, and counted in `oversized` (the caller
  // tells it by its size, and may answer it, e.g. with ICMP "too big"); size
  // slots at least one byte above the largest frame the caller accepts.
  struct Batch {
    std::size_t count{0};
    std::size_t oversized{0};
  };
  Result<Batch> read_batch(std::span<std::byte> buffer, std::size_t slot, std::span<ByteSpan> out);
  // Hands one frame to the kernel, which takes it as received on the device.
  // Error::would_block if its queue is full (the frame is lost).
  Result<void> write(ByteSpan frame);

 private:
  LinuxTap(UniqueFd fd, UniqueFd control, RtNetlink netlink, std::string name, int index) noexcept
      : fd_(std::move(fd)),
        control_(std::move(control)),
        netlink_(std::move(netlink)),
        name_(std::move(name)),
        index_(index) {}

  UniqueFd fd_;
  UniqueFd control_;  // AF_INET datagram socket for the interface ioctls
  RtNetlink netlink_;
  std::string name_;
  int index_{0};
};

}  // namespace weft::osdep
