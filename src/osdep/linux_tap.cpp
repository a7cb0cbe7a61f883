#include "osdep/linux_tap.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "osdep/errno_error.hpp"

// <net/if.h> (if_nametoindex) and <linux/if.h> (struct ifreq) clash; declare
// the one libc function used here instead of including the header.
extern "C" unsigned int if_nametoindex(const char* ifname);

namespace weft::osdep {

namespace {

constexpr const char* kTunDevice = "/dev/net/tun";

bool name_ok(std::string_view name) {
  if (name.empty() || name.size() > LinuxTap::kMaxName) return false;
  if (name == "." || name == "..") return false;
  if (std::count(name.begin(), name.end(), '%') > 1) return false;
  const auto percent = name.find('%');
  if (percent != std::string_view::npos && name.substr(percent, 2) != "%d") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' ||
           c == '\v' || c == '\f';
  });
}

ifreq request_for(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof ifr.ifr_name - 1));
  return ifr;
}

}  // namespace

bool LinuxTap::valid_name(std::string_view name) noexcept { return name_ok(name); }

Result<LinuxTap> LinuxTap::open(std::string_view name) {
  if (!valid_name(name)) return Error::invalid_argument;
  const std::string wanted(name);
  // A fixed name already in use is refused here with a clear error; without
  // this check TUNSETIFF would attach to an existing TAP device of ours or
  // fail with EINVAL for any other kind of device. IFF_TUN_EXCL below closes
  // the race with a device created in between.
  if (wanted.find('%') == std::string::npos && if_nametoindex(wanted.c_str()) != 0)
    return Error::already_exists;

  UniqueFd fd(::open(kTunDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENODEV || errno == ENXIO) return Error::not_found;
    return from_errno(errno);
  }
  ifreq ifr = request_for(wanted);
  ifr.ifr_flags =
      static_cast<short>(static_cast<unsigned short>(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL));
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
    if (errno == EBUSY || errno == EEXIST) return Error::already_exists;
    return from_errno(errno);  // EPERM without CAP_NET_ADMIN
  }
  std::string actual(ifr.ifr_name, ::strnlen(ifr.ifr_name, sizeof ifr.ifr_name));

  UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!control) return from_errno(errno);
  auto netlink = RtNetlink::open();
  if (!netlink) return netlink.error();
  ifreq index = request_for(actual);
  if (::ioctl(control.get(), SIOCGIFINDEX, &index) != 0) return from_errno(errno);
  return LinuxTap(std::move(fd), std::move(control), std::move(*netlink), std::move(actual),
                  index.ifr_ifindex);
}

Result<void> LinuxTap::set_mac(Mac mac) {
  ifreq ifr = request_for(name_);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  const auto bytes = mac.to_bytes();
  std::memcpy(ifr.ifr_hwaddr.sa_data, bytes.data(), bytes.size());
  if (::ioctl(control_.get(), SIOCSIFHWADDR, &ifr) != 0) return from_errno(errno);
  return {};
}

Result<void> LinuxTap::set_mtu(std::size_t mtu) {
  if (mtu < 68 || mtu > 65'535) return Error::invalid_argument;
  ifreq ifr = request_for(name_);
  ifr.ifr_mtu = static_cast<int>(mtu);
  if (::ioctl(control_.get(), SIOCSIFMTU, &ifr) != 0) return from_errno(errno);
  return {};
}

Result<void> LinuxTap::set_up(bool up) {
  ifreq ifr = request_for(name_);
  if (::ioctl(control_.get(), SIOCGIFFLAGS, &ifr) != 0) return from_errno(errno);
  if (up)
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  else
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags & ~IFF_UP);
  if (::ioctl(control_.get(), SIOCSIFFLAGS, &ifr) != 0) return from_errno(errno);
  return {};
}

Result<void> LinuxTap::add_address(const InterfaceAddress& address) {
  return netlink_.add_address(index_, address);
}

Result<void> LinuxTap::remove_address(const InterfaceAddress& address) {
  return netlink_.remove_address(index_, address);
}

Result<LinuxTap::Batch> LinuxTap::read_batch(std::span<std::byte> buffer, std::size_t slot,
                                             std::span<ByteSpan> out) {
  if (slot == 0 || buffer.size() / slot < out.size()) return Error::invalid_argument;
  Batch batch;
  while (batch.count < out.size()) {
    std::byte* at = buffer.data() + batch.count * slot;
    const ssize_t n = ::read(fd_.get(), at, slot);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      if (batch.count > 0) break;  // deliver what came; the error comes back next time
      return from_errno(errno);
    }
    if (static_cast<std::size_t>(n) >= slot) ++batch.oversized;
    out[batch.count++] = ByteSpan(at, static_cast<std::size_t>(n));
  }
  return batch;
}

Result<void> LinuxTap::write(ByteSpan frame) {
  for (;;) {
    if (::write(fd_.get(), frame.data(), frame.size()) >= 0) return {};
    if (errno != EINTR) return from_errno(errno);
  }
}

}  // namespace weft::osdep
