// The client over a scripted transport: orderings a real pool produces only by chance on
// loopback, made deterministic.
#include "master/stratum/client.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "asio/post.hpp"
#include "gtest/gtest.h"
#include "master/stratum/session.h"
#include "tests/wait_for.h"

namespace synth::stratum {
namespace {

using nlohmann::json;

using ::synth::testing::WaitFor;

// What the scripted pool saw and what the test lets it answer. Shared by the test thread and
// the client's io thread.
struct Script {
  absl::Mutex mu;
  std::vector<std::string> methods ABSL_GUARDED_BY(mu);  // Client requests, in order.
  std::optional<int64_t> authorize_id ABSL_GUARDED_BY(mu);
  std::function<void(std::string)> deliver ABSL_GUARDED_BY(mu);  // Posts a line to the client.
};

// A pool that answers configure and subscribe at once, sends a job right after the subscribe
// answer, and answers authorize only when the test says so (some pools do send work before the
// authorize answer). Every submit is accepted.
class ScriptedPool : public LineTransport {
 public:
  ScriptedPool(asio::io_context& io, std::shared_ptr<Script> script)
      : io_(io), script_(std::move(script)) {}

  void Start(Handlers handlers) override {
    handlers_ = std::move(handlers);
    {
      absl::MutexLock lock(&script_->mu);
      script_->deliver = [this](std::string line) {
        asio::post(io_, [this, line = std::move(line)] { handlers_.on_line(line); });
      };
    }
    asio::post(io_, [this] { handlers_.on_connected(); });
  }

  void Send(std::string line) override {
    absl::StatusOr<Message> m = ParseLine(line.substr(0, line.size() - 1));
    ASSERT_TRUE(m.ok()) << line;
    std::optional<int64_t> id = m->IntId();
    absl::MutexLock lock(&script_->mu);
    script_->methods.push_back(m->method);
    if (m->method == "mining.configure") {
      Reply(EncodeResponse(*id, json{{"version-rolling", false}}));
    } else if (m->method == "mining.subscribe") {
      SubscribeResult sub{{{"mining.notify", "sid1"}}, "", {0xde, 0xad, 0xbe, 0xef}, 4};
      Reply(EncodeResponse(*id, MakeSubscribeResult(sub)));
      Reply(EncodeNotification("mining.set_difficulty", json::array({1})));
      StratumJob j;
      j.job_id = "j1";
      j.coinb1 = {1, 2};
      j.coinb2 = {3};
      j.version = 0x20000000;
      j.nbits = 0x1d00ffff;
      j.ntime = 0x60000000;
      j.clean_jobs = true;
      Reply(EncodeNotification("mining.notify", ToNotifyParams(j)));
    } else if (m->method == "mining.authorize") {
      script_->authorize_id = *id;  // Answered by ReleaseAuthorize().
    } else if (id.has_value()) {
      Reply(EncodeResponse(*id, true));  // Submits and the rest.
    }
  }

  void Close() override {
    absl::MutexLock lock(&script_->mu);
    script_->deliver = nullptr;
  }

 private:
  void Reply(std::string line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(script_->mu) {
    if (!line.empty() && line.back() == '\n') line.pop_back();
    script_->deliver(std::move(line));
  }

  asio::io_context& io_;
  std::shared_ptr<Script> script_;
  Handlers handlers_;
};

void ReleaseAuthorize(Script& s) {
  absl::MutexLock lock(&s.mu);
  ASSERT_TRUE(s.authorize_id.has_value());
  std::string line = EncodeResponse(*s.authorize_id, true);
  if (line.back() == '\n') line.pop_back();
  s.deliver(std::move(line));
}

// A client on a ScriptedPool, started, with the first job received and the authorize answer
// held (the session's handshake has begun; it is not ready).
struct ScriptedClient {
  std::shared_ptr<Script> script = std::make_shared<Script>();
  absl::Mutex mu;
  std::vector<ClientJob> jobs ABSL_GUARDED_BY(mu);
  std::unique_ptr<Client> client;

  void StartUntilAuthorizeHeld() {
    ClientOptions o;
    o.pools = {{"stratum+tcp://pool.test:3333", "w", "x", 0}};
    o.tick = absl::Milliseconds(20);
    o.session.submit_timeout = absl::Seconds(3);
    o.transport = [s = script](asio::io_context& io, const PoolUrl&) {
      return std::make_unique<ScriptedPool>(io, s);
    };
    ClientCallbacks cb;
    cb.on_job = [this](const ClientJob& j) {
      absl::MutexLock lock(&mu);
      jobs.push_back(j);
    };
    absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(o, cb);
    ASSERT_TRUE(c.ok()) << c.status();
    client = std::move(*c);
    client->Start();
    ASSERT_TRUE(WaitFor([&] {
      absl::MutexLock lock(&mu);
      return !jobs.empty();
    }));
    ASSERT_TRUE(WaitFor([&] {
      absl::MutexLock lock(&script->mu);
      return script->authorize_id.has_value();
    }));
    EXPECT_FALSE(client->Status().connected);
  }

  bool Sent(const std::string& method) {
    absl::MutexLock lock(&script->mu);
    return std::find(script->methods.begin(), script->methods.end(), method) !=
           script->methods.end();
  }
};

// A share found on a job that came before the authorize answer belongs to this very session:
// it is sent once the session is ready, not expired as if it were left from a dropped one.
TEST(ClientTest, ShareOnAJobNotifiedBeforeTheAuthorizeAnswerIsSentWhenReady) {
  ScriptedClient sc;
  ASSERT_NO_FATAL_FAILURE(sc.StartUntilAuthorizeHeld());
  auto verdict = std::make_shared<std::optional<SubmitResult>>();
  auto vmu = std::make_shared<absl::Mutex>();
  ClientShare share{"j1", {0, 0, 0, 1}, 0x60000000, 12345, 0x20000000};
  sc.client->Submit(share, [verdict, vmu](const SubmitResult& r) {
    absl::MutexLock lock(vmu.get());
    *verdict = r;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    absl::MutexLock lock(vmu.get());
    EXPECT_FALSE(verdict->has_value()) << "answered before the session was ready";
  }
  ReleaseAuthorize(*sc.script);
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock lock(vmu.get());
    return verdict->has_value();
  }));
  {
    absl::MutexLock lock(vmu.get());
    EXPECT_EQ((*verdict)->outcome, SubmitOutcome::kAccepted) << (*verdict)->reason;
  }
  EXPECT_TRUE(sc.Sent("mining.submit"));
  sc.client->Stop();
}

// A difficulty suggested while the session is still in its handshake reaches the pool (it was
// dropped when the session was not ready yet; stratum_loopback_test flaked on it under load).
TEST(ClientTest, DifficultySuggestedDuringTheHandshakeIsSent) {
  ScriptedClient sc;
  ASSERT_NO_FATAL_FAILURE(sc.StartUntilAuthorizeHeld());
  sc.client->SuggestDifficulty(5e-4);
  EXPECT_TRUE(WaitFor([&] { return sc.Sent("mining.suggest_difficulty"); }));
  ReleaseAuthorize(*sc.script);
  EXPECT_TRUE(WaitFor([&] { return sc.client->Status().connected; }));
  sc.client->Stop();
}

}  // namespace
}  // namespace synth::stratum
