#include "kernels/gpu_scanner.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <thread>

#include <sys/prctl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kernels/sha256d_kernel.h"

namespace synth::kernels {
namespace {

// Entries copied back with every launch; more are fetched synchronously (rare).
constexpr uint32_t kCopiedEntries = 128;

absl::Status CudaError(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(what, ": ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")"));
}

#define SYNTH_CUDA_RETURN(expr)                                             \
  do {                                                                      \
    if (absl::Status _st = CudaError((expr), #expr); !_st.ok()) return _st; \
  } while (0)

uint32_t BigEndianWord(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

// One in-flight launch: its device ring, pinned copy and events.
struct LaunchSlot {
  uint32_t capacity = 0;
  uint32_t* dev_ring = nullptr;
  uint32_t* host_ring = nullptr;  // Pinned, 1 + 2 * kCopiedEntries words.
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  uint32_t first_nonce = 0;
  uint32_t nonces = 0;
  std::chrono::steady_clock::time_point expect_done;  // Estimated from the measured rate.
};

struct GpuScanner::Impl {
  int ordinal = 0;
  cudaStream_t stream = nullptr;
  std::vector<LaunchSlot> slots;
  LaunchArgs args{};
  int blocks_per_sm[kMaxMids + 1] = {};  // By midstates per launch; 0 until first asked.
  ~Impl() {
    cudaSetDevice(ordinal);
    if (stream) cudaStreamSynchronize(stream);
    for (LaunchSlot& s : slots) {
      if (s.dev_ring) cudaFree(s.dev_ring);
      if (s.host_ring) cudaFreeHost(s.host_ring);
      if (s.start) cudaEventDestroy(s.start);
      if (s.stop) cudaEventDestroy(s.stop);
    }
    if (stream) cudaStreamDestroy(stream);
  }
};

absl::StatusOr<int> CountGpus() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver ||
      err == cudaErrorInitializationError || err == cudaErrorCompatNotSupportedOnDevice ||
      err == cudaErrorSystemDriverMismatch || err == cudaErrorNotSupported) {
    cudaGetLastError();  // Clear the sticky-free error state.
    return 0;
  }
  if (err != cudaSuccess) return CudaError(err, "cudaGetDeviceCount");
  return n;
}

absl::Status ResetGpu(int ordinal) {
  SYNTH_CUDA_RETURN(cudaSetDevice(ordinal));
  SYNTH_CUDA_RETURN(cudaDeviceReset());
  return absl::OkStatus();
}

GpuScanner::GpuScanner(GpuInfo info, KernelTuning tuning, const Options& options)
    : info_(std::move(info)),
      tuning_(tuning),
      options_(options),
      impl_(std::make_unique<Impl>()),
      launch_nonces_(tuning.launch_nonces) {}

GpuScanner::~GpuScanner() = default;

absl::StatusOr<std::unique_ptr<GpuScanner>> GpuScanner::Create(int ordinal,
                                                               const Options& options) {
  if (options.in_flight < 1 || options.in_flight > 8 || options.ring_capacity < 8) {
    return absl::InvalidArgumentError("GpuScanner: in_flight must be 1..8, ring_capacity >= 8");
  }
  absl::StatusOr<int> n = CountGpus();
  if (!n.ok()) return n.status();
  if (ordinal < 0 || ordinal >= *n) {
    return absl::NotFoundError(
        absl::StrCat("CUDA device ", ordinal, " does not exist (", *n, " present)"));
  }
  SYNTH_CUDA_RETURN(cudaSetDevice(ordinal));
  cudaDeviceProp prop{};
  SYNTH_CUDA_RETURN(cudaGetDeviceProperties(&prop, ordinal));
  GpuInfo info;
  info.ordinal = ordinal;
  info.name = prop.name;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.multiprocessors = prop.multiProcessorCount;
  char bus[32] = {};
  if (cudaDeviceGetPCIBusId(bus, sizeof(bus), ordinal) == cudaSuccess) info.pci_bus_id = bus;
  KernelTuning tuning =
      options.override_tuning ? options.tuning : TuningFor(prop.major, prop.minor);
  if (options.target_batch_ms > 0) tuning.target_batch_ms = options.target_batch_ms;
  // Every launch this tuning makes (and the one-nonce-per-thread rescans) must be compiled.
  for (int mids : {1, 2, 4, 8}) {
    if (mids > std::max(1, tuning.max_mids)) break;
    const int mode = tuning.AddModeFor(mids);
    const int npt = tuning.NoncesPerThreadFor(mids);
    const int threads = tuning.ThreadsPerBlockFor(mids);
    if (threads < 32 || threads > kMaxThreadsPerBlock || threads % 32 != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "threads per block must be a multiple of 32 in 32..512, got ", threads));
    }
    if (npt < 1 || !VariantAvailable(prop.major * 10 + prop.minor, mode, mids, npt) ||
        !VariantAvailable(prop.major * 10 + prop.minor, mode, mids, 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kernel (add mode ", mode, ", ", mids, " midstates, ", npt,
                       " nonces per thread) is not compiled for sm_", prop.major, prop.minor));
    }
  }
  std::unique_ptr<GpuScanner> s(new GpuScanner(std::move(info), tuning, options));
  Impl& impl = *s->impl_;
  impl.ordinal = ordinal;
  SYNTH_CUDA_RETURN(cudaStreamCreateWithFlags(&impl.stream, cudaStreamNonBlocking));
  impl.slots.resize(options.in_flight);
  for (LaunchSlot& slot : impl.slots) {
    const size_t words = 1 + 2 * size_t{options.ring_capacity};
    SYNTH_CUDA_RETURN(
        cudaMalloc(reinterpret_cast<void**>(&slot.dev_ring), words * sizeof(uint32_t)));
    SYNTH_CUDA_RETURN(cudaMallocHost(reinterpret_cast<void**>(&slot.host_ring),
                                     (1 + 2 * kCopiedEntries) * sizeof(uint32_t)));
    SYNTH_CUDA_RETURN(cudaEventCreate(&slot.start));
    SYNTH_CUDA_RETURN(cudaEventCreate(&slot.stop));
  }
  return s;
}

namespace {

absl::Status ValidateWorks(std::span<const GpuWork> works, uint32_t start, uint64_t count) {
  if (works.empty()) return absl::InvalidArgumentError("GpuScanner::Scan: no works");
  if (works.size() > 1024) return absl::InvalidArgumentError("GpuScanner::Scan: > 1024 works");
  for (const GpuWork& w : works) {
    if (w.tail != works[0].tail || w.target != works[0].target) {
      return absl::InvalidArgumentError(
          "GpuScanner::Scan: works must share tail and target (they differ only in midstate)");
    }
  }
  if (uint64_t{start} + count > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        absl::StrCat("GpuScanner::Scan: start ", start, " + count ", count, " exceeds 2^32"));
  }
  return absl::OkStatus();
}

// Appends `n` ring entries to `out`.
void AppendEntries(const uint32_t* entries, uint32_t n, uint32_t first_index,
                   std::vector<GpuCandidate>* out) {
  for (uint32_t i = 0; i < n; ++i) {
    out->push_back({first_index + entries[2 * i + 1], entries[2 * i]});
  }
}

// Waits for `slot`'s launch: sleeps until shortly before its estimated end (in naps of at most
// 1 ms, watching `cancel`), then polls every ~20 us, so the host notices the end of a Scan's
// last launch (after which the GPU idles until the next Scan) within ~25 us without spinning a
// core. Linux's default 50 us timer slack would stretch each poll to ~70-100 us: the Scan
// thread lowers its own slack to 1 us (ScanThreadSetup).
cudaError_t WaitFor(const LaunchSlot& slot, const std::atomic<bool>* cancel, bool* cancelled,
                    const std::atomic<bool>* abort) {
  using std::chrono::microseconds;
  cudaError_t err;
  while ((err = cudaEventQuery(slot.stop)) == cudaErrorNotReady) {
    if (abort != nullptr && abort->load(std::memory_order_relaxed)) return cudaErrorLaunchTimeout;
    if (!*cancelled && cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      *cancelled = true;
    }
    const auto left = std::chrono::duration_cast<microseconds>(slot.expect_done -
                                                               std::chrono::steady_clock::now());
    std::this_thread::sleep_for(
        std::clamp(left - microseconds(150), microseconds(20), microseconds(1000)));
  }
  return err;
}

void ScanThreadSetup() {
  thread_local bool done = false;
  if (!done) {
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // Nanoseconds; this thread only.
    done = true;
  }
}

// Ring entries copied back with the launch (never past the device ring's end).
uint32_t CopiedEntries(const LaunchSlot& slot) { return std::min(kCopiedEntries, slot.capacity); }

}  // namespace

