#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <fstream>

#include "controller/admin_server.hpp"
#include "controller_fixture.hpp"
#include "unit/fixtures/identities.hpp"

namespace weft::controller {
namespace {

using nlohmann::json;
using testing::TempDir;
using weft::testing::bob;
using weft::testing::kAliceSecret;
using weft::testing::mallory;

constexpr std::uint64_t kT = 1'700'000'000'000;
constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";

void write_token(const std::string& path, std::string_view token, mode_t mode) {
  std::ofstream(path) << token << "\n";
  ::chmod(path.c_str(), mode);
}

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.db(), {});
    ASSERT_TRUE(store);
    controller_ = std::make_unique<Controller>(crypto::Identity::parse(kAliceSecret).value(),
                                               std::move(store).value(), Controller::Limits{});
    write_token(token_file(), kToken, 0600);
    auto server =
        AdminServer::start(*controller_, {"127.0.0.1", 0, token_file(), [] { return kT; }});
    ASSERT_TRUE(server) << name(server.error());
    server_ = std::move(server).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_bearer_token_auth(std::string(kToken));
  }

  std::string token_file() const { return dir_.path() + "/token"; }

  // Status and parsed body of a request with the right token.
  std::pair<int, json> call(const std::string& method, const std::string& path,
                            const std::string& body = "") {
    httplib::Result r = method == "GET"      ? client_->Get(path)
                        : method == "DELETE" ? client_->Delete(path)
                        : method == "PATCH"  ? client_->Patch(path, body, "application/json")
                                             : client_->Post(path, body, "application/json");
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, {}};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  std::string create_lab() {
    auto [status, body] = call("POST", "/v1/networks",
                               R"({"name":"lab","private":true,"dns_domain":"lab.weft",
                                   "ipv4_pools":["10.1.0.0/24"],
                                   "routes":[{"target":"10.2.0.0/16","via":"10.1.0.1"}]})");
    EXPECT_EQ(status, 201) << body.dump();
    return body.value("id", "");
  }

  TempDir dir_;
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminApiTest, NetworksCreateListGetDelete) {
  const std::string id = create_lab();
  ASSERT_EQ(id.size(), 16U);
  auto [status, list] = call("GET", "/v1/networks");
  EXPECT_EQ(status, 200);
  ASSERT_EQ(list["networks"].size(), 1U);
  const json& n = list["networks"][0];
  EXPECT_EQ(n["name"], "lab");
  EXPECT_EQ(n["private"], true);
  EXPECT_EQ(n["mtu"], 2800);
  EXPECT_EQ(n["ipv4_pools"][0], "10.1.0.0-10.1.0.255/24");
  EXPECT_EQ(n["routes"][0]["target"], "10.2.0.0/16");
  EXPECT_EQ(n["routes"][0]["via"], "10.1.0.1");
  EXPECT_EQ(call("GET", "/v1/networks/" + id).second["dns_domain"], "lab.weft");
  EXPECT_EQ(call("DELETE", "/v1/networks/" + id).first, 200);
  EXPECT_EQ(call("GET", "/v1/networks/" + id).first, 404);
  EXPECT_EQ(call("DELETE", "/v1/networks/" + id).first, 404);
  EXPECT_TRUE(call("GET", "/v1/networks").second["networks"].empty());
}

