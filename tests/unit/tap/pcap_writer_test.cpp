#include "tap/pcap_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "base/mac.hpp"
#include "base/manual_clock.hpp"
#include "osdep/files.hpp"
#include "unit/tap/frame_recorder.hpp"

namespace weft::tap {
namespace {

Bytes ethernet(const char* dst, const char* src, std::uint16_t type, std::size_t size,
               std::uint8_t fill) {
  Bytes f(size, std::byte{fill});
  Mac::parse(dst)->write(std::span<std::byte, 6>(f.data(), 6));
  Mac::parse(src)->write(std::span<std::byte, 6>(f.data() + 6, 6));
  store_be16(std::span<std::byte, 2>(f.data() + 12, 2), type);
  return f;
}

class PcapWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("weft-pcap-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcap"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(PcapWriterTest, WritesTheStandardHeaderAndRecordsAndForwardsUnchanged) {
  ManualClock clock(Instant::from_nanos(1'700'000'000'123'456'789));
  testing::FrameRecorder next;
  auto w = PcapWriter::open(path_, clock, &next);
  ASSERT_TRUE(w.ok());
  const Bytes a = ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 0x0806, 42, 0x11);
  const ByteSpan batch[] = {a};
  (*w)->send_frames(batch);

  EXPECT_EQ(next.frames(), std::vector<Bytes>{a});
  EXPECT_EQ(next.batches(), 1U);
  auto file = osdep::read_file(path_);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->size(), 24U + 16U + 42U);
  const auto bytes = as_bytes(*file);
  const Bytes header(bytes.begin(), bytes.begin() + 40);
  // 1700000000 s = 0x6553f100, 123456 us = 0x0001e240, lengths 42 = 0x2a.
  // clang-format off
  const Bytes expected = {
      std::byte{0xd4}, std::byte{0xc3}, std::byte{0xb2}, std::byte{0xa1},  // magic
      std::byte{2},    std::byte{0},    std::byte{4},    std::byte{0},     // 2.4
      std::byte{0},    std::byte{0},    std::byte{0},    std::byte{0},     // thiszone
      std::byte{0},    std::byte{0},    std::byte{0},    std::byte{0},     // sigfigs
      std::byte{0xff}, std::byte{0xff}, std::byte{0},    std::byte{0},     // snaplen
      std::byte{1},    std::byte{0},    std::byte{0},    std::byte{0},     // ethernet
      std::byte{0x00}, std::byte{0xf1}, std::byte{0x53}, std::byte{0x65},  // seconds
      std::byte{0x40}, std::byte{0xe2}, std::byte{0x01}, std::byte{0x00},  // microseconds
      std::byte{0x2a}, std::byte{0},    std::byte{0},    std::byte{0},     // captured
      std::byte{0x2a}, std::byte{0},    std::byte{0},    std::byte{0},     // original
  };
  // clang-format on
  EXPECT_EQ(header, expected);
  EXPECT_EQ(Bytes(bytes.begin() + 40, bytes.end()), a);
  EXPECT_EQ((*w)->stats().frames_written, 1U);
  EXPECT_EQ((*w)->stats().bytes_written, file->size());
}

TEST_F(PcapWriterTest, TsharkReadsTheFileWhileTheWriterIsStillOpen) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "tshark is not installed (scripts/bootstrap.sh installs it)";
  }
  ManualClock clock(Instant::from_nanos(5'000'000'000));
  auto w = PcapWriter::open(path_, clock, nullptr);
  ASSERT_TRUE(w.ok());
  const Bytes arp = ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 0x0806, 42, 0);
  const Bytes ip4 = ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 0x0800, 1514, 0x45);
  const ByteSpan first[] = {arp, ip4};
  (*w)->send_frames(first);
  clock.advance(1500us);
  const Bytes ip6 = ethernet("33:33:00:00:00:01", "0a:bc:de:f0:12:34", 0x86dd, 60, 0x60);
  const ByteSpan second[] = {ip6};
  (*w)->send_frames(second);

  // No close, no flush call: the writer is still open while tshark reads.
  const std::string cmd = "tshark -r '" + path_ +
                          "' -T fields -e frame.len -e eth.src -e eth.dst -e eth.type "
                          "-e frame.time_epoch 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ASSERT_EQ(::pclose(p), 0) << out;
  EXPECT_EQ(out,
            "42\t02:00:00:00:00:01\tff:ff:ff:ff:ff:ff\t0x0806\t5.000000000\n"
            "1514\t02:00:00:00:00:01\t02:00:00:00:00:02\t0x0800\t5.000000000\n"
            "60\t0a:bc:de:f0:12:34\t33:33:00:00:00:01\t0x86dd\t5.001500000\n");
}

