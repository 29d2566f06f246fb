#include "conda/shards.h"

#include <algorithm>
#include <map>
#include <optional>

#include <msgpack.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/hash.h"
#include "base/zstd.h"

namespace graft::conda {
namespace {

using Json = nlohmann::json;

constexpr const char* kSections[] = {"packages", "packages.conda"};
constexpr const char* kDigestFields[] = {"md5", "sha256"};

// msgpack-c's object tree as JSON (binary stays binary: shards carry digests as bytes).
// nullopt for what JSON can not hold (an ext type, a map key that is not a string).
std::optional<Json> to_json(const msgpack_object& object) {
  switch (object.type) {
    case MSGPACK_OBJECT_NIL: return Json(nullptr);
    case MSGPACK_OBJECT_BOOLEAN: return Json(object.via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return Json(object.via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return Json(object.via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return Json(object.via.f64);
    case MSGPACK_OBJECT_STR: return Json(std::string(object.via.str.ptr, object.via.str.size));
    case MSGPACK_OBJECT_BIN: {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(object.via.bin.ptr);
      return Json::binary(std::vector<std::uint8_t>(bytes, bytes + object.via.bin.size));
    }
    case MSGPACK_OBJECT_ARRAY: {
      Json out = Json::array();
      for (std::uint32_t i = 0; i < object.via.array.size; ++i) {
        auto item = to_json(object.via.array.ptr[i]);
        if (!item) return std::nullopt;
        out.push_back(std::move(*item));
      }
      return out;
    }
    case MSGPACK_OBJECT_MAP: {
      Json out = Json::object();
      for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
        const msgpack_object_kv& entry = object.via.map.ptr[i];
        if (entry.key.type != MSGPACK_OBJECT_STR) return std::nullopt;
        auto value = to_json(entry.val);
        if (!value) return std::nullopt;
        out[std::string(entry.key.via.str.ptr, entry.key.via.str.size)] = std::move(*value);
      }
      return out;
    }
    default: return std::nullopt;
  }
}

// Whether `bytes` is one msgpack value whose every array, map, string and binary fits in
// the bytes that follow its header. msgpack-c allocates what a header declares before it
// reads the elements, so a few bytes could ask for gigabytes: checked first, it can not.
bool sizes_fit(std::string_view bytes) {
  std::size_t at = 0;
  std::uint64_t pending = 1;  // values still to read
  auto left = [&] { return bytes.size() - at; };
  auto number = [&](std::size_t width, std::uint64_t& out) {
    if (left() < width) return false;
    out = 0;
    for (std::size_t i = 0; i < width; ++i) out = out << 8 | static_cast<std::uint8_t>(bytes[at++]);
    return true;
  };
  while (pending > 0) {
    if (left() == 0) return false;
    --pending;
    const auto type = static_cast<std::uint8_t>(bytes[at++]);
    std::uint64_t count = 0;  // elements of a container (map: keys and values)
    std::uint64_t skip = 0;   // payload bytes
    std::size_t width = 0;    // bytes of the length field
    if (type <= 0x7f || type >= 0xe0 || type == 0xc0 || type == 0xc2 || type == 0xc3) {
      continue;
    } else if (type >= 0x80 && type <= 0x8f) {
      count = 2 * (type & 0x0f);
    } else if (type >= 0x90 && type <= 0x9f) {
      count = type & 0x0f;
    } else if (type >= 0xa0 && type <= 0xbf) {
      skip = type & 0x1f;
    } else {
      switch (type) {
        case 0xc4:
        case 0xd9: width = 1; break;  // bin8, str8
        case 0xc5:
        case 0xda: width = 2; break;  // bin16, str16
        case 0xc6:
        case 0xdb: width = 4; break;  // bin32, str32
        case 0xc7:
          width = 1;
          skip = 1;
          break;  // ext8: length, then a type byte
        case 0xc8:
          width = 2;
          skip = 1;
          break;
        case 0xc9:
          width = 4;
          skip = 1;
          break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc:
        case 0xd0: skip = 1; break;
        case 0xcd:
        case 0xd1: skip = 2; break;
        case 0xce:
        case 0xd2: skip = 4; break;
        case 0xcf:
        case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;  // fixext 1, 2, 4, 8, 16 (+ type byte)
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xdc:
          if (!number(2, count)) return false;
          break;
        case 0xdd:
          if (!number(4, count)) return false;
          break;
        case 0xde:
          if (!number(2, count)) return false;
          count *= 2;
          break;
        case 0xdf:
          if (!number(4, count)) return false;
          count *= 2;
          break;
        default: return false;  // 0xc1: never used
      }
    }
    if (width > 0) {
      std::uint64_t length = 0;
      if (!number(width, length)) return false;
      skip += length;
    }
    if (skip > left()) return false;
    at += skip;
    // Every element takes at least one byte.
    if (pending + count > left()) return false;
    pending += count;
  }
  return at == bytes.size();
}

Result<Json> parse_msgpack(std::string_view bytes, std::string_view source, std::string_view what) {
  if (!sizes_fit(bytes)) {
    return fail(ErrorCode::kCorrupt,
                "'" + std::string(source) + "' is not " + std::string(what) + ": not msgpack data");
  }
  msgpack_unpacked unpacked;
  msgpack_unpacked_init(&unpacked);
  std::size_t offset = 0;
  const msgpack_unpack_return code =
      msgpack_unpack_next(&unpacked, bytes.data(), bytes.size(), &offset);
  std::optional<Json> value;
  if (code == MSGPACK_UNPACK_SUCCESS && offset == bytes.size()) value = to_json(unpacked.data);
  msgpack_unpacked_destroy(&unpacked);
  if (!value) {
    return fail(ErrorCode::kCorrupt,
                "'" + std::string(source) + "' is not " + std::string(what) + ": not msgpack data");
  }
  return std::move(*value);
}

// JSON (with binary values) as msgpack, packed by msgpack-c.
void pack(msgpack_packer& packer, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: msgpack_pack_nil(&packer); break;
    case Json::value_t::boolean:
      value.get<bool>() ? msgpack_pack_true(&packer) : msgpack_pack_false(&packer);
      break;
    case Json::value_t::number_unsigned:
      msgpack_pack_uint64(&packer, value.get<std::uint64_t>());
      break;
    case Json::value_t::number_integer:
      msgpack_pack_int64(&packer, value.get<std::int64_t>());
      break;
    case Json::value_t::number_float: msgpack_pack_double(&packer, value.get<double>()); break;
    case Json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      msgpack_pack_str_with_body(&packer, text.data(), text.size());
      break;
    }
    case Json::value_t::binary: {
      const auto& bytes = value.get_binary();
      msgpack_pack_bin_with_body(&packer, bytes.data(), bytes.size());
      break;
    }
    case Json::value_t::array:
      msgpack_pack_array(&packer, value.size());
      for (const Json& item : value) pack(packer, item);
      break;
    case Json::value_t::object:
      msgpack_pack_map(&packer, value.size());
      for (const auto& [key, item] : value.items()) {
        msgpack_pack_str_with_body(&packer, key.data(), key.size());
        pack(packer, item);
      }
      break;
    default: msgpack_pack_nil(&packer); break;
  }
}

// `value` as zstd-compressed msgpack.
Result<std::string> packed_and_compressed(const Json& value) {
  msgpack_sbuffer buffer;
  msgpack_sbuffer_init(&buffer);
  msgpack_packer packer;
  msgpack_packer_init(&packer, &buffer, msgpack_sbuffer_write);
  pack(packer, value);
  auto compressed = base::zstd_compress(std::string_view(buffer.data, buffer.size));
  msgpack_sbuffer_destroy(&buffer);
  return compressed;
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
    GRAFT_ASSIGN_OR_RETURN(std::string compressed, packed_and_compressed(shard));
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
  GRAFT_ASSIGN_OR_RETURN(out.index, packed_and_compressed(index));
  return out;
}

}  // namespace graft::conda
