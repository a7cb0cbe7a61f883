#include "controller/store.hpp"

#include <array>
#include <string_view>

namespace weft::controller {

namespace {

// Migration i takes the schema from version i to i + 1. Never edit one that has
// shipped; append a new one.
constexpr std::array<std::string_view, Store::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE networks(
  number     INTEGER PRIMARY KEY CHECK(number BETWEEN 1 AND 16777215),
  name       TEXT    NOT NULL,
  private    INTEGER NOT NULL,
  mtu        INTEGER NOT NULL,
  dns_domain TEXT    NOT NULL,
  revision   INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE members(
  network    INTEGER NOT NULL REFERENCES networks(number) ON DELETE CASCADE,
  node       INTEGER NOT NULL,
  identity   TEXT    NOT NULL,
  authorized INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(network, node));
CREATE INDEX members_by_authorized ON members(network, authorized);
CREATE TABLE ipv4_pools(
  network INTEGER NOT NULL REFERENCES networks(number) ON DELETE CASCADE,
  first   INTEGER NOT NULL,
  last    INTEGER NOT NULL,
  prefix  INTEGER NOT NULL);
CREATE TABLE ipv4_assignments(
  network INTEGER NOT NULL,
  node    INTEGER NOT NULL,
  address INTEGER NOT NULL,
  prefix  INTEGER NOT NULL,
  PRIMARY KEY(network, address),
  FOREIGN KEY(network, node) REFERENCES members(network, node) ON DELETE CASCADE);
CREATE TABLE routes(
  network INTEGER NOT NULL REFERENCES networks(number) ON DELETE CASCADE,
  ipv6    INTEGER NOT NULL,
  target  BLOB    NOT NULL,
  prefix  INTEGER NOT NULL,
  via     BLOB    NOT NULL);
CREATE TABLE revocations(
  network      INTEGER NOT NULL REFERENCES networks(number) ON DELETE CASCADE,
  node         INTEGER NOT NULL,
  threshold_ms INTEGER NOT NULL,
  PRIMARY KEY(network, node));
)sql",
};

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

template <typename T, typename Read>
Result<std::vector<T>> collect(Statement& s, Read read) {
  std::vector<T> out;
  while (true) {
    auto row = s.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read(s));
  }
}

NetworkRow read_network(const Statement& s) {
  return {static_cast<std::uint32_t>(s.int64(0)),
          s.text(1),
          s.int64(2) != 0,
          static_cast<std::uint16_t>(s.int64(3)),
          s.text(4),
          u64(s.int64(5)),
          u64(s.int64(6))};
}
constexpr std::string_view kNetworkColumns =
    "SELECT number, name, private, mtu, dns_domain, revision, created_ms FROM networks";

MemberRow read_member(const Statement& s) {
  return {u64(s.int64(0)), s.text(1), s.int64(2) != 0, s.text(3), u64(s.int64(4)), u64(s.int64(5))};
}

}  // namespace

