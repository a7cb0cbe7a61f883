#include "peer/reassembler.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace weft::peer {

namespace {

constexpr std::size_t kWordBits = 64;

// Bits [from, from + len) of a word; len in 1..64.
constexpr std::uint64_t bits(std::size_t from, std::size_t len) noexcept {
  const std::uint64_t ones = len == kWordBits ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
  return ones << from;
}

// A spare serves a message only if it wastes little of its capacity (the
// extra is charged to the reassembly too).
constexpr bool fits(std::size_t capacity, std::size_t total) noexcept {
  return capacity >= total && capacity - total <= total / 8;
}

}  // namespace

void Reassembler::erase(List::iterator it) noexcept {
  bytes_ -= it->charged;
  index_.erase(it->key);
  entries_.erase(it);
}

void Reassembler::recycle(Bytes&& buffer) {
  const std::size_t capacity = buffer.capacity();
  if (capacity == 0 || spares_.size() >= kMaxSpares ||
      bytes_ + spare_bytes_ + capacity > limits_.max_bytes)
    return;  // `buffer` is freed by its owner
  buffer.clear();
  spare_bytes_ += capacity;
  spares_.push_back(std::move(buffer));
}

Bytes Reassembler::take_spare(std::size_t total) noexcept {
  for (auto it = spares_.begin(); it != spares_.end(); ++it) {
    if (!fits(it->capacity(), total)) continue;
    Bytes b = std::move(*it);
    spares_.erase(it);
    spare_bytes_ -= b.capacity();
    return b;
  }
  return {};
}

void Reassembler::drop_spares_for(std::size_t need) noexcept {
  while (!spares_.empty() && bytes_ + spare_bytes_ + need > limits_.max_bytes) {
    spare_bytes_ -= spares_.back().capacity();
    spares_.pop_back();
  }
}

bool Reassembler::merge(Entry& e, std::size_t offset, ByteSpan data) {
  if (!e.have.empty()) return merge_scattered(e, offset, data);
  // Contiguous so far: buffer holds exactly the prefix.
  if (offset > e.prefix) {
    // A gap: from now on every byte's arrival is tracked. The bytes beyond
    // the prefix start as zeros, never as a previous message's.
    e.buffer.resize(e.total);
    e.have.assign((e.total + kWordBits - 1) / kWordBits, 0);
    return merge_scattered(e, offset, data);
  }
  const std::size_t end = offset + data.size();
  const std::size_t known = std::min<std::size_t>(end, e.prefix) - offset;
  if (known != 0 && std::memcmp(e.buffer.data() + offset, data.data(), known) != 0) return false;
  if (end > e.prefix) {
    e.buffer.insert(e.buffer.end(), data.begin() + static_cast<std::ptrdiff_t>(known), data.end());
    e.prefix = static_cast<std::uint32_t>(end);
    e.received = e.prefix;
  }
  return true;
}

bool Reassembler::merge_scattered(Entry& e, std::size_t offset, ByteSpan data) {
  const std::size_t end = offset + data.size();
  // Below the prefix every byte is known.
  if (offset < e.prefix) {
    const std::size_t n = std::min<std::size_t>(end, e.prefix) - offset;
    if (std::memcmp(e.buffer.data() + offset, data.data(), n) != 0) return false;
  }
  // Beyond it, a word of the bitmap (64 bytes) at a time: all new is a copy,
  // all known a comparison, only a word the fragment half overlaps goes byte
  // by byte.
  std::size_t fresh = 0;
  for (std::size_t at = std::max<std::size_t>(offset, e.prefix); at < end;) {
    const std::size_t bit = at % kWordBits;
    const std::size_t len = std::min(kWordBits - bit, end - at);
    std::uint64_t& word = e.have[at / kWordBits];
    const std::uint64_t mask = bits(bit, len);
    const std::uint64_t known = word & mask;
    const std::byte* src = data.data() + (at - offset);
    std::byte* dst = e.buffer.data() + at;
    if (known == 0) {
      std::memcpy(dst, src, len);
      fresh += len;
    } else if (known == mask) {
      if (std::memcmp(dst, src, len) != 0) return false;
    } else {
      for (std::size_t i = 0; i < len; ++i) {
        if ((known >> (bit + i) & 1U) != 0) {
          if (dst[i] != src[i]) return false;
        } else {
          dst[i] = src[i];
          ++fresh;
        }
      }
    }
    word |= mask;
    at += len;
  }
  e.received += static_cast<std::uint32_t>(fresh);
  // Bits past the total are never set, so this stops there at the latest.
  while (e.prefix < e.total) {
    const std::uint64_t missing = ~e.have[e.prefix / kWordBits] >> (e.prefix % kWordBits);
    if (missing != 0) {
      e.prefix += static_cast<std::uint32_t>(std::countr_zero(missing));
      break;
    }
    e.prefix = static_cast<std::uint32_t>((e.prefix / kWordBits + 1) * kWordBits);
  }
  e.prefix = std::min(e.prefix, e.total);
  return true;
}

Result<std::optional<Bytes>> Reassembler::add(Instant now, std::uint64_t source,
                                              const wire::FragmentView& f) {
  expire(now);
  const Key key{source, f.message_id()};
  const std::uint32_t total = f.total_length();
  auto found = index_.find(key);
  List::iterator it;
  if (found == index_.end()) {
    if (cost(total) > limits_.max_bytes || limits_.max_messages == 0) return Error::too_large;
    Bytes buffer = take_spare(total);
    // A spare's extra capacity is charged too; if that cannot fit, a new
    // buffer of the exact size is made instead.
    std::size_t need =
        cost(total) + (buffer.capacity() - std::min<std::size_t>(buffer.capacity(), total));
    if (need > limits_.max_bytes) {
      buffer = Bytes{};
      need = cost(total);
    }
    while (!entries_.empty() &&
           (entries_.size() >= limits_.max_messages || bytes_ + need > limits_.max_bytes)) {
      erase(entries_.begin());
      ++stats_.evicted;
    }
    drop_spares_for(need);
    buffer.reserve(total);
    entries_.push_back(Entry{key, now, need, total, 0, 0, std::move(buffer), {}});
    it = std::prev(entries_.end());
    index_.emplace(key, it);
    bytes_ += need;
  } else {
    it = found->second;
  }

  Entry& e = *it;
  const std::uint32_t before = e.received;
  // FragmentView guarantees offset + size <= total (of this fragment's claim).
  if (e.total != total || !merge(e, f.offset(), f.data())) {
    erase(it);
    ++stats_.inconsistent;
    return Error::malformed;
  }
  if (e.received == before) {
    ++stats_.duplicates;
    return std::optional<Bytes>{};
  }
  if (e.received < e.total) return std::optional<Bytes>{};
  Bytes whole = std::move(e.buffer);
  erase(it);
  ++stats_.completed;
  return std::optional<Bytes>{std::move(whole)};
}

void Reassembler::expire(Instant now) {
  while (!entries_.empty() && now - entries_.front().created >= limits_.timeout) {
    erase(entries_.begin());
    ++stats_.timed_out;
  }
}

Instant Reassembler::deadline() const noexcept {
  return entries_.empty() ? Instant::max() : entries_.front().created + limits_.timeout;
}

}  // namespace weft::peer
