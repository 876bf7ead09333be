// File: master/api/render.h
//
// The two layouts of a cgminer API answer (reply.h shows both): JSON, and cgminer's text form
// where `|` ends an object, `,` separates fields and `=` joins a name to its value (those three
// and `\` escaped with `\` inside values). Invalid UTF-8 (worker ids come from the network) is
// replaced, never an error.
//
//   std::string out = Render({{"summary", reply}}, /*joined=*/false, /*json=*/true);
//
// Pure functions; thread-safe.
#ifndef SYNTH_MASTER_API_RENDER_H_
#define SYNTH_MASTER_API_RENDER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace synth::api {

// A report command's data: `name` (SUMMARY, POOLS, ...) and its objects. `one_object` sections
// (SUMMARY, VERSION, CONFIG, CHECK) carry their name in the text form ("SUMMARY,Elapsed=..|");
// list sections do not (each object starts with its own index field, "POOL=0,...|").
struct Section {
  std::string name;
  bool one_object = false;
  nlohmann::ordered_json items;  // An array.
};

// One command's answer: its STATUS object and, for report commands, its section.
struct Reply {
  nlohmann::ordered_json status;
  std::optional<Section> section;
};

// Renders the answers to one request, NUL-terminated. `replies` pairs each command name with
// its answer; unless `joined`, only the first is used. `json`: JSON, else the text form.
std::string Render(const std::vector<std::pair<std::string, Reply>>& replies, bool joined,
                   bool json);

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_RENDER_H_
