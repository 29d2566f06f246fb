#include "conda/match_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

namespace graft::conda {
namespace {

MatchSpec ms(std::string_view text) {
  auto parsed = MatchSpec::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message();
  return parsed ? *parsed : MatchSpec();
}

std::string canonical(std::string_view text) {
  return ms(text).to_string();
}

// conda's DPkg("name-version-build"): build number from the build's last "_" part.
PackageRecord record(std::string name, std::string version, std::string build) {
  PackageRecord r;
  r.name = std::move(name);
  r.version = std::move(version);
  r.build = std::move(build);
  std::string number = r.build.substr(r.build.rfind('_') + 1);
  r.build_number = std::all_of(number.begin(), number.end(), ::isdigit) ? std::stoll(number) : 0;
  r.fn = r.name + "-" + r.version + "-" + r.build + ".tar.bz2";
  r.channel = "https://repo.anaconda.com/pkgs/main/linux-64";
  r.subdir = "linux-64";
  r.md5 = "012345789";
  return r;
}

// conda's test_match_1 against numpy-1.7.1-py27_0.
TEST(MatchSpec, CondaMatchTable) {
  const std::vector<std::pair<std::string, bool>> table = {
      {"numpy 1.7*", true},
      {"numpy 1.7.1", true},
      {"numpy 1.7", false},
      {"numpy 1.5*", false},
      {"numpy >=1.5", true},
      {"numpy >=1.5,<2", true},
      {"numpy >=1.8,<1.9", false},
      {"numpy >1.5,<2,!=1.7.1", false},
      {"numpy >1.8,<2|==1.7", false},
      {"numpy >1.8,<2|>=1.7.1", true},
      {"numpy >=1.8|1.7*", true},
      {"numpy ==1.7", false},
      {"numpy >=1.5,>1.6", true},
      {"numpy ==1.7.1", true},
      {"numpy ==1.7.1.0", true},
      {"numpy==1.7.1.0.0", true},
      {"numpy >=1,*.7.*", true},
      {"numpy *.7.*,>=1", true},
      {"numpy >=1,*.8.*", false},
      {"numpy >=2,*.7.*", false},
      {"numpy 1.6*|1.7*", true},
      {"numpy 1.6*|1.8*", false},
      {"numpy 1.6.2|1.7*", true},
      {"numpy 1.6.2|1.7.1", true},
      {"numpy 1.6.2|1.7.0", false},
      {"numpy 1.7.1 py27_0", true},
      {"numpy 1.7.1 py26_0", false},
      {"numpy >1.7.1a", true},
      {"python", false},
      {"numpy", true},
      {"NumPy", true},
      {"num*", true},
      {"numpy=1.7.1=py27*", true},
      {"numpy=1.7=py27*", false},
      {"numpy=1.7.1=py26*", false},
      {"numpy[build='^py2[67]_0$']", true},
      {"numpy[build_number=0]", true},
      {"numpy[build_number='>=1']", false},
      {"numpy[md5=012345789]", true},
      {"numpy[md5=0123]", false},
      {"defaults::numpy", true},
      {"pkgs/main::numpy", true},
      {"conda-forge::numpy", false},
      {"pkgs/main/linux-64::numpy", true},
      {"pkgs/main/osx-64::numpy", false},
      {"numpy[subdir=linux-64]", true},
      {"numpy[fn=numpy-1.7.1-py27_0.tar.bz2]", true},
      {"numpy ~=1.7.0", true},
      {"numpy ~=1.7.2", false},
      {"* 1.7.1", true},
      {"*[track_features=mkl]", false},
  };
  PackageRecord numpy = record("numpy", "1.7.1", "py27_0");
  auto version = Version::parse(numpy.version);
  ASSERT_TRUE(version);
  for (const auto& [text, expected] : table) {
    MatchSpec spec = ms(text);
    EXPECT_EQ(spec.matches(numpy), expected) << text;
    EXPECT_EQ(spec.matches(numpy, *version), expected) << text;
  }
}

TEST(MatchSpec, CondaVersionAndFeatureMatches) {
  const std::vector<std::tuple<std::string, PackageRecord, bool>> table = {
      {"numpy >=1.0.1", record("numpy", "1.0.1a", "0"), false},
      {"numpy >=1.0.1.vc11", record("numpy", "1.0.1a.vc11", "0"), false},
      {"numpy >=1.0.1*.vc11", record("numpy", "1.0.1a.vc11", "0"), true},
      {"numpy <1.0.1", record("numpy", "1.0.1.vc11", "0"), true},
      {"numpy <1.0.1", record("numpy", "1.0.1a.vc11", "0"), true},
      {"numpy >=1.0.1.vc11", record("numpy", "1.0.1a", "0"), false},
      {"numpy >=1.0.1a", record("numpy", "1.0.1z", "0"), true},
      {"numpy >=1.0.1a py27*", record("numpy", "1.0.1z", "py27_1"), true},
      {"blas * openblas_0", record("blas", "1.0", "openblas_0"), true},
      {"openssl>=1.0.1_", record("openssl", "1.0.1_", "4"), true},
      {"openssl>=1.0.1", record("openssl", "1.0.1_", "4"), false},
      {"my_pkg=1.17.*=red_*", record("my_pkg", "1.17.3", "red_habc123_3"), true},
      {"my_pkg=1.17.*=red_*", record("my_pkg", "1.17.3", "blue_hdef1234_3"), false},
      {"my_pkg=1.17.*=*_habc123_3", record("my_pkg", "1.17.3", "red_habc123_3"), true},
      {"numpy[version=<2]", record("numpy", "1.11.0", "py34_7"), true},
      {"numpy[build_number='<8']", record("numpy", "1.11.0", "py34_7"), true},
      {"numpy[build_number='>7']", record("numpy", "1.11.0", "py34_7"), false},
      {"numpy[build_number='>=7']", record("numpy", "1.11.0", "py34_7"), true},
      {"numpy[version='^1\\.11\\..*$']", record("numpy", "1.11.0", "py34_7"), true},
  };
  for (const auto& [text, rec, expected] : table) {
    EXPECT_EQ(ms(text).matches(rec), expected) << text << " vs " << rec.version << " " << rec.build;
  }
  PackageRecord features = record("foo", "1.2.3", "4");
  EXPECT_FALSE(ms("*[track_features=mkl]").matches(features));
  features.track_features = {"mkl"};
  EXPECT_TRUE(ms("*[track_features=mkl]").matches(features));
  EXPECT_TRUE(ms("mkl@").matches(features));
  features.track_features = {"mkl", "debug"};
  EXPECT_FALSE(ms("*[track_features=mkl]").matches(features));
  EXPECT_TRUE(ms("*[track_features='debug mkl']").matches(features));
  features.license = "LGPLv3+";
  features.license_family = "LGPL";
  for (std::string text : {"*[license_family='LGPL']", "*[license_family=lgpl]",
                           "*[license_family='*GP*']", "*[license='*gpl*']", "*[license='*v3+']"}) {
    EXPECT_TRUE(ms(text).matches(features)) << text;
  }
  EXPECT_FALSE(ms("*[license=MIT]").matches(features));
}

// conda's test_canonical_string_forms and friends.
TEST(MatchSpec, CanonicalStringsAsCondaPrintsThem) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"numpy", "numpy"},
      {"numpy=1.7", "numpy=1.7"},
      {"numpy 1.7*", "numpy=1.7"},
      {"numpy 1.7.*", "numpy=1.7"},
      {"numpy[version='1.7*']", "numpy=1.7"},
      {"numpy[version='1.7.*']", "numpy=1.7"},
      {"numpy[version=1.7.*]", "numpy=1.7"},
      {"numpy==1.7", "numpy==1.7"},
      {"numpy[version='1.7']", "numpy==1.7"},
      {"numpy[version=1.7]", "numpy==1.7"},
      {"numpy 1.7", "numpy==1.7"},
      {"numpy[version='1.7|1.8']", "numpy[version='1.7|1.8']"},
      {"numpy[version=\"1.7,1.8\"]", "numpy[version='1.7,1.8']"},
      {"numpy >1.7", "numpy[version='>1.7']"},
      {"numpy>=1.7", "numpy[version='>=1.7']"},
      {"numpy=1.7=py3*_2", "numpy==1.7[build=py3*_2]"},
      {"numpy=1.7.*=py3*_2", "numpy=1.7[build=py3*_2]"},
      {"https://repo.anaconda.com/pkgs/free::numpy", "pkgs/free::numpy"},
      {"numpy[channel=https://repo.anaconda.com/pkgs/free]", "pkgs/free::numpy"},
      {"defaults::numpy", "defaults::numpy"},
      {"numpy[channel=defaults]", "defaults::numpy"},
      {"conda-forge::numpy", "conda-forge::numpy"},
      {"numpy[channel=conda-forge]", "conda-forge::numpy"},
      {"numpy[channel=defaults,subdir=osx-64]", "defaults/osx-64::numpy"},
      {"numpy[channel=https://repo.anaconda.com/pkgs/free/osx-64, subdir=linux-64]",
       "pkgs/free/linux-64::numpy"},
      {"https://repo.anaconda.com/pkgs/free/win-32::numpy", "pkgs/free/win-32::numpy"},
      {"numpy[channel=https://repo.anaconda.com/pkgs/free/osx-64]", "pkgs/free/osx-64::numpy"},
      {"defaults/win-32::numpy", "defaults/win-32::numpy"},
      {"conda-forge/linux-64::numpy", "conda-forge/linux-64::numpy"},
      {"numpy[channel=conda-forge,subdir=noarch]", "conda-forge/noarch::numpy"},
      {"numpy[subdir=win-32]", "numpy[subdir=win-32]"},
      {"*/win-32::numpy", "numpy[subdir=win-32]"},
      {"*/win-32::numpy[subdir=\"osx-64\"]", "numpy[subdir=osx-64]"},
      {"numpy=1.10=py38_0", "numpy==1.10=py38_0"},
      {"numpy==1.10=py38_0", "numpy==1.10=py38_0"},
      {"numpy[version=1.10 build=py38_0]", "numpy==1.10=py38_0"},
      {"numpy!=1.10", "numpy!=1.10"},
      {"numpy !=1.10", "numpy!=1.10"},
      {"numpy!=1.10 py38_0", "numpy[version='!=1.10',build=py38_0]"},
      {"numpy !=1.10=py38_0", "numpy[version='!=1.10',build=py38_0]"},
      {"numpy >1.7,!=1.10 py38_0", "numpy[version='>1.7,!=1.10',build=py38_0]"},
      {"numpy!=1.10.*", "numpy!=1.10.*"},
      {"numpy!=1.10,!=1.11", "numpy[version='!=1.10,!=1.11']"},
      {"numpy=1.10.*,!=1.10.2", "numpy[version='=1.10.*,!=1.10.2']"},
      {"numpy ~=1.10.1", "numpy~=1.10.1"},
      {"numpy ~=1.10.1 py38_0", "numpy[version='~=1.10.1',build=py38_0]"},
      {"openssl=1.1.1_", "openssl=1.1.1_"},
      {"openssl>=1.1.1_,!=1.1.1c", "openssl[version='>=1.1.1_,!=1.1.1c']"},
      {"name[version=*,build=*py27*]", "name[build=*py27*]"},
      {"name[version=*]", "name"},
      {"conda-forge::name[version=*]", "conda-forge::name"},
      {"name[version=1.2.*,build=*py27*]", "name=1.2[build=*py27*]"},
      {"name[version=1.*]", "name=1"},
      {"name[version=*,build_number=3]", "name[build_number=3]"},
      {"mkl@", "*[track_features=mkl]"},
      {"python=2.6*", "python=2.6"},
      {"ipython=0.13.0", "ipython=0.13.0"},
      {"foo=1.3.0=3", "foo==1.3.0=3"},
      {"zope.int>=1.3,<3.0", "zope.int[version='>=1.3,<3.0']"},
      {"FOO-Bar >= 1.0 , < 2.0", "foo-bar[version='>=1.0,<2.0']"},
      {"numpy[version=\"=2\"]", "numpy=2"},
      {"awscli==2.15.37=wghq", "awscli==2.15.37=wghq"},
      {"pkgs/main::*", "pkgs/main::*"},
      {"foo # a comment", "foo"},
      {"numpy=", "numpy"},
      {"conda-forge/linux-64::python[build_number='>=3', md5=abc, sha256=def]",
       "conda-forge/linux-64::python[build_number='>=3',md5=abc,sha256=def]"},
      {"*/lin(ux-65::foo", "foo[channel=*/lin(ux-65]"},
      {"tensorflow[name=pytorch]", "tensorflow"},
      {"conda-forge::foo[build=3](target=blarg,optional)", "conda-forge::foo[build=3]"},
      {"python (>=3.8,<3.10)|(>=3.11,<3.13)", "python[version='>=3.8,<3.10|>=3.11,<3.13']"},
      {"numpy >=1.8,(<2|>=1.7.1)", "numpy[version='>=1.8,(<2|>=1.7.1)']"},
      {"numpy===1.7", "numpy===1.7"},
      {"numpy[version='==1.2,<2']", "numpy[version='==1.2,<2']"},
      {"x[version='1.2**']", "x=1.2"},
  };
  for (const auto& [input, expected] : table) {
    EXPECT_EQ(canonical(input), expected) << input;
  }
}

