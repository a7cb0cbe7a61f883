#include "tap/tap.hpp"

#include <algorithm>
#include <array>

namespace weft::tap {

namespace {
// Frames are checked and forwarded in chunks of this many, so a batch of any
// size needs no allocation.
constexpr std::size_t kChunk = 64;
}  // namespace

Tap::Tap(Mac mac, std::size_t mtu, std::size_t unfragmented_mtu) noexcept
    : mac_(mac),
      mtu_(std::min(mtu, kMaxMtu)),
      unfragmented_mtu_(unfragmented_mtu == 0 ? mtu_ : std::min(unfragmented_mtu, mtu_)) {}

void Tap::put(std::span<const ByteSpan> frames) { forward(frames, stack_, in_); }
void Tap::transmit(std::span<const ByteSpan> frames) { forward(frames, network_, out_); }

void Tap::forward(std::span<const ByteSpan> frames, FrameSink* sink, Counters& counters) {
  if (sink == nullptr) {
    counters.unattached.fetch_add(frames.size(), std::memory_order_relaxed);
    return;
  }
  std::array<ByteSpan, kChunk> ok{};
  std::size_t n = 0;
  auto flush = [&] {
    if (n == 0) return;
    sink->send_frames(std::span<const ByteSpan>(ok.data(), n));
    counters.frames.fetch_add(n, std::memory_order_relaxed);
    n = 0;
  };
  for (ByteSpan f : frames) {
    if (f.size() < kEthernetHeader) {
      counters.runt.fetch_add(1, std::memory_order_relaxed);
    } else if (f.size() > mtu_ + kEthernetHeader) {
      counters.oversize.fetch_add(1, std::memory_order_relaxed);
    } else {
      ok[n++] = f;
      if (n == kChunk) flush();
    }
  }
  flush();
}

Tap::Stats Tap::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(in_.frames), get(out_.frames), get(in_.runt) + get(out_.runt),
          get(in_.oversize) + get(out_.oversize), get(in_.unattached) + get(out_.unattached)};
}

}  // namespace weft::tap
