#include "wire/vl2_messages.hpp"

#include <algorithm>

#include "wire/field.hpp"

namespace weft::wire {

namespace {

Result<void> check_exact(ByteSpan bytes, std::size_t size, Vl2InnerType type) noexcept {
  if (bytes.size() < size) return Error::truncated;
  if (bytes.size() > size) return Error::too_large;
  if (bytes[0] != static_cast<std::byte>(type)) return Error::malformed;
  return {};
}

}  // namespace

Result<Vl2InnerType> vl2_inner_type(ByteSpan plaintext) noexcept {
  if (plaintext.empty()) return Error::malformed;
  switch (const auto t = static_cast<Vl2InnerType>(plaintext[0])) {
    case Vl2InnerType::config_request:
    case Vl2InnerType::config:
    case Vl2InnerType::config_refusal:
    case Vl2InnerType::revocation: return t;
  }
  return Error::malformed;
}

Result<ConfigRequest> ConfigRequest::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::config_request));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  return ConfigRequest{*network, load_be64(field<9, 8>(bytes))};
}

void ConfigRequest::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::config_request);
  put(field<1, 8>(out), network.to_bytes());
  store_be64(field<9, 8>(out), have_revision);
}

Result<ConfigMessage> ConfigMessage::parse(ByteSpan bytes) {
  if (bytes.empty()) return Error::truncated;
  if (bytes[0] != static_cast<std::byte>(Vl2InnerType::config)) return Error::malformed;
  auto config = NetworkConfig::parse(bytes.subspan(1));
  if (!config) return config.error();
  return ConfigMessage{std::move(config).value()};
}

void ConfigMessage::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = static_cast<std::byte>(Vl2InnerType::config);
  config.emit(out.subspan(1));
}

Result<ConfigRefusal> ConfigRefusal::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::config_refusal));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  if (!network) return Error::malformed;
  const auto reason = static_cast<RefusalReason>(bytes[9]);
  switch (reason) {
    case RefusalReason::not_found:
    case RefusalReason::not_authorized:
    case RefusalReason::rate_limited: return ConfigRefusal{*network, reason};
  }
  return Error::malformed;
}

void ConfigRefusal::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::config_refusal);
  put(field<1, 8>(out), network.to_bytes());
  out[9] = static_cast<std::byte>(reason);
}

Result<RevocationMessage> RevocationMessage::parse(ByteSpan bytes) noexcept {
  WEFT_TRY(check_exact(bytes, kSize, Vl2InnerType::revocation));
  auto network = NetworkId::from_bytes(field<1, 8>(bytes));
  auto member = NodeId::from_bytes(field<9, 5>(bytes));
  if (!network || !member) return Error::malformed;
  return RevocationMessage{*network, *member, load_be64(field<14, 8>(bytes)),
                           to_array(field<22, 64>(bytes))};
}

void RevocationMessage::emit(MutableByteSpan out) const noexcept {
  check_room(out, kSize);
  out[0] = static_cast<std::byte>(Vl2InnerType::revocation);
  put(field<1, 8>(out), network.to_bytes());
  put(field<9, 5>(out), member.to_bytes());
  store_be64(field<14, 8>(out), threshold_ms);
  put(field<22, 64>(out), signature);
}

Bytes RevocationMessage::signing_input() const {
  const auto context = as_bytes(kRevocationContext);
  ByteArray<kSize> full{};
  emit(full);
  constexpr std::size_t kSigned = 21;  // network, member, threshold
  Bytes out(context.size() + kSigned);
  std::copy(context.begin(), context.end(), out.begin());
  std::copy_n(full.begin() + 1, kSigned, out.begin() + static_cast<std::ptrdiff_t>(context.size()));
  return out;
}

}  // namespace weft::wire
