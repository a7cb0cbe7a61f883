#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "osdep/output_file.hpp"
#include "tap/frame_sink.hpp"

namespace weft::tap {

// Middleware that appends every frame passing through to a classic pcap file
// (LINKTYPE_ETHERNET, microsecond timestamps from the injected Clock, one
// timestamp per batch) and forwards the batch to `next` unchanged.
//
// Thread-safe: both directions of a tap may share one writer; each batch's
// records are written together under a lock, and forwarded after the lock is
// released. Every batch goes to the kernel before send_frames returns, so the
// file can be read (tshark -r, or tail -c +1 -f | tshark -r -) while running.
// A write error stops the capture (counted) but never the traffic.
class PcapWriter final : public FrameSink {
 public:
  // LINKTYPE_ETHERNET
  static constexpr std::uint32_t kLinkType = 1;
  static constexpr std::uint32_t kDefaultSnaplen = 65'535;

  struct Stats {
    std::uint64_t frames_written;
    std::uint64_t bytes_written;  // file bytes, headers included
    std::uint64_t write_errors;   // 0 or 1: the first error ends the capture
  };

  // Creates (truncates) `path` (a new file gets `mode`) and writes the file
  // header. `next` may be null for a capture-only sink; clock and next must
  // outlive the writer.
  static Result<std::unique_ptr<PcapWriter>> open(const std::string& path, const Clock& clock,
                                                  FrameSink* next,
                                                  std::uint32_t snaplen = kDefaultSnaplen,
                                                  mode_t mode = 0644);

  void send_frames(std::span<const ByteSpan> frames) override;
  // Appends records stamped `at` (taken elsewhere, e.g. when the frames were
  // queued for a capture) without forwarding them.
  void record(std::span<const ByteSpan> frames, Instant at) { write(frames, at); }
  [[nodiscard]] Stats stats() const noexcept;

 private:
  PcapWriter(osdep::OutputFile file, const Clock& clock, FrameSink* next, std::uint32_t snaplen)
      : file_(std::move(file)), clock_(clock), next_(next), snaplen_(snaplen) {}
  void write(std::span<const ByteSpan> frames, Instant now);

  std::mutex mutex_;
  osdep::OutputFile file_;  // guarded by mutex_
  bool failed_{false};      // guarded by mutex_
  const Clock& clock_;
  FrameSink* next_;
  std::uint32_t snaplen_;
  std::atomic<std::uint64_t> frames_written_{0};
  std::atomic<std::uint64_t> bytes_written_{0};
  std::atomic<std::uint64_t> write_errors_{0};
};

}  // namespace weft::tap
