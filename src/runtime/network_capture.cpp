#include "runtime/network_capture.hpp"

#include <vector>

#include "runtime/node_runtime.hpp"

namespace weft::runtime {

Result<std::unique_ptr<NetworkCapture>> NetworkCapture::open(NodeRuntime& runtime,
                                                              NetworkId network,
                                                              const std::string& path,
                                                              const CaptureOptions& options,
                                                              std::function<void()> on_end) {
  std::unique_ptr<NetworkCapture> c(new NetworkCapture(runtime, network, options, std::move(on_end)));
  auto writer = tap::PcapWriter::open(path, c->clock_, nullptr, tap::PcapWriter::kDefaultSnaplen,
                                      0600);
  if (!writer) return writer.error();
  c->writer_ = std::move(*writer);
  return c;
}

NetworkCapture::NetworkCapture(NodeRuntime& runtime, NetworkId network,
                               const CaptureOptions& options, std::function<void()> on_end)
    : runtime_(runtime),
      network_(network),
      queue_(tap::CaptureQueue::Limits{options.max_frames, options.max_bytes, options.count}),
      on_end_(std::move(on_end)) {}

void NetworkCapture::start() {
  thread_ = std::thread([this] { run(); });
}

NetworkCapture::~NetworkCapture() { stop(); }

void NetworkCapture::stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true, std::memory_order_relaxed);
  // First: once detached, no data-path thread touches the queue any more.
  runtime_.detach_capture(network_, queue_);
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

NetworkCapture::Stats NetworkCapture::stats() const {
  const auto w = writer_->stats();
  return {w.frames_written, w.bytes_written, queue_.stats().dropped, w.write_errors != 0};
}

void NetworkCapture::run() {
  std::vector<tap::CaptureQueue::Frame> batch;
  std::vector<ByteSpan> spans;
  while (queue_.take(batch)) {
    // One writev per run of frames offered together (they share a stamp).
    for (std::size_t i = 0; i < batch.size();) {
      spans.clear();
      const Instant at = batch[i].at;
      for (; i < batch.size() && batch[i].at == at; ++i) spans.emplace_back(batch[i].bytes);
      writer_->record(spans, at);
    }
    batch.clear();
    if (writer_->stats().write_errors != 0) {
      queue_.close();
      break;
    }
  }
  ended_.store(true, std::memory_order_release);
  if (!stopping_.load(std::memory_order_relaxed) && on_end_) on_end_();
}

}  // namespace weft::runtime
