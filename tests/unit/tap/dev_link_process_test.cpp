// Two processes joined by a dev link: this test and dev_link_echo, which sends
// every frame back with its MAC addresses swapped.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tap/dev_link.hpp"
#include "unit/tap/frame_recorder.hpp"

#ifndef DEV_LINK_ECHO_PATH
#error "DEV_LINK_ECHO_PATH must name the dev_link_echo helper"
#endif

namespace weft::tap {
namespace {

// The helper process, its stdin (closing it ends the helper) and stdout.
struct Child {
  pid_t pid{-1};
  int in{-1};
  FILE* out{nullptr};
  ~Child() {
    if (in >= 0) ::close(in);
    if (out != nullptr) std::fclose(out);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

bool spawn(Child& c, const std::string& peer) {
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], STDOUT_FILENO);
    ::execl(DEV_LINK_ECHO_PATH, DEV_LINK_ECHO_PATH, peer.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  c.pid = pid;
  c.in = to_child[1];
  c.out = ::fdopen(from_child[0], "r");
  return c.out != nullptr;
}

TEST(DevLinkProcesses, FramesCrossToAnotherProcessAndBackByteExact) {
  Tap tap(*Mac::parse("02:00:00:00:00:01"), 1500);
  testing::FrameRecorder stack;
  auto link = DevLink::open(osdep::Endpoint::loopback_v4());
  ASSERT_TRUE(link.ok());
  tap.attach_network(link->get());
  tap.attach_stack(&stack);

  Child child;
  ASSERT_TRUE(spawn(child, (*link)->local().to_string()));
  unsigned port = 0;
  ASSERT_EQ(std::fscanf(child.out, "%u", &port), 1) << "helper did not report its port";
  ASSERT_TRUE((*link)->start(osdep::Endpoint::loopback_v4(static_cast<std::uint16_t>(port)), tap));

  constexpr std::size_t kFrames = 3000;
  constexpr std::size_t kBatch = 50;
  std::vector<Bytes> frames;
  std::vector<Bytes> expected;
  for (std::size_t i = 0; i < kFrames; ++i) {
    Bytes f(60 + (i * 89) % 1455);
    for (std::size_t k = 0; k < f.size(); ++k) f[k] = static_cast<std::byte>((i + k * 13) & 0xff);
    Bytes e = f;
    std::swap_ranges(e.begin(), e.begin() + 6, e.begin() + 6);
    frames.push_back(std::move(f));
    expected.push_back(std::move(e));
  }
  // A window of a few batches keeps both receive queues far from full.
  for (std::size_t sent = 0; sent < kFrames; sent += kBatch) {
    if (sent >= 8 * kBatch) {
      ASSERT_TRUE(stack.wait_for(sent - 8 * kBatch));
    }
    std::vector<ByteSpan> batch(frames.begin() + static_cast<std::ptrdiff_t>(sent),
                                frames.begin() + static_cast<std::ptrdiff_t>(sent + kBatch));
    tap.transmit(batch);
  }
  ASSERT_TRUE(stack.wait_for(kFrames)) << "only " << stack.size() << " came back";
  (*link)->stop();
  EXPECT_EQ(stack.frames(), expected);

  ::close(child.in);
  child.in = -1;
  unsigned long long received = 0;
  unsigned long long sent_back = 0;
  ASSERT_EQ(std::fscanf(child.out, " received %llu sent %llu", &received, &sent_back), 2);
  EXPECT_EQ(received, kFrames);
  EXPECT_EQ(sent_back, kFrames);
  int status = 0;
  ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
  child.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace weft::tap
