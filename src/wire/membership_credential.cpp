#include "wire/membership_credential.hpp"

namespace weft::wire {

using V = MembershipCredentialView;

Result<MembershipCredentialView> MembershipCredentialView::parse(ByteSpan bytes) noexcept {
  if (bytes.size() < kSize) return Error::truncated;
  if (bytes.size() > kSize) return Error::too_large;
  if (bytes[0] != std::byte{kCredentialVersion}) return Error::unsupported_version;
  auto network = NetworkId::from_bytes(field<kNetwork, 8>(bytes));
  auto member = NodeId::from_bytes(field<kMember, 5>(bytes));
  if (!network || !member) return Error::malformed;
  return MembershipCredentialView{bytes, *network, *member};
}

Result<MembershipCredential> MembershipCredential::parse(ByteSpan bytes) noexcept {
  auto v = V::parse(bytes);
  if (!v) return v.error();
  return MembershipCredential{v->network(),      v->member(),       to_array(v->member_key()),
                              v->issued_ms(),    v->max_delta_ms(), v->revision(),
                              to_array(v->signature())};
}

void MembershipCredential::emit(MutableByteSpan out) const noexcept {
  check_room(out, buffer_len());
  out[0] = std::byte{kCredentialVersion};
  put(field<V::kNetwork, 8>(out), network.to_bytes());
  put(field<V::kMember, 5>(out), member.to_bytes());
  put(field<V::kMemberKey, 32>(out), member_key);
  store_be64(field<V::kIssued, 8>(out), issued_ms);
  store_be64(field<V::kMaxDelta, 8>(out), max_delta_ms);
  store_be64(field<V::kRevision, 8>(out), revision);
  put(field<V::kSignature, 64>(out), signature);
}

Bytes MembershipCredential::signing_input() const {
  return signed_part_with_context(kCredentialContext, *this, signature.size());
}

}  // namespace weft::wire
