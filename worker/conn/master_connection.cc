#include "worker/conn/master_connection.h"

#include <unistd.h>

#include <limits.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "worker/conn/wire.h"

namespace synth::worker {
namespace {

std::string LocalHostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

ConnectionOptions WithDefaults(ConnectionOptions options) {
  if (options.hostname.empty()) options.hostname = LocalHostname();
  if (options.worker_id.empty()) options.worker_id = absl::StrCat(options.hostname, "-", getpid());
  return options;
}

grpc::ChannelArguments ChannelArgs(const ConnectionOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // The channel's own reconnect backoff (default up to 120 s) must not outlast ours, or a
  // restarted master would wait minutes for its workers.
  int initial = static_cast<int>(absl::ToInt64Milliseconds(options.backoff.initial));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, initial);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, initial);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.backoff.max)));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return args;
}

}  // namespace

// Timers of one stream, owned by the session thread.
struct MasterConnection::Session {
  absl::Time last_progress = absl::InfinitePast();
  absl::Time last_telemetry = absl::InfinitePast();
  absl::Time next_lease_ok = absl::InfinitePast();
  double idle_seconds = 0;  // Devices' summed idle time at last_telemetry.
};

MasterConnection::MasterConnection(ConnectionOptions options)
    : options_(WithDefaults(std::move(options))),
      outbox_(options_.outbox_capacity),
      backoff_(options_.backoff, std::random_device{}() ^ static_cast<uint64_t>(getpid())) {
  channel_ = grpc::CreateCustomChannel(
      options_.master,
      options_.tls_credentials ? options_.tls_credentials : grpc::InsecureChannelCredentials(),
      ChannelArgs(options_));
  stub_ = synth::v1::WorkerService::NewStub(channel_);
}

MasterConnection::~MasterConnection() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (stream_ != nullptr) stream_->Cancel();
  }
  if (session_thread_.joinable()) session_thread_.join();
}

SchedulerCallbacks MasterConnection::SchedulerHooks() {
  return {.on_share = [this](FoundShare s) { OnShare(std::move(s)); },
          .on_unit_done = [this](UnitOutcome o) { OnUnitDone(std::move(o)); }};
}

void MasterConnection::Start(Scheduler* scheduler) {
  absl::MutexLock lock(&mu_);
  CHECK(scheduler_ == nullptr) << "MasterConnection::Start called twice";
  scheduler_ = scheduler;
  session_thread_ = std::thread([this] { SessionLoop(); });
}

void MasterConnection::SessionLoop() {
  while (true) {
    RunOneStream();
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    absl::Duration wait = backoff_.Next();
    if (auth_refused_) {
      wait = std::max(wait, options_.auth_backoff);
      LOG(ERROR) << "master " << options_.master << " refused this worker's credentials ("
                 << stats_.last_error << "): check --token / SYNTH_TOKEN and --tls-cert";
    }
    LOG(INFO) << "master " << options_.master << ": reconnecting in " << wait << " (attempt "
              << backoff_.Attempts() << ")";
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    if (stopping_) return;
  }
}

void MasterConnection::RunOneStream() {
  Scheduler* scheduler;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    scheduler = scheduler_;
  }
  const std::string token = options_.token_source ? options_.token_source() : options_.token;
  auto reactor = std::make_unique<StreamReactor>(
      stub_.get(), options_.tls_credentials ? std::string() : token, [this](const synth::v1::MasterMessage& m) { OnMessage(m); });
  {
    absl::MutexLock lock(&mu_);
    stream_ = reactor.get();
    ++stats_.streams;
    stream_->Send(HelloMessage(options_.worker_id, options_.hostname, scheduler->Stats()));
  }
  reactor->Begin();
  Session session;
  while (!reactor->Ended()) {
    Tick(&session);
    absl::MutexLock lock(&mu_);
    if (stopping_) break;
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.tick);
  }
  {
    absl::MutexLock lock(&mu_);
    reactor->CloseWrites();
  }
  grpc::Status status = reactor->AwaitDone(absl::Seconds(1));
  {
    absl::MutexLock lock(&mu_);
    EndStreamLocked();
    auth_refused_ = status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    stats_.last_error = status.ok() ? "" : absl::StrCat(status.error_code(), ": ",
                                                        status.error_message());
    if (!stopping_) {
      LOG(WARNING) << "master " << options_.master << ": stream ended: "
                   << (status.ok() ? "closed by master" : stats_.last_error);
    }
  }
  // The master re-queues the leased units of a lost stream: stop hashing them here.
  scheduler->CancelAll();
}

void MasterConnection::Tick(Session* session) {
  Scheduler* scheduler;
  {
    absl::MutexLock lock(&mu_);
    if (!welcomed_) return;
    scheduler = scheduler_;
  }
  absl::Time now = absl::Now();
  absl::Duration buffered = scheduler->BufferedTime();
  double rate = scheduler->Rate();
  uint64_t queued = scheduler->QueuedHashes();
  absl::MutexLock lock(&mu_);
  if (stream_ == nullptr || !welcomed_) return;
  if (!lease_outstanding_ && !draining_ && buffered < options_.low_water &&
      now >= session->next_lease_ok) {
    synth::v1::WorkerMessage msg;
    msg.mutable_lease_request()->set_seconds_wanted(options_.lease_seconds);
    msg.mutable_lease_request()->set_rate_hps(rate);
    msg.mutable_lease_request()->set_buffered_hashes(queued);
    lease_outstanding_ = stream_->Send(std::move(msg));
    session->next_lease_ok = now + absl::Milliseconds(50);  // Empty grants: no request storm.
  }
  if (outbox_.HasUnsent()) FlushSharesLocked();  // Held back while the write queue was full.
  if (!progress_.empty() && (flush_now_ || now - session->last_progress >=
                                               options_.progress_interval)) {
    FlushProgressLocked();
    session->last_progress = now;
  }
  // Telemetry is the one message that may be skipped: not while writes back up (a slow or
  // stalled master), so the write queue stays bounded by shares and progress.
  if (now - session->last_telemetry >= telemetry_interval_ && stream_->Backlog() < 64) {
    std::vector<DeviceStats> devices = scheduler->Stats();
    double idle = 0;
    for (const DeviceStats& d : devices) idle += d.idle_seconds;
    double span = absl::ToDoubleSeconds(now - session->last_telemetry) *
                  static_cast<double>(std::max<size_t>(devices.size(), 1));
    double fraction = session->last_telemetry == absl::InfinitePast()
                          ? 0
                          : (idle - session->idle_seconds) / span;
    stream_->Send(TelemetryMessage(devices, queued, static_cast<uint32_t>(leased_.size()),
                                   fraction),
                  /*buffer_hint=*/true);
    session->last_telemetry = now;
    session->idle_seconds = idle;
  }
}

void MasterConnection::EndStreamLocked() {
  stream_ = nullptr;
  welcomed_ = false;
  stats_.connected = false;
  lease_outstanding_ = false;
  leased_.clear();
  progress_.clear();
  flush_now_ = false;
  midstates_.clear();
  outbox_.Requeue();  // Unanswered shares go out again on the next stream.
}

}  // namespace synth::worker
