#pragma once

// What a root knows about a node: its address, both public keys and up to
// kMaxEndpoints endpoints. Shared by register, lookup reply and rendezvous.
// docs/protocol.md §6.2.
//
//   0   5  address         NodeId
//   5  32  signing_key     Ed25519 public key
//  37  32  agreement_key   X25519 public key
//  69   1  endpoint_count  0..kMaxEndpoints
//  70   …  endpoints       endpoint_count × Endpoint (7 or 19 bytes each)

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "wire/endpoint.hpp"

namespace weft::wire {

struct PeerRecord {
  static constexpr std::size_t kAddress = 0;
  static constexpr std::size_t kSigningKey = 5;
  static constexpr std::size_t kAgreementKey = 37;
  static constexpr std::size_t kEndpointCount = 69;
  static constexpr std::size_t kEndpoints = 70;
  static constexpr std::size_t kMaxEndpoints = 8;
  static constexpr std::size_t kMaxSize = kEndpoints + kMaxEndpoints * Endpoint::kIpv6Size;

  NodeId address;
  ByteArray<32> signing_key{};
  ByteArray<32> agreement_key{};
  std::vector<Endpoint> endpoints;  // at most kMaxEndpoints: bounded by the parser

  // Parses the record at the start of bytes; trailing bytes are the caller's.
  static Result<PeerRecord> parse(ByteSpan bytes);
  [[nodiscard]] std::size_t buffer_len() const noexcept;
  // WEFT_CHECKs endpoints.size() <= kMaxEndpoints: emitting more is a caller bug.
  void emit(MutableByteSpan out) const noexcept;

  bool operator==(const PeerRecord&) const = default;
};

}  // namespace weft::wire
