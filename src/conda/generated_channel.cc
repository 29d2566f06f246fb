#include "conda/generated_channel.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace graft::conda {
namespace {

constexpr std::int64_t kFirstTimestamp = 1'500'000'000'000;  // ms, 2017
constexpr std::int64_t kDay = 86'400'000;
constexpr int kPythonMinors[] = {10, 11, 12};
constexpr std::string_view kSyllables[] = {
    "ka",  "lo",  "mi",  "nu",  "pe",  "ra",  "si",  "to",    "vu",   "xe",   "zo",  "bar", "cor",
    "dex", "fin", "gal", "hex", "jet", "kin", "lum", "mon",   "nex",  "orb",  "pix", "qua", "rex",
    "syn", "tor", "uni", "vec", "wav", "yam", "zen", "arrow", "blas", "cuda", "geo", "http"};
constexpr std::string_view kPrefixes[] = {
    "", "", "", "", "lib", "lib", "py", "r-", "perl-", "ros-humble-", "jupyter-", "xorg-", "font-"};
constexpr std::string_view kLicenses[] = {
    "MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-or-later", "LGPL-2.1-or-later", "MPL-2.0"};

// splitmix64: small, fast and good enough for shaping test data.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t bound) { return bound == 0 ? 0 : next() % bound; }
  bool chance(double probability) { return unit() < probability; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Log-uniform in [0, bound): most draws land on the first (most popular) indices.
  std::size_t popular_below(std::size_t bound) {
    const double index = std::exp(unit() * std::log(static_cast<double>(bound) + 1.0)) - 1.0;
    return std::min(bound - 1, static_cast<std::size_t>(index));
  }
  std::string hex(std::size_t digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(digits, '0');
    for (std::size_t i = 0; i < digits; i += 16) {
      std::uint64_t bits = next();
      for (std::size_t k = i; k < std::min(digits, i + 16); ++k, bits >>= 4)
        out[k] = kDigits[bits & 15];
    }
    return out;
  }

 private:
  std::uint64_t state_;
};

struct Name {
  std::string text;
  bool noarch = false;
  bool python = false;                // one build per python (or noarch: python)
  std::vector<std::string> versions;  // oldest first
  std::vector<std::uint32_t> depends;
  std::size_t builds = 1;  // build numbers per version
};

std::size_t records_of(const Name& name) {
  const std::size_t variants = name.python && !name.noarch ? std::size(kPythonMinors) : 1;
  const std::size_t per_version = variants * name.builds;
  const std::size_t old = name.versions.size() / 2;  // also published as .tar.bz2
  return per_version * (name.versions.size() + old);
}

std::string major_of(std::string_view version) {
  return std::string(version.substr(0, version.find('.')));
}

void append_number(std::string& out, std::int64_t value) {
  char buffer[24];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

class Generator {
 public:
  explicit Generator(const ChannelShape& shape) : shape_(shape), random_(shape.seed) {}
  GeneratedChannel run();

 private:
  void add_python();
  void add_names(bool noarch, std::size_t records);
  std::string unique_name();
  std::vector<std::string> versions();
  std::string dependency_spec(const Name& dependency, std::size_t version, std::size_t versions);
  void add_records(const Name& name, std::vector<std::pair<std::string, std::string>>& out);
  std::string record_text(const Name& name, std::size_t version, int python, std::size_t build,
                          std::string_view build_string);
  std::string write_subdir(bool noarch);
  std::size_t closure(std::size_t start) const;

  const ChannelShape& shape_;
  Random random_;
  std::vector<Name> names_;
  std::unordered_set<std::string> taken_;
};

void Generator::add_python() {
  Name python{.text = "python"};
  for (int minor : kPythonMinors) {
    for (int patch = 0; patch < 8; ++patch)
      python.versions.push_back("3." + std::to_string(minor) + "." + std::to_string(patch));
  }
  Name abi{.text = "python_abi"};
  for (int minor : kPythonMinors) abi.versions.push_back("3." + std::to_string(minor));
  Name pip{.text = "pip", .noarch = true, .versions = {"23.0", "23.3.1", "24.0", "24.2"}};
  for (auto* name : {&python, &abi, &pip}) taken_.insert(name->text);
  names_.push_back(std::move(python));
  names_.push_back(std::move(abi));
  names_.push_back(std::move(pip));
}

std::string Generator::unique_name() {
  for (;;) {
    std::string text(kPrefixes[random_.below(std::size(kPrefixes))]);
    const std::size_t parts = 2 + random_.below(3);
    for (std::size_t i = 0; i < parts; ++i)
      text += kSyllables[random_.below(std::size(kSyllables))];
    if (random_.chance(0.2))
      text += "-" + std::string(kSyllables[random_.below(std::size(kSyllables))]);
    if (taken_.insert(text).second) return text;
  }
}

std::vector<std::string> Generator::versions() {
  std::size_t count = 1 + random_.below(4);
  while (random_.chance(0.55) && count < 60) count += 1 + random_.below(6);
  std::int64_t major = static_cast<std::int64_t>(random_.below(4));
  std::int64_t minor = static_cast<std::int64_t>(random_.below(10));
  std::int64_t patch = 0;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(std::to_string(major) + "." + std::to_string(minor) + "." +
                  std::to_string(patch));
    const double step = random_.unit();
    if (step < 0.6) {
      ++patch;
    } else if (step < 0.9) {
      ++minor, patch = 0;
    } else {
      ++major, minor = 0, patch = 0;
    }
  }
  return out;
}

void Generator::add_names(bool noarch, std::size_t records) {
  for (std::size_t made = 0; made < records;) {
    Name name{.text = unique_name(), .noarch = noarch};
    name.python = noarch || random_.chance(0.45);
    name.versions = versions();
    name.builds = random_.chance(0.3) ? 2 : 1;
    const std::size_t depends = random_.below(7);
    for (std::size_t i = 0; i < depends && names_.size() > 3; ++i) {
      const auto index = static_cast<std::uint32_t>(random_.popular_below(names_.size()));
      if (index < 3) continue;  // python, python_abi and pip come with python builds
      if (std::find(name.depends.begin(), name.depends.end(), index) == name.depends.end())
        name.depends.push_back(index);
    }
    made += records_of(name);
    names_.push_back(std::move(name));
  }
}

std::string Generator::dependency_spec(const Name& dependency, std::size_t version,
                                       std::size_t versions) {
  const std::size_t count = dependency.versions.size();
  const std::string& low = dependency.versions[version * count / (2 * versions)];
  const double shape = random_.unit();
  if (shape < 0.2) return dependency.text;
  if (shape < 0.55) return dependency.text + " >=" + low;
  if (shape < 0.85)
    return dependency.text + " >=" + low + ",<" + std::to_string(std::stoll(major_of(low)) + 1) +
           ".0a0";
  return dependency.text + " " + low.substr(0, low.rfind('.')) + ".*";
}

std::string Generator::record_text(const Name& name, std::size_t version, int python,
                                   std::size_t build, std::string_view build_string) {
  std::vector<std::string> depends;
  if (python != 0) {
    const std::string minor = "3." + std::to_string(python);
    depends.push_back("python >=" + minor + ",<3." + std::to_string(python + 1) + ".0a0");
    depends.push_back("python_abi " + minor + ".* *_cp3" + std::to_string(python));
  } else if (name.noarch && name.python) {
    depends.push_back("python >=3.8");
  }
  for (std::uint32_t index : name.depends)
    depends.push_back(dependency_spec(names_[index], version, name.versions.size()));
  std::sort(depends.begin(), depends.end());
  std::string out = "{\n      \"build\": \"";
  out.append(build_string).append("\",\n      \"build_number\": ");
  append_number(out, static_cast<std::int64_t>(build));
  if (random_.chance(0.05) && !name.depends.empty()) {
    out +=
        ",\n      \"constrains\": [\n        \"" + names_[name.depends[0]].text + " <99\"\n      ]";
  }
  out += ",\n      \"depends\": [";
  for (std::size_t i = 0; i < depends.size(); ++i)
    out += (i == 0 ? "\n        \"" : ",\n        \"") + depends[i] + "\"";
  out += depends.empty() ? "]" : "\n      ]";
  out += ",\n      \"license\": \"";
  out.append(kLicenses[random_.below(std::size(kLicenses))]);
  out += "\",\n      \"md5\": \"" + random_.hex(32) + "\",\n      \"name\": \"" + name.text + "\"";
  if (name.noarch) out += ",\n      \"noarch\": \"python\"";
  out += ",\n      \"sha256\": \"" + random_.hex(64) + "\",\n      \"size\": ";
  append_number(out, static_cast<std::int64_t>(10'000 + random_.below(50'000'000)));
  out += ",\n      \"subdir\": \"" + (name.noarch ? std::string("noarch") : shape_.platform);
  out += "\",\n      \"timestamp\": ";
  append_number(out, kFirstTimestamp + static_cast<std::int64_t>(version) * 30 * kDay +
                         static_cast<std::int64_t>(build) * kDay +
                         static_cast<std::int64_t>(random_.below(1000)));
  if (random_.chance(0.003)) out += ",\n      \"track_features\": \"blas_openblas\"";
  out += ",\n      \"version\": \"" + name.versions[version] + "\"\n    }";
  return out;
}

void Generator::add_records(const Name& name,
                            std::vector<std::pair<std::string, std::string>>& out) {
  const bool variants = name.python && !name.noarch;
  for (std::size_t v = 0; v < name.versions.size(); ++v) {
    const std::string hash = random_.hex(8);
    for (std::size_t build = 0; build < name.builds; ++build) {
      for (int python : kPythonMinors) {
        if (!variants && python != kPythonMinors[0]) break;
        std::string build_string = (variants ? "py3" + std::to_string(python) : std::string()) +
                                   (name.noarch ? "pyhd8ed1ab" : "h" + hash) + "_" +
                                   std::to_string(build);
        const std::string stem = name.text + "-" + name.versions[v] + "-" + build_string;
        const int wants = variants ? python : 0;
        out.emplace_back(stem + ".conda", record_text(name, v, wants, build, build_string));
        if (v < name.versions.size() / 2)
          out.emplace_back(stem + ".tar.bz2", record_text(name, v, wants, build, build_string));
      }
    }
  }
}

void append_section(std::string& out, std::vector<std::pair<std::string, std::string>> entries) {
  std::sort(entries.begin(), entries.end());
  out += "{";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out += i == 0 ? "\n    \"" : ",\n    \"";
    out += entries[i].first;
    out += "\": ";
    out += entries[i].second;
  }
  out += entries.empty() ? "}" : "\n  }";
}

std::string Generator::write_subdir(bool noarch) {
  std::vector<std::pair<std::string, std::string>> conda;
  std::vector<std::pair<std::string, std::string>> tar_bz2;
  for (const Name& name : names_) {
    if (name.noarch != noarch) continue;
    std::vector<std::pair<std::string, std::string>> records;
    if (name.text == "python" || name.text == "python_abi") {
      for (std::size_t v = 0; v < name.versions.size(); ++v) {
        const bool abi = name.text == "python_abi";
        const std::string minor = name.versions[v].substr(2, 2);
        const std::string build = abi ? "5_cp3" + minor : "h" + random_.hex(7) + "_0_cpython";
        records.emplace_back(name.text + "-" + name.versions[v] + "-" + build + ".conda",
                             record_text(name, v, 0, abi ? 5 : 0, build));
      }
    } else {
      add_records(name, records);
    }
    for (auto& entry : records)
      (entry.first.ends_with(".conda") ? conda : tar_bz2).push_back(std::move(entry));
  }
  std::string out = "{\n  \"info\": {\n    \"subdir\": \"" +
                    (noarch ? std::string("noarch") : shape_.platform) +
                    "\"\n  },\n  \"packages\": ";
  append_section(out, std::move(tar_bz2));
  out += ",\n  \"packages.conda\": ";
  append_section(out, std::move(conda));
  out += ",\n  \"removed\": [],\n  \"repodata_version\": 1\n}\n";
  return out;
}

std::size_t Generator::closure(std::size_t start) const {
  std::vector<bool> seen(names_.size(), false);
  std::vector<std::size_t> queue = {start, 0, 1, 2};
  std::size_t count = 0;
  while (!queue.empty()) {
    const std::size_t index = queue.back();
    queue.pop_back();
    if (seen[index]) continue;
    seen[index] = true;
    ++count;
    for (std::uint32_t next : names_[index].depends) queue.push_back(next);
  }
  return count;
}

GeneratedChannel Generator::run() {
  add_python();
  add_names(false, shape_.platform_records);
  const std::size_t platform_names = names_.size();
  add_names(true, shape_.noarch_records);
  GeneratedChannel channel;
  for (std::size_t i = platform_names; i-- > 3 && platform_names - i <= 200;) {
    if (!names_[i].python) continue;
    const std::size_t size = closure(i);
    if (size > channel.deep_closure)
      channel.deep_closure = size, channel.deep_name = names_[i].text;
  }
  channel.platform_json = write_subdir(false);
  channel.noarch_json = write_subdir(true);
  for (const Name& name : names_) channel.names.push_back(name.text);
  return channel;
}

}  // namespace

GeneratedChannel generate_channel(const ChannelShape& shape) {
  return Generator(shape).run();
}

}  // namespace graft::conda
