#pragma once

// The value-parameterised fixture every conformance case runs in: a Backend (the
// kernel's sockets or Weft's) and an address family, plus the peer process and
// small helpers. Each case is instantiated as Kernel/<Suite>.<Case>/v4|v6 and
// Weft/<Suite>.<Case>/v4|v6.
//
// Where Weft's result differs from the kernel's, a case asserts each backend's
// exact result with expect_per_backend() / per_backend(), naming the entry of
// docs/conformance.md that explains it (D1, D2, ...).

#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <set>
#include <string>
#include <string_view>

#include "conformance/backend.hpp"
#include "conformance/peer_process.hpp"
#include "support/pattern.hpp"
#include "support/sock_addr.hpp"

namespace weft::conformance {

using test_support::fnv1a;
using test_support::Fnv1a;
using test_support::pattern;
using test_support::SockAddr;

struct Param {
  const Backend* backend;
  int family;
};

// gtest's description of a parameter ("kernel v4"), instead of its bytes.
void PrintTo(const Param& p, std::ostream* os);

// "v4" / "v6": the last part of each CTest name.
std::string param_name(const ::testing::TestParamInfo<Param>& info);

// The symbolic name of an errno value ("ECONNREFUSED"), so failures read well.
std::string errno_name(int e);

class Conformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override;
  void TearDown() override;

  [[nodiscard]] const Backend& api() const { return *GetParam().backend; }
  [[nodiscard]] int family() const { return GetParam().family; }
  [[nodiscard]] bool weft() const { return api().is_weft; }
  [[nodiscard]] PeerProcess& peer() const { return *peer_; }
  [[nodiscard]] std::string err() const { return errno_name(api().last_error()); }

  // The kernel's value or Weft's, by backend. Every use names its entry of
  // docs/conformance.md (Dn) beside it.
  template <typename T>
  [[nodiscard]] T per_backend(T kernel, T weft_value) const {
    return weft() ? weft_value : kernel;
  }

  // A socket of this backend and family, closed at TearDown unless closed by
  // close_fd(). -1 on failure (with a test failure recorded).
  int open(int type, int fam = 0);
  void close_fd(int fd);
  // Stops tracking fd (it was consumed, e.g. by export_fd).
  void untrack(int fd) { open_.erase(fd); }

  SockAddr service(std::string_view name) const;  // the peer's service address
  SockAddr local_any_port() const;                // this process's address, port 0

  // A blocking TCP connection to a peer service; -1 on failure (recorded).
  int connect_to(std::string_view name);
  // A connection the peer has reset: to its abort service, which resets on the
  // first byte it reads (so the reset comes on cue, after connect returned);
  // one byte sent and POLLIN seen. -1 on failure (recorded).
  int connection_reset_by_peer();
  // After a reset by the peer, as on Linux: recv fails once with ECONNRESET,
  // then reads EOF; send fails with EPIPE.
  void expect_reset_then_eof_and_epipe(int fd);
  // A listener on this process's address, port 0.
  int listen_here(int backlog = 16);
  SockAddr name_of(int fd);  // getsockname
  SockAddr peer_of(int fd);  // getpeername

  // Sends all of data (blocking); false on an error (recorded).
  bool send_all(int fd, ByteSpan data);
  // Receives until EOF or `limit` bytes; the error (if any) is recorded.
  Bytes recv_until_eof(int fd, std::size_t limit = 64U << 20U);
  Bytes recv_exact(int fd, std::size_t n);
  // Waits (poll) up to timeout_ms for `events`; returns revents (0 on timeout).
  short wait_for(int fd, short events, int timeout_ms = 5000);
  int so_error(int fd);
  int int_option(int fd, int level, int name);
  void set_timeout(int fd, int name, int ms);

 private:
  PeerProcess* peer_{nullptr};
  std::set<int> open_;
};

// The (backend, family) pairs, instantiated per backend: Kernel/..., Weft/...
inline auto kernel_params() {
  return ::testing::Values(Param{&kernel_backend(), AF_INET}, Param{&kernel_backend(), AF_INET6});
}
inline auto weft_params() {
  return ::testing::Values(Param{&weft_backend(), AF_INET}, Param{&weft_backend(), AF_INET6});
}
inline auto kernel_v4_only() { return ::testing::Values(Param{&kernel_backend(), AF_INET}); }
inline auto weft_v4_only() { return ::testing::Values(Param{&weft_backend(), AF_INET}); }

#define CONFORMANCE_INSTANTIATE(suite)                                          \
  INSTANTIATE_TEST_SUITE_P(Kernel, suite, ::weft::conformance::kernel_params(), \
                           ::weft::conformance::param_name);                    \
  INSTANTIATE_TEST_SUITE_P(Weft, suite, ::weft::conformance::weft_params(),     \
                           ::weft::conformance::param_name)

#define CONFORMANCE_INSTANTIATE_V4(suite)                                        \
  INSTANTIATE_TEST_SUITE_P(Kernel, suite, ::weft::conformance::kernel_v4_only(), \
                           ::weft::conformance::param_name);                     \
  INSTANTIATE_TEST_SUITE_P(Weft, suite, ::weft::conformance::weft_v4_only(),     \
                           ::weft::conformance::param_name)

// The overlay backend (kernel_peer_test.cpp), both families: Overlay/...
#define CONFORMANCE_INSTANTIATE_OVERLAY(suite)                                            \
  INSTANTIATE_TEST_SUITE_P(                                                               \
      Overlay, suite,                                                                     \
      ::testing::Values(                                                                  \
          ::weft::conformance::Param{&::weft::conformance::overlay_backend(), AF_INET},   \
          ::weft::conformance::Param{&::weft::conformance::overlay_backend(), AF_INET6}), \
      ::weft::conformance::param_name)

// `expr` must fail with -1 and errno `e` (of this backend).
#define EXPECT_FAILS_WITH(expr, e)                                                                 \
  do {                                                                                             \
    auto r_ = (expr);                                                                              \
    int err_ = api().last_error();                                                                 \
    EXPECT_EQ(r_, -1) << #expr;                                                                    \
    EXPECT_EQ(::weft::conformance::errno_name(err_), ::weft::conformance::errno_name(e)) << #expr; \
  } while (0)

}  // namespace weft::conformance
