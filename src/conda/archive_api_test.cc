#include "conda/archive_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace graft::conda {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<const void*> functions_of(const ArchiveApi& api) {
  std::vector<const void*> functions;
#define GRAFT_LIBARCHIVE_ADDRESS_(name) \
  functions.push_back(reinterpret_cast<const void*>(api.name));
  GRAFT_LIBARCHIVE_FUNCTIONS(GRAFT_LIBARCHIVE_ADDRESS_)
#undef GRAFT_LIBARCHIVE_ADDRESS_
  return functions;
}

TEST(ArchiveApiTest, LoadsAndResolvesEveryFunction) {
  auto api = archive_api();
  ASSERT_TRUE(api) << api.error().message();
  const std::vector<const void*> functions = functions_of(**api);
  EXPECT_EQ(functions.size(), 51u);
  for (const void* function : functions) EXPECT_NE(function, nullptr);
  EXPECT_EQ(&la(), *api);  // one process-wide table
  EXPECT_EQ(*archive_api(), *api);
}

TEST(ArchiveApiTest, ResolvedFunctionsWork) {
  const ArchiveApi& api = la();
  archive_entry* entry = api.archive_entry_new();
  ASSERT_NE(entry, nullptr);
  api.archive_entry_set_pathname(entry, "info/index.json");
  api.archive_entry_set_size(entry, 42);
  EXPECT_STREQ(api.archive_entry_pathname(entry), "info/index.json");
  EXPECT_EQ(api.archive_entry_size(entry), 42);
  api.archive_entry_free(entry);
}

TEST(ArchiveApiTest, MissingLibraryIsUnavailableWithAHint) {
  auto api = load_archive_api("libgraft-no-such-archive.so.0");
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(api.error().message(), StartsWith("cannot load 'libgraft-no-such-archive.so.0': "));
  EXPECT_THAT(api.error().hint(), HasSubstr("libarchive13"));
}

TEST(ArchiveApiTest, LibraryWithoutTheFunctionsIsUnavailable) {
  auto api = load_archive_api("libm.so.6");  // loads, but has no archive_* function
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(api.error().message(),
              StartsWith("'libm.so.6' has no function 'archive_entry_filetype': "));
  EXPECT_THAT(api.error().hint(), HasSubstr("libarchive"));
}

}  // namespace
}  // namespace graft::conda
