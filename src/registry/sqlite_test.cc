#include "registry/sqlite.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::registry::sqlite {
namespace {

using std::chrono::milliseconds;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("graft-sqlite-test-");
    ASSERT_TRUE(dir.has_value());
    dir_ = std::move(*dir);
    auto connection = Connection::open(dir_->path() / "t.db", milliseconds(100));
    ASSERT_TRUE(connection.has_value()) << connection.error().message();
    connection_ = std::move(*connection);
    ASSERT_TRUE(connection_->execute("CREATE TABLE t (x INTEGER, y TEXT)").has_value());
  }

  std::int64_t rows() {
    auto count = connection_->prepare("SELECT count(*) FROM t");
    return count && count->step().value_or(false) ? count->column_int(0) : -1;
  }

  std::optional<base::TempDir> dir_;
  std::optional<Connection> connection_;
};

TEST_F(SqliteTest, ValuesRoundTripThroughBindAndColumns) {
  auto insert = connection_->prepare("INSERT INTO t (x, y) VALUES (?, ?)");
  ASSERT_TRUE(insert.has_value());
  ASSERT_TRUE(insert->bind_all(std::int64_t{-5}, std::string_view("a\0b", 3)).run());
  insert->reset();
  ASSERT_TRUE(insert->bind_all(std::optional<std::int64_t>(), std::optional<std::string>()).run());
  EXPECT_EQ(connection_->last_insert_id(), 2);
  EXPECT_EQ(connection_->changes(), 1);
  auto select = connection_->prepare("SELECT x, y FROM t ORDER BY rowid");
  ASSERT_TRUE(select.has_value());
  ASSERT_TRUE(select->step().value_or(false));
  EXPECT_EQ(select->column_int(0), -5);
  EXPECT_EQ(select->column_text(1), std::string("a\0b", 3));
  ASSERT_TRUE(select->step().value_or(false));
  EXPECT_TRUE(select->column_is_null(0));
  EXPECT_EQ(select->column_text(1), "");
  EXPECT_FALSE(select->step().value_or(true));
}

TEST_F(SqliteTest, ABindErrorIsReturnedByTheNextStep) {
  auto insert = connection_->prepare("INSERT INTO t (x) VALUES (?)");
  ASSERT_TRUE(insert.has_value());
  auto ran = insert->bind(1, std::int64_t{1}).bind(2, std::int64_t{2}).run();
  ASSERT_FALSE(ran.has_value());
  EXPECT_EQ(ran.error().code(), ErrorCode::kInternal);
  EXPECT_NE(ran.error().message().find("binding a value in the registry"), std::string::npos)
      << ran.error().message();
  EXPECT_EQ(rows(), 0);
  insert->reset();  // clears the kept error
  EXPECT_TRUE(insert->bind(1, std::int64_t{1}).run().has_value());
  EXPECT_EQ(rows(), 1);
}

TEST_F(SqliteTest, ABadStatementIsAnInternalError) {
  auto bad = connection_->prepare("SELEKT 1");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(bad.error().message(), "preparing a statement in the registry '" +
                                       (dir_->path() / "t.db").string() +
                                       "': near \"SELEKT\": syntax error");
}

TEST_F(SqliteTest, ATransactionRollsBackUnlessCommitted) {
  {
    auto transaction = Transaction::begin(*connection_);
    ASSERT_TRUE(transaction.has_value());
    ASSERT_TRUE(connection_->execute("INSERT INTO t (x) VALUES (1)"));
  }
  EXPECT_EQ(rows(), 0);
  auto transaction = Transaction::begin(*connection_);
  ASSERT_TRUE(transaction.has_value());
  ASSERT_TRUE(connection_->execute("INSERT INTO t (x) VALUES (1)"));
  ASSERT_TRUE(transaction->commit());
  EXPECT_EQ(rows(), 1);
}

TEST_F(SqliteTest, ABrokenConstraintIsAConflict) {
  ASSERT_TRUE(connection_->execute("CREATE TABLE u (k TEXT PRIMARY KEY)"));
  ASSERT_TRUE(connection_->execute("INSERT INTO u VALUES ('a')"));
  auto again = connection_->execute("INSERT INTO u VALUES ('a')");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
  EXPECT_NE(again.error().message().find("UNIQUE constraint failed: u.k"), std::string::npos)
      << again.error().message();
}

}  // namespace
}  // namespace graft::registry::sqlite
