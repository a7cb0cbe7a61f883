// Descriptor-level behaviour (bad descriptors, bad arguments), IPv4 only: the
// family does not matter here.

#include <fcntl.h>
#include <netinet/in.h>

#include "conformance/fixture.hpp"

namespace weft::conformance {
namespace {

using Descriptor = Conformance;

TEST_P(Descriptor, OperationsOnAClosedDescriptorAreEbadf) {
  int fd = open(SOCK_STREAM);
  close_fd(fd);
  std::byte b{};
  int v = 1;
  socklen_t vlen = sizeof v;
  SockAddr a = local_any_port();
  SockAddr out;
  EXPECT_FAILS_WITH(api().send(fd, &b, 1, 0), EBADF);
  EXPECT_FAILS_WITH(api().recv(fd, &b, 1, 0), EBADF);
  EXPECT_FAILS_WITH(api().sendto(fd, &b, 1, 0, a.get(), a.len), EBADF);
  EXPECT_FAILS_WITH(api().recvfrom(fd, &b, 1, 0, out.get(), &out.len), EBADF);
  EXPECT_FAILS_WITH(api().bind(fd, a.get(), a.len), EBADF);
  EXPECT_FAILS_WITH(api().listen(fd, 1), EBADF);
  EXPECT_FAILS_WITH(api().accept(fd, nullptr, nullptr), EBADF);
  EXPECT_FAILS_WITH(api().connect(fd, a.get(), a.len), EBADF);
  EXPECT_FAILS_WITH(api().shutdown(fd, SHUT_RDWR), EBADF);
  EXPECT_FAILS_WITH(api().setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v), EBADF);
  EXPECT_FAILS_WITH(api().getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &vlen), EBADF);
  EXPECT_FAILS_WITH(api().getsockname(fd, out.get(), &out.len), EBADF);
  EXPECT_FAILS_WITH(api().getpeername(fd, out.get(), &out.len), EBADF);
  EXPECT_FAILS_WITH(api().set_nonblocking(fd, 1), EBADF);
  EXPECT_FAILS_WITH(api().close(fd), EBADF);
}

TEST_P(Descriptor, NegativeDescriptorIsEbadf) {
  std::byte b{};
  EXPECT_FAILS_WITH(api().recv(-1, &b, 1, 0), EBADF);
  EXPECT_FAILS_WITH(api().close(-1), EBADF);
}

TEST_P(Descriptor, PollReportsPollnvalForAClosedDescriptor) {
  int fd = open(SOCK_STREAM);
  close_fd(fd);
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(api().poll(&p, 1, 0), 1) << err();
  EXPECT_EQ(p.revents, POLLNVAL);
}

TEST_P(Descriptor, PollIgnoresNegativeDescriptors) {
  int fd = open(SOCK_STREAM);
  pollfd p[2] = {{-1, POLLIN, 0}, {fd, POLLOUT, 0}};
  EXPECT_EQ(api().poll(p, 2, 0), 1) << err();
  EXPECT_EQ(p[0].revents, 0);
  // A fresh, unconnected TCP socket polls as POLLOUT | POLLHUP.
  EXPECT_EQ(p[1].revents, POLLOUT | POLLHUP);
}

TEST_P(Descriptor, UnsupportedFamilyTypeOrProtocol) {
  // D8 (docs/conformance.md): Linux distinguishes EAFNOSUPPORT and
  // EPROTONOSUPPORT; Weft answers EOPNOTSUPP for both (documented in weft.h).
  EXPECT_FAILS_WITH(api().socket(12345, SOCK_STREAM, 0), per_backend(EAFNOSUPPORT, EOPNOTSUPP));
  EXPECT_FAILS_WITH(api().socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
                    per_backend(EPROTONOSUPPORT, EOPNOTSUPP));
}

TEST_P(Descriptor, NullBufferWithALength) {
  int fd = connect_to("echo");
  ASSERT_GE(fd, 0);
  // D9 (docs/conformance.md): Linux faults (EFAULT); Weft checks (EINVAL).
  EXPECT_FAILS_WITH(api().send(fd, nullptr, 1, 0), per_backend(EFAULT, EINVAL));
}

TEST_P(Descriptor, UnknownOptionIsRefused) {
  int fd = open(SOCK_STREAM);
  int v = 0;
  socklen_t len = sizeof v;
  // D10 (docs/conformance.md): Linux says ENOPROTOOPT; Weft EOPNOTSUPP (weft.h).
  EXPECT_FAILS_WITH(api().getsockopt(fd, SOL_SOCKET, 9999, &v, &len),
                    per_backend(ENOPROTOOPT, EOPNOTSUPP));
}

}  // namespace

CONFORMANCE_INSTANTIATE_V4(Descriptor);

}  // namespace weft::conformance
