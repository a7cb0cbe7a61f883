#pragma once

// Inner probe (0x03) and probe reply (0x04), 12 bytes: a path liveness and
// latency check; the reply echoes the id. docs/protocol.md §5.2.
//
//   0  1  type 0x03 or 0x04
//   1  3  reserved  zero
//   4  8  id        u64, chosen by the prober

#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "wire/field.hpp"

namespace weft::wire {

class ProbeView {
 public:
  static constexpr std::size_t kId = 4;
  static constexpr std::size_t kSize = 12;

  static Result<ProbeView> parse(ByteSpan plaintext) noexcept;
  [[nodiscard]] bool is_reply() const noexcept { return reply_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return load_be64(field<kId, 8>(b_)); }

 private:
  ProbeView(ByteSpan b, bool reply) : b_(b), reply_(reply) {}
  ByteSpan b_;
  bool reply_;
};

struct Probe {
  bool reply{false};
  std::uint64_t id{0};

  static Result<Probe> parse(ByteSpan plaintext) noexcept;
  static constexpr std::size_t buffer_len() noexcept { return ProbeView::kSize; }
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const Probe&) const = default;
};

}  // namespace weft::wire
