// The worker-message fuzz script. Every operation is one opcode byte (taken modulo kOps) and a
// few argument bytes; a missing byte reads as 0, so every input is a valid script. Opcodes:
//   0 HELLO k variant rate        connect worker "w<k%4>" (variant bits: empty id, no devices,
//                                 cuda, device count, duplicate names, odd name)
//   1 REQUEST s sec hashes rate   LeaseRequest (values from the absurd-value tables)
//   2 SHARE s unit mode off       one share: mode 0 scans the unit for a real share, others
//                                 forge (random nonce, out of range, wrong midstate/job, unknown
//                                 unit, replay of the last share, odd device)
//   3 FLOOD s count mode          count*16 shares at one instant
//   4 PROGRESS s n {unit state done}*n
//   5 TELEMETRY s n {name rate latency}*n
//   6 RAW s len bytes...          a serialized WorkerMessage (whatever parses)
//   7 JOB id seed diff flags      a pool job (clean / version rolling)
//   8 TICK quarters               advance the clock, then Tick()
//   9 DISCONNECT s
//   10 ANSWER mode                pool answers: accept, reject 23, stale, not sent, code 21,
//                                 hold / release held answers
//   11 VIEWS                      status, workers, status line; per-worker ledger check
// `s` picks one of the sessions created so far (live or gone), `unit` one of the units granted
// so far to anybody.
#include "tests/fuzz/worker_fuzz_target.h"

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/hash/scan.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/cluster.h"
#include "master/service/status_views.h"
#include "proto/midstate_codec.h"
#include "proto/share_states.h"

namespace synth::fuzz {
namespace {

constexpr int kOps = 12;
constexpr size_t kMaxOps = 256;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kDoubles[] = {0,    -1,   1,    1e6,   1e9,   1e12, 1e300, -1e300,
                           kInf, -kInf, kNaN, 5e-324, 0.5,  60,   3600,  1e18};
const uint64_t kU64s[] = {0,
                          1,
                          1 << 20,
                          5'000'000,
                          uint64_t{1} << 32,
                          (uint64_t{1} << 32) + 1,
                          uint64_t{1} << 44,
                          uint64_t{1} << 63,
                          ~uint64_t{0}};
// Share difficulties of fuzzed jobs: 1 in 4096 nonces, nearly every nonce, 1 in 2^32, none.
const double kJobDifficulty[] = {65535.0 / 68719476736.0, 1e-9, 1, 1e6};

// Reads the script; bytes past the end read as 0.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
  double Double() { return kDoubles[Byte() % std::size(kDoubles)]; }
  uint64_t U64() { return kU64s[Byte() % std::size(kU64s)]; }
  std::string Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string s(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

struct KnownUnit {
  v1::WorkUnit unit;
  uint64_t holder = 0;  // Session it was granted to.
};

// A stream as the Cluster sees it: records what the master sent.
class FuzzSink : public service::StreamSink {
 public:
  void Send(v1::MasterMessage msg) override { inbox.push_back(std::move(msg)); }
  void Close(const absl::Status& status) override { closed = status; }
  std::vector<v1::MasterMessage> inbox;  // Not yet looked at by the harness.
  std::optional<absl::Status> closed;
};

struct FuzzSession {
  uint64_t id = 0;
  std::string worker_id;
  std::unique_ptr<FuzzSink> sink;
  bool live = true;
  std::set<uint64_t> shares_sent;  // Share ids sent on this stream...
  std::set<uint64_t> answered;     // ...and those it got a verdict for.
};

// Per worker id, over all its streams: verdicts follow the worker to its newest stream.
struct FuzzWorker {
  uint64_t share_messages = 0;
  uint64_t verdicts = 0;
};

// The shares in a final state (all but pending).
uint64_t FinalSum(const v1::ShareCounts& c) { return proto::SumOfStates(c) - c.pending(); }

class Harness {
 public:
  Harness() : cluster_(Options(), &clock_, &upstream_) {
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_.OnJob(j); });
  }
  ~Harness() { upstream_.Release({.accepted = true}); }