Result<Store> Store::open(const std::string& path, Options options) {
  auto db = Database::open(path, options.busy_timeout_ms);
  if (!db) return db.error();
  Store store(std::make_unique<Database>(std::move(db).value()));
  // WAL: readers never block the writer; FULL: the WAL is fsynced at every
  // commit, so a committed change survives kill -9 and power loss.
  WEFT_TRY(store.db_->exec("PRAGMA journal_mode=WAL"));
  WEFT_TRY(store.db_->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"));
  WEFT_TRY(store.migrate());
  return store;
}

Result<int> Store::schema_version() {
  auto s = db_->prepare("SELECT version FROM schema_version");
  if (!s) return s.error();
  auto row = s->step();
  if (!row) return row.error();
  if (!*row) return 0;
  return static_cast<int>(s->int64(0));
}

Result<void> Store::migrate() {
  return write([&]() -> Result<void> {
    WEFT_TRY(db_->exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
    auto version = schema_version();
    if (!version) return version.error();
    if (*version > kSchemaVersion) return Error::unsupported_version;
    for (int v = *version; v < kSchemaVersion; ++v)
      WEFT_TRY(db_->exec(kMigrations[static_cast<std::size_t>(v)]));
    if (*version == kSchemaVersion) return {};
    WEFT_TRY(db_->exec("DELETE FROM schema_version"));
    auto s = db_->prepare("INSERT INTO schema_version(version) VALUES(?1)");
    if (!s) return s.error();
    return s->bind(1, std::int64_t{kSchemaVersion}).run();
  });
}

Result<void> Store::write(const std::function<Result<void>()>& body) {
  auto tx = Transaction::begin(*db_);
  if (!tx) return tx.error();
  WEFT_TRY(body());
  return tx->commit();
}

Result<std::vector<NetworkRow>> Store::networks() {
  auto s = db_->prepare(std::string(kNetworkColumns) + " ORDER BY number");
  if (!s) return s.error();
  return collect<NetworkRow>(*s, read_network);
}

Result<NetworkRow> Store::network(std::uint32_t number) {
  auto s = db_->prepare(std::string(kNetworkColumns) + " WHERE number = ?1");
  if (!s) return s.error();
  auto rows = collect<NetworkRow>(s->bind(1, std::int64_t{number}), read_network);
  if (!rows) return rows.error();
  if (rows->empty()) return Error::not_found;
  return rows->front();
}

Result<std::int64_t> Store::network_count() {
  auto s = db_->prepare("SELECT count(*) FROM networks");
  if (!s) return s.error();
  auto row = s->step();
  if (!row) return row.error();
  return s->int64(0);
}

Result<void> Store::insert_network(const NetworkRow& r) {
  auto s = db_->prepare(
      "INSERT INTO networks(number, name, private, mtu, dns_domain, revision, created_ms)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return s.error();
  return s->bind(1, std::int64_t{r.number})
      .bind(2, r.name)
      .bind(3, std::int64_t{r.is_private ? 1 : 0})
      .bind(4, std::int64_t{r.mtu})
      .bind(5, r.dns_domain)
      .bind(6, i64(r.revision))
      .bind(7, i64(r.created_ms))
      .run();
}

Result<void> Store::delete_network(std::uint32_t number) {
  auto s = db_->prepare("DELETE FROM networks WHERE number = ?1");
  if (!s) return s.error();
  WEFT_TRY(s->bind(1, std::int64_t{number}).run());
  if (db_->changes() == 0) return Error::not_found;
  return {};
}

Result<std::uint64_t> Store::bump_revision(std::uint32_t number) {
  auto s = db_->prepare(
      "UPDATE networks SET revision = revision + 1 WHERE number = ?1 RETURNING revision");
  if (!s) return s.error();
  auto row = s->bind(1, std::int64_t{number}).step();
  if (!row) return row.error();
  if (!*row) return Error::not_found;
  const std::uint64_t revision = u64(s->int64(0));
  WEFT_TRY(s->run());
  return revision;
}

Result<std::vector<MemberRow>> Store::members(std::uint32_t network) {
  auto s = db_->prepare(
      "SELECT node, identity, authorized, name, created_ms, updated_ms FROM members"
      " WHERE network = ?1 ORDER BY node");
  if (!s) return s.error();
  return collect<MemberRow>(s->bind(1, std::int64_t{network}), read_member);
}

Result<std::optional<MemberRow>> Store::member(std::uint32_t network, std::uint64_t node) {
  auto s = db_->prepare(
      "SELECT node, identity, authorized, name, created_ms, updated_ms FROM members"
      " WHERE network = ?1 AND node = ?2");
  if (!s) return s.error();
  auto rows = collect<MemberRow>(s->bind(1, std::int64_t{network}).bind(2, i64(node)), read_member);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<MemberRow>{};
  return std::optional<MemberRow>{rows->front()};
}

Result<std::int64_t> Store::member_count(std::uint32_t network, bool authorized) {
  auto s = db_->prepare("SELECT count(*) FROM members WHERE network = ?1 AND authorized = ?2");
  if (!s) return s.error();
  auto row = s->bind(1, std::int64_t{network}).bind(2, std::int64_t{authorized ? 1 : 0}).step();
  if (!row) return row.error();
  return s->int64(0);
}

Result<void> Store::put_member(std::uint32_t network, const MemberRow& r) {
  // An upsert, not INSERT OR REPLACE: a replace would delete the row first and
  // cascade the member's address assignments away.
  auto s = db_->prepare(
      "INSERT INTO members(network, node, identity, authorized, name, created_ms, updated_ms)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(network, node) DO UPDATE SET"
      " identity = excluded.identity, authorized = excluded.authorized, name = excluded.name,"
      " updated_ms = excluded.updated_ms");
  if (!s) return s.error();
  return s->bind(1, std::int64_t{network})
      .bind(2, i64(r.node))
      .bind(3, r.identity)
      .bind(4, std::int64_t{r.authorized ? 1 : 0})
      .bind(5, r.name)
      .bind(6, i64(r.created_ms))
      .bind(7, i64(r.updated_ms))
      .run();
}

Result<void> Store::delete_member(std::uint32_t network, std::uint64_t node) {
  auto s = db_->prepare("DELETE FROM members WHERE network = ?1 AND node = ?2");
  if (!s) return s.error();
  WEFT_TRY(s->bind(1, std::int64_t{network}).bind(2, i64(node)).run());
  if (db_->changes() == 0) return Error::not_found;
  return {};
}

Result<std::vector<Ipv4Pool>> Store::pools(std::uint32_t network) {
  auto s =
      db_->prepare("SELECT first, last, prefix FROM ipv4_pools WHERE network = ?1 ORDER BY rowid");
  if (!s) return s.error();
  return collect<Ipv4Pool>(s->bind(1, std::int64_t{network}), [](const Statement& st) {
    return Ipv4Pool{static_cast<std::uint32_t>(st.int64(0)),
                    static_cast<std::uint32_t>(st.int64(1)),
                    static_cast<std::uint8_t>(st.int64(2))};
  });
}

Result<void> Store::add_pool(std::uint32_t network, const Ipv4Pool& p) {
  auto s = db_->prepare("INSERT INTO ipv4_pools(network, first, last, prefix) VALUES(?1,?2,?3,?4)");
  if (!s) return s.error();
  return s->bind(1, std::int64_t{network})
      .bind(2, std::int64_t{p.first})
      .bind(3, std::int64_t{p.last})
      .bind(4, std::int64_t{p.prefix})
      .run();
}

Result<std::vector<Ipv4Row>> Store::ipv4(std::uint32_t network) {
  auto s = db_->prepare(
      "SELECT node, address, prefix FROM ipv4_assignments WHERE network = ?1"
      " ORDER BY node, address");
  if (!s) return s.error();
  return collect<Ipv4Row>(s->bind(1, std::int64_t{network}), [](const Statement& st) {
    return Ipv4Row{u64(st.int64(0)), static_cast<std::uint32_t>(st.int64(1)),
                   static_cast<std::uint8_t>(st.int64(2))};
  });
}

Result<void> Store::set_ipv4(std::uint32_t network, std::uint64_t node,
                             const std::vector<Ipv4Row>& addresses) {
  auto del = db_->prepare("DELETE FROM ipv4_assignments WHERE network = ?1 AND node = ?2");
  if (!del) return del.error();
  WEFT_TRY(del->bind(1, std::int64_t{network}).bind(2, i64(node)).run());
  auto ins = db_->prepare(
      "INSERT INTO ipv4_assignments(network, node, address, prefix) VALUES(?1,?2,?3,?4)");
  if (!ins) return ins.error();
  for (const auto& a : addresses) {
    ins->reset();
    // The primary key (network, address) refuses an address another member holds.
    WEFT_TRY(ins->bind(1, std::int64_t{network})
                 .bind(2, i64(node))
                 .bind(3, std::int64_t{a.address})
                 .bind(4, std::int64_t{a.prefix})
                 .run());
  }
  return {};
}

Result<std::vector<wire::ManagedRoute>> Store::routes(std::uint32_t network) {
  auto s = db_->prepare(
      "SELECT ipv6, target, prefix, via FROM routes WHERE network = ?1 ORDER BY rowid");
  if (!s) return s.error();
  return collect<wire::ManagedRoute>(s->bind(1, std::int64_t{network}), [](const Statement& st) {
    wire::ManagedRoute r;
    r.ipv6 = st.int64(0) != 0;
    const Bytes target = st.blob(1);
    const Bytes via = st.blob(3);
    std::copy_n(target.begin(), std::min(target.size(), r.target.size()), r.target.begin());
    std::copy_n(via.begin(), std::min(via.size(), r.via.size()), r.via.begin());
    r.prefix = static_cast<std::uint8_t>(st.int64(2));
    return r;
  });
}

Result<void> Store::add_route(std::uint32_t network, const wire::ManagedRoute& r) {
  auto s =
      db_->prepare("INSERT INTO routes(network, ipv6, target, prefix, via) VALUES(?1,?2,?3,?4,?5)");
  if (!s) return s.error();
  return s->bind(1, std::int64_t{network})
      .bind(2, std::int64_t{r.ipv6 ? 1 : 0})
      .bind(3, ByteSpan(r.target))
      .bind(4, std::int64_t{r.prefix})
      .bind(5, ByteSpan(r.via))
      .run();
}

Result<void> Store::revoke(std::uint32_t network, std::uint64_t node, std::uint64_t threshold_ms) {
  auto s = db_->prepare(
      "INSERT INTO revocations(network, node, threshold_ms) VALUES(?1,?2,?3)"
      " ON CONFLICT(network, node) DO UPDATE SET"
      " threshold_ms = max(threshold_ms, excluded.threshold_ms)");
  if (!s) return s.error();
  return s->bind(1, std::int64_t{network}).bind(2, i64(node)).bind(3, i64(threshold_ms)).run();
}

Result<std::optional<std::uint64_t>> Store::revocation(std::uint32_t network, std::uint64_t node) {
  auto s = db_->prepare("SELECT threshold_ms FROM revocations WHERE network = ?1 AND node = ?2");
  if (!s) return s.error();
  auto row = s->bind(1, std::int64_t{network}).bind(2, i64(node)).step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{u64(s->int64(0))};
}

}  // namespace weft::controller
