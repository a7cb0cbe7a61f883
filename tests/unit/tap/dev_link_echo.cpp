// The far end of the two-process dev link test: binds a DevLink on loopback,
// prints its port on stdout, and sends every frame it receives back to the
// peer with the source and destination MACs swapped. Exits when stdin closes.
//
// usage: dev_link_echo PEER_ENDPOINT     (e.g. 127.0.0.1:40000)

#include <unistd.h>

#include <cstdio>

#include "tap/dev_link.hpp"

namespace {

using weft::Bytes;
using weft::ByteSpan;

// Stack side of the tap: answer each batch at once, from the receive thread.
class Echo final : public weft::tap::FrameSink {
 public:
  explicit Echo(weft::tap::Tap& tap) : tap_(tap) {}
  void send_frames(std::span<const ByteSpan> frames) override {
    replies_.clear();
    for (ByteSpan f : frames) replies_.emplace_back(f.begin(), f.end());
    spans_.clear();
    for (Bytes& f : replies_) {
      std::swap_ranges(f.begin(), f.begin() + 6, f.begin() + 6);
      spans_.emplace_back(f);
    }
    tap_.transmit(spans_);
  }

 private:
  weft::tap::Tap& tap_;
  std::vector<Bytes> replies_;
  std::vector<ByteSpan> spans_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dev_link_echo PEER_ENDPOINT\n");
    return 2;
  }
  auto peer = weft::osdep::Endpoint::parse(argv[1]);
  if (!peer) {
    std::fprintf(stderr, "dev_link_echo: bad endpoint %s\n", argv[1]);
    return 2;
  }
  auto link = weft::tap::DevLink::open(peer->with_port(0));
  if (!link) {
    std::fprintf(stderr, "dev_link_echo: %s\n", std::string(weft::message(link.error())).c_str());
    return 1;
  }
  weft::tap::Tap tap(weft::Mac{}, 1500);
  Echo echo(tap);
  tap.attach_stack(&echo);
  tap.attach_network(link->get());
  if (!(*link)->start(*peer, tap)) return 1;
  std::printf("%u\n", static_cast<unsigned>((*link)->local().port()));
  std::fflush(stdout);
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) > 0) {
  }
  (*link)->stop();
  const auto s = (*link)->stats();
  std::printf("received %llu sent %llu\n", static_cast<unsigned long long>(s.frames_received),
              static_cast<unsigned long long>(s.frames_sent));
  return 0;
}
