#pragma once

// Host name answers for the interposed resolver calls (docs/intercept.md
// "Names"): which names are worth asking the daemon about, and the daemon's
// answer in the shapes getaddrinfo and gethostbyname return.

#include <netdb.h>

#include <cstddef>
#include <string_view>

#include "wire/intercept_message.hpp"

namespace weft::intercept::names {

// Whether the daemon could know `name`: not an address literal, not
// "localhost" (RFC 6761), and something a host name may be.
bool may_be_virtual(std::string_view name);

// A found answer as getaddrinfo's list, built by the C library's own
// getaddrinfo from each address (so the service, socket types and flags are
// handled as always, and freeaddrinfo frees it): IPv4 before IPv6 (the
// default address selection puts IPv4 above ULAs), IPv6 only for an AF_INET6
// query unless AI_V4MAPPED asks for mapped IPv4 (when there is no IPv6
// address, or also with AI_ALL), the canonical name on the first entry with
// AI_CANONNAME.
// Returns 0 or an EAI_* code (EAI_NONAME: no address of the family asked).
int to_addrinfo(const wire::ResolveAnswer& answer, const char* service, const addrinfo* hints,
                addrinfo** res);

// A found answer as a hostent of family `af` (AF_INET or AF_INET6) whose
// strings and arrays live in `buf`. Returns 0, ERANGE (buf too small) or
// ENOENT (no address of that family).
int to_hostent(const wire::ResolveAnswer& answer, int af, hostent* out, char* buf, std::size_t len);

}  // namespace weft::intercept::names