TEST_F(AdminApiTest, MembersAuthorizeSetDeauthorizeDelete) {
  const std::string id = create_lab();
  const auto nid = *NetworkId::parse(id);
  // Bob asks first (a pending member), then the admin authorizes him.
  (void)controller_->handle_config_request(bob().public_identity(), nid, kT);
  auto [s1, members] = call("GET", "/v1/networks/" + id + "/members");
  EXPECT_EQ(s1, 200);
  ASSERT_EQ(members["members"].size(), 1U);
  EXPECT_EQ(members["members"][0]["authorized"], false);
  const std::string node = bob().address().to_string();
  const std::string base = "/v1/networks/" + id + "/members/" + node;

  auto [s2, authorized] = call("POST", base + "/authorize");
  EXPECT_EQ(s2, 200) << authorized.dump();
  EXPECT_EQ(authorized["authorized"], true);
  EXPECT_EQ(authorized["ipv4"][0], "10.1.0.1/24");

  auto [s3, named] = call("PATCH", base, R"({"name":"bob","ipv4":["10.1.0.77"]})");
  EXPECT_EQ(s3, 200) << named.dump();
  EXPECT_EQ(named["dns_name"], "bob.lab.weft");
  EXPECT_EQ(named["ipv4"][0], "10.1.0.77/24");  // the pool's prefix
  EXPECT_EQ(named["ipv6"].get<std::string>().substr(0, 2), "fd");

  // Mallory cannot take Bob's address.
  ASSERT_EQ(call("POST", "/v1/networks/" + id + "/members/" + mallory().address().to_string() +
                             "/authorize")
                .first,
            200);
  auto [s4, conflict] =
      call("PATCH", "/v1/networks/" + id + "/members/" + mallory().address().to_string(),
           R"({"ipv4":["10.1.0.77/24"]})");
  EXPECT_EQ(s4, 409);
  EXPECT_EQ(conflict["error"], "already_exists");

  auto [s5, deauthorized] = call("POST", base + "/deauthorize");
  EXPECT_EQ(s5, 200);
  EXPECT_EQ(deauthorized["authorized"], false);
  EXPECT_EQ(call("GET", base).second["authorized"], false);
  EXPECT_EQ(call("DELETE", base).first, 200);
  EXPECT_EQ(call("GET", base).first, 404);
  EXPECT_EQ(call("POST", base + "/deauthorize").first, 404);
}

TEST_F(AdminApiTest, MissingOrWrongTokenIs401) {
  httplib::Client anonymous("127.0.0.1", server_->port());
  auto r = anonymous.Get("/v1/networks");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"], "unauthorized");
  httplib::Client wrong("127.0.0.1", server_->port());
  wrong.set_bearer_token_auth("0123456789abcdef0123456789abcdeF");
  EXPECT_EQ(wrong.Get("/v1/networks")->status, 401);
  wrong.set_bearer_token_auth(std::string(kToken) + "0");
  EXPECT_EQ(wrong.Post("/v1/networks", R"({"name":"x"})", "application/json")->status, 401);
  httplib::Client basic("127.0.0.1", server_->port());
  basic.set_basic_auth("admin", std::string(kToken));
  EXPECT_EQ(basic.Get("/v1/networks")->status, 401);
  EXPECT_TRUE(call("GET", "/v1/networks").second["networks"].empty());  // nothing was created
}

TEST_F(AdminApiTest, MalformedRequestsAre400WithAMessage) {
  auto [s1, b1] = call("POST", "/v1/networks", R"({"name": "lab",)");
  EXPECT_EQ(s1, 400);
  EXPECT_EQ(b1["error"], "malformed");
  EXPECT_FALSE(b1["message"].get<std::string>().empty());
  auto [s2, b2] = call("POST", "/v1/networks", R"({"name": 5})");
  EXPECT_EQ(s2, 400);
  EXPECT_NE(b2["message"].get<std::string>().find("name"), std::string::npos);
  auto [s3, b3] = call("POST", "/v1/networks", R"({"name":"x","ipv4_pools":["10.1.0.0/33"]})");
  EXPECT_EQ(s3, 400);
  EXPECT_NE(b3["message"].get<std::string>().find("pool"), std::string::npos);
  auto [s4, b4] = call("POST", "/v1/networks", R"({"name":"x","mtu":100})");
  EXPECT_EQ(s4, 400);
  EXPECT_EQ(b4["error"], "invalid_argument");
  EXPECT_EQ(call("POST", "/v1/networks", "[1,2,3]").first, 400);
  EXPECT_EQ(call("GET", "/v1/networks/nothex").first, 400);
  EXPECT_EQ(call("GET", "/v2/anything").first, 404);
  const std::string id = create_lab();
  EXPECT_EQ(call("PATCH", "/v1/networks/" + id + "/members/" + bob().address().to_string(),
                 R"({"ipv4":["10.1.0.300"]})")
                .first,
            400);
}

