#pragma once

// One established session: the transport keys of a completed handshake, the
// send counter and the receive replay window. docs/protocol.md §5.

#include <cstdint>

#include "base/bytes.hpp"
#include "base/instant.hpp"
#include "base/result.hpp"
#include "crypto/noise_ik.hpp"
#include "crypto/packet_cipher.hpp"
#include "peer/replay_window.hpp"
#include "peer/session_limits.hpp"
#include "wire/data.hpp"

namespace weft::peer {

class Session {
 public:
  static Result<Session> create(const crypto::TransportKeys& keys, std::uint32_t local_index,
                                std::uint32_t remote_index, bool initiator, Instant created);

  // Seals inner into a data message: out.size() must be
  // wire::DataHeader::message_len(inner.size()). Error::expired past the
  // session's limits (the caller must not use it any more).
  Result<void> seal(Instant now, ByteSpan inner, MutableByteSpan out, const SessionLimits& limits);
  Result<Bytes> seal(Instant now, ByteSpan inner, const SessionLimits& limits);

  // Opens a data message addressed to this session into out (size
  // data.plaintext_len()). Error::replayed, Error::expired, Error::verification_failed.
  Result<void> open(Instant now, const wire::DataView& data, MutableByteSpan out,
                    const SessionLimits& limits);

  // True when the sender should start a new handshake (age or volume).
  [[nodiscard]] bool wants_rekey(Instant now, const SessionLimits& limits) const noexcept;
  [[nodiscard]] bool expired(Instant now, const SessionLimits& limits) const noexcept;

  [[nodiscard]] std::uint32_t local_index() const noexcept { return local_index_; }
  [[nodiscard]] std::uint32_t remote_index() const noexcept { return remote_index_; }
  [[nodiscard]] bool initiator() const noexcept { return initiator_; }
  [[nodiscard]] Instant created() const noexcept { return created_; }
  [[nodiscard]] std::uint64_t next_send_counter() const noexcept { return send_counter_; }
  [[nodiscard]] std::uint64_t received() const noexcept { return received_; }
  [[nodiscard]] Instant last_received() const noexcept { return last_received_; }
  [[nodiscard]] Instant last_sent() const noexcept { return last_sent_; }

 private:
  Session(crypto::PacketCipher sealer, crypto::PacketCipher opener, std::uint32_t local_index,
          std::uint32_t remote_index, bool initiator, Instant created)
      : sealer_(std::move(sealer)),
        opener_(std::move(opener)),
        local_index_(local_index),
        remote_index_(remote_index),
        initiator_(initiator),
        created_(created) {}

  crypto::PacketCipher sealer_;
  crypto::PacketCipher opener_;
  ReplayWindow window_;
  std::uint32_t local_index_;
  std::uint32_t remote_index_;
  bool initiator_;
  Instant created_;
  std::uint64_t send_counter_{0};
  std::uint64_t received_{0};
  Instant last_received_{};
  Instant last_sent_{};
};

}  // namespace weft::peer
