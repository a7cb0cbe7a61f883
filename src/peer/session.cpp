#include "peer/session.hpp"

namespace weft::peer {

using crypto::PacketCipher;

Result<Session> Session::create(const crypto::TransportKeys& keys, std::uint32_t local_index,
                                std::uint32_t remote_index, bool initiator, Instant created) {
  auto sealer = PacketCipher::create(keys.send, PacketCipher::Direction::seal);
  if (!sealer) return sealer.error();
  auto opener = PacketCipher::create(keys.receive, PacketCipher::Direction::open);
  if (!opener) return opener.error();
  return Session{std::move(*sealer), std::move(*opener), local_index,
                 remote_index,       initiator,          created};
}

Result<void> Session::seal(Instant now, ByteSpan inner, MutableByteSpan out,
                           const SessionLimits& limits) {
  WEFT_CHECK(out.size() == wire::DataHeader::message_len(inner.size()));
  if (now - created_ >= limits.reject_after_time || send_counter_ >= limits.reject_after_messages)
    return Error::expired;
  const std::uint64_t counter = send_counter_++;
  wire::DataHeader{remote_index_, counter}.emit(out);
  WEFT_TRY(sealer_.seal(counter, out.first(wire::DataView::kHeaderSize), inner,
                        out.subspan(wire::DataView::kHeaderSize)));
  last_sent_ = now;
  return {};
}

Result<Bytes> Session::seal(Instant now, ByteSpan inner, const SessionLimits& limits) {
  Bytes out(wire::DataHeader::message_len(inner.size()));
  WEFT_TRY(seal(now, inner, out, limits));
  return out;
}

Result<void> Session::open(Instant now, const wire::DataView& data, MutableByteSpan out,
                           const SessionLimits& limits) {
  WEFT_CHECK(out.size() == data.plaintext_len());
  if (now - created_ >= limits.reject_after_time) return Error::expired;
  if (data.counter() >= limits.reject_after_messages || !window_.is_fresh(data.counter()))
    return Error::replayed;
  WEFT_TRY(opener_.open(data.counter(), data.header(), data.ciphertext(), out));
  // Only an authentic packet may move the window.
  if (!window_.mark(data.counter())) return Error::replayed;
  ++received_;
  last_received_ = now;
  return {};
}

bool Session::wants_rekey(Instant now, const SessionLimits& limits) const noexcept {
  return send_counter_ >= limits.rekey_after_messages || now - created_ >= limits.rekey_after_time;
}

bool Session::expired(Instant now, const SessionLimits& limits) const noexcept {
  return now - created_ >= limits.reject_after_time ||
         send_counter_ >= limits.reject_after_messages;
}

}  // namespace weft::peer
