#include "peer/reassembler.hpp"

#include <algorithm>

namespace weft::peer {

void Reassembler::erase(List::iterator it) noexcept {
  bytes_ -= cost(it->total);
  index_.erase(it->key);
  entries_.erase(it);
}

Result<std::optional<Bytes>> Reassembler::add(Instant now, std::uint64_t source,
                                              const wire::FragmentView& f) {
  expire(now);
  const Key key{source, f.message_id()};
  const std::uint32_t total = f.total_length();
  auto found = index_.find(key);
  List::iterator it;
  if (found == index_.end()) {
    const std::size_t need = cost(total);
    if (need > limits_.max_bytes || limits_.max_messages == 0) return Error::too_large;
    while (!entries_.empty() &&
           (entries_.size() >= limits_.max_messages || bytes_ + need > limits_.max_bytes)) {
      erase(entries_.begin());
      ++stats_.evicted;
    }
    entries_.push_back(
        Entry{key, now, total, 0, Bytes(total), std::vector<std::uint64_t>((total + 63) / 64)});
    it = std::prev(entries_.end());
    index_.emplace(key, it);
    bytes_ += need;
  } else {
    it = found->second;
  }

  Entry& e = *it;
  if (e.total != total) {
    erase(it);
    ++stats_.inconsistent;
    return Error::malformed;
  }
  // FragmentView guarantees offset + size <= total.
  const ByteSpan data = f.data();
  const std::size_t offset = f.offset();
  std::uint32_t fresh = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::size_t at = offset + i;
    auto& word = e.have[at / 64];
    const std::uint64_t bit = std::uint64_t{1} << (at % 64);
    if ((word & bit) != 0) {
      if (e.buffer[at] != data[i]) {
        erase(it);
        ++stats_.inconsistent;
        return Error::malformed;
      }
      continue;
    }
    word |= bit;
    e.buffer[at] = data[i];
    ++fresh;
  }
  if (fresh == 0) {
    ++stats_.duplicates;
    return std::optional<Bytes>{};
  }
  e.received += fresh;
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
