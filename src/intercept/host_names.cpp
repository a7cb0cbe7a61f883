#include "intercept/host_names.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "intercept/real_calls.hpp"

namespace weft::intercept::names {

namespace {

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool ends_with_label(std::string_view name, std::string_view label) {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.size() < label.size()) return false;
  const std::string_view tail = name.substr(name.size() - label.size());
  if (!std::equal(tail.begin(), tail.end(), label.begin(), [](char a, char b) {
        return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
      }))
    return false;
  return name.size() == label.size() || name[name.size() - label.size() - 1] == '.';
}

// Every address of the answer that the query's family takes, in order.
template <typename F>
void for_each_address(const wire::ResolveAnswer& a, int family, F&& f) {
  for (const bool v6 : {false, true}) {
    if ((v6 && family == AF_INET) || (!v6 && family == AF_INET6)) continue;
    for (const auto& address : a.addresses)
      if (address.ipv6 == v6) f(address);
  }
}

}  // namespace

bool may_be_virtual(std::string_view name) {
  if (name.empty() || name.size() > wire::ResolveName::kMaxName) return false;
  if (!std::all_of(name.begin(), name.end(), host_char)) return false;
  if (ends_with_label(name, "localhost")) return false;
  std::array<std::byte, 16> scratch{};
  const std::string text(name);
  return inet_pton(AF_INET, text.c_str(), scratch.data()) != 1 &&
         inet_pton(AF_INET6, text.c_str(), scratch.data()) != 1;
}

int to_addrinfo(const wire::ResolveAnswer& answer, const char* service, const addrinfo* hints,
                addrinfo** res) {
  addrinfo numeric{};
  if (hints != nullptr) numeric = *hints;
  const int family = numeric.ai_family;
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) return EAI_FAMILY;
  // Each address is a literal of its own family; the host's own interfaces
  // say nothing about the virtual network's (AI_ADDRCONFIG), and the
  // canonical name is ours to give.
  numeric.ai_flags = (numeric.ai_flags & ~(AI_ADDRCONFIG | AI_CANONNAME | AI_V4MAPPED | AI_ALL)) |
                     AI_NUMERICHOST;
  addrinfo* head = nullptr;
  addrinfo** tail = &head;
  int error = EAI_NONAME;
  // Appends the entries of one address; `mapped`: an IPv4 address as ::ffff:a.b.c.d.
  auto add = [&](const wire::SocketAddress& a, bool mapped) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (inet_ntop(a.ipv6 ? AF_INET6 : AF_INET, a.bytes.data(), text.data(), text.size()) == nullptr)
      return;
    const std::string literal = mapped ? "::ffff:" + std::string(text.data()) : text.data();
    numeric.ai_family = a.ipv6 || mapped ? AF_INET6 : AF_INET;
    addrinfo* list = nullptr;
    const int r = real::getaddrinfo(literal.c_str(), service, &numeric, &list);
    if (r != 0) {
      error = r;  // e.g. EAI_SERVICE: the same for every address
      return;
    }
    *tail = list;
    while (*tail != nullptr) tail = &(*tail)->ai_next;
  };
  for_each_address(answer, family, [&](const wire::SocketAddress& a) { add(a, false); });
  // AI_V4MAPPED on an AF_INET6 query: the IPv4 addresses as mapped ones when
  // there is no IPv6 address (AI_ALL: after the IPv6 ones), which a dual-stack
  // IPv6 socket reaches over IPv4.
  const int flags = hints != nullptr ? hints->ai_flags : 0;
  if (family == AF_INET6 && (flags & AI_V4MAPPED) != 0 && (head == nullptr || (flags & AI_ALL) != 0))
    for_each_address(answer, AF_INET, [&](const wire::SocketAddress& a) { add(a, true); });
  if (head == nullptr) return error;
  if (hints != nullptr && (hints->ai_flags & AI_CANONNAME) != 0) {
    // The C library frees ai_canonname with free() in freeaddrinfo.
    char* canonical = ::strdup(answer.canonical.c_str());
    if (canonical == nullptr) {
      ::freeaddrinfo(head);
      return EAI_MEMORY;
    }
    std::free(head->ai_canonname);
    head->ai_canonname = canonical;
  }
  *res = head;
  return 0;
}

int to_hostent(const wire::ResolveAnswer& answer, int af, hostent* out, char* buf,
               std::size_t len) {
  if (af != AF_INET && af != AF_INET6) return ENOENT;
  const std::size_t size = af == AF_INET6 ? 16 : 4;
  std::size_t count = 0;
  for_each_address(answer, af, [&](const wire::SocketAddress&) { ++count; });
  if (count == 0) return ENOENT;
  // buf: the pointer arrays (aligned first), the addresses, then the name.
  const std::size_t pointers = (count + 2) * sizeof(char*);
  const std::size_t need = pointers + count * size + answer.canonical.size() + 1 + alignof(char*);
  if (len < need) return ERANGE;
  void* aligned_at = buf;
  std::size_t room = len;
  if (std::align(alignof(char*), pointers, aligned_at, room) == nullptr) return ERANGE;
  auto** list = static_cast<char**>(aligned_at);
  char* next = static_cast<char*>(aligned_at) + pointers;
  std::size_t i = 0;
  for_each_address(answer, af, [&](const wire::SocketAddress& a) {
    std::memcpy(next, a.bytes.data(), size);
    list[i++] = next;
    next += size;
  });
  list[i] = nullptr;       // h_addr_list ends
  list[i + 1] = nullptr;   // h_aliases: none
  std::memcpy(next, answer.canonical.c_str(), answer.canonical.size() + 1);
  out->h_name = next;
  out->h_aliases = &list[i + 1];
  out->h_addrtype = af;
  out->h_length = static_cast<int>(size);
  out->h_addr_list = list;
  return 0;
}

}  // namespace weft::intercept::names
