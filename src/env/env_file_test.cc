#include "env/env_file.h"

#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"

namespace graft::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const fs::path kConformance = GRAFT_CONFORMANCE_DIR;

TEST(EnvFileTest, ReadsEveryKey) {
  const std::string text =
      "name: ml\n"
      "channels:\n  - conda-forge\n  - ./local\n"
      "dependencies:\n"
      "  - python=3.12\n"
      "  - conda-forge::numpy >=1.26\n"
      "  - pip\n"
      "  - pip:\n"
      "      - -e .\n"
      "      - requests==2.31\n"
      "variables:\n  MODE: fast\n  LEVEL: 3\n  EMPTY:\n"
      "prefix: /opt/envs/ml\n";
  auto file = parse_environment_file(text, "environment.yml");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->name, "ml");
  EXPECT_THAT(file->channels, ElementsAre("conda-forge", "./local"));
  EXPECT_THAT(file->dependencies, ElementsAre("python=3.12", "conda-forge::numpy >=1.26", "pip"));
  EXPECT_THAT(file->pip, ElementsAre("-e .", "requests==2.31"));
  EXPECT_THAT(file->variables,
              ElementsAre(Pair("MODE", "fast"), Pair("LEVEL", "3"), Pair("EMPTY", "")));
  EXPECT_EQ(file->prefix, "/opt/envs/ml");
  EXPECT_TRUE(file->warnings.empty());
}

TEST(EnvFileTest, UnknownKeysWarnWithSuggestion) {
  auto file = parse_environment_file("name: x\nchanels:\n  - a\ncategory: dev\n", "e.yml");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_THAT(file->warnings,
              ElementsAre("e.yml:2: unknown key 'chanels' is ignored, did you mean 'channels'?",
                          "e.yml:4: unknown key 'category' is ignored: expected one of name, "
                          "channels, dependencies, variables, prefix"));
  EXPECT_TRUE(file->channels.empty());
}

TEST(EnvFileTest, ErrorsAreLocated) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "'e.yml' is empty: expected 'name', 'channels' and 'dependencies'"},
      {"- a\n- b\n", "e.yml:1: the file must be a map of keys, got a list\n- a\n^"},
      {"name: x\ndependencies:\n  - numpy\n  - [a, b\n",
       "e.yml:5: invalid YAML: end of sequence flow not found"},
      {"channels: conda-forge\n",
       "e.yml:1: 'channels' must be a list of strings, got a string\nchannels: conda-forge\n"
       "          ^"},
      {"dependencies:\n  - numpy\n  - 'numpy >=>1'\n", "e.yml:3: "},
      {"dependencies:\n  - npm:\n      - left-pad\n",
       "e.yml:2: unsupported installer 'npm' in 'dependencies': graft installs conda and pip "
       "packages\n  - npm:\n    ^"},
      {"dependencies:\n  - pip: requests\n",
       "e.yml:2: 'pip' must be a list of strings, got a string"},
      {"variables:\n  - A=1\n",
       "e.yml:2: 'variables' must be a map of names to values, got a list"},
      {"variables:\n  A: [1, 2]\n", "e.yml:2: variable 'A' must be a string, got a list"},
      // The names `env config vars set` refuses (check_variable_name).
      {"variables:\n  A=B: x\n", "e.yml:2: variable name 'A=B' is not valid: it has a '='"},
      {"variables:\n  \"\": x\n", "e.yml:2: variable name '' is not valid: the name is empty"},
      {"variables:\n  \" A\": x\n",
       "e.yml:2: variable name ' A' is not valid: it starts or ends with whitespace"},
      {"name: [a]\n", "e.yml:1: 'name' must be a string, got a list"},
  };
  for (const Case& test : cases) {
    auto file = parse_environment_file(test.text, "e.yml");
    ASSERT_FALSE(file) << test.text;
    EXPECT_EQ(file.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(file.error().message(), ::testing::StartsWith(test.message)) << test.text;
  }
}

TEST(EnvFileTest, ExpandsEnvironmentVariables) {
  const std::map<std::string, std::string> environment = {{"TOKEN", "abc"}, {"HOST", "h"}};
  EXPECT_EQ(expand_variables("https://${HOST}/t/${TOKEN}/stable", environment),
            "https://h/t/abc/stable");
  EXPECT_EQ(expand_variables("$HOST/x", environment), "h/x");
  EXPECT_EQ(expand_variables("${MISSING}/$ALSO_MISSING/${", environment),
            "${MISSING}/$ALSO_MISSING/${");
  EXPECT_EQ(expand_variables("cost $5 and ${TOKEN", environment), "cost $5 and ${TOKEN");
}

// What each file of the corpus reads as: dependencies, pip lines, variables and warnings,
// or the start of the error for the files that are not environment files.
struct Expected {
  std::size_t dependencies = 0;
  std::size_t pip = 0;
  std::size_t variables = 0;
  std::size_t warnings = 0;
  std::string error;  // non-empty: expected to fail with a message containing this
};

