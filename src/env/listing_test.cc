#include "env/listing.h"

#include <gtest/gtest.h>

#include "base/fs.h"
#include "conda/prefix_record.h"
#include "env/site_packages.h"

namespace graft::env {
namespace {

conda::PrefixRecord zlib(std::string channel) {
  conda::PackageRecord package;
  package.name = "zlib";
  package.version = "1.2.11";
  package.build = "h7b6447c_3";
  package.build_number = 3;
  package.subdir = "linux-64";
  package.channel = std::move(channel);
  return conda::make_prefix_record(package);
}

TEST(ChannelNames, FollowConda) {
  auto forge = channel_names(zlib("https://conda.anaconda.org/conda-forge/linux-64"));
  EXPECT_EQ(forge.base_url, "https://conda.anaconda.org/conda-forge");
  EXPECT_EQ(forge.name, "conda-forge");
  EXPECT_EQ(forge.canonical, "conda-forge");
  auto local = channel_names(zlib("file:///srv/conda_format_repo/linux-64"));
  EXPECT_EQ(local.base_url, "file:///srv/conda_format_repo");
  EXPECT_EQ(local.name, "conda_format_repo");
  EXPECT_EQ(local.canonical, "file:///srv/conda_format_repo");
  auto plain = channel_names(zlib("bioconda"));
  EXPECT_EQ(plain.base_url, "https://conda.anaconda.org/bioconda");
}

TEST(ListJson, MatchesTheOracle) {
  const std::filesystem::path conformance = GRAFT_CONFORMANCE_DIR;
  auto oracle = base::read_file(conformance / "oracle/conda-26.7.1/s1_list_json.out");
  if (!oracle) GTEST_SKIP() << "conformance corpus absent; skipping";
  const std::string ours =
      format_list_json({zlib("file://{CONF}/conda/conda_format_repo/linux-64")});
  EXPECT_EQ(ours, *oracle);
}

TEST(ListTable, UsesCondasColumns) {
  EXPECT_EQ(format_list_table("/envs/z", {zlib("https://conda.anaconda.org/conda-forge/linux-64")}),
            "# packages in environment at /envs/z:\n"
            "#\n"
            "# Name                     Version          Build            Channel\n"
            "zlib                       1.2.11           h7b6447c_3       conda-forge\n");
}

TEST(ListTable, PipPackagesAsConda26ListsThem) {
  const conda::PrefixRecord pip = pypi_record({.name = "foo_bar", .version = "1.2.3"});
  EXPECT_EQ(format_list_table("/e", {pip}),
            "# packages in environment at /e:\n#\n"
            "# Name                     Version          Build            Channel\n"
            "foo-bar                    1.2.3            pypi_0           pypi\n");
  EXPECT_EQ(format_list_json({pip}),
            R"([
  {
    "base_url": "https://conda.anaconda.org/pypi",
    "build_number": 0,
    "build_string": "pypi_0",
    "channel": "pypi",
    "dist_name": "foo-bar-1.2.3-pypi_0",
    "name": "foo-bar",
    "platform": "pypi",
    "version": "1.2.3"
  }
])");
}

}  // namespace
}  // namespace graft::env
