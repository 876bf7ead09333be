#include "master/api/reply.h"

#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "master/api/codes.h"
#include "master/api/render.h"
#include "master/api/sections.h"

namespace synth::api {
namespace {

// One status code: cgminer's severity letter and message, `%d`/`%s` filled in order.
struct CodeText {
  ApiCode code;
  const char* severity;
  const char* text;
};
constexpr CodeText kCodeTexts[] = {
    {kCodePools, "S", "%d Pool(s)"},
    {kCodeNoPools, "E", "No pools"},
    {kCodeDevs, "S", "%d ASC(s)"},
    {kCodeNoDevs, "E", "No ASCs"},
    {kCodeSummary, "S", "Summary"},
    {kCodeInvalidCommand, "E", "Invalid command"},
    {kCodeVersion, "S", "CGMiner versions"},
    {kCodeInvalidJson, "E", "Invalid JSON"},
    {kCodeMissingCommand, "E", "Missing JSON 'command'"},
    {kCodeMissingPoolId, "E", "Missing pool id parameter"},
    {kCodeInvalidPoolId, "E", "Invalid pool id %d - range is 0 - %d"},
    {kCodeSwitchPool, "S", "Switching to pool %d:'%s'"},
    {kCodeConfig, "S", "CGMiner config"},
    {kCodeAccessDenied, "E", "Access denied to '%s' command"},
    {kCodeAccessOk, "S", "Privileged access OK"},
    {kCodeAlreadyEnabled, "I", "Pool %d:'%s' already enabled"},
    {kCodeMissingAddPool, "E", "Missing addpool details"},
    {kCodeStats, "S", "CGMiner stats"},
    {kCodeMissingCheck, "E", "Missing check cmd"},
    {kCodeCheck, "S", "Check command"},
    {kCodeNotSupported, "E", "'%s' is not supported by synth-master: %s"},
};

const CodeText& Lookup(ApiCode code) {
  for (const CodeText& c : kCodeTexts) {
    if (c.code == code) return c;
  }
  return Lookup(kCodeInvalidCommand);
}

// Replaces each %d/%s of `text` by the next argument.
std::string Fill(std::string_view text, const std::vector<std::string>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 1 < text.size() && (text[i + 1] == 'd' || text[i + 1] == 's') &&
        next < args.size()) {
      out += args[next++];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// What one command produced: its status and, for report commands, its section.
struct Call {
  const ApiSnapshot& snap;
  const std::string& parameter;
  const ApiContext& ctx;
  ApiGroup group;
};
struct Result {
  ApiCode code;
  std::vector<std::string> args;
  std::optional<Section> section;
};
using Handler = Result (*)(const Call&);

Result Report(ApiCode code, const char* name, bool one_object, Json body,
              std::vector<std::string> args = {}) {
  Json items = one_object ? Json::array({std::move(body)}) : std::move(body);
  return {code, std::move(args), Section{name, one_object, std::move(items)}};
}

Result Version(const Call& c) {
  return Report(kCodeVersion, "VERSION", true, VersionSection(c.snap));
}
Result Config(const Call& c) { return Report(kCodeConfig, "CONFIG", true, ConfigSection(c.snap)); }
Result Summary(const Call& c) {
  return Report(kCodeSummary, "SUMMARY", true, SummarySection(c.snap));
}
Result Stats(const Call& c) { return Report(kCodeStats, "STATS", false, StatsSection(c.snap)); }
Result Pools(const Call& c) {
  if (c.snap.pools.pools_size() == 0) return {kCodeNoPools, {}, std::nullopt};
  return Report(kCodePools, "POOLS", false, PoolsSection(c.snap, c.ctx.pool_user),
                {absl::StrCat(c.snap.pools.pools_size())});
}
Result Devs(const Call& c) {
  int n = DeviceCount(c.snap);
  if (n == 0) return {kCodeNoDevs, {}, std::nullopt};
  return Report(kCodeDevs, "DEVS", false, DevsSection(c.snap), {absl::StrCat(n)});
}
Result Privileged(const Call&) { return {kCodeAccessOk, {}, std::nullopt}; }
Result Check(const Call& c);
Result SwitchPool(const Call& c);
Result EnablePool(const Call& c);
Result DisablePool(const Call& c);
Result AddPool(const Call& c);

// The commands, once: `joinable` report commands may be combined with '+'; `write` ones need
// the W: group.
struct Command {
  const char* name;
  bool joinable;
  bool write;
  Handler run;
};
constexpr Command kCommands[] = {
    {"version", true, false, Version},
    {"config", true, false, Config},
    {"summary", true, false, Summary},
    {"pools", true, false, Pools},
    {"devs", true, false, Devs},
    {"edevs", true, false, Devs},
    {"stats", true, false, Stats},
    {"estats", true, false, Stats},
    {"check", false, false, Check},
    {"privileged", false, true, Privileged},
    {"switchpool", false, true, SwitchPool},
    {"enablepool", false, true, EnablePool},
    {"disablepool", false, true, DisablePool},
    {"addpool", false, true, AddPool},
};

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

Result Check(const Call& c) {
  if (c.parameter.empty()) return {kCodeMissingCheck, {}, std::nullopt};
  const Command* cmd = FindCommand(c.parameter);
  bool access = cmd != nullptr && (!cmd->write || c.group == ApiGroup::kWrite);
  return Report(kCodeCheck, "CHECK", true,
                Json{{"Exists", cmd != nullptr ? "Y" : "N"}, {"Access", access ? "Y" : "N"}});
}

// Parses the pool id parameter; returns the failing result, or nullopt with *index set.
std::optional<Result> PoolId(const Call& c, int* index) {
  if (c.parameter.empty()) return Result{kCodeMissingPoolId, {}, std::nullopt};
  const int n = c.snap.pools.pools_size();
  if (!absl::SimpleAtoi(c.parameter, index)) *index = -1;
  if (*index < 0 || *index >= n) {
    return Result{kCodeInvalidPoolId, {absl::StrCat(*index), absl::StrCat(n - 1)}, std::nullopt};
  }
  return std::nullopt;
}

Result NotSupported(const char* command, const char* why) {
  return {kCodeNotSupported, {command, why}, std::nullopt};
}

Result SwitchPool(const Call& c) {
  int index = 0;
  if (std::optional<Result> bad = PoolId(c, &index)) return *bad;
  if (!c.ctx.backend->switch_pool) return NotSupported("switchpool", "this master has one pool");
  v1::SwitchPoolRequest req;
  req.set_index(static_cast<uint32_t>(index));
  absl::StatusOr<v1::SwitchPoolResponse> r = c.ctx.backend->switch_pool(req);
  if (!r.ok()) return {kCodeNotSupported, {"switchpool", std::string(r.status().message())}};
  return {kCodeSwitchPool, {absl::StrCat(r->index()), r->url()}, std::nullopt};
}

Result EnablePool(const Call& c) {
  int index = 0;
  if (std::optional<Result> bad = PoolId(c, &index)) return *bad;
  // Every pool of synth's failover list is always enabled.
  return {kCodeAlreadyEnabled, {absl::StrCat(index), c.snap.pools.pools(index).url()}};
}

Result DisablePool(const Call& c) {
  int index = 0;
  if (std::optional<Result> bad = PoolId(c, &index)) return *bad;
  return NotSupported("disablepool",
                      "its pools form a failover list; use switchpool to choose the pool");
}

Result AddPool(const Call& c) {
  // The parameter holds a pool password: it is never repeated.
  if (c.parameter.empty()) return {kCodeMissingAddPool, {}, std::nullopt};
  return NotSupported("addpool",
                      "pools come from --pool (synthctl pool switch URL adds one with the "
                      "master's credentials)");
}

Json Status(ApiCode code, const std::vector<std::string>& args, const ApiSnapshot& snap,
            const ApiContext& ctx) {
  const CodeText& t = Lookup(code);
  return Json{{"STATUS", t.severity},
              {"When", absl::ToUnixSeconds(ctx.now)},
              {"Code", static_cast<int>(code)},
              {"Msg", Fill(t.text, args)},
              {"Description", Description(snap)}};
}

// Runs command `cmd` (null: unknown) of the request for the peer's group.
Reply RunOne(const Command* cmd, const ApiRequest& req, const ApiSnapshot& snap, ApiGroup group,
             const ApiContext& ctx) {
  Result r{kCodeInvalidCommand, {}, std::nullopt};
  if (cmd != nullptr &&
      ((req.joined && !cmd->joinable) || (cmd->write && group != ApiGroup::kWrite))) {
    r = {kCodeAccessDenied, {cmd->name}, std::nullopt};
  } else if (cmd != nullptr) {
    r = cmd->run(Call{snap, req.parameter, ctx, group});
  }
  return Reply{Status(r.code, r.args, snap, ctx), std::move(r.section)};
}

}  // namespace

ApiAnswer Answer(const ApiRequest& req, ApiGroup group, const ApiContext& ctx) {
  const ApiSnapshot snap = ctx.backend->snapshot();
  ApiAnswer out;
  if (req.error_code != 0 || req.commands.empty()) {
    ApiCode code = req.error_code != 0 ? static_cast<ApiCode>(req.error_code) : kCodeInvalidCommand;
    out.bytes = Render({{"", Reply{Status(code, {}, snap, ctx), std::nullopt}}}, false, req.json);
    return out;
  }
  std::vector<std::pair<std::string, Reply>> replies;
  for (const std::string& name : req.commands) {
    const Command* cmd = FindCommand(name);
    const bool denied = cmd != nullptr && cmd->write && group != ApiGroup::kWrite && !req.joined;
    if (denied) out.denied.push_back(cmd->name);
    replies.emplace_back(name, RunOne(cmd, req, snap, group, ctx));
  }
  out.bytes = Render(replies, req.joined, req.json);
  return out;
}

}  // namespace synth::api
