// The reassembler fed a stream of fragments chosen by the input: after a mode
// byte, each record is [source u8][time step u8][length u8][fragment bytes].
// Whatever arrives, memory stays within the limits and a completed message has
// exactly its total length. Without recycling (mode bit 0 clear) every result,
// message byte and counter must also equal those of a byte-at-a-time model (the
// reassembler's first, obviously right and slow version), so the word-wise
// byte map and the in-order fast path are checked against it.
#include <cstdint>
#include <list>
#include <optional>
#include <vector>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "peer/reassembler.hpp"
#include "wire/fragment.hpp"

namespace {

using namespace weft;  // NOLINT(google-build-using-namespace)

class Model {
 public:
  explicit Model(peer::ReassemblerLimits limits) : limits_(limits) {}

  Result<std::optional<Bytes>> add(Instant now, std::uint64_t source,
                                   const wire::FragmentView& f) {
    expire(now);
    const std::uint32_t total = f.total_length();
    auto it = entries_.begin();
    while (it != entries_.end() && !(it->source == source && it->id == f.message_id())) ++it;
    if (it == entries_.end()) {
      const std::size_t need = peer::Reassembler::cost(total);
      if (need > limits_.max_bytes || limits_.max_messages == 0) return Error::too_large;
      while (!entries_.empty() &&
             (entries_.size() >= limits_.max_messages || bytes_ + need > limits_.max_bytes)) {
        drop(entries_.begin());
        ++stats.evicted;
      }
      entries_.push_back({source, f.message_id(), now, total, Bytes(total),
                          std::vector<bool>(total), 0});
      bytes_ += need;
      it = std::prev(entries_.end());
    }
    if (it->total != total) {
      drop(it);
      ++stats.inconsistent;
      return Error::malformed;
    }
    std::uint32_t fresh = 0;
    const ByteSpan data = f.data();
    for (std::size_t i = 0; i < data.size(); ++i) {
      const std::size_t at = f.offset() + i;
      if (it->have[at]) {
        if (it->buffer[at] != data[i]) {
          drop(it);
          ++stats.inconsistent;
          return Error::malformed;
        }
        continue;
      }
      it->have[at] = true;
      it->buffer[at] = data[i];
      ++fresh;
    }
    if (fresh == 0) {
      ++stats.duplicates;
      return std::optional<Bytes>{};
    }
    it->received += fresh;
    if (it->received < it->total) return std::optional<Bytes>{};
    Bytes whole = std::move(it->buffer);
    drop(it);
    ++stats.completed;
    return std::optional<Bytes>{std::move(whole)};
  }

  void expire(Instant now) {
    while (!entries_.empty() && now - entries_.front().created >= limits_.timeout) {
      drop(entries_.begin());
      ++stats.timed_out;
    }
  }

  [[nodiscard]] std::size_t in_flight() const { return entries_.size(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  peer::ReassemblerStats stats;

 private:
  struct Entry {
    std::uint64_t source;
    std::uint32_t id;
    Instant created;
    std::uint32_t total;
    Bytes buffer;
    std::vector<bool> have;
    std::uint32_t received;
  };
  void drop(std::list<Entry>::iterator it) {
    bytes_ -= peer::Reassembler::cost(it->total);
    entries_.erase(it);
  }

  peer::ReassemblerLimits limits_;
  std::list<Entry> entries_;
  std::size_t bytes_{0};
};

bool same(const peer::ReassemblerStats& a, const peer::ReassemblerStats& b) {
  return a.completed == b.completed && a.duplicates == b.duplicates &&
         a.inconsistent == b.inconsistent && a.timed_out == b.timed_out && a.evicted == b.evicted;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const peer::ReassemblerLimits limits{.max_messages = 4, .max_bytes = 200'000, .timeout = 5s};
  peer::Reassembler r(limits);
  Model model(limits);
  Instant now = Instant::from_nanos(1);
  ByteSpan in = as_bytes(data, size);
  if (in.empty()) return 0;
  const bool recycling = (std::to_integer<unsigned>(in[0]) & 1U) != 0;
  in = in.subspan(1);
  while (in.size() >= 3) {
    const auto source = std::to_integer<std::uint64_t>(in[0]) % 3;
    now += std::chrono::milliseconds(std::to_integer<int>(in[1]) * 20);
    const std::size_t len = std::min<std::size_t>(std::to_integer<std::size_t>(in[2]), in.size() - 3);
    const ByteSpan fragment = in.subspan(3, len);
    in = in.subspan(3 + len);
    auto view = wire::FragmentView::parse(fragment);
    if (!view) continue;
    auto done = r.add(now, source, *view);
    if (done && done->has_value()) WEFT_CHECK((*done)->size() == view->total_length());
    WEFT_CHECK(r.in_flight() <= limits.max_messages);
    WEFT_CHECK(r.bytes() + r.spare_bytes() <= limits.max_bytes);
    if (recycling) {
      // A spare's extra capacity changes what is charged, so eviction may
      // differ from the model's: only the limits are checked.
      if (done && done->has_value()) r.recycle(std::move(**done));
      WEFT_CHECK(r.bytes() + r.spare_bytes() <= limits.max_bytes);
      continue;
    }
    auto expected = model.add(now, source, *view);
    WEFT_CHECK(done.ok() == expected.ok());
    if (!done) {
      WEFT_CHECK(done.error() == expected.error());
    } else {
      WEFT_CHECK(done->has_value() == expected->has_value());
      if (done->has_value()) WEFT_CHECK(**done == **expected);
    }
    WEFT_CHECK(r.in_flight() == model.in_flight() && r.bytes() == model.bytes());
    WEFT_CHECK(same(r.stats(), model.stats));
  }
  r.expire(now + 5s);
  WEFT_CHECK(r.in_flight() == 0 && r.bytes() == 0);
  return 0;
}
