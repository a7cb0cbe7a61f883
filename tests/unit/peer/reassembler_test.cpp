#include "peer/reassembler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "peer/fragmenter.hpp"
#include "wire/fragment.hpp"
#include "wire/inner.hpp"

namespace weft::peer {
namespace {

Bytes message(std::size_t n, unsigned seed = 1) {
  Bytes m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  m[0] = std::byte{0x01};  // a frame
  return m;
}

std::vector<Bytes> split(const Bytes& m, std::uint32_t id, std::size_t max = 1368) {
  return Fragmenter::split(m, id, max).value();
}

Result<std::optional<Bytes>> add(Reassembler& r, Instant now, std::uint64_t src, const Bytes& f) {
  return r.add(now, src, wire::FragmentView::parse(f).value());
}

const Instant t0 = Instant::from_nanos(1'000'000'000);

TEST(Fragmenter, SplitsWithinTheLimitAndCoversTheMessage) {
  const Bytes m = message(9000);
  const auto parts = split(m, 7);
  ASSERT_EQ(parts.size(), 7U);  // 1352 data bytes per fragment
  for (const auto& p : parts) EXPECT_LE(p.size(), 1368U);
  EXPECT_EQ(Fragmenter::split(message(wire::kMaxInnerMessage + 1), 1, 1368).error(),
            Error::too_large);
  EXPECT_EQ(Fragmenter::split(m, 1, 16).error(), Error::invalid_argument);
}

TEST(Reassembler, InOrder) {
  Reassembler r;
  const Bytes m = message(9000);
  const auto parts = split(m, 7);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    auto res = add(r, t0, 1, parts[i]);
    ASSERT_TRUE(res);
    EXPECT_FALSE(res->has_value());
  }
  auto done = add(r, t0, 1, parts.back());
  ASSERT_TRUE(done && done->has_value());
  EXPECT_EQ(**done, m);
  EXPECT_EQ(r.in_flight(), 0U);
  EXPECT_EQ(r.bytes(), 0U);
}

TEST(Reassembler, OutOfOrderWithDuplicatesAndLargestMessage) {
  Reassembler r;
  const Bytes m = message(wire::kMaxInnerMessage, 5);
  auto parts = split(m, 9);
  std::reverse(parts.begin(), parts.end());
  std::swap(parts[3], parts[20]);
  std::optional<Bytes> whole;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i == 10) {
      auto dup = add(r, t0, 1, parts[4]);  // a duplicate changes nothing
      ASSERT_TRUE(dup);
      EXPECT_FALSE(dup->has_value());
    }
    auto res = add(r, t0, 1, parts[i]);
    ASSERT_TRUE(res);
    if (res->has_value()) whole = std::move(**res);
  }
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, m);
  EXPECT_EQ(r.stats().duplicates, 1U);
  // A duplicate after completion starts a new reassembly that never completes.
  ASSERT_TRUE(add(r, t0, 1, parts[0]));
  EXPECT_EQ(r.in_flight(), 1U);
}

TEST(Reassembler, MissingFragmentTimesOut) {
  Reassembler r({.max_messages = 8, .max_bytes = 1 << 20, .timeout = 5s});
  const auto parts = split(message(5000), 3);
  for (std::size_t i = 1; i < parts.size(); ++i) ASSERT_TRUE(add(r, t0, 1, parts[i]));
  EXPECT_EQ(r.in_flight(), 1U);
  EXPECT_EQ(r.deadline(), t0 + 5s);
  r.expire(t0 + 4999ms);
  EXPECT_EQ(r.in_flight(), 1U);
  r.expire(t0 + 5s);
  EXPECT_EQ(r.in_flight(), 0U);
  EXPECT_EQ(r.bytes(), 0U);
  EXPECT_EQ(r.stats().timed_out, 1U);
  EXPECT_EQ(r.deadline(), Instant::max());
  // The late first fragment alone does not resurrect the message.
  auto late = add(r, t0 + 6s, 1, parts[0]);
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->has_value());
}

