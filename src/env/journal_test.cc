#include "env/journal.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "env/testing.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::write_text;

class JournalTest : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    prefix_ = dir_->path() / "env";
    write_text(prefix_ / "conda-meta/old-1-0.json", "{}");
    write_text(prefix_ / "conda-meta/history", "==> old <==\n");
    write_text(prefix_ / "lib/a.txt", "old a\n");
    write_text(prefix_ / "lib/b.txt", "old b\n");
  }

  // A change cut short: old files moved aside, some new ones written, history appended;
  // the Journal is then dropped as a killed process would drop it.
  void half_done_change() {
    Journal journal(prefix_);
    ASSERT_TRUE(journal.begin());
    ASSERT_TRUE(journal.move_aside("lib/a.txt"));
    ASSERT_TRUE(journal.move_aside("lib/b.txt"));
    ASSERT_TRUE(journal.move_aside("conda-meta/old-1-0.json"));
    ASSERT_TRUE(journal.record_created_directory("share"));
    fs::create_directories(prefix_ / "share");
    for (const std::string file : {"lib/a.txt", "share/new.txt", "conda-meta/new-2-0.json"}) {
      ASSERT_TRUE(journal.record_created(file));
      write_text(prefix_ / file, "new\n");
    }
    write_text(prefix_ / "conda-meta/history", "==> old <==\n==> new <==\n");
  }

  // Every file under the prefix, for before/after comparisons.
  std::vector<std::string> files() {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(prefix_)) {
      out.push_back(fs::relative(entry.path(), prefix_).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path prefix_;
};

TEST_F(JournalTest, WithoutAJournalThereIsNothingToRecover) {
  EXPECT_FALSE(has_journal(prefix_));
  auto recovered = recover_journal(prefix_);
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, Recovery::kNothing);
}

TEST_F(JournalTest, RecoveryRollsBackTheChangeOfADeadProcess) {
  const std::vector<std::string> before = files();
  half_done_change();
  ASSERT_TRUE(has_journal(prefix_));
  auto recovered = recover_journal(prefix_);
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, Recovery::kRolledBack);
  EXPECT_EQ(files(), before);
  EXPECT_EQ(read_text(prefix_ / "lib/a.txt"), "old a\n");
  EXPECT_EQ(read_text(prefix_ / "lib/b.txt"), "old b\n");
  EXPECT_EQ(read_text(prefix_ / "conda-meta/history"), "==> old <==\n");
  EXPECT_FALSE(has_journal(prefix_));
  EXPECT_EQ(*recover_journal(prefix_), Recovery::kNothing) << "recovering twice is harmless";
}

TEST_F(JournalTest, RecoveryCompletesACommittedChange) {
  half_done_change();
  const fs::path log = prefix_ / "conda-meta" / kJournalName;
  write_text(log, read_text(log) + "commit\n");
  auto recovered = recover_journal(prefix_);
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, Recovery::kCompleted);
  EXPECT_EQ(read_text(prefix_ / "lib/a.txt"), "new\n");
  EXPECT_FALSE(fs::exists(prefix_ / "lib/b.txt"));
  EXPECT_TRUE(fs::exists(prefix_ / "share/new.txt"));
  for (const std::string& file : files()) {
    EXPECT_THAT(file, ::testing::Not(::testing::HasSubstr(kTrashPrefix))) << "trash is gone";
  }
  EXPECT_FALSE(has_journal(prefix_));
}

TEST_F(JournalTest, AMoveLoggedButNeverMadeAndACutLastLineAreSkipped) {
  const fs::path log = prefix_ / "conda-meta" / kJournalName;
  write_text(log, "graft-journal 1\ntrash .graft-trash-1\nH 12\nM 0 lib/a.txt\nC lib/");
  auto recovered = recover_journal(prefix_);
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(*recovered, Recovery::kRolledBack);
  EXPECT_EQ(read_text(prefix_ / "lib/a.txt"), "old a\n") << "not removed: its move never happened";
  EXPECT_TRUE(fs::exists(prefix_ / "lib/b.txt"));
}

TEST_F(JournalTest, AJournalNamingAPathOutsideThePrefixIsRefused) {
  const fs::path log = prefix_ / "conda-meta" / kJournalName;
  write_text(dir_->path() / "outside.txt", "keep\n");
  write_text(log, "graft-journal 1\ntrash .graft-trash-1\nC ../outside.txt\n");
  auto recovered = recover_journal(prefix_);
  ASSERT_FALSE(recovered);
  EXPECT_EQ(recovered.error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(read_text(dir_->path() / "outside.txt"), "keep\n");
}

TEST_F(JournalTest, AnUnknownFormatIsCorruptAndNamesTheFile) {
  const fs::path log = prefix_ / "conda-meta" / kJournalName;
  write_text(log, "something else\n");
  auto recovered = recover_journal(prefix_);
  ASSERT_FALSE(recovered);
  EXPECT_EQ(recovered.error().message(),
            "cannot read the journal '" + log.string() + "': unknown format");
  EXPECT_THAT(recovered.error().hint(), ::testing::HasSubstr("graft verify --repair"));
}

TEST_F(JournalTest, RollbackInProcessRestoresAndRemovesTheLog) {
  const std::vector<std::string> before = files();
  Journal journal(prefix_);
  ASSERT_TRUE(journal.begin());
  ASSERT_TRUE(journal.move_aside("lib/a.txt"));
  ASSERT_TRUE(journal.record_created("lib/a.txt"));
  write_text(prefix_ / "lib/a.txt", "new\n");
  write_text(prefix_ / "conda-meta/history", "==> old <==\n==> new <==\n");
  ASSERT_TRUE(journal.rollback());
  EXPECT_EQ(files(), before);
  EXPECT_EQ(read_text(prefix_ / "lib/a.txt"), "old a\n");
  EXPECT_EQ(read_text(prefix_ / "conda-meta/history"), "==> old <==\n");
}

TEST_F(JournalTest, CommitKeepsTheChangeAndRemovesTrashAndLog) {
  Journal journal(prefix_);
  ASSERT_TRUE(journal.begin());
  ASSERT_TRUE(journal.move_aside("lib/a.txt"));
  ASSERT_TRUE(journal.commit());
  EXPECT_FALSE(fs::exists(prefix_ / "lib/a.txt"));
  EXPECT_FALSE(has_journal(prefix_));
  for (const std::string& file : files()) {
    EXPECT_THAT(file, ::testing::Not(::testing::HasSubstr(kTrashPrefix)));
  }
}

TEST_F(JournalTest, PathsWithNewlinesAndBackslashesRoundTrip) {
  write_text(prefix_ / "odd\nname\\x", "old\n");
  Journal journal(prefix_);
  ASSERT_TRUE(journal.begin());
  ASSERT_TRUE(journal.move_aside("odd\nname\\x"));
  auto recovered = recover_journal(prefix_);  // as if this process had died
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(read_text(prefix_ / "odd\nname\\x"), "old\n");
}

}  // namespace
}  // namespace graft::env