absl::StatusOr<uint64_t> GpuScanner::Scan(std::span<const GpuWork> works, uint32_t start,
                                          uint64_t count, const std::atomic<bool>* cancel,
                                          std::vector<GpuCandidate>* out) {
  if (absl::Status st = ValidateWorks(works, start, count); !st.ok()) return st;
  SYNTH_CUDA_RETURN(cudaSetDevice(impl_->ordinal));
  ScanThreadSetup();
  uint64_t hashes = 0;
  size_t index = 0;
  while (index < works.size() && count > 0) {
    const size_t left = works.size() - index;
    size_t group = 1;
    while (group * 2 <= left && group * 2 <= static_cast<size_t>(tuning_.max_mids)) group *= 2;
    absl::StatusOr<uint64_t> done = ScanGroup(
        works.subspan(index, group), static_cast<uint32_t>(index), start, count, cancel, out);
    if (!done.ok()) return done.status();
    hashes += *done * group;
    if (*done < count) break;  // Cancelled.
    index += group;
  }
  return hashes;
}

int GpuScanner::ThreadsFor(uint32_t mids) const {
  return std::min(tuning_.ThreadsPerBlockFor(static_cast<int>(mids)),
                  MaxThreadsPerBlock(static_cast<int>(mids)));
}

uint64_t GpuScanner::WaveNonces(int mids) {
  if (!options_.whole_waves || mids < 1 || mids > kMaxMids || (mids & (mids - 1)) != 0) return 1;
  const int threads = ThreadsFor(static_cast<uint32_t>(mids));
  const int npt = tuning_.NoncesPerThreadFor(mids);
  int& per_sm = impl_->blocks_per_sm[mids];  // Asked once: the occupancy query is not free.
  if (per_sm == 0) {
    if (cudaSetDevice(impl_->ordinal) != cudaSuccess) return 1;
    per_sm = std::max(1, BlocksPerSm(mids, threads, tuning_.AddModeFor(mids),
                                     static_cast<uint32_t>(npt)));
  }
  return uint64_t(threads) * npt * per_sm * std::max(1, info_.multiprocessors);
}