TEST_F(AdminApiTest, NonLoopbackHostIs403) {
  httplib::Client c("127.0.0.1", server_->port());
  c.set_bearer_token_auth(std::string(kToken));
  auto r = c.Get("/v1/networks", {{"Host", "attacker.example:80"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(c.Get("/v1/networks", {{"Host", "localhost:1234"}})->status, 200);
}

// The server binds only to loopback, so no test can connect from elsewhere;
// the handler's own source check (defence in depth) is driven directly with
// the remote address a non-loopback client would have.
TEST_F(AdminApiTest, NonLoopbackSourceIs403) {
  AdminHandler handler(*controller_, std::string(kToken));
  AdminHandler::Request r{"GET",         "/v1/networks", "Bearer " + std::string(kToken),
                          "127.0.0.1:1", "192.0.2.7",    ""};
  EXPECT_EQ(handler.handle(r, kT).status, 403);
  r.remote_addr = "::ffff:10.0.0.1";
  EXPECT_EQ(handler.handle(r, kT).status, 403);
  r.remote_addr = "127.0.0.1";
  EXPECT_EQ(handler.handle(r, kT).status, 200);
  r.remote_addr = "::1";
  EXPECT_EQ(handler.handle(r, kT).status, 200);
  r.remote_addr = "::ffff:127.0.0.1";
  EXPECT_EQ(handler.handle(r, kT).status, 200);
  EXPECT_FALSE(AdminHandler::is_loopback_host("127.0.0.1.attacker.example"));
  EXPECT_FALSE(AdminHandler::is_loopback_host(""));
  EXPECT_TRUE(AdminHandler::is_loopback_host("[::1]:8080"));
}

TEST(AdminServer, RefusesNonLoopbackBindsAndLooseTokenFiles) {
  TempDir dir;
  auto store = Store::open(dir.db(), {});
  ASSERT_TRUE(store);
  Controller controller(crypto::Identity::parse(kAliceSecret).value(), std::move(store).value(),
                        {});
  const std::string token = dir.path() + "/token";
  write_token(token, kToken, 0600);
  EXPECT_EQ(AdminServer::start(controller, {"0.0.0.0", 0, token, {}}).error(),
            Error::invalid_argument);
  EXPECT_EQ(AdminServer::start(controller, {"192.0.2.1", 0, token, {}}).error(),
            Error::invalid_argument);
  write_token(token, kToken, 0644);
  EXPECT_EQ(AdminServer::start(controller, {"127.0.0.1", 0, token, {}}).error(),
            Error::insecure_permissions);
  write_token(token, "short", 0600);
  EXPECT_EQ(AdminServer::start(controller, {"127.0.0.1", 0, token, {}}).error(),
            Error::invalid_argument);
  EXPECT_EQ(AdminServer::start(controller, {"127.0.0.1", 0, dir.path() + "/none", {}}).error(),
            Error::not_found);
}

// stop() right after start() must not hang (httplib ignores a stop that comes
// before its accept loop runs) and the thread is joined every time.
TEST(AdminServer, StartStopRepeatedly) {
  TempDir dir;
  auto store = Store::open(dir.db(), {});
  ASSERT_TRUE(store);
  Controller controller(crypto::Identity::parse(kAliceSecret).value(), std::move(store).value(),
                        {});
  const std::string token = dir.path() + "/token";
  write_token(token, kToken, 0600);
  for (int i = 0; i < 20; ++i) {
    auto server = AdminServer::start(controller, {"127.0.0.1", 0, token, {}});
    ASSERT_TRUE(server);
    EXPECT_GT((*server)->port(), 0);
    (*server)->stop();
  }
}

}  // namespace
}  // namespace weft::controller
