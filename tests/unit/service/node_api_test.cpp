// The public node API (weft.h's weft_node_*) against a real root and
// controller in the same process, on loopback: lifecycle, state, events,
// addresses, and every entry point's answer to bad handles and bad input.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "osdep/udp_socket.hpp"
#include "runtime/wire_endpoint.hpp"
#include "service/controller_service.hpp"
#include "service/root_service.hpp"
#include "unit/fixtures/identities.hpp"
#include "weft/weft.h"

namespace weft::service {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string error_text() { return weft_last_error(); }

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class NodeApi : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-node-api-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto root = RootService::open(crypto::Identity::parse(testing::kMallorySecret).value(),
                                  osdep::Endpoint::loopback_v4(0));
    ASSERT_TRUE(root);
    root_ = std::move(*root);
    ASSERT_TRUE(root_->start());
    root_line_ = runtime::to_string(
        node::RootEntry{root_->public_identity(), {*runtime::to_wire(root_->local())}});
    roots_ = {root_line_.c_str()};
  }

  void TearDown() override {
    if (controller_) controller_->stop();
    root_->stop();
    fs::remove_all(dir_);
  }

  // A controller with one network (10.44.0.0/24) where `member` is authorized.
  std::uint64_t network_for(std::uint64_t member) {
    ControllerServiceConfig c;
    c.state_dir = dir_ + "/controller";
    c.roots = {runtime::parse_root_entry(root_line_).value()};
    c.admin_port = 0;
    auto started = ControllerService::start(c);
    EXPECT_TRUE(started);
    if (!started) return 0;
    controller_ = std::move(*started);
    controller::NetworkSettings s;
    s.name = "api";
    s.ipv4_pools = {{0x0a2c'0001, 0x0a2c'00fe, 24}};
    auto net = controller_->controller().create_network(s, wall_ms());
    EXPECT_TRUE(net);
    const NetworkId id = net->id;
    EXPECT_TRUE(controller_->controller().authorize(id, NodeId::from_u64(member).value(), wall_ms()));
    return id.value();
  }

  weft_node_config config(const char* state_dir) {
    weft_node_config c{};
    c.version = WEFT_NODE_CONFIG_VERSION;
    c.state_dir = state_dir;
    c.roots = roots_.data();
    c.root_count = roots_.size();
    c.bind = "127.0.0.1:0";
    return c;
  }

  std::string dir_;
  std::unique_ptr<RootService> root_;
  std::unique_ptr<ControllerService> controller_;
  std::string root_line_;
  std::vector<const char*> roots_;
};

std::vector<int> drain_events(weft_node* n) {
  std::vector<int> kinds;
  weft_event e{};
  while (weft_node_next_event(n, &e, 0) == 1) kinds.push_back(e.kind);
  return kinds;
}

// Waits for an event of `kind` (up to 20 s); the others are skipped.
bool await_event(weft_node* n, int kind, weft_event* out = nullptr) {
  const auto until = std::chrono::steady_clock::now() + 20s;
  weft_event e{};
  while (std::chrono::steady_clock::now() < until) {
    if (weft_node_next_event(n, &e, 200) == 1 && e.kind == kind) {
      if (out != nullptr) *out = e;
      return true;
    }
  }
  return false;
}

TEST_F(NodeApi, CreateRefusesBadConfigsAndSaysWhy) {
  EXPECT_EQ(weft_node_create(nullptr), nullptr);
  EXPECT_EQ(weft_errno, EINVAL);

  auto expect_refused = [](weft_node_config c, const std::string& why) {
    EXPECT_EQ(weft_node_create(&c), nullptr) << why;
    EXPECT_EQ(weft_errno, EINVAL) << why;
    EXPECT_TRUE(contains(error_text(), why)) << error_text();
  };
  auto c = config(nullptr);
  c.version = 99;
  expect_refused(c, "version 99");
  c = config(nullptr);
  c.root_count = 0;
  expect_refused(c, "no roots");
  const char* bad_roots[] = {"not-a-root"};
  c = config(nullptr);
  c.roots = bad_roots;
  c.root_count = 1;
  expect_refused(c, "root 0");
  const char* null_root[] = {nullptr};
  c.roots = null_root;
  expect_refused(c, "root 0 is NULL");
  c = config(nullptr);
  c.bind = "127.0.0.1";  // no port
  expect_refused(c, "bind");
  c = config(nullptr);
  c.identity = "zz";
  expect_refused(c, "identity");
  weft_state_callbacks cb{};
  cb.version = WEFT_STATE_CALLBACKS_VERSION;
  c = config(dir_.c_str());
  c.state = &cb;
  expect_refused(c, "both state_dir and state");
  c = config(nullptr);
  c.state = &cb;  // get and put NULL
  expect_refused(c, "NULL get/put");
}