TEST(Reassembler, InconsistentOverlapDropsTheMessage) {
  Reassembler r;
  const Bytes m = message(3000);
  const auto parts = split(m, 4);
  ASSERT_TRUE(add(r, t0, 1, parts[0]));
  // Same range, one byte different: the whole message is dropped.
  Bytes evil = parts[0];
  evil.back() ^= std::byte{1};
  EXPECT_EQ(add(r, t0, 1, evil).error(), Error::malformed);
  EXPECT_EQ(r.in_flight(), 0U);
  EXPECT_EQ(r.stats().inconsistent, 1U);

  // An overlapping range that agrees on the shared bytes is fine.
  ASSERT_TRUE(add(r, t0, 2, parts[0]));
  Bytes overlap(wire::FragmentHeader::buffer_len() + 100);
  wire::FragmentHeader{4, 3000, 1300}.emit(overlap);
  std::copy_n(m.begin() + 1300, 100, overlap.begin() + 16);
  ASSERT_TRUE(add(r, t0, 2, overlap));
  // The same range with different bytes is not.
  overlap[16 + 60] ^= std::byte{0xff};
  EXPECT_EQ(add(r, t0, 2, overlap).error(), Error::malformed);

  // A fragment claiming another total length for the same message id.
  ASSERT_TRUE(add(r, t0, 3, parts[0]));
  Bytes other(wire::FragmentHeader::buffer_len() + 10);
  wire::FragmentHeader{4, 2999, 2000}.emit(other);
  EXPECT_EQ(add(r, t0, 3, other).error(), Error::malformed);
  EXPECT_EQ(r.in_flight(), 0U);
}

TEST(Reassembler, SourcesDoNotMix) {
  Reassembler r;
  const Bytes a = message(3000, 1);
  const Bytes b = message(3000, 2);
  const auto pa = split(a, 1);
  const auto pb = split(b, 1);  // same message id from another peer
  ASSERT_TRUE(add(r, t0, 10, pa[0]));
  ASSERT_TRUE(add(r, t0, 20, pb[0]));
  ASSERT_TRUE(add(r, t0, 10, pa[1]));
  ASSERT_TRUE(add(r, t0, 20, pb[1]));
  auto da = add(r, t0, 10, pa[2]);
  auto db = add(r, t0, 20, pb[2]);
  ASSERT_TRUE(da && da->has_value() && db && db->has_value());
  EXPECT_EQ(**da, a);
  EXPECT_EQ(**db, b);
}

TEST(Reassembler, MemoryStaysBoundedUnderAFloodAndEvictsOldestFirst) {
  const ReassemblerLimits limits{.max_messages = 16, .max_bytes = 256 * 1024, .timeout = 5s};
  Reassembler r(limits);
  // 10,000 messages of 64 KiB, each started and never finished.
  for (std::uint32_t id = 0; id < 10'000; ++id) {
    Bytes f(wire::FragmentHeader::buffer_len() + 1);
    wire::FragmentHeader{id, 65536, 0}.emit(f);
    ASSERT_TRUE(add(r, t0 + std::chrono::microseconds(id), 1, f));
    ASSERT_LE(r.in_flight(), limits.max_messages);
    ASSERT_LE(r.bytes(), limits.max_bytes);
  }
  // Bytes bind first here: three 64 KiB reassemblies fit in 256 KiB.
  EXPECT_EQ(r.in_flight(), 3U);
  EXPECT_EQ(r.stats().evicted, 10'000U - 3U);

  // Small messages: the count binds, and the oldest go first.
  Reassembler s(limits);
  const Bytes m = message(3000);
  for (std::uint32_t id = 0; id < 20; ++id) {
    const auto parts = split(m, id);
    ASSERT_TRUE(add(s, t0 + std::chrono::milliseconds(id), 1, parts[0]));
  }
  EXPECT_EQ(s.in_flight(), 16U);
  // Message 3 was evicted (ids 0-3 went first): finishing it starts over.
  const auto p3 = split(m, 3);
  auto r3 = add(s, t0 + 100ms, 1, p3[1]);
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->has_value());
  // Message 19 survived and completes; message 4 was evicted by message 3's restart.
  const auto p19 = split(m, 19);
  ASSERT_TRUE(add(s, t0 + 100ms, 1, p19[1]));
  auto r19 = add(s, t0 + 100ms, 1, p19[2]);
  ASSERT_TRUE(r19 && r19->has_value());
  EXPECT_EQ(**r19, m);
}

