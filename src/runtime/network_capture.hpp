#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "base/network_id.hpp"
#include "base/result.hpp"
#include "tap/capture_queue.hpp"
#include "tap/pcap_writer.hpp"

namespace weft::runtime {

class NodeRuntime;

struct CaptureOptions {
  std::uint64_t count{0};  // stop after this many frames (0: until stopped)
  // The hand-over queue between the data path and the file: beyond it frames
  // are dropped and counted (a slow disk never slows the network).
  std::size_t max_frames{8192};
  std::size_t max_bytes{16u << 20};
};

// One capture of a joined network's frames, both directions, into a classic
// pcap file (made by NodeRuntime::capture). The data path copies frames into a
// bounded tap::CaptureQueue and never waits; this capture's own thread takes
// them and writes the file, so the file can be read while it grows.
//
// It ends when stop() is called (or it is destroyed), or by itself once
// `count` frames are written or a write fails; then `on_end` is called once, on
// the capture's thread (it must not stop or destroy the capture; waking its
// owner is the point). Must be destroyed before its NodeRuntime.
class NetworkCapture {
 public:
  struct Stats {
    std::uint64_t frames;   // written to the file
    std::uint64_t bytes;    // file size, headers included
    std::uint64_t dropped;  // the queue was full (the file has a gap)
    bool write_failed;      // the file could not take more; it ends at the last whole record
  };

  ~NetworkCapture();
  NetworkCapture(const NetworkCapture&) = delete;
  NetworkCapture& operator=(const NetworkCapture&) = delete;

  // Detaches from the network, writes what is queued, joins the thread.
  // Idempotent.
  void stop() noexcept;
  // The thread has ended (by itself or after stop()).
  [[nodiscard]] bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] NetworkId network() const noexcept { return network_; }
  [[nodiscard]] tap::CaptureQueue& queue() noexcept { return queue_; }

 private:
  friend class NodeRuntime;
  // Opens the file (created 0600: a capture holds the network's plaintext);
  // the thread starts once the runtime has attached the queue (start()).
  static Result<std::unique_ptr<NetworkCapture>> open(NodeRuntime& runtime, NetworkId network,
                                                      const std::string& path,
                                                      const CaptureOptions& options,
                                                      std::function<void()> on_end);
  NetworkCapture(NodeRuntime& runtime, NetworkId network, const CaptureOptions& options,
                 std::function<void()> on_end);
  void start();
  void run();

  NodeRuntime& runtime_;
  const NetworkId network_;
  SystemClock clock_;  // the writer's; records carry the stamps taken on the data path
  std::unique_ptr<tap::PcapWriter> writer_;
  tap::CaptureQueue queue_;
  std::function<void()> on_end_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ended_{false};
  bool stopped_{false};  // stop()'s own: stop is called by the owner only
  std::thread thread_;
};

}  // namespace weft::runtime