// Found by random-seed fuzzing: a newline or tab inside a spec printed as a spec that
// parses to something else; whitespace around a spec is still dropped, as conda strips it.
TEST(MatchSpec, AControlCharacterInsideASpecIsAnError) {
  for (const char* bad : {"numpy\n==1.2", "a\tb", "x=1.0\x7f", "*\t*"}) {
    auto parsed = MatchSpec::parse(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_NE(parsed.error().message().find("it contains a control character"), std::string::npos)
        << parsed.error().message();
  }
  auto padded = MatchSpec::parse("\tnumpy >=1.26\n");
  ASSERT_TRUE(padded.has_value());
  EXPECT_EQ(padded->to_string(), "numpy[version='>=1.26']");
}

// Found by the sanitizer job's fuzzing: ",@" became a spec that printed as
// "*[track_features=]", which does not parse again.
TEST(MatchSpec, ALegacyFeatureSpecNeedsAFeatureName) {
  for (const char* bad : {",@", "a b@", "[x]@", "x,y@"}) {
    EXPECT_FALSE(MatchSpec::parse(bad).has_value()) << bad;
  }
  auto good = MatchSpec::parse("mkl_rt-2.1@");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->to_string(), "*[track_features=mkl_rt-2.1]");
  EXPECT_TRUE(MatchSpec::parse(good->to_string()).has_value());
}

