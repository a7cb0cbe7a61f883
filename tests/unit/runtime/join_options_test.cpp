// How NodeRuntime keeps a network's join mode in its state (the "networks"
// object): no node is started, so nothing here needs root or a network.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "runtime/memory_state.hpp"
#include "runtime/node_runtime.hpp"

namespace weft::runtime {
namespace {

const NetworkId kA = NetworkId::parse("8056c2e21c000001").value();
const NetworkId kB = NetworkId::parse("8056c2e21c000002").value();

// A MemoryState whose contents outlive the runtime that uses it.
class SharedState final : public StateStore {
 public:
  explicit SharedState(std::shared_ptr<MemoryState> s) : s_(std::move(s)) {}
  Result<std::optional<std::string>> get(std::string_view name, Secrecy secrecy) override {
    return s_->get(name, secrecy);
  }
  Result<void> put(std::string_view name, std::string_view content, Secrecy secrecy) override {
    return s_->put(name, content, secrecy);
  }

 private:
  std::shared_ptr<MemoryState> s_;
};

TEST(JoinOptions, KernelTapModeIsSavedWithTheNetworkAndReadBack) {
  auto memory = std::make_shared<MemoryState>();
  {
    auto rt = NodeRuntime::create(std::make_unique<SharedState>(memory), {});
    ASSERT_TRUE(rt.ok());
    ASSERT_TRUE((*rt)->join(kA, JoinOptions{std::string("weftlab")}).ok());
    ASSERT_TRUE((*rt)->join(kB).ok());
    // The same mode again is a no-op; the other mode needs a leave first.
    EXPECT_TRUE((*rt)->join(kA, JoinOptions{std::string("weftlab")}).ok());
    EXPECT_EQ((*rt)->join(kA).error(), Error::already_connected);
    EXPECT_EQ((*rt)->join(kB, JoinOptions{std::string("weft%d")}).error(),
              Error::already_connected);
    EXPECT_FALSE((*rt)->kernel_device(kA));  // stopped: no device yet
  }
  auto saved = memory->get("networks", StateStore::Secrecy::open);
  ASSERT_TRUE(saved.ok() && *saved);
  EXPECT_EQ(**saved, "8056c2e21c000001 tap=weftlab\n8056c2e21c000002\n");
  auto rt = NodeRuntime::create(std::make_unique<SharedState>(memory), {});
  ASSERT_TRUE(rt.ok());
  const auto a = (*rt)->join_options(kA);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kernel_tap, "weftlab");
  const auto b = (*rt)->join_options(kB);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->kernel_tap);
}

TEST(JoinOptions, ABadDeviceNameIsRefusedAtJoinAndInTheState) {
  auto memory = std::make_shared<MemoryState>();
  {
    auto rt = NodeRuntime::create(std::make_unique<SharedState>(memory), {});
    ASSERT_TRUE(rt.ok());
    EXPECT_EQ((*rt)->join(kA, JoinOptions{std::string("a/b")}).error(), Error::invalid_argument);
    EXPECT_FALSE((*rt)->joined(kA));
  }
  for (const char* bad : {"8056c2e21c000001 tap=\n", "8056c2e21c000001 tap=a/b\n",
                          "8056c2e21c000001 tap=sixteen-chars-xx\n", "8056c2e21c00000 tap=x\n"}) {
    ASSERT_TRUE(memory->put("networks", bad, StateStore::Secrecy::open).ok());
    auto rt = NodeRuntime::create(std::make_unique<SharedState>(memory), {});
    ASSERT_FALSE(rt.ok()) << bad;
    EXPECT_EQ(rt.error(), Error::malformed) << bad;
  }
}

}  // namespace
}  // namespace weft::runtime