absl::StatusOr<uint64_t> GpuScanner::ScanGroup(std::span<const GpuWork> works, uint32_t first_index,
                                               uint32_t start, uint64_t count,
                                               const std::atomic<bool>* cancel,
                                               std::vector<GpuCandidate>* out) {
  Impl& impl = *impl_;
  LaunchArgs& args = impl.args;
  uint32_t tail_words[3];
  for (int i = 0; i < 3; ++i) tail_words[i] = BigEndianWord(works[0].tail.data() + 4 * i);
  PrecomputeTail(tail_words, &args.tail);
  for (size_t m = 0; m < works.size(); ++m) {
    PrecomputeMidstate(works[m].midstate.data(), tail_words, &args.mids[m]);
  }
  const uint32_t g = static_cast<uint32_t>(works.size());
  args.nmids = g;
  const int npt = tuning_.NoncesPerThreadFor(static_cast<int>(g));
  args.npt = static_cast<uint32_t>(npt);
  args.target7 = works[0].target[7];
  args.capacity = options_.ring_capacity;

  // Launches come in whole waves (every SM busy until the launch's end), except the last.
  const int threads = ThreadsFor(g);
  const uint64_t granule = options_.whole_waves ? WaveNonces(g) : uint64_t(threads) * npt;
  uint64_t next = start;
  const uint64_t end = uint64_t{start} + count;
  uint64_t done = 0;
  std::deque<LaunchSlot*> queued;
  size_t round_robin = 0;
  bool cancelled = false;
  std::chrono::steady_clock::time_point last_expect{};
  while (true) {
    while (!cancelled && queued.size() < impl.slots.size() && next < end) {
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        cancelled = true;
        break;
      }
      uint64_t n = std::max<uint64_t>(granule, launch_nonces_ / g / granule * granule);
      n = std::min<uint64_t>({n, end - next, uint64_t{1} << 31});
      LaunchSlot& slot = impl.slots[round_robin++ % impl.slots.size()];
      slot.capacity = options_.ring_capacity;
      slot.first_nonce = static_cast<uint32_t>(next);
      slot.nonces = static_cast<uint32_t>(n);
      args.start = slot.first_nonce;
      args.count = slot.nonces;
      args.ring = slot.dev_ring;
      SYNTH_CUDA_RETURN(cudaEventRecord(slot.start, impl.stream));
      SYNTH_CUDA_RETURN(cudaMemsetAsync(slot.dev_ring, 0, sizeof(uint32_t), impl.stream));
      SYNTH_CUDA_RETURN(
          LaunchSha256dScan(args, threads, tuning_.AddModeFor(g), impl.stream));
      SYNTH_CUDA_RETURN(cudaMemcpyAsync(slot.host_ring, slot.dev_ring,
                                        (1 + 2 * CopiedEntries(slot)) * sizeof(uint32_t),
                                        cudaMemcpyDeviceToHost, impl.stream));
      SYNTH_CUDA_RETURN(cudaEventRecord(slot.stop, impl.stream));
      const double est_ms =
          hashes_per_ms_ > 0 ? double(n) * g / hashes_per_ms_ : tuning_.target_batch_ms;
      slot.expect_done = std::max(std::chrono::steady_clock::now(), last_expect) +
                         std::chrono::microseconds(static_cast<int64_t>(est_ms * 1000));
      last_expect = slot.expect_done;
      queued.push_back(&slot);
      next += n;
    }
    if (queued.empty()) break;
    LaunchSlot& slot = *queued.front();
    const cudaError_t waited = WaitFor(slot, cancel, &cancelled, options_.abort);
    if (options_.abort != nullptr && options_.abort->load()) {
      return absl::AbortedError(absl::StrCat("GPU ", impl.ordinal, ": launch abandoned as hung"));
    }
    SYNTH_CUDA_RETURN(waited);
    if (absl::Status st = Collect(slot, first_index, g, out); !st.ok()) return st;
    done += slot.nonces;
    queued.pop_front();
  }
  return done;
}

