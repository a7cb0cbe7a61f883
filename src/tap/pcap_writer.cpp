#include "tap/pcap_writer.hpp"

#include <algorithm>
#include <array>

namespace weft::tap {

// The classic pcap format (https://www.tcpdump.org/manpages/pcap-savefile.5.html),
// little-endian, all fields 32-bit unless said:
//   file header (24): magic a1b2c3d4 (microsecond stamps), version 2.4 (16+16),
//                     thiszone 0, sigfigs 0, snaplen, link type
//   record header (16): seconds, microseconds, captured length, original length
namespace {
constexpr std::size_t kFileHeader = 24;
constexpr std::size_t kRecordHeader = 16;
constexpr std::uint32_t kMagicMicros = 0xa1b2'c3d4;
// Frames per writev: two pieces each (record header, frame).
constexpr std::size_t kChunk = 64;

template <std::size_t Offset, std::size_t N>
void put32(std::array<std::byte, N>& a, std::uint32_t v) {
  static_assert(Offset + 4 <= N);
  store_le32(std::span<std::byte, 4>(a.data() + Offset, 4), v);
}
}  // namespace

Result<std::unique_ptr<PcapWriter>> PcapWriter::open(const std::string& path, const Clock& clock,
                                                     FrameSink* next, std::uint32_t snaplen,
                                                     mode_t mode) {
  auto file = osdep::OutputFile::create(path, mode);
  if (!file) return file.error();
  std::array<std::byte, kFileHeader> h{};
  put32<0>(h, kMagicMicros);
  store_le16(std::span<std::byte, 2>(h.data() + 4, 2), 2);
  store_le16(std::span<std::byte, 2>(h.data() + 6, 2), 4);
  put32<16>(h, snaplen);
  put32<20>(h, kLinkType);
  WEFT_TRY(file->write(ByteSpan(h)));
  auto w = std::unique_ptr<PcapWriter>(new PcapWriter(std::move(*file), clock, next, snaplen));
  w->bytes_written_ = kFileHeader;
  return w;
}

void PcapWriter::send_frames(std::span<const ByteSpan> frames) {
  write(frames, clock_.now());
  if (next_ != nullptr) next_->send_frames(frames);
}

void PcapWriter::write(std::span<const ByteSpan> frames, Instant now) {
  const std::int64_t ns = std::max<std::int64_t>(now.nanos(), 0);
  const auto sec = static_cast<std::uint32_t>(ns / 1'000'000'000);
  const auto usec = static_cast<std::uint32_t>((ns % 1'000'000'000) / 1'000);

  std::lock_guard lock(mutex_);
  for (std::size_t start = 0; start < frames.size() && !failed_; start += kChunk) {
    const std::size_t n = std::min(kChunk, frames.size() - start);
    std::array<std::array<std::byte, kRecordHeader>, kChunk> headers{};
    std::array<ByteSpan, 2 * kChunk> pieces{};
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const ByteSpan f = frames[start + i];
      const ByteSpan kept = f.first(std::min<std::size_t>(f.size(), snaplen_));
      auto& h = headers[i];
      put32<0>(h, sec);
      put32<4>(h, usec);
      put32<8>(h, static_cast<std::uint32_t>(kept.size()));
      put32<12>(h, static_cast<std::uint32_t>(std::min<std::size_t>(f.size(), UINT32_MAX)));
      pieces[2 * i] = h;
      pieces[2 * i + 1] = kept;
      bytes += kRecordHeader + kept.size();
    }
    if (!file_.write(std::span<const ByteSpan>(pieces.data(), 2 * n))) {
      // A partial record would make the rest of the file unreadable: stop here.
      failed_ = true;
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    frames_written_.fetch_add(n, std::memory_order_relaxed);
    bytes_written_.fetch_add(bytes, std::memory_order_relaxed);
  }
}

PcapWriter::Stats PcapWriter::stats() const noexcept {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(frames_written_), get(bytes_written_), get(write_errors_)};
}

}  // namespace weft::tap
