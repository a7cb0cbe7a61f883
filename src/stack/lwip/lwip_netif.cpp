#include "stack/lwip/lwip_netif.hpp"

#include <cstring>
#include <vector>

#include "stack/lwip/convert.hpp"
#include "stack/lwip/core_lock.hpp"
#include "stack/lwip/lwip_stack.hpp"

namespace weft::stack::lwip {

namespace {

err_t linkoutput_cb(netif* n, pbuf* p) {
  auto* self = static_cast<LwipNetif*>(n->state);
  // lwIP's timers (MLD, ND) may emit frames as soon as addresses exist; nothing
  // leaves before the owner said the network side is ready.
  if (self->transmitting()) queue_frame(self->tap(), p);
  return ERR_OK;
}

err_t init_cb(netif* n) {
  auto* self = static_cast<LwipNetif*>(n->state);
  n->name[0] = 'w';
  n->name[1] = 't';
  n->hwaddr_len = ETH_HWADDR_LEN;
  auto mac = self->tap().mac().to_bytes();
  for (std::size_t i = 0; i < ETH_HWADDR_LEN; ++i) n->hwaddr[i] = std::to_integer<u8_t>(mac[i]);
  n->mtu = static_cast<u16_t>(self->tap().mtu());
  n->mtu6 = n->mtu;
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
             NETIF_FLAG_MLD6;
  n->output = etharp_output;
  n->output_ip6 = ethip6_output;
  n->linkoutput = linkoutput_cb;
  return ERR_OK;
}

}  // namespace

LwipNetif* LwipNetif::of(netif* n) noexcept {
  if (n == nullptr || n->linkoutput != linkoutput_cb) return nullptr;
  return static_cast<LwipNetif*>(n->state);
}

LwipNetif::LwipNetif(tap::Tap& tap) noexcept : tap_(tap), netif_(std::make_unique<netif>()) {}

Result<std::unique_ptr<LwipNetif>> LwipNetif::attach(tap::Tap& tap, const NetifConfig& config) {
  if ((config.ipv4 && config.ipv4->family != Family::v4) ||
      (config.ipv6 && config.ipv6->family != Family::v6) || config.ipv4_prefix < 0 ||
      config.ipv4_prefix > 32 || tap.mtu() < 1280)
    return Error::invalid_argument;
  (void)LwipStack::instance();
  std::unique_ptr<LwipNetif> self(new LwipNetif(tap));
  {
    CoreLock lock;
    ip4_addr_t addr{};
    ip4_addr_t mask{};
    ip4_addr_t gw{};
    if (config.ipv4) {
      std::memcpy(&addr.addr, config.ipv4->bytes.data(), 4);
      std::uint32_t m = config.ipv4_prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - config.ipv4_prefix);
      mask.addr = lwip_htonl(m);
    }
    if (config.ipv4_gateway) std::memcpy(&gw.addr, config.ipv4_gateway->bytes.data(), 4);
    if (netif_add(self->netif_.get(), &addr, &mask, &gw, self.get(), &init_cb,
                  ethernet_input) == nullptr)
      return Error::internal;
    self->added_ = true;
    // Addresses are static and the link is ours: mark them preferred at once
    // instead of waiting for duplicate address detection.
    netif_create_ip6_linklocal_address(self->netif_.get(), 1);
    netif_ip6_addr_set_state(self->netif_.get(), 0, IP6_ADDR_PREFERRED);
    if (config.ipv6) {
      ip6_addr_t a6{};
      std::memcpy(a6.addr, config.ipv6->bytes.data(), 16);
      ip6_addr_clear_zone(&a6);
      s8_t index = -1;
      if (netif_add_ip6_address(self->netif_.get(), &a6, &index) != ERR_OK) {
        return Error::invalid_argument;  // the destructor removes the netif
      }
      netif_ip6_addr_set_state(self->netif_.get(), index, IP6_ADDR_PREFERRED);
    }
    self->netif_->ip6_autoconfig_enabled = 0;
    if (config.default_route) netif_set_default(self->netif_.get());
  }
  tap.attach_stack(self.get());
  if (config.up) self->up();
  return self;
}

