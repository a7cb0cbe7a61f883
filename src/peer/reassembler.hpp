#pragma once

// Puts fragmented inner messages back together (docs/protocol.md §5.3) with
// bounded memory: at most limits.max_messages reassemblies and limits.max_bytes
// of buffers in flight, the oldest evicted first when a new one needs room, and
// each dropped after limits.timeout. Fragments may arrive in any order and
// duplicated; a fragment that disagrees with bytes already received, or with the
// message's total length, drops the whole message (an overlap attack must not
// choose which version of the bytes wins).
//
// Fragments normally arrive in order, without gaps or overlaps: that case costs
// one copy and O(1) bookkeeping per fragment (the message grows at its end).
// The first fragment that does not continue the received prefix switches the
// message to a map of one bit per byte, worked a 64-bit word at a time, so
// arbitrary ranges stay exact at a cost of O(n / 64) per fragment plus the copy
// or comparison.

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "base/result.hpp"
#include "wire/fragment.hpp"

namespace weft::peer {

struct ReassemblerLimits {
  // Bounds the bookkeeping; max_bytes bounds the memory. A sender may have up
  // to osdep::Outbox::kMaxOvertaken messages open at once by design.
  std::size_t max_messages = 256;
  std::size_t max_bytes = std::size_t{4} << 20U;
  Duration timeout = 5s;
};

struct ReassemblerStats {
  std::uint64_t completed = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t inconsistent = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t evicted = 0;
};

class Reassembler {
 public:
  // Bookkeeping charged per reassembly on top of its buffer and bitmap.
  static constexpr std::size_t kOverhead = 128;
  // Idle buffers kept for reuse (see recycle()).
  static constexpr std::size_t kMaxSpares = 8;

  explicit Reassembler(ReassemblerLimits limits = {}) noexcept : limits_(limits) {}

  // Adds one fragment from `source` (the sending peer: fragments of different
  // peers never mix). Returns the complete message when this fragment finished
  // it, nullopt while parts are missing; Error::malformed for an inconsistent
  // fragment (the message is dropped), Error::too_large if one message could
  // never fit the limits.
  Result<std::optional<Bytes>> add(Instant now, std::uint64_t source, const wire::FragmentView& f);

  // Hands back a buffer (a message add() returned, once used) so a later
  // reassembly can fill it instead of allocating. Kept only while the idle
  // buffers and the reassemblies in flight together stay within max_bytes and
  // there are at most kMaxSpares of them; otherwise it is freed.
  void recycle(Bytes&& buffer);

  // Drops reassemblies older than the timeout.
  void expire(Instant now);
  // When expire() next has work (Instant::max() if nothing is in flight).
  [[nodiscard]] Instant deadline() const noexcept;

  [[nodiscard]] std::size_t in_flight() const noexcept { return entries_.size(); }
  // Charged to the reassemblies in flight (idle buffers: spare_bytes()).
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::size_t spare_bytes() const noexcept { return spare_bytes_; }
  [[nodiscard]] const ReassemblerStats& stats() const noexcept { return stats_; }

  // The memory charged for a message of total_length bytes.
  static constexpr std::size_t cost(std::size_t total_length) noexcept {
    return total_length + (total_length + 63) / 64 * 8 + kOverhead;
  }

 private:
  struct Key {
    std::uint64_t source;
    std::uint32_t message_id;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return std::hash<std::uint64_t>{}(k.source * 0x9e3779b97f4a7c15ULL ^ k.message_id);
    }
  };
  struct Entry {
    Key key;
    Instant created;
    std::size_t charged;  // to bytes_: cost(total) and any extra capacity of its buffer
    std::uint32_t total;
    std::uint32_t received{0};  // distinct bytes received
    std::uint32_t prefix{0};    // bytes [0, prefix) are all received
    // While every fragment continued the prefix, the buffer holds just the
    // prefix (capacity total); after the first that did not, all `total`
    // bytes, and `have` marks which of those at or beyond `prefix` arrived.
    Bytes buffer;
    std::vector<std::uint64_t> have;
  };
  using List = std::list<Entry>;

  // Checks a fragment against the message and copies its new bytes in; false
  // if it disagrees with bytes already received.
  static bool merge(Entry& e, std::size_t offset, ByteSpan data);
  static bool merge_scattered(Entry& e, std::size_t offset, ByteSpan data);
  Bytes take_spare(std::size_t capacity) noexcept;
  void erase(List::iterator it) noexcept;
  void drop_spares_for(std::size_t need) noexcept;

  ReassemblerLimits limits_;
  List entries_;  // oldest first
  std::unordered_map<Key, List::iterator, KeyHash> index_;
  std::size_t bytes_{0};
  std::vector<Bytes> spares_;
  std::size_t spare_bytes_{0};
  ReassemblerStats stats_;
};

}  // namespace weft::peer
