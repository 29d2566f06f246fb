// noarch: python packages, as conda links them (conda/common/path.py, core/path_actions.py):
// where their files go in a prefix, which .pyc files compiling creates, and the entry-point
// scripts written from info/link.json.
//
// Pure functions on strings; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "conda/record.h"

namespace graft::env {

// The environment's python, as noarch: python linking needs it.
struct PythonTarget {
  std::string version;  // "major.minor", e.g. "3.12"
  // Site-packages directory relative to the prefix: the record's
  // `python_site_packages_path` (CEP 17) when set, else "lib/python<version>/site-packages".
  std::string site_packages;
};

// From the python record of an environment (or the one being linked). kInvalidArgument
// when its version has no "major.minor" ("'python' version '3' has no minor version").
[[nodiscard]] Result<PythonTarget> python_target(const conda::PackageRecord& python);

// The interpreter conda runs and names for noarch: python packages, relative to the
// prefix: "bin/python<major.minor>" ("bin/python3.11"), never "bin/python".
[[nodiscard]] std::string python_short_path(const PythonTarget& python);

// Where a noarch: python package's file goes: "site-packages/x" -> "<site-packages>/x",
// "python-scripts/x" -> "bin/x", anything else unchanged.
[[nodiscard]] std::string noarch_python_path(std::string_view source_path,
                                             const PythonTarget& python);

// The .pyc that `python -m compileall` writes for `py_path` (a ".py" path relative to the
// prefix): "<dir>/__pycache__/<stem>.cpython-<XY>.pyc" ("<py_path>c" for python 2).
// nullopt when the path does not end in ".py".
[[nodiscard]] std::optional<std::string> pyc_path(std::string_view py_path,
                                                  std::string_view python_version);

// "name = module:function" from link.json's noarch.entry_points.
struct EntryPoint {
  std::string command;
  std::string module;
  std::string function;  // may be dotted ("Main.run")
};

// Parses "cmd = pkg.mod:func". kInvalidArgument: "'x' is not a valid entry point: expected
// 'command = module:function'".
[[nodiscard]] Result<EntryPoint> parse_entry_point(std::string_view definition);

// The shebang conda writes for a script run by `python` (an absolute path): "#!<python>\n",
// or a /bin/sh trampoline when that line is over 127 bytes or has a space.
[[nodiscard]] std::string entry_point_shebang(std::string_view python);

// The whole text of the script conda writes at bin/<command>: the shebang followed by its
// python_entry_point_template.
[[nodiscard]] std::string entry_point_script(const EntryPoint& entry_point,
                                             std::string_view python);

}  // namespace graft::env