TEST(MatchSpec, ParsedFieldsFollowConda) {
  MatchSpec spec =
      ms("defaults::numpy=1.8=py27_0 [channel='anaconda',version=\">=1.8,<2|1.9\", build='3']");
  EXPECT_EQ(spec.get(MatchSpecField::kChannel), "anaconda");
  EXPECT_EQ(spec.name(), "numpy");
  EXPECT_EQ(spec.get(MatchSpecField::kVersion), ">=1.8,<2|1.9");
  EXPECT_EQ(spec.get(MatchSpecField::kBuild), "3");
  EXPECT_EQ(ms("* >=1.3 2").get(MatchSpecField::kBuild), "2");
  EXPECT_EQ(ms("* >=1.3 2").get(MatchSpecField::kVersion), ">=1.3");
  EXPECT_EQ(ms("numpy=1.7").get(MatchSpecField::kVersion), "1.7.*");
  EXPECT_EQ(ms("numpy ==1.7").get(MatchSpecField::kVersion), "1.7");
  EXPECT_EQ(ms("numpy >=1.0 , < 2.0 =py34_0").get(MatchSpecField::kBuild), "py34_0");
  EXPECT_TRUE(ms("numpy").has_exact_name());
  EXPECT_FALSE(ms("num*").has_exact_name());
  EXPECT_FALSE(ms("*").has_exact_name());
  EXPECT_EQ(ms("numpy").version(), nullptr);
  auto python = MatchSpec::from_fields({{"name", "python"}, {"version", "2.7.4"}});
  ASSERT_TRUE(python);
  EXPECT_EQ(*python, ms("python 2.7.4"));
  EXPECT_NE(*python, ms("python"));
  auto from_fields =
      MatchSpec::from_fields({{"name", "foo"}, {"build", "py2*"}, {"channel", "conda-forge"}});
  ASSERT_TRUE(from_fields);
  EXPECT_EQ(from_fields->to_string(), "conda-forge::foo[build=py2*]");
}