TEST_F(NodeApi, EveryEntryPointChecksItsHandle) {
  const auto c = config(nullptr);
  weft_node* freed = weft_node_create(&c);
  ASSERT_NE(freed, nullptr) << error_text();
  weft_node_free(freed);
  for (weft_node* bad : {static_cast<weft_node*>(nullptr), freed}) {
    sockaddr_storage ss{};
    weft_event e{};
    weft_node_stats st{};
    char buf[600];
    EXPECT_EQ(weft_node_start(bad), -1);
    EXPECT_EQ(weft_errno, EBADF);
    EXPECT_TRUE(contains(error_text(), "handle"));
    EXPECT_EQ(weft_node_stop(bad), -1);
    EXPECT_EQ(weft_node_address(bad), 0U);
    EXPECT_EQ(weft_node_public_identity(bad, buf, sizeof buf), -1);
    EXPECT_EQ(weft_node_join(bad, 1), -1);
    EXPECT_EQ(weft_node_leave(bad, 1), -1);
    EXPECT_EQ(weft_node_wait_address(bad, 1, AF_INET, &ss, 0), -1);
    EXPECT_EQ(weft_node_addresses(bad, 1, &ss, 1), -1);
    EXPECT_EQ(weft_node_next_event(bad, &e, 0), -1);
    EXPECT_EQ(weft_node_event_fd(bad), -1);
    EXPECT_EQ(weft_node_get_stats(bad, &st, sizeof st), -1);
    EXPECT_EQ(weft_node_peers(bad, nullptr, 0, sizeof(weft_peer_stats)), -1);
    EXPECT_EQ(weft_node_set_faults(bad, nullptr), -1);
    EXPECT_EQ(weft_errno, EBADF);
    weft_node_free(bad);  // ignored
  }
}

TEST_F(NodeApi, OneNodePerProcessAndArgumentsAreChecked) {
  auto c = config(nullptr);
  weft_node* a = weft_node_create(&c);
  ASSERT_NE(a, nullptr) << error_text();
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EBUSY);
  EXPECT_TRUE(contains(error_text(), "one per process"));

  char small[8];
  EXPECT_EQ(weft_node_public_identity(a, small, sizeof small), -1);
  EXPECT_EQ(weft_errno, ERANGE);
  char buf[600];
  const int len = weft_node_public_identity(a, buf, sizeof buf);
  ASSERT_GT(len, 0);
  EXPECT_EQ(crypto::PublicIdentity::parse(buf).value().address().value(), weft_node_address(a));

  sockaddr_storage ss{};
  EXPECT_EQ(weft_node_join(a, 0), -1);  // controller part 0: not a network
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_node_leave(a, 0x89e92ceee5000001), -1);
  EXPECT_EQ(weft_errno, ENOENT);
  EXPECT_EQ(weft_node_wait_address(a, 0x89e92ceee5000001, AF_UNIX, &ss, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_node_wait_address(a, 0x89e92ceee5000001, AF_INET, nullptr, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_EQ(weft_node_wait_address(a, 0x89e92ceee5000001, AF_INET, &ss, 0), -1);
  EXPECT_EQ(weft_errno, EINVAL);  // not joined
  EXPECT_EQ(weft_node_next_event(a, nullptr, 0), -1);
  EXPECT_EQ(weft_node_addresses(a, 0x89e92ceee5000001, nullptr, 1), -1);
  const std::uint64_t own = (weft_node_address(a) << 24U) | 1U;
  EXPECT_EQ(weft_node_join(a, own), -1);
  EXPECT_EQ(weft_errno, EINVAL);

  weft_node_stats st{};
  st.running = 7;
  ASSERT_EQ(weft_node_get_stats(a, &st, sizeof st), 0);
  EXPECT_EQ(st.running, 0);
  // A caller built against a shorter struct gets only what it knows.
  weft_node_stats partial{};
  partial.datagrams_received = 99;
  ASSERT_EQ(weft_node_get_stats(a, &partial, offsetof(weft_node_stats, datagrams_received)), 0);
  EXPECT_EQ(partial.datagrams_received, 99U);

  weft_node_free(a);
  weft_node* b = weft_node_create(&c);
  EXPECT_NE(b, nullptr) << error_text();
  weft_node_free(b);
}

TEST_F(NodeApi, AStateDirectoryKeepsTheIdentityAndRefusesDamage) {
  const std::string state = dir_ + "/node";
  auto c = config(state.c_str());
  weft_node* n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();
  const std::uint64_t address = weft_node_address(n);
  weft_node_free(n);
  struct stat st {};
  ASSERT_EQ(::stat((state + "/identity.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);

  n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();
  EXPECT_EQ(weft_node_address(n), address);
  weft_node_free(n);

  // Another identity given for this state: refused, the state untouched.
  c.identity = testing::kAliceSecret.data();
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EEXIST);
  c.identity = nullptr;

  const std::string secret = state + "/identity.secret";
  ::chmod(secret.c_str(), 0644);
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EACCES);
  EXPECT_TRUE(contains(error_text(), "chmod 600")) << error_text();
  ::chmod(secret.c_str(), 0600);

  const std::string pub = state + "/identity.public";
  std::string good_pub;
  std::getline(std::ifstream(pub), good_pub);
  std::ofstream(pub) << crypto::Identity::parse(testing::kBobSecret).value().public_identity().to_string()
                     << "\n";
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EIO);
  EXPECT_TRUE(contains(error_text(), "identity.public")) << error_text();
  std::ofstream(pub) << good_pub << "\n";

  std::string good_secret;
  std::getline(std::ifstream(secret), good_secret);
  std::ofstream(secret) << good_secret.substr(0, good_secret.size() / 2);  // half-written
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EIO);
  EXPECT_TRUE(contains(error_text(), "damaged")) << error_text();
  std::ofstream(secret) << good_secret << "\n";

  std::ofstream(state + "/networks") << "not a network\n";
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EIO);
  fs::remove(state + "/networks");

  n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();
  EXPECT_EQ(weft_node_address(n), address);  // nothing was lost on the way
  weft_node_free(n);

  const std::string file = dir_ + "/a-file";
  std::ofstream(file) << "x";
  auto f = config(file.c_str());
  EXPECT_EQ(weft_node_create(&f), nullptr);
  EXPECT_EQ(weft_errno, EINVAL);
}

