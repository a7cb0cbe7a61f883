#pragma once

// The control protocol between a conformance test and conformance_peer: text
// lines over the peer's stdin/stdout (a kernel pipe, so control never depends on
// the stack under test).
//
// Start:  conformance_peer kernel
//         conformance_peer kernel IP4 IP6   (kernel sockets on these addresses: the
//                                          kernel member of an overlay network)
//         conformance_peer weft 127.0.0.1:<test's dev link port>
// The weft peer first prints "link <its dev link port>". Then both print
//   "ready echo4=P echo6=P discard4=P ... udp6=P"  (the names in kServices).
//
// Services (port per family, on the peer's addresses):
//   echo       TCP: echoes every byte; on EOF shuts down its side and closes
//   discard    TCP: reads and drops until EOF
//   close      TCP: accepts and closes at once (the client sees EOF)
//   reset      TCP: accepts and closes with SO_LINGER {1, 0} (the client sees RST)
//   halfclose  TCP: sends kHalfCloseBytes of pattern(kHalfCloseSeed), shuts down
//              its side, then reads until EOF; "halfclose? PORT" reports what it
//              read on the connection from client port PORT
//   collect    TCP: reads until EOF, then sends everything back and closes (only
//              after EOF, so a reply proves the peer saw the half-close)
//   abort      TCP: reads one byte, then closes with SO_LINGER {1, 0} (a reset on cue)
//   hold       TCP: accepts and never reads nor closes (the client's sends fill up)
//   slow       TCP: accepts and reads nothing until "drain PORT" (the client's
//              sends fill both buffers and the window closes), then reads until
//              EOF; "slow? PORT" reports what it read
//   refuse     TCP: a bound, never listening socket: connecting is refused
//   udpclosed  UDP: a port that was bound and closed again: nothing listens
//   udp        UDP: echoes each datagram to its source; "udplast" reports the source
//
// Commands (one line in, one line out unless said):
//   connect IP PORT N SEED  connect to IP:PORT; "connected IP PORT" (its local
//                           address) or "error ERRNO"; then sends N bytes of
//                           pattern(N, SEED), reads until EOF, closes and prints
//                           "done COUNT FNV1A" (what it read)
//   connectreset IP PORT    connects, then closes with SO_LINGER {1, 0}: prints
//                           "reset IP PORT" (its local address) or "error ERRNO"
//   backlog IP PORT COUNT MS  COUNT sequential non-blocking connects, each given MS
//                           to complete, then 200 ms to see a reset; prints
//                           "backlog R1 .. RCOUNT", each R one of open (connected,
//                           still up), reset, eof, pending (not connected within MS),
//                           refused, e<errno>. The sockets are kept until "release".
//   release                 closes what "backlog" kept; prints "released"
//   end PORT                how the echo or discard connection from client port
//                           PORT ended, once it has (waits up to 5 s): "end eof"
//                           (FIN), "end e<errno>" (recv failed, e.g. e104 for a
//                           reset), "end send-e<errno>", or "end none"
//   udplast                 "udplast IP PORT LEN" of the last datagram the udp
//                           service echoed, or "udplast none"
//   drain PORT              the slow connection from client port PORT starts
//                           reading: "draining" (at once)
//   slow? PORT              waits (up to 10 s) for the slow connection from
//                           client port PORT to reach EOF: "slow COUNT FNV1A"
//                           or "slow none"
//   halfclose? PORT         waits (up to 5 s) for the halfclose connection from
//                           client port PORT to finish: "halfclose COUNT FNV1A"
//                           or "halfclose none"
// EOF on stdin ends the peer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace weft::conformance {

inline constexpr std::size_t kHalfCloseBytes = 100'000;
inline constexpr std::uint32_t kHalfCloseSeed = 7;

inline constexpr std::array<std::string_view, 12> kServices{
    "echo",  "discard", "close", "reset",  "halfclose", "collect",
    "abort", "hold",    "slow",  "refuse", "udp",       "udpclosed"};

}  // namespace weft::conformance
