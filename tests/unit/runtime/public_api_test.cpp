// The public C and C++ APIs in one process. The dev link points at a UDP port
// nobody reads; connections to the node's own address use lwIP's loopback.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "weft/weft.h"
#include "weft/weft.hpp"

namespace {

class PublicApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    weft_dev_config c{};
    c.mac = "02:00:00:00:03:01";
    c.ipv4 = "10.3.0.1";
    c.ipv4_prefix = 24;
    c.ipv6 = "fd03::1";
    c.bind = "127.0.0.1:0";
    c.peer = "127.0.0.1:9";  // discard: nothing is expected from it
    ASSERT_EQ(weft_dev_start(&c), 0) << weft_errno;
  }
};

TEST_F(PublicApi, CApiRejectsMisuseWithDocumentedErrors) {
  EXPECT_EQ(weft_dev_start(nullptr), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  weft_dev_config again{"02:00:00:00:03:02", nullptr, 0, nullptr, "127.0.0.1:0", "127.0.0.1:9", 0};
  EXPECT_EQ(weft_dev_start(&again), -1);
  EXPECT_EQ(weft_errno, EEXIST);
  char b[4];
  EXPECT_EQ(weft_recv(999, b, 4, 0), -1);
  EXPECT_EQ(weft_errno, EBADF);
  EXPECT_EQ(weft_close(-5), -1);
  EXPECT_EQ(weft_errno, EBADF);
  int fd = weft_socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(weft_send(fd, nullptr, 10, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_recv(fd, nullptr, 10, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_bind(fd, nullptr, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_connect(fd, nullptr, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_getsockname(fd, nullptr, nullptr), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_accept4(fd, nullptr, nullptr, 0x40000000), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_poll(nullptr, 1, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_poll(nullptr, 0, 0), 0);
  EXPECT_EQ(weft_socket(AF_INET6, SOCK_SEQPACKET, 0), -1);
  EXPECT_EQ(weft_errno, EOPNOTSUPP);
  EXPECT_EQ(weft_close(fd), 0);
  EXPECT_EQ(weft_close(fd), -1);
  EXPECT_EQ(weft_errno, EBADF);
}

TEST_F(PublicApi, ErrnoIsPerThread) {
  EXPECT_EQ(weft_close(-1), -1);
  EXPECT_EQ(weft_errno, EBADF);
  std::thread([] {
    EXPECT_EQ(weft_errno, 0);
    EXPECT_EQ(weft_socket(AF_INET, SOCK_RAW, 0), -1);
    EXPECT_EQ(weft_errno, EOPNOTSUPP);
  }).join();
  EXPECT_EQ(weft_errno, EBADF);
}

TEST_F(PublicApi, CppStreamListenerRoundTrip) {
  std::error_code ec;
  auto listener = weft::Listener::listen(*weft::Address::parse("fd03::1", 0), 8, ec);
  ASSERT_FALSE(ec) << ec.message();
  auto at = listener.local_address(ec);
  ASSERT_FALSE(ec);
  std::thread server([&] {
    std::error_code sec;
    weft::Stream s = listener.accept(sec);
    ASSERT_FALSE(sec);
    std::vector<std::byte> buf(1000);
    for (;;) {
      std::size_t n = s.recv(buf, sec);
      if (sec || n == 0) break;
      s.send(std::span(buf).first(n), sec);
    }
  });
  weft::Stream c = weft::Stream::connect(*weft::Address::parse("fd03::1", at.port()), std::chrono::seconds(5), ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::string msg = "weft c++ api";
  std::vector<std::byte> out(msg.size());
  std::memcpy(out.data(), msg.data(), msg.size());
  EXPECT_EQ(c.send(out, ec), msg.size());
  c.shutdown_write(ec);
  ASSERT_FALSE(ec);
  std::vector<std::byte> in(100);
  std::size_t got = 0;
  while (true) {
    std::size_t n = c.recv(std::span(in).subspan(got), ec);
    ASSERT_FALSE(ec);
    if (n == 0) break;
    got += n;
  }
  server.join();
  ASSERT_EQ(got, msg.size());
  EXPECT_EQ(std::memcmp(in.data(), msg.data(), got), 0);
  weft::Stream moved = std::move(c);
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(moved.valid());
}

TEST_F(PublicApi, CppDatagramAndRefusedConnect) {
  std::error_code ec;
  auto a = weft::Datagram::bind(*weft::Address::parse("10.3.0.1", 0), ec);
  ASSERT_FALSE(ec);
  auto b = weft::Datagram::bind(*weft::Address::parse("10.3.0.1", 0), ec);
  ASSERT_FALSE(ec);
  auto bat = b.local_address(ec);
  const std::byte d[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
  EXPECT_EQ(a.send_to(d, bat, ec), 3U);
  std::byte r[10];
  weft::Address from;
  EXPECT_EQ(b.recv_from(r, from, ec), 3U);
  EXPECT_EQ(from.port(), a.local_address(ec).port());
  auto s = weft::Stream::connect(*weft::Address::parse("10.3.0.1", 1), std::chrono::seconds(5), ec);
  EXPECT_EQ(ec, std::errc::connection_refused);
  EXPECT_FALSE(s.valid());
}

}  // namespace