// State kept by the application: a map behind the callbacks.
struct AppState {
  std::map<std::string, std::string> objects;
  bool fail_get = false;
  bool fail_put = false;

  static long get(void* user, const char* name, void* buf, size_t capacity) {
    auto* self = static_cast<AppState*>(user);
    if (self->fail_get) return -2;
    const auto it = self->objects.find(name);
    if (it == self->objects.end()) return WEFT_STATE_NOT_FOUND;
    if (it->second.size() <= capacity) std::memcpy(buf, it->second.data(), it->second.size());
    return static_cast<long>(it->second.size());
  }
  static int put(void* user, const char* name, const void* data, size_t len) {
    auto* self = static_cast<AppState*>(user);
    if (self->fail_put) return -1;
    self->objects[name] = std::string(static_cast<const char*>(data), len);
    return 0;
  }
};

TEST_F(NodeApi, StateThroughCallbacksSurvivesTheHandle) {
  AppState app;
  weft_state_callbacks cb{WEFT_STATE_CALLBACKS_VERSION, &app, &AppState::get, &AppState::put};
  auto c = config(nullptr);
  c.state = &cb;
  c.identity = testing::kAliceSecret.data();
  weft_node* n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();
  const auto alice = crypto::Identity::parse(testing::kAliceSecret).value();
  EXPECT_EQ(weft_node_address(n), alice.address().value());
  EXPECT_EQ(app.objects.count("identity.secret"), 1U);
  EXPECT_EQ(app.objects["identity.public"], alice.public_identity().to_string() + "\n");

  const std::uint64_t net = 0x89e92ceee5000001;
  ASSERT_EQ(weft_node_join(n, net), 0);  // stopped: recorded, joined at start
  EXPECT_EQ(app.objects["networks"], "89e92ceee5000001\n");
  app.fail_put = true;
  EXPECT_EQ(weft_node_join(n, 0x89e92ceee5000002), -1);
  EXPECT_EQ(weft_errno, EIO);
  EXPECT_EQ(weft_node_leave(n, 0x89e92ceee5000002), -1);  // was not joined after all
  EXPECT_EQ(weft_errno, ENOENT);
  app.fail_put = false;
  weft_node_free(n);

  c.identity = nullptr;
  n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();
  EXPECT_EQ(weft_node_address(n), alice.address().value());
  EXPECT_EQ(weft_node_leave(n, net), 0);  // it remembered the network
  EXPECT_EQ(app.objects["networks"], "");
  weft_node_free(n);

  app.fail_get = true;
  EXPECT_EQ(weft_node_create(&c), nullptr);
  EXPECT_EQ(weft_errno, EIO);
}

