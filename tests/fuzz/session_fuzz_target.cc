// Script format: a sequence of operations, each one opcode byte (taken mod 10) and operands; a
// missing byte reads as 0. Opcodes:
//   0 RAW n bytes...        the miner sends n raw bytes (partial lines, garbage, newlines)
//   1 REQ m idmode args...  the miner sends a well-formed request m (mod 9): configure,
//                           subscribe, authorize, extranonce.subscribe, suggest_difficulty,
//                           submit for a notified job, submit for an unknown job, submit with
//                           bad params, an unknown method; idmode (mod 3): null, int, string
//   2 LONG n                the miner sends 16 KiB + n bytes without a newline
//   3 NOTIFY j flags        the server notifies job "j<j mod 8>", clean when flags & 1
//   4 DIFF d                the server sends a difficulty (from d)
//   5 MASK b0 b1 b2 b3      the server's version mask changes
//   6 EXTRANONCE n bytes... the server's extranonce changes (n mod 9 bytes, size 1..8)
//   7 ANSWER flags          the host answers its oldest held submit (accept when flags & 1)
//   8 COMPLETE flags        the host answers a deferred subscribe (an error when flags & 1)
//   9 TIME n                n × 10 ms pass
#include "tests/fuzz/session_fuzz_target.h"

#include <algorithm>
#include <deque>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/stratum/server_session.h"

