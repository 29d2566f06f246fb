#include "conda/package_builder.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"

namespace graft::conda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kPlaceholder[] = "/opt/anaconda1anaconda2anaconda3";

PackOptions basic_options() {
  return {.name = "tool", .version = "1.2.3", .timestamp_ms = 1'700'000'000'123};
}

TEST(PlanPackage, FillsDefaults) {
  struct Case {
    PackOptions options;
    std::string build;
    std::string subdir;
    std::string file_name;
  };
  PackOptions noarch_python = basic_options();
  noarch_python.noarch = NoarchKind::kPython;
  noarch_python.build_number = 3;
  PackOptions generic = basic_options();
  generic.noarch = NoarchKind::kGeneric;
  generic.format = ArchiveFormat::kTarBz2;
  PackOptions explicit_build = basic_options();
  explicit_build.build = "h1234abc_2";
  explicit_build.subdir = "osx-arm64";
  const std::vector<Case> cases = {
      {basic_options(), "0", std::string(native_subdir()), "tool-1.2.3-0.conda"},
      {noarch_python, "py_3", "noarch", "tool-1.2.3-py_3.conda"},
      {generic, "0", "noarch", "tool-1.2.3-0.tar.bz2"},
      {explicit_build, "h1234abc_2", "osx-arm64", "tool-1.2.3-h1234abc_2.conda"},
  };
  for (const Case& c : cases) {
    auto plan = plan_package(c.options);
    ASSERT_TRUE(plan) << plan.error().message();
    EXPECT_EQ(plan->build, c.build);
    EXPECT_EQ(plan->subdir, c.subdir);
    EXPECT_EQ(plan->file_name, c.file_name);
  }
}

TEST(PlanPackage, NormalizesSpecsAndEntryPoints) {
  PackOptions options = basic_options();
  options.noarch = NoarchKind::kPython;
  options.depends = {"  python   >=3.8 ", "numpy>=1.20", "python >=3.8", "zlib 1.2.* h1_0"};
  options.constrains = {"scipy[version='>=1']"};
  options.entry_points = {"tool=tool.cli:main", "  other =  pkg.mod : run "};
  auto plan = plan_package(options);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->depends,
            (std::vector<std::string>{"numpy>=1.20", "python >=3.8", "zlib 1.2.* h1_0"}));
  EXPECT_EQ(plan->constrains, std::vector<std::string>{"scipy[version='>=1']"});
  EXPECT_EQ(plan->entry_points,
            (std::vector<std::string>{"tool = tool.cli:main", "other = pkg.mod:run"}));
}

TEST(PlanPackage, RejectsBadOptions) {
  struct Case {
    std::string label;
    std::function<void(PackOptions&)> change;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"empty name", [](PackOptions& o) { o.name = ""; }, "the package name is empty"},
      {"upper name", [](PackOptions& o) { o.name = "Tool"; },
       "'Tool' is not a valid package name: use lowercase letters, digits, '_', '-' and '.'"},
      {"dash version", [](PackOptions& o) { o.version = "1.0-1"; },
       "'1.0-1' is not a valid version: conda versions may not contain '-' or spaces"},
      {"bad version", [](PackOptions& o) { o.version = "1.2&3"; },
       "'1.2&3' is not a valid version: invalid version '1.2&3'"},
      {"bad build", [](PackOptions& o) { o.build = "a-b"; },
       "'a-b' is not a valid build string: use letters, digits, '_', '.' and '+'"},
      {"negative number", [](PackOptions& o) { o.build_number = -1; },
       "'-1' is not a valid build number: it is negative"},
      {"spec without name", [](PackOptions& o) { o.depends = {">=1.0"}; },
       "'>=1.0' is not a valid dependency: it must start with a package name"},
      {"bad spec version", [](PackOptions& o) { o.depends = {"numpy >=1.0&"}; },
       "'numpy >=1.0&' is not a valid dependency: "},
      {"too many words", [](PackOptions& o) { o.constrains = {"a 1 b c"}; },
       "'a 1 b c' is not a valid constraint: expected 'name [version [build]]'"},
      {"channel", [](PackOptions& o) { o.depends = {"conda-forge::numpy"}; },
       "channel prefixes are not allowed"},
      {"entry point without python", [](PackOptions& o) { o.entry_points = {"a = b:c"}; },
       "entry points need a noarch: python package"},
      {"bad entry point",
       [](PackOptions& o) {
         o.noarch = NoarchKind::kPython;
         o.entry_points = {"a = b"};
       },
       "'a = b' is not a valid entry point: expected 'command = module:function'"},
      {"noarch in linux-64",
       [](PackOptions& o) {
         o.noarch = NoarchKind::kGeneric;
         o.subdir = "linux-64";
       },
       "noarch packages belong in subdir 'noarch', not 'linux-64'"},
      {"bad subdir", [](PackOptions& o) { o.subdir = "amiga"; },
       "'amiga' is not a valid subdir: expected 'noarch' or '<platform>-<arch>' like 'linux-64'"},
  };
  for (const Case& c : cases) {
    PackOptions options = basic_options();
    c.change(options);
    auto plan = plan_package(options);
    ASSERT_FALSE(plan) << c.label;
    EXPECT_EQ(plan.error().code(), ErrorCode::kInvalidArgument) << c.label;
    EXPECT_THAT(plan.error().message(), HasSubstr(c.error)) << c.label;
  }
}

