#include "conda/shards.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/hash.h"
#include "base/zstd.h"

namespace graft::conda {
namespace {

using Json = nlohmann::json;

constexpr const char* kSections[] = {"packages", "packages.conda"};
constexpr const char* kDigestFields[] = {"md5", "sha256"};

Result<Json> parse_msgpack(std::string_view bytes, std::string_view source, std::string_view what) {
  Json value = Json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  if (value.is_discarded()) {
    return fail(ErrorCode::kCorrupt,
                "'" + std::string(source) + "' is not " + std::string(what) + ": not msgpack data");
  }
  return value;
}

Error not_a(std::string_view source, std::string_view what, std::string_view reason) {
  return Error(ErrorCode::kCorrupt, "'" + std::string(source) + "' is not " + std::string(what) +
                                        ": " + std::string(reason));
}

std::string info_string(const Json& info, const char* key) {
  auto found = info.find(key);
  return found != info.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// md5 and sha256 come as bytes in shards and as hex in repodata.json.
void digests_to_hex(Json& record) {
  for (const char* field : kDigestFields) {
    auto found = record.find(field);
    if (found == record.end() || !found->is_binary()) continue;
    const auto& bytes = found->get_binary();
    *found = base::hex_encode(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
}

void digests_to_bytes(Json& record) {
  for (const char* field : kDigestFields) {
    auto found = record.find(field);
    if (found == record.end() || !found->is_string()) continue;
    if (auto bytes = base::hex_decode(found->get<std::string>())) {
      *found = Json::binary(std::vector<std::uint8_t>(bytes->begin(), bytes->end()));
    }
  }
}

}  // namespace

const std::string* ShardIndex::shard_of(std::string_view name) const {
  auto found =
      std::lower_bound(shards.begin(), shards.end(), name,
                       [](const auto& entry, std::string_view key) { return entry.first < key; });
  return found != shards.end() && found->first == name ? &found->second : nullptr;
}

Result<ShardIndex> read_shard_index(std::string_view msgpack, std::string_view source) {
  constexpr std::string_view kWhat = "a shard index";
  GRAFT_ASSIGN_OR_RETURN(Json root, parse_msgpack(msgpack, source, kWhat));
  if (!root.is_object()) return fail(not_a(source, kWhat, "expected a map"));
  auto shards = root.find("shards");
  if (shards == root.end() || !shards->is_object())
    return fail(not_a(source, kWhat, "no 'shards' map"));
  ShardIndex index;
  if (auto info = root.find("info"); info != root.end() && info->is_object()) {
    index.subdir = info_string(*info, "subdir");
    index.base_url = info_string(*info, "base_url");
    index.shards_base_url = info_string(*info, "shards_base_url");
  }
  for (const auto& [name, hash] : shards->items()) {
    if (!hash.is_binary() || hash.get_binary().size() != 32) {
      return fail(not_a(source, kWhat, "the hash of '" + name + "' is not 32 bytes"));
    }
    const auto& bytes = hash.get_binary();
    index.shards.emplace_back(
        name, base::hex_encode(
                  std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  }
  std::sort(index.shards.begin(), index.shards.end());
  return index;
}

Status add_shard(std::string_view msgpack, std::string_view source, ShardRecords& out) {
  constexpr std::string_view kWhat = "a shard";
  GRAFT_ASSIGN_OR_RETURN(Json root, parse_msgpack(msgpack, source, kWhat));
  if (!root.is_object()) return fail(not_a(source, kWhat, "expected a map"));
  for (const char* section : kSections) {
    auto records = root.find(section);
    if (records == root.end() || records->is_null()) continue;
    if (!records->is_object())
      return fail(not_a(source, kWhat, std::string("'") + section + "' is not a map"));
    std::string& text = section == std::string_view("packages") ? out.packages : out.conda;
    for (auto& [fn, record] : records->items()) {
      if (!record.is_object())
        return fail(not_a(source, kWhat, "record '" + fn + "' is not a map"));
      digests_to_hex(record);
      if (!text.empty()) text += ',';
      text += Json(fn).dump(-1, ' ', false, Json::error_handler_t::replace) + ":" +
              record.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
  }
  return ok();
}

std::string shard_repodata(const ShardIndex& index, const ShardRecords& records) {
  const bool base = !index.base_url.empty() && index.base_url != "./";
  Json info = {{"subdir", index.subdir}};
  if (base) info["base_url"] = index.base_url;
  return "{\"info\":" + info.dump() + ",\"packages\":{" + records.packages +
         "},\"packages.conda\":{" + records.conda + "},\"repodata_version\":" + (base ? "2" : "1") +
         "}";
}

Result<ShardedRepodata> make_shards(std::string_view repodata_json) {
  Json root = Json::parse(repodata_json, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return fail(ErrorCode::kCorrupt, "repodata.json does not parse");
  }
  std::map<std::string, Json> by_name;  // name -> shard
  for (const char* section : kSections) {
    auto records = root.find(section);
    if (records == root.end() || !records->is_object()) continue;
    for (auto& [fn, record] : records->items()) {
      const std::string name = record.is_object() ? record.value("name", std::string()) : "";
      Json& shard = by_name[name];
      if (shard.is_null())
        shard = {{"packages", Json::object()},
                 {"packages.conda", Json::object()},
                 {"removed", Json::array()}};
      digests_to_bytes(record);
      shard[section][fn] = record;
    }
  }
  ShardedRepodata out;
  Json hashes = Json::object();
  for (const auto& [name, shard] : by_name) {
    const std::vector<std::uint8_t> packed = Json::to_msgpack(shard);
    GRAFT_ASSIGN_OR_RETURN(std::string compressed,
                           base::zstd_compress(std::string_view(
                               reinterpret_cast<const char*>(packed.data()), packed.size())));
    const std::string hex = base::sha256_hex(compressed);
    const std::string digest = *base::hex_decode(hex);
    hashes[name] = Json::binary(std::vector<std::uint8_t>(digest.begin(), digest.end()));
    out.shards.emplace_back(hex, std::move(compressed));
  }
  const std::string subdir =
      root.contains("info") && root["info"].is_object() ? info_string(root["info"], "subdir") : "";
  const Json index = {
      {"version", 1},
      {"info", {{"subdir", subdir}, {"base_url", "./"}, {"shards_base_url", "./shards/"}}},
      {"shards", hashes}};
  const std::vector<std::uint8_t> packed = Json::to_msgpack(index);
  GRAFT_ASSIGN_OR_RETURN(
      out.index, base::zstd_compress(std::string_view(reinterpret_cast<const char*>(packed.data()),
                                                      packed.size())));
  return out;
}

}  // namespace graft::conda