namespace synth::fuzz {
namespace {

using nlohmann::json;
using stratum::Message;

constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kMaxPending = 8;
constexpr size_t kKeepTerms = 8;

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | Next();
    return v;
  }
  std::string Bytes(size_t n) {
    std::string s;
    for (size_t i = 0; i < n && !done(); ++i) s.push_back(static_cast<char>(Next()));
    return s;
  }
  // A difficulty: mostly sane, sometimes absurd (0, negative, huge, fractional).
  double Diff() {
    switch (Next() % 6) {
      case 0: return 0;
      case 1: return -1;
      case 2: return 1e300;
      case 3: return Next() / 1024.0;
      default: return 1 + Next();
    }
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The server's side, as the downstream port answers: a password, deferred subscribes, submits
// held until the script answers them.
class Host : public stratum::ServerSessionHost {
 public:
  void Write(stratum::SharedLine line) override { out.push_back(*line); }
  absl::StatusOr<std::optional<stratum::Extranonce>> OnSubscribe(
      const stratum::SubscribeParams& p) override {
    if (defer) return std::optional<stratum::Extranonce>();
    return std::optional<stratum::Extranonce>(stratum::Extranonce{{0xde, 0xad, 0, 1}, 4});
  }
  void OnSubscribed() override {}
  bool OnAuthorize(const stratum::AuthorizeParams& p) override { return p.pass == "good"; }
  uint32_t ServerVersionMask() const override { return mask; }
  void OnDifficultyRequest(double, bool) override {}
  void OnSubmit(stratum::SubmitRequest r) override {
    ++submits;
    held.push_back(std::move(r));
  }
  void OnSubmitRefused(const stratum::SubmitParams*, int, bool) override { ++refused; }

  std::vector<std::string> out;
  std::deque<stratum::SubmitRequest> held;
  bool defer = false;
  uint32_t mask = 0x1fffe000;
  size_t refused = 0;
  size_t submits = 0;
};

json Id(Reader& r, int mode, int64_t n) {
  if (mode == 0) return json();
  if (mode == 1) return n;
  return absl::StrCat("s", n);
}

std::string User(Reader& r) {
  static const char* kUsers[] = {"farm.rig1", "farm.rig2", "", "x"};
  return kUsers[r.Next() % 4];
}

// Operands per method: configure: which, mask (4), min-bit-count, [difficulty]; subscribe:
// flag, [session byte]; authorize: user, pass flag; suggest: difficulty; submits: user, job,
// extranonce2 length and byte, ntime (4), nonce (4), flag, [version bits (4)]; bad submit: 1.
json Params(Reader& r, int method, const std::vector<std::string>& jobs) {
  switch (method) {
    case 0: {
      uint8_t which = r.Next();
      uint32_t mask = r.U32();
      int bits = r.Next() % 40;
      json p = stratum::MakeConfigureParams({(which & 1) != 0, mask, bits, std::nullopt,
                                             (which & 4) != 0});
      if (which & 2) {
        p[0].push_back("minimum-difficulty");
        p[1]["minimum-difficulty.value"] = r.Diff();
      }
      return p;
    }
    case 1: {
      json p = json::array({"fuzz-miner/1"});
      if (r.Next() & 1) p.push_back(bitcoin::BytesToHex(std::vector<uint8_t>{0xde, 0xad, 0, r.Next()}));
      return p;
    }
    case 2: {
      std::string user = User(r);
      return json::array({user, (r.Next() & 1) ? "good" : "bad"});
    }
    case 4: return json::array({r.Diff()});
    case 5:
    case 6: {
      std::string user = User(r);
      uint8_t pick = r.Next();
      std::string job = method == 5 && !jobs.empty() ? jobs[pick % jobs.size()] : "nope";
      size_t len = r.Next() % 10;
      std::vector<uint8_t> en2(len, r.Next());
      uint32_t ntime = r.U32();
      uint32_t nonce = r.U32();
      json p = json::array({user, job, bitcoin::BytesToHex(en2), bitcoin::U32ToHexBigEndian(ntime),
                            bitcoin::U32ToHexBigEndian(nonce)});
      if (r.Next() & 1) p.push_back(bitcoin::U32ToHexBigEndian(r.U32()));
      return p;
    }
    case 7: return json::array({r.Next(), json::object(), nullptr});
    default: return json::array();
  }
}

const char* Method(int m) {
  static const char* kMethods[] = {"mining.configure",     "mining.subscribe",
                                   "mining.authorize",     "mining.extranonce.subscribe",
                                   "mining.suggest_difficulty", "mining.submit",
                                   "mining.submit",        "mining.submit",
                                   "mining.bogus"};
  return kMethods[m];
}

// Checks what the session wrote since the last call; returns the first violation or "".
std::string CheckOutput(Host& host, size_t* seen, size_t* answers) {
  for (; *seen < host.out.size(); ++*seen) {
    const std::string& line = host.out[*seen];
    if (line.empty() || line.back() != '\n') return "a line without its newline";
    absl::StatusOr<Message> m = stratum::ParseLine(absl::string_view(line).substr(0, line.size() - 1));
    if (!m.ok()) return absl::StrCat("the session wrote a line that does not parse: ", m.status().message());
    if (m->kind == Message::Kind::kResponse) ++*answers;
  }
  return "";
}

}  // namespace

SessionFuzzResult FuzzSessionOnce(const uint8_t* data, size_t size) {
  SessionFuzzResult result;
  Reader r(data, size);
  Host host;
  stratum::ServerSessionOptions o;
  o.max_line = kMaxLine;
  o.max_requests_per_s = 20;
  o.max_pending_submits = kMaxPending;
  o.keep_terms = kKeepTerms;
  stratum::ServerSession session(o, &host);
  absl::Time now = absl::FromUnixSeconds(1700000000);
  std::vector<std::string> jobs;
  size_t seen = 0, answers = 0, requests = 0, raw_lines = 0;
  int64_t next_id = 1;
  while (!r.done() && result.violation.empty() && !result.dropped) {
    ++result.ops;
    absl::Status fed = absl::OkStatus();
    switch (r.Next() % 10) {
      case 0: {
        std::string raw = r.Bytes(r.Next());
        raw_lines += std::count(raw.begin(), raw.end(), '\n');
        fed = session.Feed(raw, now);
        break;
      }
      case 1: {
        int method = r.Next() % 9;
        int mode = r.Next() % 3;
        host.defer = (r.Next() & 1) != 0;
        json id = Id(r, mode, next_id++);
        if (!id.is_null()) ++requests;
        fed = session.Feed(stratum::EncodeRequest(id, Method(method), Params(r, method, jobs)), now);
        break;
      }
      case 2: fed = session.Feed(std::string(kMaxLine + r.Next(), 'x'), now); break;
      case 3: {
        std::string job = absl::StrCat("j", r.Next() % 8);
        bool clean = (r.Next() & 1) != 0;
        jobs.push_back(job);  // Cleaned ones stay pickable: their submits must get 21.
        if (jobs.size() > 64) jobs.erase(jobs.begin());
        session.SendNotify(job, clean, std::make_shared<const std::string>(stratum::EncodeNotification(
                                           "mining.notify", json::array({job}))));
        break;
      }
      case 4: {
        double d = r.Diff();
        if (d > 0 && d < 1e18) session.SendDifficulty(d);  // The port only sends sane ones.
        break;
      }
      case 5: host.mask = r.U32(); session.UpdateVersionMask(host.mask); break;
      case 6: {
        std::string en1 = r.Bytes(r.Next() % 9);
        session.SendExtranonce({std::vector<uint8_t>(en1.begin(), en1.end()), 1 + r.Next() % 8});
        break;
      }
      case 7:
        if (!host.held.empty()) {
          stratum::SubmitRequest s = std::move(host.held.front());
          host.held.pop_front();
          bool ok = (r.Next() & 1) != 0;
          session.AnswerSubmit(s.id, ok ? std::nullopt
                                        : std::optional<stratum::RpcError>({23, "Low difficulty share", ""}));
        }
        break;
      case 8:
        session.CompleteSubscribe((r.Next() & 1) ? absl::StatusOr<stratum::Extranonce>(absl::UnavailableError("later"))
                                                 : stratum::Extranonce{{1, 2, 3, 4}, 4});
        break;
      default: now += absl::Milliseconds(10 * r.Next()); break;
    }
    if (!fed.ok()) result.dropped = true;
    result.violation = CheckOutput(host, &seen, &answers);
    if (!result.violation.empty()) break;
    if (session.partial_bytes() > kMaxLine) result.violation = "held more than a line";
    if (session.pending_submits() != host.held.size()) {
      result.violation = absl::StrCat("session counts ", session.pending_submits(),
                                      " pending submits, the host holds ", host.held.size());
    }
    if (host.held.size() > kMaxPending) result.violation = "more pending submits than the cap";
    if (session.terms().size() > kKeepTerms) result.violation = "terms beyond the bound";
  }
  // Every answer answers one request: one the script sent, or a line among the raw bytes.
  if (result.violation.empty() && answers > requests + raw_lines) {
    result.violation = absl::StrCat(answers, " answers to ", requests + raw_lines, " requests");
  }
  result.lines_out = host.out.size();
  result.submits = host.submits;
  result.refused = host.refused;
  return result;
}

}  // namespace synth::fuzz
