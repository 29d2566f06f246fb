#include "base/curl_api.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "store/download.h"

namespace graft::store {
namespace {

using base::curl_api;
using base::CurlApi;
using base::kCurlLibrary;
using base::load_curl_api;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Whether libcurl is mapped into this process (without loading it).
bool curl_is_loaded() {
  void* handle = dlopen(kCurlLibrary, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

std::vector<const void*> functions_of(const CurlApi& api) {
  return {reinterpret_cast<const void*>(api.global_init),
          reinterpret_cast<const void*>(api.easy_init),
          reinterpret_cast<const void*>(api.easy_setopt),
          reinterpret_cast<const void*>(api.easy_perform),
          reinterpret_cast<const void*>(api.easy_getinfo),
          reinterpret_cast<const void*>(api.easy_cleanup),
          reinterpret_cast<const void*>(api.easy_strerror),
          reinterpret_cast<const void*>(api.multi_init),
          reinterpret_cast<const void*>(api.multi_add_handle),
          reinterpret_cast<const void*>(api.multi_remove_handle),
          reinterpret_cast<const void*>(api.multi_perform),
          reinterpret_cast<const void*>(api.multi_poll),
          reinterpret_cast<const void*>(api.multi_info_read),
          reinterpret_cast<const void*>(api.multi_cleanup),
          reinterpret_cast<const void*>(api.slist_append),
          reinterpret_cast<const void*>(api.slist_free_all)};
}

TEST(CurlApiTest, LoadsAndResolvesEveryFunction) {
  auto api = curl_api();
  ASSERT_TRUE(api) << api.error().message();
  for (const void* function : functions_of(**api)) EXPECT_NE(function, nullptr);
  EXPECT_STREQ((*api)->easy_strerror(CURLE_OK), "No error");
  EXPECT_TRUE(curl_is_loaded());
}

TEST(CurlApiTest, ResolvedFunctionsWork) {
  auto api = curl_api();
  ASSERT_TRUE(api) << api.error().message();
  CURL* easy = (*api)->easy_init();
  ASSERT_NE(easy, nullptr);
  EXPECT_EQ((*api)->easy_setopt(easy, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  EXPECT_EQ((*api)->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
  char* url = nullptr;
  EXPECT_EQ((*api)->easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
  (*api)->easy_cleanup(easy);
  curl_slist* list = (*api)->slist_append(nullptr, "A: 1");
  list = (*api)->slist_append(list, "B: 2");
  ASSERT_NE(list, nullptr);
  ASSERT_NE(list->next, nullptr);
  EXPECT_STREQ(list->next->data, "B: 2");
  (*api)->slist_free_all(list);
}

TEST(CurlApiTest, EveryThreadGetsTheSameInstance) {
  std::vector<const CurlApi*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i] {
      auto api = curl_api();
      if (api) seen[i] = *api;
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_NE(seen.front(), nullptr);
  for (const CurlApi* api : seen) EXPECT_EQ(api, seen.front());
}

TEST(CurlApiTest, LoadingAgainResolvesTheSameFunctions) {
  auto shared = curl_api();
  auto again = load_curl_api(kCurlLibrary);
  ASSERT_TRUE(shared && again);
  EXPECT_EQ(functions_of(*again), functions_of(**shared));
}

TEST(CurlApiTest, MissingLibraryGivesAClearError) {
  auto api = load_curl_api("libgraft-no-such-curl.so.4");
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(api.error().message(), StartsWith("cannot load 'libgraft-no-such-curl.so.4': "));
  EXPECT_THAT(api.error().message(), HasSubstr("cannot open shared object file"));
  EXPECT_THAT(api.error().hint(), HasSubstr("libcurl4"));
}

TEST(CurlApiTest, LibraryWithoutCurlFunctionsIsRejected) {
  auto api = load_curl_api("libc.so.6");
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(api.error().message(),
              StartsWith("'libc.so.6' has no function 'curl_global_init': "));
  EXPECT_THAT(api.error().hint(), HasSubstr("libcurl4"));
}

// Runs in a freshly executed process (a death-test child): libcurl must not be mapped at
// startup nor by a local download, only by the first curl_api() call.
[[noreturn]] void check_loaded_on_first_use() {
  const auto die = [](int code, const char* why) {
    std::fprintf(stderr, "%s\n", why);
    std::_Exit(code);
  };
  if (curl_is_loaded()) die(1, "libcurl was loaded at startup");
  {
    auto source = base::TempDir::create("graft-curl-api-");
    if (!source) die(2, "no temp dir");
    const auto file = source->path() / "a.txt";
    if (!base::write_file_atomic(file, "local", base::Durability::kNoFsync)) die(2, "no file");
    auto copied = download(DownloadRequest{.url = "file://" + file.string(),
                                           .destination = source->path() / "b.txt"},
                           DownloadOptions{});
    if (!copied) die(3, "the local download failed");
  }
  if (curl_is_loaded()) die(4, "a local download loaded libcurl");
  if (!curl_api()) die(5, "curl_api() failed");
  if (!curl_is_loaded()) die(6, "curl_api() did not load libcurl");
  std::_Exit(0);
}

TEST(CurlApiTest, LibcurlIsLoadedOnlyOnFirstUse) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executes: a fresh process
  EXPECT_EXIT(check_loaded_on_first_use(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace graft::store
