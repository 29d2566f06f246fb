#include "env/condarc.h"

#include <gtest/gtest.h>

namespace graft::env {
namespace {

TEST(CondarcTest, ValuesOfTheWrongTypeNameFileLineKeyAndWhatIsAllowed) {
  const struct {
    std::string text;
    std::string message;  // the first line
  } cases[] = {
      {"channels: 5\n", "rc:1: 'channels' must be a list of strings, got a number"},
      {"offline: false\npkgs_dirs: 7\n",
       "rc:2: 'pkgs_dirs' must be a list of strings, got a number"},
      {"envs_dirs: {a: b}\n", "rc:1: 'envs_dirs' must be a list of strings, got a map"},
      {"channels:\n  - a\n  - [b]\n",
       "rc:3: 'channels' must be a list of strings, got a list in it"},
      {"channels: ['']\n", "rc:1: 'channels' must not hold an empty string"},
      {"default_channels: main\n",
       "rc:1: 'default_channels' must be a list of strings, got a string"},
      {"always_copy: maybe\n", "rc:1: 'always_copy' must be true or false, got maybe"},
      {"allow_softlinks: [yes]\n", "rc:1: 'allow_softlinks' must be true or false, got a list"},
      {"offline: 2\n", "rc:1: 'offline' must be true or false, got 2"},
      {"channel_alias: \"\"\n",
       "rc:1: 'channel_alias' must be a URL such as https://conda.anaconda.org, got ''"},
      {"channel_alias: conda.example.org\n",
       "rc:1: 'channel_alias' must be a URL such as https://conda.anaconda.org, got "
       "'conda.example.org'"},
      {"channel_alias: [a]\n", "rc:1: 'channel_alias' must be a string, got a list"},
      {"custom_channels: [a]\n", "rc:1: 'custom_channels' must be a map, got a list"},
      {"custom_channels:\n  mine: here\n",
       "rc:2: custom channel 'mine' must be a URL such as https://conda.anaconda.org, got 'here'"},
      {"channel_priority: sometimes\n",
       "rc:1: 'channel_priority' must be 'strict', 'flexible' or 'disabled', got 'sometimes'"},
      {"- channels\n", "rc:1: a condarc must be a map of keys, got a list"},
      {"channels: [a\n", "rc:2: invalid YAML: end of sequence flow not found"},
  };
  for (const auto& c : cases) {
    auto rc = parse_condarc(c.text, "rc");
    ASSERT_FALSE(rc) << c.text;
    EXPECT_EQ(rc.error().code(), ErrorCode::kInvalidArgument);
    const std::string& message = rc.error().message();
    EXPECT_EQ(message.substr(0, message.find('\n')), c.message) << c.text;
  }
}

TEST(CondarcTest, AStringWhereAListBelongsGetsAHint) {
  auto rc = parse_condarc("channels: conda-forge\n", "/home/u/.condarc");
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.error().message(),
            "/home/u/.condarc:1: 'channels' must be a list of strings, got a string\n"
            "channels: conda-forge\n"
            "          ^");
  EXPECT_EQ(rc.error().hint(), "write a list: 'channels: [conda-forge]'");
}

TEST(CondarcTest, ReadsEveryKeyGraftUses) {
  auto rc = parse_condarc(
      "channels: [conda-forge, defaults]\ndefault_channels: [https://x/main]\n"
      "pkgs_dirs: [~/pkgs]\nenvs_dirs: [/e]\nchannel_alias: https://mirror.example\n"
      "custom_channels: {mine: 'file:///srv/channels'}\nchannel_priority: strict\n"
      "always_copy: yes\nallow_softlinks: False\noffline: true\n"
      "auto_activate_base: whatever\nssl_verify:\n",
      "rc");
  ASSERT_TRUE(rc) << rc.error().message();
  EXPECT_EQ(*rc->channels, (std::vector<std::string>{"conda-forge", "defaults"}));
  EXPECT_EQ(*rc->default_channels, std::vector<std::string>{"https://x/main"});
  EXPECT_EQ(*rc->pkgs_dirs, std::vector<std::string>{"~/pkgs"});
  EXPECT_EQ(*rc->envs_dirs, std::vector<std::string>{"/e"});
  EXPECT_EQ(*rc->channel_alias, "https://mirror.example");
  EXPECT_EQ(rc->custom_channels.at("mine"), "file:///srv/channels");
  EXPECT_EQ(*rc->channel_priority, solve::ChannelPriority::kStrict);
  EXPECT_EQ(rc->always_copy, true);
  EXPECT_EQ(rc->allow_softlinks, false);
  EXPECT_EQ(rc->offline, true);
}

TEST(CondarcTest, EmptyFileAndEmptyValuesSetNothing) {
  for (const char* text : {"", "# only a comment\n", "channels:\nalways_copy:\n"}) {
    auto rc = parse_condarc(text, "rc");
    ASSERT_TRUE(rc) << text << ": " << rc.error().message();
    EXPECT_FALSE(rc->channels.has_value()) << text;
    EXPECT_FALSE(rc->always_copy.has_value()) << text;
  }
}

}  // namespace
}  // namespace graft::env