  WorkerFuzzResult Run(Reader& in);

 private:
  static service::Cluster::Options Options() {
    service::Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    o.lease.expiry = absl::Seconds(20);
    o.ledger.max_share_rate = 100;  // Small, so floods in short inputs reach the limit.
    return o;
  }
  void Step(uint8_t op, Reader& in);
  void Hello(Reader& in);
  void Request(Reader& in);
  void Share(Reader& in, bool flood);
  void Progress(Reader& in);
  void Telemetry(Reader& in);
  void Raw(Reader& in);
  void Job(Reader& in);
  void Answer(Reader& in);
  void Views();
  // Delivers a message to a session as its reactor would (dead sessions included).
  void Deliver(FuzzSession* s, const v1::WorkerMessage& m);
  FuzzSession* Pick(Reader& in);
  const KnownUnit* PickUnit(Reader& in);
  v1::Share MakeShare(Reader& in, uint8_t mode, const KnownUnit* u);
  // Reads what the master sent every session: grants (units, midstates), verdicts, closes.
  void Drain();
  void Check(const char* after);
  void CheckEnd();

  FakeClock clock_;
  jobs::FakeUpstream upstream_;
  service::Cluster cluster_;
  std::vector<FuzzSession> sessions_;
  std::map<std::string, FuzzWorker> workers_;
  std::vector<KnownUnit> units_;
  std::map<uint64_t, hash::ScanWork> midstates_;
  std::optional<v1::Share> last_share_;
  bool hold_ = false;
  WorkerFuzzResult r_;
};

WorkerFuzzResult Harness::Run(Reader& in) {
  while (!in.done() && r_.ops < kMaxOps && r_.violation.empty()) {
    uint8_t op = in.Byte() % kOps;
    Step(op, in);
    ++r_.ops;
    Drain();
    Check(absl::StrCat("op ", r_.ops - 1, " (", static_cast<int>(op), ")").c_str());
  }
  if (r_.violation.empty()) CheckEnd();
  return r_;
}

void Harness::Step(uint8_t op, Reader& in) {
  switch (op) {
    case 0: return Hello(in);
    case 1: return Request(in);
    case 2: return Share(in, false);
    case 3: return Share(in, true);
    case 4: return Progress(in);
    case 5: return Telemetry(in);
    case 6: return Raw(in);
    case 7: return Job(in);
    case 8:
      clock_.Advance(absl::Milliseconds(250) * in.Byte());
      cluster_.Tick();
      return;
    case 9:
      if (FuzzSession* s = Pick(in)) {
        cluster_.Disconnect(s->id);
        s->live = false;
      }
      return;
    case 10: return Answer(in);
    default: return Views();
  }
}

void Harness::Hello(Reader& in) {
  uint8_t k = in.Byte() % 4, v = in.Byte();
  double rate = in.Double();
  v1::Hello h;
  if ((v & 1) == 0) h.set_worker_id(absl::StrCat("w", k));
  h.set_hostname("fuzz");
  h.set_protocol_version(v >> 7);
  if ((v & 2) == 0) {
    int n = 1 + ((v >> 3) & 7);
    for (int i = 0; i < n; ++i) {
      v1::DeviceInfo* d = h.add_devices();
      d->set_name((v & 64) ? "cpu0" : absl::StrCat(v & 4 ? "cuda:" : "cpu", i));
      d->set_kind(v & 4 ? v1::DEVICE_KIND_CUDA : v1::DEVICE_KIND_CPU);
      d->set_benchmarked_rate_hps(rate);
    }
  }
  auto sink = std::make_unique<FuzzSink>();
  absl::StatusOr<uint64_t> id = cluster_.Connect(h, "ipv4:127.0.0.1:1", sink.get());
  if (!id.ok()) {
    ++r_.hellos_refused;
    return;
  }
  ++r_.sessions;
  sessions_.push_back({.id = *id, .worker_id = h.worker_id(), .sink = std::move(sink)});
}

void Harness::Request(Reader& in) {
  FuzzSession* s = Pick(in);
  v1::WorkerMessage m;
  m.mutable_lease_request()->set_seconds_wanted(in.Double());
  m.mutable_lease_request()->set_hashes_wanted(in.U64());
  m.mutable_lease_request()->set_rate_hps(in.Double());
  if (s != nullptr) Deliver(s, m);
}

v1::Share Harness::MakeShare(Reader& in, uint8_t mode, const KnownUnit* u) {
  v1::Share sh;
  sh.set_share_id(in.U16());
  sh.set_device(mode & 0x80 ? "ghost-device" : "cpu0");
  if (u == nullptr) {
    sh.set_unit_id(in.U64());
    return sh;
  }
  const v1::WorkUnit& w = u->unit;
  sh.set_unit_id(w.unit_id());
  sh.set_midstate_id(w.midstate_id());
  sh.set_job_id(w.job_id());
  uint32_t off = in.U16();
  uint32_t nonce = w.nonce_start() + static_cast<uint32_t>(off % std::max<uint64_t>(1, w.nonce_count()));
  switch (mode & 7) {
    case 0: {  // Scan for a real share (at most 8192 nonces, inside the unit).
      auto it = midstates_.find(w.midstate_id());
      if (it == midstates_.end()) break;
      uint64_t end = uint64_t{w.nonce_start()} + w.nonce_count();
      for (int i = 0; i < 8192 && nonce < end; ++i, ++nonce) {
        if (hash::MeetsTarget(hash::HashNonce(it->second, nonce), it->second.target)) break;
      }
      if (nonce >= end) nonce = w.nonce_start();
      break;
    }
    case 1: break;  // A nonce in range, most likely no share.
    case 2: nonce = w.nonce_start() - 1 - off; break;  // Out of range (or wrapped).
    case 3: sh.set_midstate_id(w.midstate_id() + 1 + off); break;
    case 4: sh.set_job_id(absl::StrCat(w.job_id(), "x")); break;
    case 5: sh.set_unit_id(w.unit_id() + 100000 + off); break;
    case 6:
      if (last_share_.has_value()) return *last_share_;
      break;
    default: sh.set_job_id(""); break;
  }
  sh.set_nonce(nonce);
  return sh;
}

void Harness::Share(Reader& in, bool flood) {
  FuzzSession* s = Pick(in);
  int count = flood ? 16 * (in.Byte() + 1) : 1;
  const KnownUnit* u = PickUnit(in);
  uint8_t mode = in.Byte();
  v1::WorkerMessage m;
  *m.mutable_share() = MakeShare(in, mode, u);
  if (s == nullptr) return;
  last_share_ = m.share();
  for (int i = 0; i < count; ++i) {
    // A flood is many shares (ids of their own), the same nonce or (mode bit 8) the next ones.
    if (flood && i > 0) m.mutable_share()->set_share_id(m.share().share_id() + 65536);
    if (flood && (mode & 8)) m.mutable_share()->set_nonce(m.share().nonce() + 1);
    Deliver(s, m);
  }
}

void Harness::Progress(Reader& in) {
  FuzzSession* s = Pick(in);
  int n = 1 + in.Byte() % 8;
  v1::WorkerMessage m;
  for (int i = 0; i < n; ++i) {
    const KnownUnit* u = PickUnit(in);
    v1::UnitProgress* p = m.mutable_progress()->add_units();
    p->set_unit_id(u != nullptr ? u->unit.unit_id() : in.U64());
    p->set_state(static_cast<v1::UnitState>(in.Byte() % 5));
    uint8_t d = in.Byte();
    uint64_t count = u != nullptr ? u->unit.nonce_count() : 1;
    switch (d % 4) {
      case 0: p->set_contiguous_done(count / 2); break;
      case 1: p->set_contiguous_done(count); break;
      case 2: p->set_contiguous_done(count + 1); break;
      default: p->set_contiguous_done(kU64s[d % std::size(kU64s)]); break;
    }
    p->set_hashes_done(in.U64());
  }
  if (s != nullptr) Deliver(s, m);
}

void Harness::Telemetry(Reader& in) {
  FuzzSession* s = Pick(in);
  int n = in.Byte() % 5;
  v1::WorkerMessage m;
  v1::Telemetry* t = m.mutable_telemetry();
  for (int i = 0; i < n; ++i) {
    v1::DeviceTelemetry* d = t->add_devices();
    uint8_t name = in.Byte();
    d->set_device(name % 3 == 0 ? "cpu0" : name % 3 == 1 ? "cuda:0" : absl::StrCat("dev", name));
    d->set_rate_hps(in.Double());
    d->set_batch_latency_ms(in.Double());
    d->set_batch_latency_p99_ms(in.Double());
    d->set_trend(in.Double());
    d->set_hashes_total(in.U64());
  }
  t->set_buffered_hashes(in.U64());
  t->set_idle_fraction(in.Double());
  if (s != nullptr) Deliver(s, m);
}

void Harness::Raw(Reader& in) {
  FuzzSession* s = Pick(in);
  std::string bytes = in.Bytes(in.Byte());
  v1::WorkerMessage m;
  if (!m.ParseFromString(bytes)) return;  // gRPC ends the stream on undecodable messages.
  if (s != nullptr) Deliver(s, m);
}

void Harness::Job(Reader& in) {
  uint8_t id = in.Byte(), seed = in.Byte(), diff = in.Byte(), flags = in.Byte();
  upstream_.Notify(jobs::TestJob(absl::StrCat("j", id % 4), seed,
                                 kJobDifficulty[diff % std::size(kJobDifficulty)], flags & 1,
                                 flags & 2 ? 0x1fffe000 : 0));
}

void Harness::Answer(Reader& in) {
  uint8_t mode = in.Byte() % 8;
  switch (mode) {
    case 0: upstream_.set_answer({.accepted = true}); break;
    case 1: upstream_.set_answer({.accepted = false, .code = 23, .reason = "low diff"}); break;
    case 2: upstream_.set_answer({.accepted = false, .stale = true}); break;
    case 3: upstream_.set_answer({.accepted = false, .not_sent = true}); break;
    case 4: upstream_.set_answer({.accepted = false, .code = 21, .reason = "job not found"}); break;
    case 5:
      hold_ = !hold_;
      upstream_.set_hold_answers(hold_);
      break;
    case 7: upstream_.set_answer({.reason = "timeout: no answer", .timed_out = true}); break;
    default: upstream_.Release({.accepted = true}); break;
  }
}

void Harness::Views() {
  v1::StatusResponse st;
  FillStatus(cluster_, &st);
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  (void)StatusLine(cluster_);
  for (const v1::WorkerStatus& ws : w.workers()) {
    // Per worker, pending shares are not counted: found >= final states.
    if (FinalSum(ws.shares()) > ws.shares().found()) {
      r_.violation = absl::StrCat("worker ", ws.worker_id(), " has more final states than found");
    }
  }
}

void Harness::Deliver(FuzzSession* s, const v1::WorkerMessage& m) {
  cluster_.OnMessage(s->id, m);
  if (s->live && m.has_share()) {
    s->shares_sent.insert(m.share().share_id());
    ++workers_[s->worker_id].share_messages;
    ++r_.shares;
  }
}

FuzzSession* Harness::Pick(Reader& in) {
  uint8_t b = in.Byte();
  return sessions_.empty() ? nullptr : &sessions_[b % sessions_.size()];
}

const KnownUnit* Harness::PickUnit(Reader& in) {
  uint8_t b = in.Byte();
  if (units_.empty() || b == 0xff) return nullptr;  // 0xff: an id nobody was granted.
  return &units_[units_.size() - 1 - b % units_.size()];  // Recent units first.
}

void Harness::Drain() {
  for (FuzzSession& s : sessions_) {
    for (const v1::MasterMessage& m : s.sink->inbox) {
      if (m.has_share_verdict()) {
        ++workers_[s.worker_id].verdicts;
        s.answered.insert(m.share_verdict().share_id());
      }
      if (!m.has_lease_grant()) continue;
      ++r_.grants;
      for (const v1::Midstate& ms : m.lease_grant().midstates()) {
        absl::StatusOr<hash::ScanWork> w = proto::DecodeScanWork(ms);
        if (!w.ok()) {
          r_.violation = absl::StrCat("master sent a bad midstate: ", w.status().message());
          return;
        }
        midstates_[ms.midstate_id()] = *w;
      }
      for (const v1::WorkUnit& u : m.lease_grant().units()) {
        if (u.nonce_count() == 0 || uint64_t{u.nonce_start()} + u.nonce_count() > (uint64_t{1} << 32)) {
          r_.violation = absl::StrCat("unit ", u.unit_id(), " has a bad range");
          return;
        }
        if (units_.size() < 4096) units_.push_back({u, s.id});
      }
    }
    s.sink->inbox.clear();
    if (s.sink->closed.has_value()) s.live = false;
  }
}

void Harness::Check(const char* after) {
  if (!r_.violation.empty()) return;
  absl::Status audit = cluster_.Audit();
  if (!audit.ok()) {
    r_.violation = absl::StrCat("audit after ", after, ": ", audit.message());
    return;
  }
  v1::StatusResponse st;
  FillStatus(cluster_, &st);
  const v1::ShareCounts& c = st.shares();
  if (c.found() != FinalSum(c) + c.pending()) {
    r_.violation = absl::StrCat("ledger after ", after, ": found ", c.found(), " != ",
                                FinalSum(c), " + pending ", c.pending());
  }
}

void Harness::CheckEnd() {
  upstream_.set_hold_answers(false);
  upstream_.Release({.accepted = true});
  Drain();
  Check("release");
  if (!r_.violation.empty()) return;
  v1::ShareCounts c = cluster_.Counts();
  r_.accepted = c.accepted();
  r_.rate_limited = c.rate_limited();
  for (const proto::ShareStateInfo& st : proto::kShareStates) {
    if (st.state == v1::SHARE_STATE_ACCEPTED || st.state == v1::SHARE_STATE_PENDING) continue;
    if ((c.*st.count)() > 0) ++r_.rejected_kinds;
  }
  if (c.pending() != 0) r_.violation = absl::StrCat(c.pending(), " shares still pending");
  // No worker got more verdicts than it sent shares (a copy of a share already answered on a
  // stream is not answered there again), and every share id sent on a live stream was answered
  // on it.
  for (const auto& [id, w] : workers_) {
    if (w.verdicts > w.share_messages) {
      r_.violation = absl::StrCat("worker '", id, "': ", w.share_messages, " shares but ",
                                  w.verdicts, " verdicts");
    }
  }
  for (const FuzzSession& s : sessions_) {
    if (!s.live) continue;
    for (uint64_t id : s.shares_sent) {
      if (!s.answered.contains(id)) {
        r_.violation = absl::StrCat("session ", s.id, ": share ", id, " got no verdict");
      }
    }
  }
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  for (const v1::WorkerStatus& ws : w.workers()) {
    if (FinalSum(ws.shares()) != ws.shares().found()) {
      r_.violation = absl::StrCat("worker ", ws.worker_id(), " ledger: found ",
                                  ws.shares().found(), " != ", FinalSum(ws.shares()));
    }
  }
}

}  // namespace

WorkerFuzzResult FuzzWorkerOnce(const uint8_t* data, size_t size) {
  Reader in(data, size);
  Harness h;
  return h.Run(in);
}

}  // namespace synth::fuzz
