#include "worker/conn/master_connection.h"

#include <unistd.h>

#include <limits.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/clock.h"
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
  // restarted master would wait minutes for its workers. GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is
  // left alone: gRPC takes it as the minimum connect timeout (default 20 s), and at 250 ms a
  // TCP + TLS + HTTP/2 handshake over a slow link (or on a loaded host) never completed.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.backoff.initial)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.backoff.max)));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return args;
}

std::vector<std::string> SplitMasters(const std::string& list) {
  std::vector<std::string> out = absl::StrSplit(list, ',', absl::SkipWhitespace());
  for (std::string& m : out) m = std::string(absl::StripAsciiWhitespace(m));
  if (out.empty()) out.push_back(list);
  return out;
}

}  // namespace

MasterConnection::MasterConnection(ConnectionOptions options)
    : options_(WithDefaults(std::move(options))),
      outbox_(options_.outbox_capacity),
      backoff_(options_.backoff, std::random_device{}() ^ static_cast<uint64_t>(getpid())),
      policy_(static_cast<int>(SplitMasters(options_.master).size()), options_.failover,
              RealClock::Get()) {
  for (const std::string& address : SplitMasters(options_.master)) {
    Master m;
    m.address = address;
    m.channel = grpc::CreateCustomChannel(
        address,
        options_.tls_credentials ? options_.tls_credentials : grpc::InsecureChannelCredentials(),
        ChannelArgs(options_));
    m.stub = synth::v1::WorkerService::NewStub(m.channel);
    masters_.push_back(std::move(m));
  }
  absl::MutexLock lock(&mu_);
  left_at_.assign(masters_.size(), absl::InfiniteFuture());
}

MasterConnection::~MasterConnection() { CloseAndWait(/*graceful=*/false); }

SchedulerCallbacks MasterConnection::SchedulerHooks() {
  return {.on_share = [this](FoundShare s) { OnShare(std::move(s)); },
          .on_unit_done = [this](UnitOutcome o) { OnUnitDone(std::move(o)); },
          .on_low_water = [this] { OnLowWater(); }};
}

void MasterConnection::Start(Scheduler* scheduler) {
  {
    absl::MutexLock lock(&mu_);
    CHECK(scheduler_ == nullptr) << "MasterConnection::Start called twice";
    scheduler_ = scheduler;
  }
  scheduler->SetLowWater(options_.low_water);
  OpenStream();
}

void MasterConnection::OpenStream() {
  // One OpenStream at a time: the previous one returned (its Begin too) before the reactor it
  // opened is destroyed below.
  absl::MutexLock open(&open_mu_);
  Scheduler* scheduler;
  std::unique_ptr<StreamReactor> previous;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    scheduler = scheduler_;
    previous = std::move(finished_);
  }
  if (previous != nullptr) previous->AwaitDone();  // Its OnDone has returned.
  previous.reset();
  std::vector<DeviceStats> devices = scheduler->Stats();  // Outside mu_: NVML may be slow.
  // Asked at each stream start, outside mu_ (it may read a token file): a rotated file is
  // picked up at the next connect, to whichever master.
  const std::string token = options_.tls_credentials ? std::string()
                            : options_.token_source ? options_.token_source()
                                                    : options_.token;
  int master;
  {
    absl::MutexLock lock(&mu_);
    master = policy_.current();
  }
  auto reactor = std::make_unique<StreamReactor>(
      masters_[master].stub.get(), token,
      StreamReactor::Callbacks{
          .on_message = [this](const synth::v1::MasterMessage& m) { OnMessage(m); },
          .on_done = [this](const grpc::Status& status) { OnStreamDone(status); },
          .on_drained = [this] { OnDrained(); }});
  StreamReactor* raw = reactor.get();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stream_ = raw;
    stream_owner_ = std::move(reactor);
    stream_master_ = master;
    ++stream_seq_;
    ++stats_.streams;
    // An attempt that hangs (a master that swallows packets) is abandoned at the deadline.
    absl::Time deadline = policy_.FailoverDeadline();
    if (deadline != absl::InfiniteFuture()) failover_timer_.ArmAt(deadline);
    stream_->Send(HelloMessage(options_.worker_id, options_.hostname, devices));
  }
  raw->Begin();  // Without mu_: a reaction may run before Begin returns.
}

void MasterConnection::OnStreamDone(const grpc::Status& status) {
  Scheduler* scheduler;
  {
    absl::MutexLock lock(&mu_);
    finished_ = std::move(stream_owner_);  // Destroyed by the next OpenStream, not in here.
    EndStreamLocked();
    auth_refused_ = status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    stats_.last_error =
        status.ok() ? "" : absl::StrCat(status.error_code(), ": ", status.error_message());
    if (stopping_) return;
    if (returning_to_ < 0) {
      LOG(WARNING) << "master " << masters_[stream_master_].address << ": stream ended: "
                   << (status.ok() ? "closed by master" : stats_.last_error);
    }
    scheduler = scheduler_;
  }
  // The master re-queues the leased units of a lost stream: stop hashing them here (before a
  // new stream can lease anything).
  scheduler->CancelAll();
  absl::MutexLock lock(&mu_);
  if (!stopping_) ScheduleNextStreamLocked();
}

