#include "tap/fault_injector.hpp"

#include <algorithm>

#include "tap/tap.hpp"

namespace weft::tap {

namespace {
FaultConfig normalised(FaultConfig c) noexcept {
  // Held back "until 0 later frames went out" means not held back at all.
  c.reorder_distance = std::max<std::size_t>(c.reorder_distance, 1);
  return c;
}
}  // namespace

FaultInjector::FaultInjector(FrameSink& next, const Clock& clock, FaultConfig config) noexcept
    : next_(next), clock_(clock), config_(normalised(config)), rng_(config.seed) {}

// SplitMix64: tiny, fast, and statistically good enough to pick faults; the
// point is a fixed sequence for a seed on every platform (std:: distributions
// differ between standard libraries).
std::uint64_t FaultInjector::next_random() {
  std::uint64_t z = (rng_ += 0x9e37'79b9'7f4a'7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58'476d'1ce4'e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d0'49bb'1331'11ebULL;
  return z ^ (z >> 31U);
}

// In [0, 1) with 53 random bits.
double FaultInjector::uniform() { return static_cast<double>(next_random() >> 11U) * 0x1.0p-53; }

void FaultInjector::send_frames(std::span<const ByteSpan> frames) {
  const Instant now = clock_.now();
  std::lock_guard lock(mutex_);
  Batch out;
  // What was due first, so a delayed frame never trails a later one.
  release(now, out);
  for (ByteSpan f : frames) {
    ++stats_.frames_in;
    // Six draws per frame, always, in this order.
    const bool lose = uniform() < config_.loss;
    const bool corrupt = uniform() < config_.corrupt;
    const std::uint64_t bit_draw = next_random();
    const bool duplicate = uniform() < config_.duplicate;
    const bool reorder = uniform() < config_.reorder;
    const std::uint64_t jitter_draw = next_random();

    if (lose) {
      ++stats_.lost;
      continue;
    }
    Bytes* owned = nullptr;
    if (corrupt && f.size() > Tap::kEthernetHeader) {
      Bytes& copy = out.owned.emplace_back(f.begin(), f.end());
      const std::size_t bits = (f.size() - Tap::kEthernetHeader) * 8;
      const std::size_t bit = Tap::kEthernetHeader * 8 + bit_draw % bits;
      copy[bit / 8] ^= static_cast<std::byte>(1U << (bit % 8));
      owned = &copy;
      f = copy;
      ++stats_.corrupted;
    }
    Duration wait = config_.delay;
    if (config_.jitter.count() > 0) {
      wait += Duration(static_cast<std::int64_t>(
          jitter_draw % (static_cast<std::uint64_t>(config_.jitter.count()) + 1)));
    }
    if (wait.count() > 0) {
      ++stats_.delayed;
      Bytes copy = owned != nullptr ? std::move(*owned) : Bytes(f.begin(), f.end());
      delayed_.emplace(std::pair{now + wait, sequence_++},
                       Pending{std::move(copy), duplicate, reorder});
      continue;
    }
    emit(f, owned, duplicate, reorder, now, out);
  }
  flush(out);
}

Instant FaultInjector::poll(Instant now) {
  std::lock_guard lock(mutex_);
  Batch out;
  release(now, out);
  flush(out);
  return next_deadline();
}

// Sends a frame on, or holds it back. `owned` is the frame's copy in `out` (or
// null when `frame` is borrowed from the caller).
void FaultInjector::emit(ByteSpan frame, Bytes* owned, bool duplicate, bool reorder, Instant now,
                         Batch& out) {
  if (reorder) {
    ++stats_.reordered;
    held_.push_back(Held{owned != nullptr ? std::move(*owned) : Bytes(frame.begin(), frame.end()),
                         duplicate, config_.reorder_distance, now + config_.reorder_timeout});
    return;
  }
  const int copies = duplicate ? 2 : 1;
  for (int i = 0; i < copies; ++i) out.spans.push_back(frame);
  stats_.frames_out += static_cast<std::uint64_t>(copies);
  if (duplicate) ++stats_.duplicated;
  // Held frames count the frames that passed them; the ones whose count ran
  // out follow this frame, oldest first.
  for (auto it = held_.begin(); it != held_.end();) {
    if (--it->remaining > 0) {
      ++it;
      continue;
    }
    const Bytes& kept = out.owned.emplace_back(std::move(it->frame));
    const int n = it->duplicate ? 2 : 1;
    for (int i = 0; i < n; ++i) out.spans.push_back(kept);
    stats_.frames_out += static_cast<std::uint64_t>(n);
    if (it->duplicate) ++stats_.duplicated;
    it = held_.erase(it);
  }
}

void FaultInjector::release(Instant now, Batch& out) {
  while (!delayed_.empty() && delayed_.begin()->first.first <= now) {
    auto node = delayed_.extract(delayed_.begin());
    Pending& p = node.mapped();
    Bytes& kept = out.owned.emplace_back(std::move(p.frame));
    emit(kept, &kept, p.duplicate, p.reorder, now, out);
  }
  // Held frames whose traffic stopped: out after their timeout, oldest first.
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    const Bytes& kept = out.owned.emplace_back(std::move(it->frame));
    const int n = it->duplicate ? 2 : 1;
    for (int i = 0; i < n; ++i) out.spans.push_back(kept);
    stats_.frames_out += static_cast<std::uint64_t>(n);
    if (it->duplicate) ++stats_.duplicated;
    it = held_.erase(it);
  }
}

Instant FaultInjector::next_deadline() const {
  Instant next = Instant::max();
  if (!delayed_.empty()) next = delayed_.begin()->first.first;
  for (const Held& h : held_) next = std::min(next, h.deadline);
  return next;
}

void FaultInjector::flush(Batch& out) {
  if (!out.spans.empty()) next_.send_frames(out.spans);
}

FaultInjector::Stats FaultInjector::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace weft::tap
