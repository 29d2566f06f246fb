#include "registry/schema.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "base/fs.h"
#include "registry/registry.h"
#include "registry/test_fixture.h"

namespace graft::registry {
namespace {

using std::chrono::milliseconds;
using testing::RegistryTest;

std::set<std::string> tables(sqlite::Connection& connection) {
  auto query = connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'");
  EXPECT_TRUE(query.has_value());
  std::set<std::string> names;
  while (query && query->step().value_or(false)) names.insert(query->column_text(0));
  return names;
}

std::string pragma(sqlite::Connection& connection, std::string_view name) {
  auto query = connection.prepare(std::string("PRAGMA ") + std::string(name));
  if (!query || !query->step().value_or(false)) return "?";
  return query->column_text(0);
}

// A second schema version, as a future graft would add it.
Status add_notes(sqlite::Connection& connection) {
  return connection.execute("ALTER TABLE experiments ADD COLUMN notes TEXT NOT NULL DEFAULT ''");
}

std::vector<Migration> with_version_2() {
  std::vector<Migration> list(migrations().begin(), migrations().end());
  list.push_back({.version = 2, .apply = add_notes});
  return list;
}

TEST_F(RegistryTest, CreatesEveryTableAtTheLatestVersionInWalMode) {
  EXPECT_EQ(registry_->schema_version(), 1);
  EXPECT_EQ(migrations().back().version, 1);
  auto connection = sqlite::Connection::open(path_, milliseconds(100));
  ASSERT_TRUE(connection.has_value());
  EXPECT_EQ(tables(*connection),
            (std::set<std::string>{"assignments", "decisions", "experiments", "feedback",
                                   "schema_version", "steps", "variants"}));
  EXPECT_EQ(pragma(*connection, "journal_mode"), "wal");
  auto version = schema_version(*connection);
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, 1);
}

TEST_F(RegistryTest, ReopeningAVersion1RegistryKeepsItsRecords) {
  create("ctr-v3");
  registry_.reset();
  auto reopened = Registry::open(path_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  EXPECT_EQ(reopened->schema_version(), 1);
  EXPECT_TRUE(reopened->find("ctr-v3").has_value());
}

TEST_F(RegistryTest, MigratesAVersion1DatabaseToVersion2InOrder) {
  create("ctr-v3");
  registry_.reset();
  auto connection = sqlite::Connection::open(path_, milliseconds(100));
  ASSERT_TRUE(connection.has_value());
  const auto list = with_version_2();
  auto migrated = migrate(*connection, list);
  ASSERT_TRUE(migrated.has_value()) << migrated.error().message();
  EXPECT_EQ(*migrated, 2);
  EXPECT_EQ(schema_version(*connection).value_or(0), 2);
  auto notes = connection->prepare("SELECT name, notes FROM experiments");
  ASSERT_TRUE(notes.has_value()) << notes.error().message();
  ASSERT_TRUE(notes->step().value_or(false));
  EXPECT_EQ(notes->column_text(0), "ctr-v3");
  // Running the same migrations again changes nothing.
  EXPECT_EQ(migrate(*connection, list).value_or(0), 2);
}

TEST_F(RegistryTest, AMigrationThatFailsLeavesTheOldVersion) {
  registry_.reset();
  auto connection = sqlite::Connection::open(path_, milliseconds(100));
  ASSERT_TRUE(connection.has_value());
  auto list = with_version_2();
  list.push_back({.version = 3, .apply = [](sqlite::Connection& c) {
                    return c.execute("ALTER TABLE no_such_table ADD COLUMN x");
                  }});
  auto migrated = migrate(*connection, list);
  ASSERT_FALSE(migrated.has_value());
  EXPECT_EQ(migrated.error().code(), ErrorCode::kInternal);
  EXPECT_TRUE(migrated.error().message().starts_with("migrating to version 3: "))
      << migrated.error().message();
  EXPECT_EQ(schema_version(*connection).value_or(0), 1);
  EXPECT_FALSE(tables(*connection).empty());
  EXPECT_FALSE(connection->prepare("SELECT notes FROM experiments").has_value());
}

TEST_F(RegistryTest, RefusesARegistryFromANewerGraft) {
  registry_.reset();
  {
    auto connection = sqlite::Connection::open(path_, milliseconds(100));
    ASSERT_TRUE(connection.has_value());
    ASSERT_TRUE(migrate(*connection, with_version_2()).has_value());
  }
  auto opened = Registry::open(path_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(opened.error().message(),
            "the registry '" + path_.string() +
                "' has schema version 2, newer than this graft knows (1): a newer graft wrote it");
  EXPECT_FALSE(opened.error().hint().empty());
}

TEST_F(RegistryTest, RefusesAnSqliteFileThatIsNotARegistry) {
  registry_.reset();
  const auto other = dir_->path() / "other.db";
  {
    auto connection = sqlite::Connection::open(other, milliseconds(100));
    ASSERT_TRUE(connection.has_value());
    ASSERT_TRUE(connection->execute("CREATE TABLE photos (id INTEGER)").has_value());
  }
  auto opened = Registry::open(other);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(opened.error().message(),
            "'" + other.string() + "' is not a graft registry: it has no schema version");
}

TEST_F(RegistryTest, ACorruptFileIsAClearErrorNamingIt) {
  registry_.reset();
  const auto garbage = dir_->path() / "garbage.db";
  ASSERT_TRUE(base::write_file_atomic(garbage, std::string(8192, 'x'), base::Durability::kNoFsync));
  auto opened = Registry::open(garbage);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(opened.error().message(),
            "'" + garbage.string() + "' is not a graft registry: file is not a database");
  EXPECT_EQ(opened.error().hint(), "move the file aside; graft starts a new registry in its place");
}

TEST_F(RegistryTest, ADamagedPageIsReportedNotACrash) {
  create("ctr-v3");
  registry_.reset();
  // Checkpoint the WAL into the main file, then overwrite the pages after the header.
  {
    auto connection = sqlite::Connection::open(path_, milliseconds(100));
    ASSERT_TRUE(connection.has_value());
    ASSERT_TRUE(connection->execute("PRAGMA wal_checkpoint(TRUNCATE)").has_value());
  }
  auto bytes = base::read_file(path_);
  ASSERT_TRUE(bytes.has_value());
  ASSERT_GT(bytes->size(), 4096u);
  for (std::size_t i = 100; i < bytes->size(); ++i) (*bytes)[i] = static_cast<char>(0xA5);
  ASSERT_TRUE(base::write_file_atomic(path_, *bytes, base::Durability::kNoFsync));
  auto opened = Registry::open(path_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(opened.error().message().find(path_.string()), std::string::npos)
      << opened.error().message();
}

TEST(RegistryOpen, AnUnwritableLocationIsAnIoError) {
  auto opened = Registry::open("/proc/graft-registry-test/graft.db");
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace graft::registry
