#include "common/hash/dispatch.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/hash/cores.h"
#include "common/hash/cpu_features.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace synth::hash {
namespace {

// Header bytes i * 37 + seed: arbitrary but fixed.
ScanWork TestWork(uint8_t seed, uint32_t target7) {
  uint8_t header[80];
  for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 37 + seed);
  Target256 target;
  target.fill(0xffffffff);
  target[6] = 0x7fffffff;  // Low words matter: some top-word candidates fail the full compare.
  target[7] = target7;
  return MakeScanWork(header, target);
}

// The genesis block header (block 0), nonce 2083236893, nBits 0x1d00ffff.
ScanWork GenesisWork() {
  static const uint8_t kMerkleDisplay[32] = {0x4a, 0x5e, 0x1e, 0x4b, 0xaa, 0xb8, 0x9f, 0x3a,
                                             0x32, 0x51, 0x8a, 0x88, 0xc3, 0x1b, 0xc8, 0x7f,
                                             0x61, 0x8f, 0x76, 0x67, 0x3e, 0x2c, 0xc7, 0x7a,
                                             0xb2, 0x12, 0x7b, 0x7a, 0xfd, 0xed, 0xa3, 0x3b};
  uint8_t header[80] = {1, 0, 0, 0};
  for (int i = 0; i < 32; ++i) header[36 + i] = kMerkleDisplay[31 - i];
  const uint32_t words[3] = {1231006505, 0x1d00ffff, 2083236893};
  for (int w = 0; w < 3; ++w) {
    for (int b = 0; b < 4; ++b) header[68 + 4 * w + b] = static_cast<uint8_t>(words[w] >> (8 * b));
  }
  Target256 target{};
  target[6] = 0xffff0000;
  return MakeScanWork(header, target);
}

absl::Status RunSelfTest(const HashCore& core) {
  if (!core.Supported()) {
    return absl::FailedPreconditionError(
        absl::StrCat("hash core ", std::string(core.Name()), " needs an ISA this CPU or OS lacks"));
  }
  struct Case {
    uint8_t seed;
    uint32_t target7;
    uint32_t start;
    uint64_t count;
  };
  const Case cases[] = {{1, 0x00ffffff, 0, 1000},
                        {2, 0x01ffffff, 0xfffffbf3, 1037},  // ends at 2^32 - 1
                        {3, 0x00ffffff, 12345, 333},
                        {4, 0xffffffff, 77, 19}};  // every top word is a candidate
  for (const Case& c : cases) {
    ScanWork work = TestWork(c.seed, c.target7);
    std::vector<uint32_t> got;
    core.Scan(work, c.start, c.count, &got);
    if (got != ReferenceScan(work, c.start, c.count)) {
      return absl::InternalError(absl::StrCat("hash core ", std::string(core.Name()),
                                              " self-test failed on case seed ", int{c.seed}));
    }
  }
  std::vector<uint32_t> got;
  core.Scan(GenesisWork(), 2083236893u - 100, 200, &got);
  if (got != std::vector<uint32_t>{2083236893u}) {
    return absl::InternalError(absl::StrCat("hash core ", std::string(core.Name()),
                                            " self-test failed on the genesis block"));
  }
  return absl::OkStatus();
}

std::string TimingsText(const std::vector<CoreTiming>& timings) {
  return absl::StrJoin(timings, ", ", [](std::string* out, const CoreTiming& t) {
    absl::StrAppendFormat(out, "%s %.2f", t.core->Name(), t.hashes_per_second / 1e6);
  });
}

}  // namespace

const std::vector<const HashCore*>& AllCores() {
  static const auto* cores = new std::vector<const HashCore*>{
      &HybridCore(), &Hybrid2Core(), &Hybrid1Core(), &Avx512Core(), &ShaNiCore(), &Avx2Core(),
      &ScalarCore()};
  return *cores;
}

std::string CoreNames() {
  return absl::StrJoin(AllCores(), ",",
                       [](std::string* out, const HashCore* core) { out->append(core->Name()); });
}

const HashCore* FindCore(std::string_view name) {
  for (const HashCore* core : AllCores()) {
    if (core->Name() == name) return core;
  }
  return nullptr;
}

absl::Status SelfTest(const HashCore& core) {
  static absl::Mutex mu;
  static auto* results = new std::map<const HashCore*, absl::Status>();
  absl::MutexLock lock(&mu);
  auto it = results->find(&core);
  if (it == results->end()) {
    it = results->emplace(&core, RunSelfTest(core)).first;
    if (!it->second.ok() && !absl::IsFailedPrecondition(it->second)) {
      LOG(ERROR) << it->second;
    }
  }
  return it->second;
}

std::vector<const HashCore*> UsableCores() {
  std::vector<const HashCore*> usable;
  for (const HashCore* core : AllCores()) {
    if (core->Supported() && SelfTest(*core).ok()) usable.push_back(core);
  }
  return usable;
}

const std::vector<CoreTiming>& MeasuredCores() {
  static const std::vector<CoreTiming>* measured = [] {
    const std::vector<const HashCore*> usable = UsableCores();
    ScanTimer timer;
    const double start = ThreadCpuSeconds();
    auto* timings = new std::vector<CoreTiming>(RankCores(usable, timer, kStartupTiming));
    LOG(INFO) << "hash cores timed in "
              << absl::StrFormat("%.0f", (ThreadCpuSeconds() - start) * 1e3)
              << " ms (one thread, MH/s): " << TimingsText(*timings);
    return timings;
  }();
  return *measured;
}

absl::StatusOr<const HashCore*> SelectCore(std::string_view name) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  if (name.empty() || name == "auto") {
    const std::vector<CoreTiming>& measured = MeasuredCores();
    if (measured.empty()) return absl::InternalError("no hash core passed its self-test");
    const HashCore* core = measured.front().core;
    LOG(INFO) << "hash core: " << core->Name() << " (auto: fastest measured; CPU " << cpu.brand
              << "; sha-ni " << cpu.sha_ni << " avx2 " << cpu.avx2 << " avx512 " << cpu.avx512
              << ")";
    return core;
  }
  const HashCore* core = FindCore(name);
  if (core == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown hash core '", std::string(name), "'; known: auto,", CoreNames()));
  }
  RETURN_IF_ERROR(SelfTest(*core));
  LOG(INFO) << "hash core: " << core->Name() << " (forced; CPU " << cpu.brand << ")";
  return core;
}

}  // namespace synth::hash