TEST_F(PcapWriterTest, CutsFramesAtTheSnaplenButRecordsTheirLength) {
  ManualClock clock;
  auto w = PcapWriter::open(path_, clock, nullptr, 20);
  ASSERT_TRUE(w.ok());
  const Bytes f = ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 0x0800, 100, 7);
  const ByteSpan batch[] = {f};
  (*w)->send_frames(batch);
  auto file = osdep::read_file(path_);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->size(), 24U + 16U + 20U);
  const auto b = as_bytes(*file);
  EXPECT_EQ(load_le32(b.subspan<16, 4>()), 20U);   // snaplen
  EXPECT_EQ(load_le32(b.subspan<32, 4>()), 20U);   // captured
  EXPECT_EQ(load_le32(b.subspan<36, 4>()), 100U);  // original
  EXPECT_EQ(Bytes(b.begin() + 40, b.end()), Bytes(f.begin(), f.begin() + 20));
}

TEST_F(PcapWriterTest, TwoThreadsSharingAWriterProduceWholeRecords) {
  ManualClock clock;
  testing::FrameRecorder next;
  auto w = PcapWriter::open(path_, clock, &next);
  ASSERT_TRUE(w.ok());
  constexpr std::size_t kPerThread = 2000;
  auto run = [&](std::uint8_t fill) {
    std::vector<Bytes> frames;
    for (std::size_t i = 0; i < 100; ++i) frames.emplace_back(60 + i * 13, std::byte{fill});
    for (std::size_t i = 0; i < kPerThread; i += 100) {
      std::vector<ByteSpan> spans(frames.begin(), frames.end());
      (*w)->send_frames(spans);
    }
  };
  std::thread t1(run, 0xaa);
  std::thread t2(run, 0xbb);
  t1.join();
  t2.join();
  EXPECT_EQ(next.size(), 2 * kPerThread);
  // Walk the records: each must be whole and uniform (no interleaved bytes).
  auto file = osdep::read_file(path_, 64U << 20U);
  ASSERT_TRUE(file.ok());
  const auto b = as_bytes(*file);
  std::size_t off = 24;
  std::size_t count = 0;
  while (off < b.size()) {
    ASSERT_LE(off + 16, b.size());
    const std::uint32_t len = load_le32(std::span<const std::byte, 4>(b.data() + off + 8, 4));
    ASSERT_LE(off + 16 + len, b.size());
    const auto body = b.subspan(off + 16, len);
    EXPECT_TRUE(std::all_of(body.begin(), body.end(), [&](std::byte x) { return x == body[0]; }));
    off += 16 + len;
    ++count;
  }
  EXPECT_EQ(count, 2 * kPerThread);
  EXPECT_EQ((*w)->stats().frames_written, 2 * kPerThread);
}

TEST_F(PcapWriterTest, OpeningInAMissingDirectoryFails) {
  ManualClock clock;
  auto w = PcapWriter::open("/nonexistent-weft-dir/x.pcap", clock, nullptr);
  EXPECT_EQ(w.error(), Error::not_found);
}

}  // namespace
}  // namespace weft::tap