const std::map<std::string, Expected>& corpus_expectations() {
  static const std::map<std::string, Expected> table = {
      {"conda/env-support/add-pip.yml", {.dependencies = 1, .pip = 2}},
      {"conda/env-support/advanced-pip/env_template.yml", {.dependencies = 1, .pip = 6}},
      {"conda/env-support/channels_with_envvars.yml", {.dependencies = 1}},
      {"conda/env-support/dependent.yml", {.dependencies = 1}},
      {"conda/env-support/empty_deps.yml", {}},
      {"conda/env-support/empty_env.yml", {}},
      {"conda/env-support/env_with_dependencies.yml", {.dependencies = 2}},
      {"conda/env-support/example-yaml/environment.yaml", {.dependencies = 1}},
      {"conda/env-support/example/environment.yml", {.dependencies = 1}},
      {"conda/env-support/example/environment_host_port.yml", {.dependencies = 1}},
      {"conda/env-support/example/environment_pinned.yml", {.dependencies = 1, .variables = 3}},
      {"conda/env-support/example/environment_pinned_updated.yml",
       {.dependencies = 1, .variables = 3}},
      {"conda/env-support/example/environment_with_pip.yml", {.dependencies = 2, .pip = 1}},
      {"conda/env-support/foo/environment.yml", {.dependencies = 1}},
      // Every key misspelled: four warnings, nothing to install.
      {"conda/env-support/invalid_keys.yml", {.warnings = 4}},
      {"conda/env-support/just_vars.yml", {.variables = 2}},
      {"conda/env-support/pip_argh.yml", {.dependencies = 1, .pip = 1}},
      {"conda/env-support/saved-env/environment.yml", {.dependencies = 1}},
      {"conda/env-support/simple.yml", {.dependencies = 1}},
      {"conda/env-support/small-executable.yml", {.dependencies = 1}},
      {"conda/env-support/valid_keys.yml", {.dependencies = 1, .variables = 1}},
      {"conda/env-support/with-pip.yml", {.dependencies = 1, .pip = 2}},
      // Not environment files: package lists, a pip requirements file, notes, TOML.
      {"conda/env-support/explicit.txt", {.error = "invalid YAML"}},
      {"conda/env-support/requirements.txt", {.error = "must be a map of keys, got a string"}},
      {"conda/env-support/advanced-pip/another-project-requirements.txt",
       {.error = "must be a map of keys, got a string"}},
      {"conda/env-support/advanced-pip/argh/pyproject.toml",
       {.error = "must be a map of keys, got a list"}},
      {"conda/env-support/foo/bar/readme", {.error = "must be a map of keys, got a string"}},
      {"conda/env-support/foo/bar/baz/readme", {.error = "must be a map of keys, got a string"}},
      {"rattler/environments/asymmetric_vqgan.environment.yaml", {.dependencies = 6, .pip = 19}},
      {"rattler/environments/channel_inversion.environment.yaml", {.dependencies = 2}},
      // conda-lock's 'category' key is not conda's.
      {"rattler/environments/conda_lock_dev.environment.yaml",
       {.dependencies = 32, .pip = 1, .warnings = 1}},
      {"rattler/environments/mamba_dev_extra.environment.yaml", {.dependencies = 14}},
      {"rattler/environments/variables.environment.yaml", {.dependencies = 1, .variables = 1}},
  };
  return table;
}

TEST(EnvFileTest, EveryCorpusFileParsesOrFailsClearly) {
  if (!fs::exists(kConformance)) GTEST_SKIP() << "conformance corpus absent: " << kConformance;
  std::size_t seen = 0;
  for (const char* dir : {"conda/env-support", "rattler/environments"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kConformance / dir)) {
      if (!entry.is_regular_file()) continue;
      const std::string relative = fs::relative(entry.path(), kConformance).string();
      const auto expected = corpus_expectations().find(relative);
      ASSERT_NE(expected, corpus_expectations().end()) << "no expectation for " << relative;
      ++seen;
      auto text = base::read_file(entry.path());
      ASSERT_TRUE(text) << relative;
      auto file = parse_environment_file(*text, relative);
      if (!expected->second.error.empty()) {
        ASSERT_FALSE(file) << relative;
        EXPECT_THAT(file.error().message(), HasSubstr(relative + ":")) << relative;
        EXPECT_THAT(file.error().message(), HasSubstr(expected->second.error)) << relative;
        continue;
      }
      ASSERT_TRUE(file) << file.error().message();
      EXPECT_EQ(file->dependencies.size(), expected->second.dependencies) << relative;
      EXPECT_EQ(file->pip.size(), expected->second.pip) << relative;
      EXPECT_EQ(file->variables.size(), expected->second.variables) << relative;
      EXPECT_EQ(file->warnings.size(), expected->second.warnings) << relative;
    }
  }
  EXPECT_EQ(seen, corpus_expectations().size());
}

}  // namespace
}  // namespace graft::env