TEST(MatchSpec, PackageUrlsAndPaths) {
  std::string url =
      "https://conda.anaconda.org/conda-canary/linux-64/"
      "conda-4.3.21.post699+1dab973-py36h4a561cd_0.tar.bz2";
  MatchSpec spec = ms(url);
  EXPECT_EQ(spec.to_string(),
            "conda-canary/linux-64::conda==4.3.21.post699+1dab973=py36h4a561cd_0");
  EXPECT_EQ(spec.get(MatchSpecField::kUrl), url);
  EXPECT_EQ(spec.get(MatchSpecField::kFn), "conda-4.3.21.post699+1dab973-py36h4a561cd_0.tar.bz2");
  std::string bare =
      "https://conda.anaconda.org/conda-canary/conda-4.3.21.post699+1dab973-"
      "py36h4a561cd_0.tar.bz2";
  EXPECT_EQ(canonical(bare), "*[url=" + bare + "]");
  EXPECT_EQ(canonical("/some/file/on/disk/package-1.2.3-2.tar.bz2"),
            "*[url=file:///some/file/on/disk/package-1.2.3-2.tar.bz2]");
  EXPECT_EQ(canonical("file:///srv/chan/noarch/foo-1.0-0.conda"),
            "file:///srv/chan/noarch::foo==1.0=0");
  EXPECT_EQ(ms("https://anaconda.org/conda-forge/linux-64/x264-1%21164.3095-h166bdaf_2.tar.bz2")
                .get(MatchSpecField::kVersion),
            "1!164.3095");
  std::string relative = ms("./foo-1.0-0.conda").to_string();
  EXPECT_EQ(relative, "*[url=file://" +
                          (std::filesystem::current_path() / "foo-1.0-0.conda").generic_string() +
                          "]");
  PackageRecord rec = record("conda", "4.3.21.post699+1dab973", "py36h4a561cd_0");
  rec.channel = "https://conda.anaconda.org/conda-canary/linux-64";
  EXPECT_TRUE(ms(spec.to_string()).matches(rec));
  rec.url = bare;
  EXPECT_TRUE(ms(bare).matches(rec));
}