std::size_t open_fds() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"),
                                                fs::directory_iterator()));
}

TEST_F(NodeApi, StartJoinAddressStopStartLeave) {
  const auto alice = crypto::Identity::parse(testing::kAliceSecret).value();
  const std::uint64_t net = network_for(alice.address().value());
  ASSERT_NE(net, 0U);
  const std::size_t fds_before = open_fds();
  const std::string state = dir_ + "/member";
  auto c = config(state.c_str());
  c.identity = testing::kAliceSecret.data();
  c.event_capacity = 64;
  weft_node* n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();

  ASSERT_EQ(weft_node_start(n), 0) << error_text();
  EXPECT_EQ(weft_node_start(n), -1);
  EXPECT_EQ(weft_errno, EALREADY);
  ASSERT_EQ(weft_node_join(n, net), 0) << error_text();
  sockaddr_storage ss{};
  ASSERT_EQ(weft_node_wait_address(n, net, AF_INET, &ss, 20000), 0) << error_text();
  ASSERT_EQ(ss.ss_family, AF_INET);
  sockaddr_in v4{};
  std::memcpy(&v4, &ss, sizeof v4);
  EXPECT_EQ(ntohl(v4.sin_addr.s_addr) & 0xffffff00U, 0x0a2c0000U);
  ASSERT_EQ(weft_node_wait_address(n, net, AF_INET6, &ss, 20000), 0) << error_text();
  EXPECT_EQ(ss.ss_family, AF_INET6);
  sockaddr_storage list[4]{};
  EXPECT_EQ(weft_node_addresses(n, net, list, 4), 2);
  EXPECT_EQ(weft_node_addresses(n, net, list, 1), 2);  // how many there are, one written

  // The events so far, in order, and the fd that says they wait.
  pollfd p{weft_node_event_fd(n), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 1);
  const auto kinds = drain_events(n);
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  const auto at = [&](int kind) {
    return std::find(kinds.begin(), kinds.end(), kind) - kinds.begin();
  };
  ASSERT_LT(at(WEFT_EVENT_ROOT_REGISTERED), static_cast<long>(kinds.size()));
  ASSERT_LT(at(WEFT_EVENT_NETWORK_READY), static_cast<long>(kinds.size()));
  ASSERT_LT(at(WEFT_EVENT_ADDRESS_ASSIGNED), static_cast<long>(kinds.size()));
  EXPECT_LT(at(WEFT_EVENT_NETWORK_READY), at(WEFT_EVENT_ADDRESS_ASSIGNED));
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), WEFT_EVENT_ADDRESS_ASSIGNED), 2);

  weft_node_stats st{};
  ASSERT_EQ(weft_node_get_stats(n, &st, sizeof st), 0);
  EXPECT_EQ(st.running, 1);
  EXPECT_EQ(st.online, 1);
  EXPECT_GT(st.datagrams_received, 0U);
  EXPECT_GE(st.handshakes_completed, 2U);  // the root and the controller
  EXPECT_EQ(st.events_lost, 0U);
  EXPECT_GT(st.bytes_received, st.datagrams_received);
  EXPECT_GT(st.datagrams_sent, 0U);
  EXPECT_EQ(st.peers, 2U);

  // The root first, then the controller: both with sessions; the controller
  // directly reached, having sent us its config.
  weft_peer_stats peers[4]{};
  ASSERT_EQ(weft_node_peers(n, peers, 4, sizeof(weft_peer_stats)), 2);
  EXPECT_EQ(peers[0].is_root, 1);
  EXPECT_EQ(peers[0].session, 1);
  EXPECT_EQ(peers[1].is_root, 0);
  EXPECT_EQ(peers[1].node, net >> 24U);
  EXPECT_EQ(peers[1].session, 1);
  EXPECT_EQ(peers[1].path, WEFT_PATH_DIRECT);
  EXPECT_EQ(peers[1].endpoint.ss_family, AF_INET);
  EXPECT_GT(peers[1].frames_received, 0U);
  EXPECT_GT(peers[1].frames_sent, 0U);
  EXPECT_GE(peers[1].idle_ms, 0);
  EXPECT_GT(peers[1].bytes_received, peers[1].frame_bytes_received);
  // A caller built against a shorter struct: entries that far apart, the rest untouched.
  constexpr std::size_t kOld = offsetof(weft_peer_stats, datagrams_sent);
  std::vector<unsigned char> old(3 * kOld, 0xab);
  ASSERT_EQ(weft_node_peers(n, reinterpret_cast<weft_peer_stats*>(old.data()), 2, kOld), 2);  // NOLINT
  weft_peer_stats second{};
  std::memcpy(&second, old.data() + kOld, kOld);
  EXPECT_EQ(second.node, net >> 24U);
  EXPECT_EQ(old[2 * kOld], 0xab);
  EXPECT_EQ(weft_node_peers(n, nullptr, 0, sizeof(weft_peer_stats)), 2);

  // Stopped: no addresses, and waiting says why.
  ASSERT_EQ(weft_node_stop(n), 0);
  EXPECT_EQ(weft_node_addresses(n, net, list, 4), 0);
  EXPECT_EQ(weft_node_wait_address(n, net, AF_INET, &ss, 1000), -1);
  EXPECT_EQ(weft_errno, EINVAL);
  EXPECT_TRUE(contains(error_text(), "not running")) << error_text();
  ASSERT_EQ(weft_node_get_stats(n, &st, sizeof st), 0);
  EXPECT_EQ(st.running, 0);

  // Started again in the same process: the network is rejoined by itself.
  ASSERT_EQ(weft_node_start(n), 0) << error_text();
  sockaddr_storage again{};
  ASSERT_EQ(weft_node_wait_address(n, net, AF_INET, &again, 20000), 0) << error_text();
  std::memcpy(&v4, &again, sizeof v4);
  EXPECT_EQ(ntohl(v4.sin_addr.s_addr) & 0xffffff00U, 0x0a2c0000U);

  drain_events(n);
  ASSERT_EQ(weft_node_leave(n, net), 0);
  weft_event e{};
  ASSERT_TRUE(await_event(n, WEFT_EVENT_NETWORK_LEFT, &e));
  EXPECT_EQ(e.network, net);
  EXPECT_EQ(weft_node_addresses(n, net, list, 4), 0);
  weft_node_free(n);  // stops: every thread joined, every fd closed (ASan/LSan watch)
  EXPECT_EQ(open_fds(), fds_before);
}

