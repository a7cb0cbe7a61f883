#pragma once

#include <span>

#include "base/bytes.hpp"

namespace weft::tap {

// Receives Ethernet frames (destination MAC first, no FCS) travelling one way.
// Frames come in batches so that the receiver pays for a lock or a system call
// once per batch, not once per frame. Frames are borrowed: valid only during the
// call; a sink that keeps one copies it.
//
// Middleware (pcap writer, fault injector) is a FrameSink that forwards to
// another FrameSink, so it can wrap either direction of any tap.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void send_frames(std::span<const ByteSpan> frames) = 0;
};

}  // namespace weft::tap