TEST(MatchSpec, RoundTripsThroughCanonicalText) {
  for (std::string text : {"numpy",
                           "numpy=1.7",
                           "numpy==1.7",
                           "numpy 1.7 py27_0",
                           "numpy>=1.8,<2|1.7",
                           "* >=1.3 2",
                           "conda-forge::numpy[version='>=1.2,<2',build=py*]",
                           "numpy!=1.10 py38_0",
                           "conda-forge/linux-64::numpy==1.2.3=py_0[md5=abc,build_number='>=3']",
                           "*[md5=12345678901234567890123456789012]",
                           "numpy[track_features='mkl debug']",
                           "numpy[license='GPL v3',license_family=GPL]",
                           "pkg ~=1.2.3",
                           "python >=3.8,(<3.10|>3.11)",
                           "numpy[version='^1\\.2.*$',build='^py(27|36)_0$']",
                           "numpy[subdir=linux-64]",
                           "https://host.example/chan::numpy=1.2",
                           "numpy=1.7.*=py3*_2",
                           "foo[url=http://x/y.conda]",
                           "file:///srv/chan/noarch/foo-1.0-0.conda",
                           "numpy===1.7",
                           "x264 >=1!164.3095,<1!165"}) {
    MatchSpec first = ms(text);
    auto again = MatchSpec::parse(first.to_string());
    ASSERT_TRUE(again) << text << " -> " << first.to_string() << ": " << again.error().message();
    EXPECT_EQ(again->to_string(), first.to_string()) << text;
    if (text.find("://") == std::string::npos || text.find("::") != std::string::npos) {
      EXPECT_EQ(*again, first) << text << " -> " << first.to_string();
    }
  }
}