TEST_F(NodeApi, WaitingExplainsAnUnreachableRootAndARefusal) {
  // A root nobody answers for (its port is one this test holds and never reads).
  auto silent = osdep::UdpSocket::bind(osdep::Endpoint::loopback_v4(0));
  ASSERT_TRUE(silent);
  const std::string unreachable = runtime::to_string(
      node::RootEntry{root_->public_identity(), {*runtime::to_wire(silent->local())}});
  const char* roots[] = {unreachable.c_str()};
  auto c = config(nullptr);
  c.roots = roots;
  weft_node* n = weft_node_create(&c);
  ASSERT_NE(n, nullptr) << error_text();
  const std::uint64_t net = 0x89e92ceee5000001;
  ASSERT_EQ(weft_node_start(n), 0);
  ASSERT_EQ(weft_node_join(n, net), 0);
  sockaddr_storage ss{};
  EXPECT_EQ(weft_node_wait_address(n, net, AF_INET, &ss, 300), -1);
  EXPECT_EQ(weft_errno, ETIMEDOUT);
  EXPECT_TRUE(contains(error_text(), "no root has answered")) << error_text();
  weft_node_free(n);

  // A reachable root and controller that has not authorized us.
  auto ok = config(nullptr);
  n = weft_node_create(&ok);
  ASSERT_NE(n, nullptr) << error_text();
  const std::uint64_t other = network_for(0x1234567890);  // authorizes somebody else
  ASSERT_EQ(weft_node_start(n), 0);
  ASSERT_EQ(weft_node_join(n, other), 0);
  EXPECT_EQ(weft_node_wait_address(n, other, AF_INET, &ss, 20000), -1);
  EXPECT_EQ(weft_errno, EACCES);
  EXPECT_TRUE(await_event(n, WEFT_EVENT_NETWORK_DENIED));
  weft_node_free(n);
}

}  // namespace
}  // namespace weft::service
