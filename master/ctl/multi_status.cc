#include "master/ctl/multi_status.h"

#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "master/ctl/format.h"
#include "nlohmann/json.hpp"

namespace synth::ctl {
namespace {

namespace pb = ::google::protobuf;

// Adds every numeric field of `from` into `to` (same message type; counters and rates).
void AddNumbers(const pb::Message& from, pb::Message* to) {
  const pb::Reflection* r = from.GetReflection();
  const pb::Descriptor* d = from.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) continue;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        r->SetUInt64(to, f, r->GetUInt64(*to, f) + r->GetUInt64(from, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        r->SetUInt32(to, f, r->GetUInt32(*to, f) + r->GetUInt32(from, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        r->SetDouble(to, f, r->GetDouble(*to, f) + r->GetDouble(from, f));
        break;
      default:
        break;
    }
  }
}

std::string Rate(double hps) {
  if (hps >= 1e9) return absl::StrFormat("%.2f GH/s", hps / 1e9);
  if (hps >= 1e6) return absl::StrFormat("%.2f MH/s", hps / 1e6);
  return absl::StrFormat("%.0f H/s", hps);
}

int Up(const std::vector<MasterStatus>& masters) {
  int up = 0;
  for (const MasterStatus& m : masters) up += m.ok ? 1 : 0;
  return up;
}

}  // namespace

v1::StatusResponse SumStatuses(const std::vector<MasterStatus>& masters) {
  v1::StatusResponse t;
  for (const MasterStatus& m : masters) {
    if (!m.ok) continue;
    const v1::StatusResponse& s = m.status;
    t.set_workers(t.workers() + s.workers());
    t.set_workers_draining(t.workers_draining() + s.workers_draining());
    t.set_reported_rate_hps(t.reported_rate_hps() + s.reported_rate_hps());
    t.set_verified_rate_hps(t.verified_rate_hps() + s.verified_rate_hps());
    t.set_accepted_rate_hps(t.accepted_rate_hps() + s.accepted_rate_hps());
    t.set_units_queued(t.units_queued() + s.units_queued());
    t.set_units_leased(t.units_leased() + s.units_leased());
    AddNumbers(s.shares(), t.mutable_shares());
    AddNumbers(s.reported_rates(), t.mutable_reported_rates());
    AddNumbers(s.verified_rates(), t.mutable_verified_rates());
    AddNumbers(s.accepted_rates(), t.mutable_accepted_rates());
  }
  return t;
}

std::string FormatMultiStatus(const std::vector<MasterStatus>& masters) {
  std::string out;
  for (const MasterStatus& m : masters) {
    absl::StrAppendFormat(&out, "== master %s\n", m.address);
    out += m.ok ? FormatStatus(m.status) : absl::StrFormat("  %s\n", m.error);
    out += "\n";
  }
  v1::StatusResponse t = SumStatuses(masters);
  const v1::ShareCounts& c = t.shares();
  absl::StrAppendFormat(&out, "== cluster (%d of %d masters answered)\n", Up(masters),
                        masters.size());
  absl::StrAppendFormat(&out, "workers     %d (%d draining)\n", t.workers(), t.workers_draining());
  absl::StrAppendFormat(&out, "rate        reported %s, verified %s (1 min)\n",
                        Rate(t.reported_rates().last_1m_hps()),
                        Rate(t.verified_rates().last_1m_hps()));
  absl::StrAppendFormat(&out,
                        "shares      found %d: accepted %d, rejected %d, stale %d, pool down %d, "
                        "pending %d\n",
                        c.found(), c.accepted(), c.rejected(), c.stale(), c.pool_down(),
                        c.pending());
  absl::StrAppendFormat(&out, "work        units queued %d, leased %d\n", t.units_queued(),
                        t.units_leased());
  return out;
}

std::string MultiStatusJson(const std::vector<MasterStatus>& masters) {
  nlohmann::json list = nlohmann::json::array();
  for (const MasterStatus& m : masters) {
    nlohmann::json one = {{"master", m.address}, {"ok", m.ok}};
    if (m.ok) {
      one["status"] = nlohmann::json::parse(ToJson(m.status));
    } else {
      one["error"] = m.error;
    }
    list.push_back(std::move(one));
  }
  nlohmann::json j = {{"masters", std::move(list)},
                      {"masters_up", Up(masters)},
                      {"total", nlohmann::json::parse(ToJson(SumStatuses(masters)))}};
  return j.dump();
}

}  // namespace synth::ctl
