#pragma once

namespace weft::tap {

// A link's receive path that any thread may drive. A thread about to sleep
// until its socket has data can instead wait for receive_fd() too and run pump()
// itself when it turns readable: the frame then reaches the stack on the
// thread that wants it, with no hand-off from the link's own receive thread
// (one wake-up per packet instead of two, which is most of a small round
// trip). The link's thread still receives whenever nobody else does.
class ReceivePump {
 public:
  virtual ~ReceivePump() = default;
  // Readable while frames wait to be received.
  [[nodiscard]] virtual int receive_fd() const noexcept = 0;
  // Receives what waits and puts it into the tap, once no other thread is
  // receiving (a receiving thread holds the link for one batch at a time).
  virtual void pump() noexcept = 0;
  // While deferring, the link's own thread does not receive: a thread is
  // waiting for receive_fd() to pump, or has just left such a wait and is
  // expected back (were both to wait, both would wake for every datagram).
  // Whoever asked to defer stops it when no such thread is left.
  virtual void defer(bool deferring) noexcept = 0;
};

}  // namespace weft::tap