TEST(Reassembler, RejectsAMessageThatCanNeverFit) {
  Reassembler r({.max_messages = 4, .max_bytes = 1000, .timeout = 5s});
  Bytes f(wire::FragmentHeader::buffer_len() + 1);
  wire::FragmentHeader{1, 5000, 0}.emit(f);
  EXPECT_EQ(add(r, t0, 1, f).error(), Error::too_large);
  EXPECT_EQ(r.in_flight(), 0U);
}

// ---- the in-order fast path, the byte map after a gap, and buffer reuse

// Fragments of m covering [offset, offset + n) each.
Bytes fragment_of(const Bytes& m, std::uint32_t id, std::size_t offset, std::size_t n) {
  Bytes f(wire::FragmentHeader::buffer_len() + n);
  wire::FragmentHeader{id, static_cast<std::uint32_t>(m.size()), static_cast<std::uint32_t>(offset)}
      .emit(f);
  std::copy_n(m.begin() + static_cast<std::ptrdiff_t>(offset), n,
              f.begin() + static_cast<std::ptrdiff_t>(wire::FragmentHeader::buffer_len()));
  return f;
}

TEST(Reassembler, OverlapsWithTheReceivedPrefixAreCheckedAndExtendIt) {
  Reassembler r;
  const Bytes m = message(1000, 3);
  ASSERT_TRUE(add(r, t0, 1, fragment_of(m, 1, 0, 300)));
  // Inside the prefix: a duplicate.
  auto dup = add(r, t0, 1, fragment_of(m, 1, 100, 100));
  ASSERT_TRUE(dup);
  EXPECT_FALSE(dup->has_value());
  EXPECT_EQ(r.stats().duplicates, 1U);
  // Straddling the prefix's end: the known part is compared, the rest appended.
  ASSERT_TRUE(add(r, t0, 1, fragment_of(m, 1, 250, 450)));
  auto done = add(r, t0, 1, fragment_of(m, 1, 700, 300));
  ASSERT_TRUE(done && done->has_value());
  EXPECT_EQ(**done, m);

  // A straddling fragment that disagrees inside the prefix drops the message.
  ASSERT_TRUE(add(r, t0, 1, fragment_of(m, 2, 0, 300)));
  Bytes evil = fragment_of(m, 2, 250, 450);
  evil[wire::FragmentHeader::buffer_len() + 10] ^= std::byte{0x80};  // byte 260
  EXPECT_EQ(add(r, t0, 1, evil).error(), Error::malformed);
  EXPECT_EQ(r.stats().inconsistent, 1U);
  EXPECT_EQ(r.in_flight(), 0U);
}

TEST(Reassembler, ScatteredOverlappingRangesReassembleExactly) {
  // Random ranges (any offsets and lengths, so they share 64-byte words of
  // the byte map partly) until every byte is covered.
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    Reassembler r;
    const std::size_t size = 1 + rng() % 5000;
    const Bytes m = message(size, static_cast<unsigned>(round));
    std::optional<Bytes> whole;
    std::vector<bool> covered(size);
    std::size_t fresh_fragments = 0;
    std::size_t fragments = 0;
    while (!whole) {
      const std::size_t offset = rng() % size;
      const std::size_t n = 1 + rng() % std::min<std::size_t>(size - offset, 300);
      bool fresh = false;
      for (std::size_t i = offset; i < offset + n; ++i) fresh = fresh || !covered[i];
      for (std::size_t i = offset; i < offset + n; ++i) covered[i] = true;
      auto res = add(r, t0, 1, fragment_of(m, 9, offset, n));
      ASSERT_TRUE(res);
      ++fragments;
      if (fresh) ++fresh_fragments;
      if (res->has_value())
        whole = std::move(**res);
      else
        ASSERT_FALSE(std::all_of(covered.begin(), covered.end(), [](bool b) { return b; }));
    }
    EXPECT_EQ(*whole, m) << "round " << round;
    EXPECT_EQ(r.stats().duplicates, fragments - fresh_fragments);
    EXPECT_EQ(r.bytes(), 0U);
  }
}