absl::Status GpuScanner::Collect(LaunchSlot& slot, uint32_t first_index, uint32_t g,
                                 std::vector<GpuCandidate>* out) {
  float ms = 0;
  SYNTH_CUDA_RETURN(cudaEventElapsedTime(&ms, slot.start, slot.stop));
  ++stats_.launches;
  stats_.nonces += slot.nonces;
  stats_.gpu_ms += ms;
  // Adapt the launch size (in hashes, so that groups of 1, 2 or 4 midstates share it).
  if (ms > 0.05f) {
    hashes_per_ms_ = double(slot.nonces) * g / ms;
    const double want = double(slot.nonces) * g / ms * tuning_.target_batch_ms;
    const double next = 0.5 * double(launch_nonces_) + 0.5 * want;
    launch_nonces_ = static_cast<uint64_t>(std::clamp(next, 65536.0, 4294967296.0));
  }
  const uint32_t n = slot.host_ring[0];
  if (n > slot.capacity) {
    ++stats_.overflow_rescans;
    return Rescan(slot, first_index, g, out);
  }
  const uint32_t copied = std::min(n, CopiedEntries(slot));
  AppendEntries(slot.host_ring + 1, copied, first_index, out);
  if (n > copied) {
    std::vector<uint32_t> rest(2 * size_t{n - copied});
    SYNTH_CUDA_RETURN(cudaMemcpy(rest.data(), slot.dev_ring + 1 + 2 * copied,
                                 rest.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost));
    AppendEntries(rest.data(), n - copied, first_index, out);
  }
  return absl::OkStatus();
}

absl::Status GpuScanner::Rescan(LaunchSlot& slot, uint32_t first_index, uint32_t g,
                                std::vector<GpuCandidate>* out) {
  // A launch of capacity / g nonces cannot overflow: rescan the range in such launches.
  LaunchArgs args = impl_->args;
  args.ring = slot.dev_ring;
  args.npt = 1;
  const uint32_t step = std::max<uint32_t>(1, slot.capacity / g);
  std::vector<uint32_t> ring(1 + 2 * size_t{slot.capacity});
  for (uint64_t at = slot.first_nonce; at < uint64_t{slot.first_nonce} + slot.nonces; at += step) {
    args.start = static_cast<uint32_t>(at);
    args.count = static_cast<uint32_t>(
        std::min<uint64_t>(step, uint64_t{slot.first_nonce} + slot.nonces - at));
    SYNTH_CUDA_RETURN(cudaMemsetAsync(slot.dev_ring, 0, sizeof(uint32_t), impl_->stream));
    SYNTH_CUDA_RETURN(LaunchSha256dScan(args, 32, tuning_.AddModeFor(g), impl_->stream));
    SYNTH_CUDA_RETURN(cudaMemcpyAsync(ring.data(), slot.dev_ring, ring.size() * sizeof(uint32_t),
                                      cudaMemcpyDeviceToHost, impl_->stream));
    SYNTH_CUDA_RETURN(cudaStreamSynchronize(impl_->stream));
    AppendEntries(ring.data() + 1, std::min(ring[0], slot.capacity), first_index, out);
  }
  return absl::OkStatus();
}

}  // namespace synth::kernels
