#include "base/mapped_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>

#include "base/fs.h"

namespace graft::base {
namespace {

namespace fs = std::filesystem;

fs::path write(const fs::path& dir, const std::string& name, const std::string& content) {
  std::ofstream(dir / name, std::ios::binary) << content;
  return dir / name;
}

// Whether `path` is mapped into this process (a line of /proc/self/maps names it).
bool is_mapped(const fs::path& path) {
  auto maps = read_file("/proc/self/maps");
  return maps && maps->find(" " + fs::canonical(path).string() + "\n") != std::string::npos;
}

TEST(MappedFileTest, ReadsWhatTheFileHolds) {
  auto dir = base::TempDir::create("graft-mapped-");
  ASSERT_TRUE(dir.has_value());
  const struct {
    std::string name;
    std::string content;
  } cases[] = {
      {"empty.json", ""},
      {"small.json", "{\"name\": \"a\"}\n"},
      {"page.json", std::string(4096, 'x')},
      {"threshold.json", std::string(MappedFile::kMinMappedBytes, 'z')},  // mapped; ends on a page
      {"big.json", std::string(3 * 1024 * 1024 + 17, 'y') + std::string(1, '\0') + "tail"},
  };
  for (const auto& test : cases) {
    const fs::path path = write(dir->path(), test.name, test.content);
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.has_value()) << test.name << ": " << file.error().message();
    EXPECT_EQ(file->bytes(), test.content) << test.name;
    EXPECT_EQ(is_mapped(path), test.content.size() >= MappedFile::kMinMappedBytes) << test.name;
  }
}

TEST(MappedFileTest, DroppedPagesReadTheSameAgain) {
  auto dir = base::TempDir::create("graft-mapped-");
  ASSERT_TRUE(dir.has_value());
  std::string content(1 << 20, 'a');
  for (std::size_t i = 0; i < content.size(); i += 4096)
    content[i] = static_cast<char>('a' + i % 26);
  const fs::path path = write(dir->path(), "big.json", content);
  auto file = MappedFile::open(path, Populate::kOnDemand);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->bytes(), content);  // every page read once
  file->drop_pages_before(content.size() / 2);
  EXPECT_EQ(file->bytes(), content);
  file->drop_pages_before(content.size() + 4096);  // past the end: the whole mapping
  EXPECT_EQ(file->bytes().substr(content.size() - 10), content.substr(content.size() - 10));
}

TEST(MappedFileTest, MissingFileFailsAsReadFileDoes) {
  auto dir = base::TempDir::create("graft-mapped-");
  ASSERT_TRUE(dir.has_value());
  const fs::path missing = dir->path() / "missing.json";
  auto file = MappedFile::open(missing);
  ASSERT_FALSE(file.has_value());
  auto expected = read_file(missing);
  ASSERT_FALSE(expected.has_value());
  EXPECT_EQ(file.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(file.error().message(), expected.error().message());
}

TEST(MappedFileTest, DirectoryFailsAsReadFileDoes) {
  auto dir = base::TempDir::create("graft-mapped-");
  ASSERT_TRUE(dir.has_value());
  auto file = MappedFile::open(dir->path());
  auto expected = read_file(dir->path());
  ASSERT_EQ(file.has_value(), expected.has_value());
  if (!file) {
    EXPECT_EQ(file.error().message(), expected.error().message());
  }
}

TEST(MappedFileTest, MovedFileKeepsItsBytes) {
  auto dir = base::TempDir::create("graft-mapped-");
  ASSERT_TRUE(dir.has_value());
  const std::string big(MappedFile::kMinMappedBytes + 1, 'm');
  auto mapped = MappedFile::open(write(dir->path(), "a.json", big));
  auto copied = MappedFile::open(write(dir->path(), "b.json", "small"));
  ASSERT_TRUE(mapped.has_value() && copied.has_value());
  MappedFile moved = std::move(*mapped);
  EXPECT_EQ(moved.bytes(), big);
  EXPECT_EQ(mapped->bytes(), "");  // NOLINT(bugprone-use-after-move): moved-from is empty
  moved = std::move(*copied);
  EXPECT_EQ(moved.bytes(), "small");
  MappedFile again = std::move(moved);
  EXPECT_EQ(again.bytes(), "small");
}

TEST(MappedFileTest, MappingOutlivesARenameOverTheFile) {
  // How graft replaces records: write a temporary file, rename it over the old one.
  auto dir = base::TempDir::create("graft-mapped-");
  ASSERT_TRUE(dir.has_value());
  const std::string before(MappedFile::kMinMappedBytes * 2, 'b');
  auto kept = MappedFile::open(write(dir->path(), "c.json", before));
  ASSERT_TRUE(kept.has_value());
  write(dir->path(), "d.json", std::string(MappedFile::kMinMappedBytes * 2, 'a'));
  fs::rename(dir->path() / "d.json", dir->path() / "c.json");
  EXPECT_EQ(kept->bytes(), before);
}

}  // namespace
}  // namespace graft::base
