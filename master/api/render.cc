#include "master/api/render.h"

namespace synth::api {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// One command's answer as a JSON object: STATUS, its section, "id".
Json ReplyJson(const Reply& r) {
  Json out = Json::object();
  out["STATUS"] = Json::array({r.status});
  if (r.section) out[r.section->name] = r.section->items;
  out["id"] = 1;
  return out;
}

// Escapes cgminer's text separators inside a value; a NUL (which ends an answer) becomes '?'.
std::string EscapeText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == ',' || c == '=' || c == '\\') out += '\\';
    out += c == '\0' ? '?' : c;
  }
  return out;
}

std::string TextValue(const Json& v) {
  if (v.is_string()) {
    // Through dump() for the same UTF-8 replacement as JSON, then unquoted.
    std::string quoted = Dump(v);
    return EscapeText(Json::parse(quoted).get<std::string>());
  }
  return Dump(v);
}

// "name=value,name=value" of one object.
std::string TextFields(const Json& object) {
  std::string out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!out.empty()) out += ',';
    out += it.key() + "=" + TextValue(it.value());
  }
  return out;
}

std::string ReplyText(const Reply& r) {
  std::string out = TextFields(r.status) + "|";
  if (!r.section) return out;
  for (const Json& item : r.section->items) {
    if (r.section->one_object) out += r.section->name + ",";
    out += TextFields(item) + "|";
  }
  return out;
}

}  // namespace

std::string Render(const std::vector<std::pair<std::string, Reply>>& replies, bool joined,
                   bool json) {
  std::string out;
  if (replies.empty()) return std::string(1, '\0');
  if (!joined) {
    out = json ? Dump(ReplyJson(replies[0].second)) : ReplyText(replies[0].second);
  } else if (json) {
    Json all = Json::object();
    for (const auto& [name, reply] : replies) all[name] = Json::array({ReplyJson(reply)});
    all["id"] = 1;
    out = Dump(all);
  } else {
    for (const auto& [name, reply] : replies) {
      out += "CMD=" + EscapeText(name) + "|" + ReplyText(reply);
    }
  }
  out += '\0';
  return out;
}

}  // namespace synth::api
