#include "solve/lazy_load.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "conda/generated_channel.h"
#include "solve/index_cache.h"
#include "solve/testing.h"

namespace graft::solve {
namespace {

namespace fs = std::filesystem;
using testing::dists;
using testing::spec;

// A generated channel on disk (linux-64 and noarch), its full load, and inputs for the lazy one.
class LazyLoadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    channel_ = new conda::GeneratedChannel(
        conda::generate_channel({.seed = 11, .platform_records = 3000, .noarch_records = 800}));
  }
  static void TearDownTestSuite() { delete channel_; }

  void SetUp() override {
    auto dir = base::TempDir::create("graft-lazy-");
    ASSERT_TRUE(dir.has_value());
    dir_.emplace(std::move(*dir));
    for (const auto& [subdir, text] : {std::pair{"linux-64", &channel_->platform_json},
                                       std::pair{"noarch", &channel_->noarch_json}}) {
      ASSERT_TRUE(base::make_directories(dir_->path() / subdir).has_value());
      ASSERT_TRUE(base::write_file_atomic(dir_->path() / subdir / "repodata.json", *text,
                                          base::Durability::kNoFsync)
                      .has_value());
      const std::string url = "file://" + (dir_->path() / subdir).string();
      inputs_.push_back({.path = dir_->path() / subdir / "repodata.json",
                         .source = {.subdir_url = url, .display_name = url + "/repodata.json"}});
    }
  }

  Request request(const std::vector<std::string>& specs) const {
    Request out;
    out.options.subdir = "linux-64";
    out.channels.push_back({.name = "generated"});
    out.install = testing::specs(specs);
    return out;
  }

  Request full(const std::vector<std::string>& specs) const {
    Request out = request(specs);
    for (const RepodataInput& input : inputs_) {
      auto text = base::read_file(input.path);
      auto repodata = conda::parse_repodata(*text, input.source);
      EXPECT_TRUE(repodata.has_value());
      add_pip_dependency(repodata->records);
      auto& records = out.channels[0].records;
      records.insert(records.end(), repodata->records.begin(), repodata->records.end());
    }
    return out;
  }

  Request lazy(const std::vector<std::string>& specs, LoadStats* stats = nullptr) const {
    Request out = request(specs);
    auto loaded = load_reachable(inputs_, out, stats);
    EXPECT_TRUE(loaded.has_value()) << loaded.error().message();
    return out;
  }

  static std::string outcome(const Result<Transaction>& result) {
    if (!result) return "error: " + result.error().message() + " | " + result.error().hint();
    std::string text = base::join(dists(result->link), " ");
    for (const std::string& choice : result->choices) text += "\n" + choice;
    return text;
  }

  static conda::GeneratedChannel* channel_;
  std::optional<base::TempDir> dir_;
  std::vector<RepodataInput> inputs_;
};

conda::GeneratedChannel* LazyLoadTest::channel_ = nullptr;

TEST_F(LazyLoadTest, AnswersAsTheFullLoadDoes) {
  const std::vector<std::string>& names = channel_->names;
  std::vector<std::vector<std::string>> cases = {
      {channel_->deep_name},
      {channel_->deep_name, "python 3.11.*"},
      {channel_->deep_name, "python 3.12.*"},
      {channel_->deep_name + " >=999"},        // no such version
      {"python 3.10.*", "python_abi 3.12.*"},  // conflicting
      {names[names.size() / 2] + "x"},         // a typo: not available, did you mean
      {"pip"},
  };
  for (std::size_t i = 3; i < names.size(); i += names.size() / 24) cases.push_back({names[i]});
  for (std::size_t i = 5; i + 1 < names.size(); i += names.size() / 8) {
    cases.push_back({names[i], names[i + 1], "python 3.10.*"});
  }
  std::size_t solved = 0;
  for (const auto& specs : cases) {
    LoadStats stats;
    const Request lazy_request = lazy(specs, &stats);
    const auto expected = solve(full(specs));
    EXPECT_EQ(outcome(solve(lazy_request)), outcome(expected)) << base::join(specs, ", ");
    EXPECT_LT(stats.records, 3800u / 2) << base::join(specs, ", ");  // it did load less
    solved += expected ? 1 : 0;
  }
  EXPECT_GT(solved, cases.size() / 2);
  EXPECT_LT(solved, cases.size());
}