TEST(PackageMetadata, IndexJsonAsCondaBuildWritesIt) {
  PackOptions options = basic_options();
  options.subdir = "linux-64";
  options.depends = {"libgcc-ng >=7.3.0"};
  options.license = "zlib";
  options.build_number = 3;
  EXPECT_EQ(index_json(*plan_package(options)), R"({
  "arch": "x86_64",
  "build": "3",
  "build_number": 3,
  "depends": [
    "libgcc-ng >=7.3.0"
  ],
  "license": "zlib",
  "name": "tool",
  "platform": "linux",
  "subdir": "linux-64",
  "timestamp": 1700000000123,
  "version": "1.2.3"
})");
  options.subdir = "";
  options.noarch = NoarchKind::kPython;
  options.depends = {"python"};
  options.constrains = {"numpy >=2"};
  options.license = "";
  options.entry_points = {"tool = tool.cli:main"};
  PackagePlan plan = *plan_package(options);
  Json index = Json::parse(index_json(plan));
  EXPECT_TRUE(index["arch"].is_null());
  EXPECT_TRUE(index["platform"].is_null());
  EXPECT_EQ(index["noarch"], "python");
  EXPECT_EQ(index["constrains"], Json::array({"numpy >=2"}));
  EXPECT_FALSE(index.contains("license"));
  EXPECT_EQ(link_json(plan), R"({
  "noarch": {
    "entry_points": [
      "tool = tool.cli:main"
    ],
    "type": "python"
  },
  "package_metadata_version": 1
})");
  EXPECT_EQ(link_json(*plan_package(basic_options())), "");
  EXPECT_EQ(about_json(plan), "");
}

TEST(PackageMetadata, PathsFilesAndHasPrefix) {
  PackOptions options = basic_options();
  options.prefix_placeholder = kPlaceholder;
  PackagePlan plan = *plan_package(options);
  std::vector<PackagedPath> paths = {
      {.path = "bin/tool", .sha256 = "aa", .size = 10, .has_placeholder = true},
      {.path = "lib/lib x.so", .sha256 = "bb", .size = 20, .has_placeholder = true, .binary = true},
      {.path = "lib/link", .symlink = true, .sha256 = "bb", .size = 20},
  };
  EXPECT_EQ(files_list(paths), "bin/tool\nlib/lib x.so\nlib/link\n");
  EXPECT_EQ(has_prefix(plan, paths), std::string(kPlaceholder) + " text bin/tool\n" +
                                         kPlaceholder + " binary \"lib/lib x.so\"\n");
  Json json = Json::parse(paths_json(plan, paths));
  EXPECT_EQ(json["paths_version"], 1);
  EXPECT_EQ(json["paths"][0], Json::parse(R"({"_path": "bin/tool", "file_mode": "text",
      "path_type": "hardlink", "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3",
      "sha256": "aa", "size_in_bytes": 10})"));
  EXPECT_EQ(json["paths"][1]["file_mode"], "binary");
  EXPECT_EQ(json["paths"][2], Json::parse(R"({"_path": "lib/link", "path_type": "softlink",
      "sha256": "bb", "size_in_bytes": 20})"));
  paths[0].has_placeholder = paths[1].has_placeholder = false;
  EXPECT_EQ(has_prefix(plan, paths), "");
}

class PackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = base::TempDir::create("pack-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    scratch_ = std::make_unique<base::TempDir>(std::move(*dir));
    source_ = scratch_->path() / "src";
    write("bin/tool", std::string("#!") + kPlaceholder + "/bin/python\nprint(1)\n");
    fs::permissions(source_ / "bin/tool", static_cast<fs::perms>(0755));
    write("lib/libtool.so", std::string("\x7f" "ELF\0", 5) + kPlaceholder + std::string(3, '\0'));
    write("share/doc.txt", "plain\n");
    fs::create_symlink("libtool.so", source_ / "lib/libtool.so.1");
  }
  void write(const std::string& relative, const std::string& content) {
    fs::create_directories((source_ / relative).parent_path());
    std::ofstream(source_ / relative, std::ios::binary) << content;
  }
  PackOptions options(ArchiveFormat format) const {
    PackOptions result = basic_options();
    result.source_dir = source_;
    result.output_dir = scratch_->path();
    result.format = format;
    result.prefix_placeholder = kPlaceholder;
    result.depends = {"python >=3.8"};
    return result;
  }

  std::unique_ptr<base::TempDir> scratch_;
  fs::path source_;
};

TEST_F(PackTest, PacksAPackageThatExtractsWithMatchingMetadata) {
  for (ArchiveFormat format : {ArchiveFormat::kConda, ArchiveFormat::kTarBz2}) {
    auto packed = pack_package(options(format));
    ASSERT_TRUE(packed) << packed.error().message();
    EXPECT_EQ(packed->output.filename().string(),
              "tool-1.2.3-0" + std::string(archive_extension(format)));
    EXPECT_EQ(packed->files, 4u);
    EXPECT_EQ(packed->prefix_files, 2u);
    fs::path out = scratch_->path() / ("out" + std::string(archive_extension(format)));
    ASSERT_TRUE(extract_archive(packed->output, out));
    auto read = [&](const std::string& name) { return *base::read_file(out / name); };
    EXPECT_EQ(read("info/index.json"), packed->index_json);
    EXPECT_EQ(read("info/files"), "bin/tool\nlib/libtool.so\nlib/libtool.so.1\nshare/doc.txt\n");
    EXPECT_EQ(read("info/has_prefix"), std::string(kPlaceholder) + " text bin/tool\n" +
                                           kPlaceholder + " binary lib/libtool.so\n");
    EXPECT_FALSE(fs::exists(out / "info/link.json"));
    EXPECT_EQ(fs::read_symlink(out / "lib/libtool.so.1"), "libtool.so");
    EXPECT_EQ(fs::status(out / "bin/tool").permissions() & fs::perms::owner_exec,
              fs::perms::owner_exec);
    Json paths = Json::parse(read("info/paths.json"));
    ASSERT_EQ(paths["paths"].size(), 4u);
    for (const Json& entry : paths["paths"]) {
      fs::path file = out / entry["_path"].get<std::string>();
      EXPECT_EQ(*base::file_digest_hex(file, base::DigestKind::kSha256), entry["sha256"]);
      EXPECT_EQ(fs::file_size(file), entry["size_in_bytes"].get<std::uint64_t>());
    }
    EXPECT_EQ(paths["paths"][2]["path_type"], "softlink");
    auto again = pack_package(options(format));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
    PackOptions replace = options(format);
    replace.overwrite = Overwrite::kReplace;
    EXPECT_TRUE(pack_package(replace));
  }
}

TEST_F(PackTest, RefusesUnpackableSources) {
  PackOptions missing = options(ArchiveFormat::kConda);
  missing.source_dir = scratch_->path() / "nope";
  EXPECT_EQ(pack_package(missing).error().code(), ErrorCode::kNotFound);
  PackOptions no_output = options(ArchiveFormat::kConda);
  no_output.output_dir = scratch_->path() / "nope";
  EXPECT_THAT(pack_package(no_output).error().message(), HasSubstr("does not exist"));

  fs::create_symlink("../../etc/passwd", source_ / "lib/escape");
  auto escaping = pack_package(options(ArchiveFormat::kConda));
  ASSERT_FALSE(escaping);
  EXPECT_EQ(escaping.error().message(),
            "symlink 'lib/escape' -> '../../etc/passwd' points outside the package");
  fs::remove(source_ / "lib/escape");

  write("info/index.json", "{}");
  auto with_info = pack_package(options(ArchiveFormat::kConda));
  ASSERT_FALSE(with_info);
  EXPECT_THAT(with_info.error().message(), HasSubstr("holds 'info/'"));
  EXPECT_FALSE(fs::exists(scratch_->path() / "tool-1.2.3-0.conda"));
}

}  // namespace
}  // namespace graft::conda