TEST(Reassembler, ScatteredInconsistencyInAPartlyKnownWordDropsTheMessage) {
  Reassembler r;
  const Bytes m = message(1000, 4);
  ASSERT_TRUE(add(r, t0, 1, fragment_of(m, 1, 500, 10)));  // a gap: the byte map is on
  ASSERT_TRUE(add(r, t0, 1, fragment_of(m, 1, 520, 10)));
  // [505, 525) half overlaps both; byte 522 disagrees.
  Bytes evil = fragment_of(m, 1, 505, 20);
  evil[wire::FragmentHeader::buffer_len() + 17] ^= std::byte{1};
  EXPECT_EQ(add(r, t0, 1, evil).error(), Error::malformed);
  EXPECT_EQ(r.in_flight(), 0U);
}

TEST(Reassembler, ARecycledBufferNeverShowsItsOldBytes) {
  Reassembler r;
  // Message A fills a buffer with 0xee and is handed back.
  const Bytes a(3000, std::byte{0xee});
  std::optional<Bytes> whole_a;
  for (const auto& p : split(a, 1)) {
    auto res = add(r, t0, 1, p);
    ASSERT_TRUE(res);
    if (res->has_value()) whole_a = std::move(**res);
  }
  ASSERT_TRUE(whole_a);
  const std::byte* storage = whole_a->data();
  const std::size_t capacity = whole_a->capacity();
  r.recycle(std::move(*whole_a));
  EXPECT_EQ(r.spare_bytes(), capacity);

  // Message B (smaller, zeros where A had 0xee) reuses it and arrives last
  // fragment first, so its buffer is sized before most bytes arrive.
  Bytes b = message(2900, 7);
  std::fill(b.begin() + 1, b.end(), std::byte{0});
  auto parts = split(b, 2, 1000);
  std::reverse(parts.begin(), parts.end());
  std::optional<Bytes> whole_b;
  for (const auto& p : parts) {
    auto res = add(r, t0, 1, p);
    ASSERT_TRUE(res);
    if (res->has_value()) whole_b = std::move(**res);
  }
  ASSERT_TRUE(whole_b);
  EXPECT_EQ(whole_b->data(), storage);  // the same memory
  EXPECT_EQ(*whole_b, b);               // byte for byte B's
  EXPECT_EQ(r.spare_bytes(), 0U);
  EXPECT_EQ(r.bytes(), 0U);
}

TEST(Reassembler, SparesStayWithinTheLimits) {
  const ReassemblerLimits limits{.max_messages = 4, .max_bytes = 20'000, .timeout = 5s};
  Reassembler r(limits);
  for (int i = 0; i < 20; ++i) r.recycle(Bytes(1000));
  EXPECT_LE(r.spare_bytes(), Reassembler::kMaxSpares * 1000);
  r.recycle(Bytes(19'000));  // would exceed max_bytes with the others: freed
  EXPECT_LE(r.spare_bytes() + r.bytes(), limits.max_bytes);
  // Reassemblies in flight push spares out rather than exceed the limit.
  const Bytes m = message(5000);
  for (std::uint32_t id = 0; id < 3; ++id) {
    ASSERT_TRUE(add(r, t0, 1, split(m, id)[0]));
    EXPECT_LE(r.spare_bytes() + r.bytes(), limits.max_bytes);
  }
  EXPECT_EQ(r.in_flight(), 3U);
}
}  // namespace
}  // namespace weft::peer
