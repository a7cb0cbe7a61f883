#pragma once

// The controller's durable state in one SQLite file (schema: store.cpp).
//
// Durability: WAL journal with synchronous=FULL, so a committed transaction is
// on disk before commit returns and survives kill -9 or a power cut; every
// mutation the controller makes runs inside one transaction (Store::write), so a
// crash leaves the state of before or after it, never between. A file another
// process holds locked is Error::busy after busy_timeout_ms; a file that is not a
// SQLite database (or is damaged) is Error::malformed, from open() or from the
// first statement that notices; never a crash.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/network_id.hpp"
#include "base/node_id.hpp"
#include "base/result.hpp"
#include "controller/sqlite.hpp"
#include "wire/network_config.hpp"

namespace weft::controller {

struct NetworkRow {
  std::uint32_t number{0};
  std::string name;
  bool is_private{true};
  std::uint16_t mtu{2800};
  std::string dns_domain;
  std::uint64_t revision{0};
  std::uint64_t created_ms{0};
};

struct MemberRow {
  std::uint64_t node{0};  // NodeId::value()
  std::string identity;   // PublicIdentity text; empty until a pre-authorized member asks
  bool authorized{false};
  std::string name;  // a DNS label, or empty
  std::uint64_t created_ms{0};
  std::uint64_t updated_ms{0};
};

// An inclusive range of IPv4 addresses (host order) and the prefix length its
// members are told.
struct Ipv4Pool {
  std::uint32_t first{0};
  std::uint32_t last{0};
  std::uint8_t prefix{24};
  bool operator==(const Ipv4Pool&) const = default;
};

struct Ipv4Row {
  std::uint64_t node{0};
  std::uint32_t address{0};  // host order
  std::uint8_t prefix{0};
};

class Store {
 public:
  static constexpr int kSchemaVersion = 1;

  struct Options {
    int busy_timeout_ms = 2000;
  };

  // Opens or creates the file, applies pending migrations. Error::busy,
  // Error::malformed, Error::permission_denied, Error::io, or
  // Error::unsupported_version for a file written by a newer schema.
  static Result<Store> open(const std::string& path, Options options);

  // Runs body inside one IMMEDIATE transaction; commits when it returns ok,
  // rolls back otherwise (and when the commit fails).
  Result<void> write(const std::function<Result<void>()>& body);

  [[nodiscard]] const std::string& last_message() const noexcept { return db_->last_message(); }
  Result<int> schema_version();

  // ---- networks
  Result<std::vector<NetworkRow>> networks();
  Result<NetworkRow> network(std::uint32_t number);  // Error::not_found
  Result<std::int64_t> network_count();
  Result<void> insert_network(const NetworkRow& row);
  Result<void> delete_network(std::uint32_t number);  // cascades; Error::not_found
  // Raises the revision by one and returns the new value.
  Result<std::uint64_t> bump_revision(std::uint32_t number);

  // ---- members
  Result<std::vector<MemberRow>> members(std::uint32_t network);
  Result<std::optional<MemberRow>> member(std::uint32_t network, std::uint64_t node);
  Result<std::int64_t> member_count(std::uint32_t network, bool authorized);
  Result<void> put_member(std::uint32_t network, const MemberRow& row);  // insert or replace
  Result<void> delete_member(std::uint32_t network, std::uint64_t node);

  // ---- IPv4
  Result<std::vector<Ipv4Pool>> pools(std::uint32_t network);
  Result<void> add_pool(std::uint32_t network, const Ipv4Pool& pool);
  Result<std::vector<Ipv4Row>> ipv4(std::uint32_t network);  // every member's
  Result<void> set_ipv4(std::uint32_t network, std::uint64_t node,
                        const std::vector<Ipv4Row>& addresses);  // replaces the member's

  // ---- routes
  Result<std::vector<wire::ManagedRoute>> routes(std::uint32_t network);
  Result<void> add_route(std::uint32_t network, const wire::ManagedRoute& route);

  // ---- revocations (thresholds only rise)
  Result<void> revoke(std::uint32_t network, std::uint64_t node, std::uint64_t threshold_ms);
  Result<std::optional<std::uint64_t>> revocation(std::uint32_t network, std::uint64_t node);

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<void> migrate();

  std::unique_ptr<Database> db_;  // heap: statements point at it across moves of Store
};

}  // namespace weft::controller