void MasterConnection::EndStreamLocked() {
  stream_ = nullptr;
  welcomed_ = false;
  stats_.connected = false;
  lease_outstanding_ = false;
  deferred_ = false;
  leased_.clear();
  progress_.clear();
  midstates_.clear();
  outbox_.Requeue();  // Unanswered shares go out again on the next stream.
  lease_timer_.Disarm();
  progress_timer_.Disarm();
  telemetry_timer_.Disarm();
  failover_timer_.Disarm();
  probe_timer_.Disarm();
  return_timer_.Disarm();
}

void MasterConnection::CloseAndWait(bool graceful) {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // No timer callback (OpenStream included) runs or starts after these return.
  for (AlarmTimer* t : {&reconnect_timer_, &lease_timer_, &progress_timer_, &telemetry_timer_,
                        &failover_timer_, &probe_timer_, &lost_timer_, &return_timer_}) {
    t->Shutdown();
  }
  StreamReactor* last;
  {
    absl::MutexLock open(&open_mu_);  // A Start racing with destruction has returned.
    absl::MutexLock lock(&mu_);
    last = stream_owner_ != nullptr ? stream_owner_.get() : finished_.get();
    if (stream_ != nullptr) {
      if (graceful) {
        stream_->CloseWrites();
      } else {
        stream_->Cancel();
      }
    }
  }
  // Alive until destruction: nothing else frees a reactor once stopping_ is set.
  if (last != nullptr) last->AwaitDone(absl::Seconds(1));
}

void MasterConnection::OnLowWater() {
  absl::MutexLock lock(&mu_);
  RequestLeaseIfLowLocked();
}

void MasterConnection::RequestLeaseIfLowLocked() {
  if (stream_ == nullptr || !welcomed_ || lease_outstanding_ || draining_ || returning_to_ >= 0) {
    return;
  }
  if (scheduler_->BufferedTime() >= options_.low_water) return;
  absl::Time now = absl::Now();
  if (now < next_lease_ok_) {  // Empty grants: no request storm.
    lease_timer_.ArmNoLaterThan(next_lease_ok_);
    return;
  }
  synth::v1::WorkerMessage msg;
  msg.mutable_lease_request()->set_seconds_wanted(options_.lease_seconds);
  msg.mutable_lease_request()->set_rate_hps(scheduler_->Rate());
  msg.mutable_lease_request()->set_buffered_hashes(scheduler_->QueuedHashes());
  lease_outstanding_ = stream_->Send(std::move(msg));
  if (lease_outstanding_) ++stats_.lease_requests;
  next_lease_ok_ = now + options_.lease_request_interval;
}

void MasterConnection::OnProgressTimer() {
  absl::MutexLock lock(&mu_);
  FlushProgressLocked();
}

void MasterConnection::OnTelemetryTimer() {
  Scheduler* scheduler;
  {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr || !welcomed_) return;
    scheduler = scheduler_;
  }
  std::vector<DeviceStats> devices = scheduler->Stats();  // Outside mu_: NVML may be slow.
  uint64_t queued = scheduler->QueuedHashes();
  absl::MutexLock lock(&mu_);
  if (stream_ == nullptr || !welcomed_) return;
  absl::Time now = absl::Now();
  // Telemetry is the one message that may be skipped: not while writes back up (a slow or
  // stalled master), so the write queue stays bounded by shares and progress.
  size_t backlog = stream_->Backlog();
  if (backlog < 64) {
    double idle = 0;
    for (const DeviceStats& d : devices) idle += d.idle_seconds;
    double span = absl::ToDoubleSeconds(now - last_telemetry_) *
                  static_cast<double>(std::max<size_t>(devices.size(), 1));
    double fraction =
        last_telemetry_ == absl::InfinitePast() ? 0 : (idle - idle_seconds_) / span;
    // A buffer hint lets gRPC coalesce the telemetry with the writes queued before it; alone
    // (an idle worker) it would sit in gRPC's buffer until some later write.
    stream_->Send(TelemetryMessage(devices, queued, static_cast<uint32_t>(leased_.size()),
                                   fraction),
                  /*buffer_hint=*/backlog > 0);
    ++stats_.telemetry_sent;
    last_telemetry_ = now;
    idle_seconds_ = idle;
  }
  telemetry_timer_.ArmAt(now + telemetry_interval_);
}

}  // namespace synth::worker
