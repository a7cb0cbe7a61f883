// Member-name answers in the resolver's shapes (intercept/host_names.hpp).
#include "intercept/host_names.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>

namespace weft::intercept::names {
namespace {

wire::SocketAddress address(const char* text) {
  wire::SocketAddress a;
  a.ipv6 = std::string_view(text).find(':') != std::string_view::npos;
  EXPECT_EQ(inet_pton(a.ipv6 ? AF_INET6 : AF_INET, text, a.bytes.data()), 1) << text;
  return a;
}

// bob: two IPv4 addresses and one IPv6, IPv6 listed first by the daemon.
wire::ResolveAnswer bob() {
  wire::ResolveAnswer a;
  a.status = wire::ResolveStatus::found;
  a.addresses = {address("fd80::7"), address("10.9.0.7"), address("10.8.0.7")};
  a.canonical = "bob.lab.weft";
  return a;
}

std::string text_of(const sockaddr* sa) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf.data(), buf.size());
  else
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf.data(),
              buf.size());
  return buf.data();
}

struct Entry {
  std::string address;
  int socktype;
  int port;
};

std::vector<Entry> entries(const addrinfo* list) {
  std::vector<Entry> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const int port = ai->ai_family == AF_INET
                         ? ntohs(reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_port)
                         : ntohs(reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_port);
    out.push_back({text_of(ai->ai_addr), ai->ai_socktype, port});
  }
  return out;
}

TEST(HostNames, OnlyWhatCouldBeAMemberIsAsked) {
  for (const char* yes : {"bob", "bob.lab.weft", "Bob.Lab.Weft.", "my_host", "localhostess"})
    EXPECT_TRUE(may_be_virtual(yes)) << yes;
  for (const char* no : {"", "10.9.0.7", "::1", "fd80::7", "localhost", "LOCALHOST.",
                         "a.localhost", "bad name", "a/b", "caf\xc3\xa9"})
    EXPECT_FALSE(may_be_virtual(no)) << no;
  EXPECT_FALSE(may_be_virtual(std::string(254, 'a')));
}

TEST(HostNames, AddrinfoListsIpv4FirstWithTheServiceAndCanonicalName) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_CANONNAME | AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  ASSERT_EQ(to_addrinfo(bob(), "8080", &hints, &list), 0);
  const auto got = entries(list);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].address, "10.9.0.7");
  EXPECT_EQ(got[1].address, "10.8.0.7");
  EXPECT_EQ(got[2].address, "fd80::7");
  for (const auto& e : got) {
    EXPECT_EQ(e.socktype, SOCK_STREAM);
    EXPECT_EQ(e.port, 8080);
  }
  ASSERT_NE(list->ai_canonname, nullptr);
  EXPECT_STREQ(list->ai_canonname, "bob.lab.weft");
  freeaddrinfo(list);
}

TEST(HostNames, AddrinfoHonoursFamilySocketTypeAndService) {
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_flags = AI_V4MAPPED;  // bob has IPv6: no mapped IPv4 without AI_ALL
  addrinfo* list = nullptr;
  ASSERT_EQ(to_addrinfo(bob(), "http", &hints, &list), 0);
  auto got = entries(list);
  ASSERT_FALSE(got.empty());
  for (const auto& e : got) {
    EXPECT_EQ(e.address, "fd80::7");
    EXPECT_EQ(e.port, 80);
  }
  EXPECT_EQ(list->ai_canonname, nullptr);
  freeaddrinfo(list);

  hints = {};
  hints.ai_family = AF_INET;
  EXPECT_EQ(to_addrinfo(bob(), "no-such-service-here", &hints, &list), EAI_SERVICE);
  hints.ai_family = AF_APPLETALK;
  EXPECT_EQ(to_addrinfo(bob(), nullptr, &hints, &list), EAI_FAMILY);
  wire::ResolveAnswer v4_only = bob();
  v4_only.addresses.erase(v4_only.addresses.begin());
  hints.ai_family = AF_INET6;
  EXPECT_EQ(to_addrinfo(v4_only, nullptr, &hints, &list), EAI_NONAME);
}

// AI_V4MAPPED: IPv4 addresses as ::ffff:a.b.c.d for an AF_INET6 query when
// there is no IPv6 address, and after the IPv6 ones with AI_ALL (a dual-stack
// IPv6 socket reaches them over IPv4).
TEST(HostNames, AddrinfoMapsIpv4ForV4mappedAndAll) {
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_V4MAPPED;
  wire::ResolveAnswer v4_only = bob();
  v4_only.addresses.erase(v4_only.addresses.begin());
  addrinfo* list = nullptr;
  ASSERT_EQ(to_addrinfo(v4_only, "80", &hints, &list), 0);
  auto got = entries(list);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].address, "::ffff:10.9.0.7");
  EXPECT_EQ(got[1].address, "::ffff:10.8.0.7");
  EXPECT_EQ(got[0].port, 80);
  freeaddrinfo(list);

  hints.ai_flags = AI_V4MAPPED | AI_ALL;
  ASSERT_EQ(to_addrinfo(bob(), "80", &hints, &list), 0);
  got = entries(list);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].address, "fd80::7");
  EXPECT_EQ(got[1].address, "::ffff:10.9.0.7");
  EXPECT_EQ(got[2].address, "::ffff:10.8.0.7");
  freeaddrinfo(list);
}

TEST(HostNames, HostentFitsInTheCallersBufferOrSaysERANGE) {
  hostent h{};
  std::array<char, 512> buf{};
  ASSERT_EQ(to_hostent(bob(), AF_INET, &h, buf.data(), buf.size()), 0);
  EXPECT_STREQ(h.h_name, "bob.lab.weft");
  EXPECT_EQ(h.h_addrtype, AF_INET);
  EXPECT_EQ(h.h_length, 4);
  ASSERT_NE(h.h_aliases, nullptr);
  EXPECT_EQ(h.h_aliases[0], nullptr);
  std::vector<std::string> addrs;
  for (char** p = h.h_addr_list; *p != nullptr; ++p) {
    std::array<char, INET_ADDRSTRLEN> t{};
    inet_ntop(AF_INET, *p, t.data(), t.size());
    addrs.emplace_back(t.data());
  }
  EXPECT_EQ(addrs, (std::vector<std::string>{"10.9.0.7", "10.8.0.7"}));
  for (const char* p : {h.h_name, h.h_addr_list[0], h.h_addr_list[1]}) {
    EXPECT_GE(p, buf.data());
    EXPECT_LT(p, buf.data() + buf.size());
  }

  ASSERT_EQ(to_hostent(bob(), AF_INET6, &h, buf.data(), buf.size()), 0);
  EXPECT_EQ(h.h_length, 16);
  EXPECT_EQ(h.h_addr_list[1], nullptr);

  // Every length short of what it needs is ERANGE, never a write past it.
  for (std::size_t len = 0; len < 40; ++len) {
    std::vector<char> small(len);
    EXPECT_EQ(to_hostent(bob(), AF_INET, &h, small.data(), small.size()), ERANGE) << len;
  }
  wire::ResolveAnswer v6_only = bob();
  v6_only.addresses.resize(1);
  EXPECT_EQ(to_hostent(v6_only, AF_INET, &h, buf.data(), buf.size()), ENOENT);
}

}  // namespace
}  // namespace weft::intercept::names
