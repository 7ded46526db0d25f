#include "tests/product/lbctl_json.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <optional>

namespace lbha::lab {
namespace {

std::optional<google::protobuf::Struct> parse_json(const std::string& text) {
  google::protobuf::Struct doc;
  if (!google::protobuf::util::JsonStringToMessage(text, &doc).ok()) return std::nullopt;
  return doc;
}

template <typename Message>
std::optional<Message> field_as(const google::protobuf::Struct& doc, const std::string& key) {
  const auto it = doc.fields().find(key);
  if (it == doc.fields().end() || !it->second.has_struct_value()) return std::nullopt;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(it->second.struct_value(), &json).ok()) {
    return std::nullopt;
  }
  Message out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &out, options).ok()) return std::nullopt;
  return out;
}

template <typename Message>
Message status_field(const product_lab& p, int i, const std::string& key) {
  const auto doc = parse_json(p.lbctl(i, {"--json", "status"}).out);
  if (!doc) return {};
  return field_as<Message>(*doc, key).value_or(Message{});
}

}  // namespace

v1::HaStatus ha_of(const product_lab& p, int i) { return status_field<v1::HaStatus>(p, i, "ha"); }

v1::ProxyStatus proxy_of(const product_lab& p, int i) {
  return status_field<v1::ProxyStatus>(p, i, "proxy");
}

v1::SyncStatus sync_of(const product_lab& p, int i) {
  const auto r = p.lbctl(i, {"--json", "sync", "status"});
  v1::SyncStatus out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(r.out, &out, options).ok()) return {};
  return out;
}

int settled_owner(const product_lab& p) {
  const auto a = ha_of(p, 1);
  const auto b = ha_of(p, 2);
  if (a.want_active() || b.want_active()) return 0;
  if (a.role() == v1::ROLE_ACTIVE && b.role() == v1::ROLE_PASSIVE) return 1;
  if (b.role() == v1::ROLE_ACTIVE && a.role() == v1::ROLE_PASSIVE) return 2;
  return 0;
}

}  // namespace lbha::lab