void LwipNetif::up() {
  CoreLock lock;
  transmitting_.store(true, std::memory_order_release);
  netif_set_up(netif_.get());
  netif_set_link_up(netif_.get());
}

Result<void> LwipNetif::set_ipv4(std::optional<IpAddress> address, int prefix) {
  if ((address && address->family != Family::v4) || prefix < 0 || prefix > 32)
    return Error::invalid_argument;
  ip4_addr_t addr{};
  ip4_addr_t mask{};
  ip4_addr_t gw{};
  if (address) {
    std::memcpy(&addr.addr, address->bytes.data(), 4);
    const std::uint32_t m = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    mask.addr = lwip_htonl(m);
  }
  CoreLock lock;
  netif_set_addr(netif_.get(), &addr, &mask, &gw);
  return {};
}

Result<void> LwipNetif::add_ipv6(const IpAddress& address) {
  if (address.family != Family::v6) return Error::invalid_argument;
  ip6_addr_t a6{};
  std::memcpy(a6.addr, address.bytes.data(), 16);
  ip6_addr_clear_zone(&a6);
  CoreLock lock;
  if (netif_get_ip6_addr_match(netif_.get(), &a6) >= 0) return {};
  s8_t index = -1;
  if (netif_add_ip6_address(netif_.get(), &a6, &index) != ERR_OK) return Error::no_buffer;
  // Assigned by the network's controller, which knows no other member holds
  // it: preferred at once, without duplicate address detection.
  netif_ip6_addr_set_state(netif_.get(), index, IP6_ADDR_PREFERRED);
  return {};
}

Result<void> LwipNetif::remove_ipv6(const IpAddress& address) {
  if (address.family != Family::v6) return Error::invalid_argument;
  ip6_addr_t a6{};
  std::memcpy(a6.addr, address.bytes.data(), 16);
  ip6_addr_clear_zone(&a6);
  CoreLock lock;
  const s8_t index = netif_get_ip6_addr_match(netif_.get(), &a6);
  if (index <= 0) return Error::not_found;  // slot 0 is the link-local address
  netif_ip6_addr_set_state(netif_.get(), index, IP6_ADDR_INVALID);
  return {};
}

LwipNetif::~LwipNetif() {
  tap_.attach_stack(nullptr);
  if (!added_) return;
  CoreLock lock;
  netif_remove(netif_.get());
}

void LwipNetif::send_frames(std::span<const ByteSpan> frames) {
  thread_local std::vector<pbuf*> batch;
  batch.clear();
  const std::size_t max_frame = tap_.mtu() + tap::Tap::kEthernetHeader;
  for (ByteSpan f : frames) {
    if (f.size() < tap::Tap::kEthernetHeader || f.size() > max_frame) {
      malformed_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(f.size()), PBUF_RAM);
    if (p == nullptr) {
      no_memory_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    std::memcpy(p->payload, f.data(), f.size());
    batch.push_back(p);
  }
  if (batch.empty()) return;
  frames_in_.fetch_add(batch.size(), std::memory_order_relaxed);
  std::uint64_t rejected = 0;
  {
    CoreLock lock;
    for (pbuf* p : batch) {
      if (netif_->input(p, netif_.get()) != ERR_OK) {
        pbuf_free(p);
        ++rejected;
      }
    }
  }
  if (rejected != 0) rejected_.fetch_add(rejected, std::memory_order_relaxed);
}

LwipNetif::Stats LwipNetif::stats() const noexcept {
  return {frames_in_.load(std::memory_order_relaxed), malformed_.load(std::memory_order_relaxed),
          no_memory_.load(std::memory_order_relaxed), rejected_.load(std::memory_order_relaxed)};
}

}  // namespace weft::stack::lwip