TEST_F(LazyLoadTest, InstalledPackagesAndPinsAreReachedAsTheFullLoadReachesThem) {
  // An environment holding the deep package: an update of pip must see its dependencies.
  Request full_request = full({channel_->deep_name});
  auto installed = solve(full_request);
  ASSERT_TRUE(installed.has_value()) << installed.error().message();
  const auto with_environment = [&](Request request) {
    request.install.clear();
    request.update = testing::specs({"pip"});
    request.installed = installed->link;
    request.pins = testing::specs({"python 3.11.*"});
    return request;
  };
  Request lazy_request = with_environment(request({}));
  ASSERT_TRUE(load_reachable(inputs_, lazy_request).has_value());
  const auto answer = solve(lazy_request);
  EXPECT_TRUE(answer.has_value()) << outcome(answer);
  EXPECT_EQ(outcome(answer), outcome(solve(with_environment(full_request))));
  EXPECT_LT(lazy_request.channels[0].records.size(), full_request.channels[0].records.size() / 2);
}

TEST_F(LazyLoadTest, NamesOnlyReadsTheRequestedNamesAndNoDependency) {
  Request names_only = request({channel_->deep_name});
  ASSERT_TRUE(load_reachable(inputs_, names_only, nullptr, Reach::kNamesOnly).has_value());
  std::size_t expected = 0;
  const Request everything = full({});
  for (const auto& record : everything.channels[0].records) {
    expected += record.name == channel_->deep_name || record.name == "pip" ? 1 : 0;
  }
  EXPECT_EQ(names_only.channels[0].records.size(), expected);
  for (const auto& record : names_only.channels[0].records) {
    EXPECT_TRUE(record.name == channel_->deep_name || record.name == "pip") << record.name;
  }
}

TEST_F(LazyLoadTest, ASpecWithoutAnExactNameLoadsEverything) {
  LoadStats stats;
  const Request loaded = lazy({"pyt*"}, &stats);
  const Request everything = full({"pyt*"});
  EXPECT_EQ(dists(loaded.channels[0].records), dists(everything.channels[0].records));
  EXPECT_TRUE(loaded.other_names.empty());
}

TEST_F(LazyLoadTest, TheIndexCacheIsUsedThenRebuiltWhenDamaged) {
  for (RepodataInput& input : inputs_) input.index_path = input.path.string() + ".graftmap";
  LoadStats first;
  const Request cold = lazy({channel_->deep_name}, &first);
  EXPECT_EQ(first.from_cache, 0u);
  ASSERT_EQ(first.notes.size(), 2u);
  EXPECT_NE(first.notes[0].find(": no index cache"), std::string::npos) << first.notes[0];
  LoadStats second;
  const Request warm = lazy({channel_->deep_name}, &second);
  EXPECT_EQ(second.from_cache, 2u);
  EXPECT_TRUE(second.notes.empty());
  EXPECT_EQ(dists(warm.channels[0].records), dists(cold.channels[0].records));
  // Damaged: one byte flipped near the end; the next load maps the JSON again and rewrites it.
  auto bytes = base::read_file(inputs_[0].index_path);
  ASSERT_TRUE(bytes.has_value());
  (*bytes)[bytes->size() - 3] ^= 0x20;
  ASSERT_TRUE(base::write_file_atomic(inputs_[0].index_path, *bytes).has_value());
  LoadStats third;
  const Request rebuilt = lazy({channel_->deep_name}, &third);
  EXPECT_EQ(third.from_cache, 1u);
  ASSERT_EQ(third.notes.size(), 1u);
  EXPECT_NE(third.notes[0].find("index cache damaged or cut short"), std::string::npos);
  EXPECT_EQ(dists(rebuilt.channels[0].records), dists(cold.channels[0].records));
  LoadStats fourth;
  (void)lazy({channel_->deep_name}, &fourth);
  EXPECT_EQ(fourth.from_cache, 2u);
}

TEST_F(LazyLoadTest, ACutShortFileIsAnError) {
  auto text = base::read_file(inputs_[0].path);
  ASSERT_TRUE(text.has_value());
  ASSERT_TRUE(
      base::write_file_atomic(inputs_[0].path, text->substr(0, text->size() / 2)).has_value());
  Request out = request({channel_->deep_name});
  auto loaded = load_reachable(inputs_, out);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(loaded.error().message().find("linux-64/repodata.json:"), std::string::npos);
  EXPECT_NE(loaded.error().message().find("(cut short?)"), std::string::npos)
      << loaded.error().message();
}

}  // namespace
}  // namespace graft::solve
