#include "controller/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "controller_fixture.hpp"

namespace weft::controller {
namespace {

using testing::TempDir;

TEST(Store, CreatesTheSchemaAndKeepsDataAcrossReopen) {
  TempDir dir;
  {
    auto store = Store::open(dir.db(), {});
    ASSERT_TRUE(store) << name(store.error());
    EXPECT_EQ(*store->schema_version(), Store::kSchemaVersion);
    ASSERT_TRUE(store->write([&]() -> Result<void> {
      WEFT_TRY(store->insert_network({5, "lab", true, 2800, "lab.weft", 1, 1000}));
      WEFT_TRY(store->put_member(5, {0x1122334455, "id", true, "alice", 1000, 1000}));
      return store->add_pool(5, {0x0a000001, 0x0a0000fe, 24});
    }));
  }
  auto store = Store::open(dir.db(), {});
  ASSERT_TRUE(store);
  auto net = store->network(5);
  ASSERT_TRUE(net);
  EXPECT_EQ(net->name, "lab");
  EXPECT_EQ(net->dns_domain, "lab.weft");
  auto member = store->member(5, 0x1122334455);
  ASSERT_TRUE(member && *member);
  EXPECT_EQ((*member)->name, "alice");
  EXPECT_EQ(store->pools(5)->size(), 1U);
  EXPECT_EQ(store->network(6).error(), Error::not_found);
}

TEST(Store, FailedBodyRollsBackEverything) {
  TempDir dir;
  auto store = Store::open(dir.db(), {});
  ASSERT_TRUE(store);
  auto r = store->write([&]() -> Result<void> {
    WEFT_TRY(store->insert_network({5, "lab", true, 2800, "", 1, 1000}));
    return Error::invalid_argument;
  });
  EXPECT_EQ(r.error(), Error::invalid_argument);
  EXPECT_EQ(store->network(5).error(), Error::not_found);
}

TEST(Store, AnAddressIsHeldByOneMemberOnly) {
  TempDir dir;
  auto store = Store::open(dir.db(), {});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write([&]() -> Result<void> {
    WEFT_TRY(store->insert_network({5, "lab", true, 2800, "", 1, 1000}));
    WEFT_TRY(store->put_member(5, {1, "", true, "", 0, 0}));
    WEFT_TRY(store->put_member(5, {2, "", true, "", 0, 0}));
    return store->set_ipv4(5, 1, {{1, 0x0a000005, 24}});
  }));
  EXPECT_EQ(store->write([&] {
                   return store->set_ipv4(5, 2, {{2, 0x0a000005, 24}});
                 })
                .error(),
            Error::already_exists);
  // Deleting the member releases the address.
  ASSERT_TRUE(store->write([&] { return store->delete_member(5, 1); }));
  EXPECT_TRUE(store->write([&] { return store->set_ipv4(5, 2, {{2, 0x0a000005, 24}}); }));
}

TEST(Store, RevocationThresholdsOnlyRise) {
  TempDir dir;
  auto store = Store::open(dir.db(), {});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->write([&]() -> Result<void> {
    WEFT_TRY(store->insert_network({5, "lab", true, 2800, "", 1, 1000}));
    WEFT_TRY(store->revoke(5, 7, 2000));
    return store->revoke(5, 7, 1500);
  }));
  EXPECT_EQ(**store->revocation(5, 7), 2000U);
  EXPECT_FALSE(*store->revocation(5, 8));
}

// Another process holding the write lock: a clear Error::busy, at open (the
// migration check writes) and for a mutation on an open store; nothing crashes
// and the store works again once the lock is gone.
TEST(Store, LockedDatabaseIsBusy) {
  TempDir dir;
  auto store = Store::open(dir.db(), {.busy_timeout_ms = 50});
  ASSERT_TRUE(store);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.db().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);

  EXPECT_EQ(Store::open(dir.db(), {.busy_timeout_ms = 50}).error(), Error::busy);
  EXPECT_EQ(store->write([&] {
                   return store->insert_network({5, "lab", true, 2800, "", 1, 0});
                 })
                .error(),
            Error::busy);
  EXPECT_FALSE(store->last_message().empty());

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(store->write([&] {
    return store->insert_network({5, "lab", true, 2800, "", 1, 0});
  }));
}

TEST(Store, GarbageFileIsMalformed) {
  TempDir dir;
  {
    std::ofstream f(dir.db(), std::ios::binary);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  auto store = Store::open(dir.db(), {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), Error::malformed);
}

TEST(Store, NewerSchemaIsRefused) {
  TempDir dir;
  ASSERT_TRUE(Store::open(dir.db(), {}));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.db().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(Store::open(dir.db(), {}).error(), Error::unsupported_version);
}

TEST(Store, UnwritableDirectoryIsAClearError) {
  auto store = Store::open("/nonexistent-dir/controller.db", {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error(), Error::permission_denied);
}

}  // namespace
}  // namespace weft::controller
