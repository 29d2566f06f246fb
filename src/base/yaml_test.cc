#include "base/yaml.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace graft::base {
namespace {

// The first line of the error `result` holds ("<ok>" when it holds a value).
template <typename T>
std::string first_line(const Result<T>& result) {
  if (result) return "<ok>";
  const std::string& message = result.error().message();
  return message.substr(0, message.find('\n'));
}

TEST(YamlReaderTest, SyntaxErrorsAreLocated) {
  const YamlReader reader("a: [1\n", "f.yml");
  EXPECT_EQ(first_line(reader.load()), "f.yml:2: invalid YAML: end of sequence flow not found");
}

TEST(YamlReaderTest, ErrorShowsTheLineAndACaretUnderTheColumn) {
  const std::string text = "a: 1\nb: [x,\t{c: d}]\n";
  const YamlReader reader(text, "f.yml");
  const YAML::Node root = *reader.load();
  EXPECT_EQ(reader.error_at(root["b"][1], "bad").message(),
            "f.yml:2: bad\nb: [x,\t{c: d}]\n      \t^");
  EXPECT_EQ(reader.error_at(YAML::Mark::null_mark(), "nowhere").message(), "f.yml: nowhere");
}

TEST(YamlReaderTest, HugeTextsAreRefusedBeforeParsing) {
  const std::string long_line = "a: 1\nb: [" + std::string(kMaxYamlLineBytes, 'x') + "]\n";
  const YamlReader reader(long_line, "f.yml");
  auto loaded = reader.load();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(first_line(loaded), "f.yml:2: the line is 65541 bytes long, the limit is 65536");
  EXPECT_LT(loaded.error().message().size(), 2 * kMessageQuoteLimit + 100);

  std::string many_lines;
  while (many_lines.size() <= kMaxYamlBytes) many_lines += "- " + std::string(1000, 'y') + "\n";
  EXPECT_EQ(first_line(YamlReader(many_lines, "f.yml").load()),
            "f.yml: the file is " + std::to_string(many_lines.size()) +
                " bytes long, the limit is 33554432");
}

TEST(YamlReaderTest, AHugeLineIsShownAroundTheColumnOnly) {
  const std::string text = "k: " + std::string(1'000'000, 'x') + " [oops]\n";
  const YamlReader reader(text, "f.yml");
  YAML::Mark mark;
  mark.line = 0;
  mark.column = 500'000;
  const std::string message = reader.error_at(mark, "here").message();
  EXPECT_LT(message.size(), 2 * kMessageQuoteLimit + 40) << message.size();
  const std::string caret_line = message.substr(message.rfind('\n') + 1);
  EXPECT_EQ(caret_line, std::string(kMessageQuoteLimit / 2 + 3, ' ') + "^");
  EXPECT_EQ(message.substr(0, 20), "f.yml:1: here\n...xxx");
}

TEST(YamlReaderTest, KindsReadAsWords) {
  const YamlReader reader("{m: {}, l: [], n: -1.5e3, s: conda-forge, z: ~, v: '5'}", "f.yml");
  const YAML::Node root = *reader.load();
  const struct {
    const char* key;
    std::string_view kind;
  } cases[] = {{"m", "a map"},    {"l", "a list"},  {"n", "a number"},
               {"s", "a string"}, {"z", "nothing"}, {"v", "a string"}};
  for (const auto& c : cases) EXPECT_EQ(yaml_kind(root[c.key]), c.kind) << c.key;
}

TEST(YamlReaderTest, TypedReadsSayWhatIsAllowed) {
  const YamlReader reader(
      "s: [a]\nl: 5\nm: [a, [b]]\nu: -5\nbig: 99999999999999999999999\nb: maybe\nok: [x, y]\n",
      "f.yml");
  const YAML::Node root = *reader.load();
  EXPECT_EQ(first_line(reader.string(root["s"], "'s'")),
            "f.yml:1: 's' must be a string, got a list");
  EXPECT_EQ(first_line(reader.strings(root["l"], "'l'")),
            "f.yml:2: 'l' must be a list of strings, got a number");
  EXPECT_EQ(first_line(reader.strings(root["m"], "'m'")),
            "f.yml:3: 'm' must be a list of strings, got a list in it");
  EXPECT_EQ(first_line(reader.unsigned_integer(root["u"], "'u'")),
            "f.yml:4: 'u' must be a non-negative integer, got -5");
  EXPECT_EQ(first_line(reader.unsigned_integer(root["big"], "'big'")),
            "f.yml:5: 'big' is too large: 99999999999999999999999");
  EXPECT_EQ(first_line(reader.boolean(root["b"], "'b'")),
            "f.yml:6: 'b' must be true or false, got maybe");
  EXPECT_EQ(*reader.strings(root["ok"], "'ok'"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(*reader.strings(root["absent"], "'absent'"), std::vector<std::string>{});
}

TEST(YamlReaderTest, BooleansReadAsCondaReadsThem) {
  const YamlReader reader("[true, Yes, on, FALSE, no, Off]", "f.yml");
  const YAML::Node root = *reader.load();
  std::vector<bool> values;
  for (const YAML::Node& item : root) values.push_back(*reader.boolean(item, "x"));
  EXPECT_EQ(values, (std::vector<bool>{true, true, true, false, false, false}));
}

TEST(YamlReaderTest, CheckKeysSuggestsAndRefusesRepeats) {
  const YamlReader reader("alpha: 1\nbeta: 2\nalpah: 3\n", "f.yml");
  const YAML::Node root = *reader.load();
  EXPECT_EQ(first_line(reader.check_keys(root, "", {"alpha", "beta"})),
            "f.yml:3: unknown key 'alpah', did you mean 'alpha'?");
  const YamlReader twice("a: 1\na: 2\n", "f.yml");
  EXPECT_EQ(first_line(twice.check_keys(*twice.load(), "top", {"a"})),
            "f.yml:2: key 'a' in 'top' is given twice");
  EXPECT_EQ(first_line(reader.expect_map(root["alpha"], "'alpha'")),
            "f.yml:1: 'alpha' must be a map, got a number");
}

}  // namespace
}  // namespace graft::base