TEST(MatchSpec, RejectsInvalidSpecsWithReasons) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"!xyz 1.3", "no package name found in '!xyz 1.3'"},
      {"", "no package name found in ''"},
      {"blas [optional", "unbalanced brackets"},
      {"blas [test=]", "a key or a value is missing"},
      {"blas[invalid=\"1\"]", "cannot match on field 'invalid'"},
      {"blas[bild=1]", "cannot match on field 'bild', did you mean 'build'?"},
      {"package[build=value, build=again]", "key can only be specified once: 'build'"},
      {"package[build]", "no key-value pairs found in square brackets"},
      {"package[build=0][version=2]", "multiple bracket sections not allowed"},
      {"package[build=0,junk]", "a key or a value is missing"},
      {"numpy==", "invalid version spec '==': invalid operator"},
      {"numpy>=", "invalid version spec '>=': invalid operator"},
      {"pkg 4.2.2<6.0.0",
       "invalid version spec '4.2.2<6.0.0': invalid version '4.2.2<6.0.0': "
       "invalid character(s)"},
      {"^(aaaa$", "'^(aaaa$' is not a valid regular expression"},
      {"*/lin(ux-65::f/o>=>1y", "invalid version spec '>=>1y': invalid operator"},
      {"foo if python>=3.6", "conditional (' if ') specs are not supported"},
      {"foo@bar", "'foo@bar' is not a valid package name"},
      {"numpy[channel='my channel']", "'my channel' is not a valid channel"},
  };
  for (const auto& [text, reason] : table) {
    auto parsed = MatchSpec::parse(text);
    ASSERT_FALSE(parsed.has_value()) << text << " parsed as " << parsed->to_string();
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
    std::string expected = "invalid match spec '" + text + "': " + reason;
    EXPECT_EQ(parsed.error().message().substr(0, expected.size()), expected);
  }
}

TEST(MatchSpecTest, HugeSpecsFailFastWithAShortMessage) {
  const std::string huge(50'000'000, 'a');
  auto parsed = MatchSpec::parse(huge);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message(), "invalid match spec '" + std::string(200, 'a') +
                                          "...': it is 50000000 bytes long, the limit is 4096");
  EXPECT_TRUE(MatchSpec::parse(std::string(kMaxMatchSpecLength, 'a')));
  // Under the limit, an error still quotes at most 200 bytes of the spec and of its parts.
  auto bad = MatchSpec::parse(std::string(3000, 'b') + "@x >=1");
  ASSERT_FALSE(bad);
  EXPECT_LT(bad.error().message().size(), 500u) << bad.error().message().size();
}

}  // namespace
}  // namespace graft::conda
