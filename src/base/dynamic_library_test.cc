#include "base/dynamic_library.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace graft::base {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(DynamicLibraryTest, ResolvesAFunctionThatWorks) {
  auto library = DynamicLibrary::open("libm.so.6", "install libm");
  ASSERT_TRUE(library) << library.error().message();
  double (*cosine)(double) = nullptr;
  ASSERT_TRUE(library->resolve("cos", cosine));
  ASSERT_NE(cosine, nullptr);
  EXPECT_DOUBLE_EQ(cosine(0.0), 1.0);
  library->keep_loaded();
}

TEST(DynamicLibraryTest, MissingLibraryAndFunctionGiveClearErrorsWithTheHint) {
  auto missing = DynamicLibrary::open("libgraft-no-such-library.so.1", "install it with apt");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(missing.error().message(),
              StartsWith("cannot load 'libgraft-no-such-library.so.1': "));
  EXPECT_THAT(missing.error().message(), HasSubstr("cannot open shared object file"));
  EXPECT_EQ(missing.error().hint(), "install it with apt");

  auto library = DynamicLibrary::open("libm.so.6", "install libm");
  ASSERT_TRUE(library);
  void (*absent)() = nullptr;
  Status status = library->resolve("graft_no_such_function", absent);
  ASSERT_FALSE(status);
  EXPECT_THAT(status.error().message(),
              StartsWith("'libm.so.6' has no function 'graft_no_such_function': "));
  EXPECT_EQ(status.error().hint(), "install libm");
  EXPECT_EQ(absent, nullptr);
}

}  // namespace
}  // namespace graft::base
