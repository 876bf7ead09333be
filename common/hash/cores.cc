// The HashCore objects. Compiled without ISA flags: only the Scan* loops in the per-ISA files
// use wider instructions, and they are reached only after Supported() said yes.
#include "common/hash/cores.h"

#include <algorithm>

#include "common/hash/cpu_features.h"

namespace synth::hash {
namespace {

using ScanFn = void (*)(const ScanWork&, uint32_t, uint64_t, std::vector<uint32_t>*);
using RowFn = void (*)(const ScanWork*, int, uint32_t, uint64_t, std::vector<RowFound>*);

class FunctionCore final : public HashCore {
 public:
  FunctionCore(std::string_view name, bool supported, ScanFn scan, RowFn row = nullptr)
      : name_(name), supported_(supported), scan_(scan), row_(row) {}
  std::string_view Name() const override { return name_; }
  bool Supported() const override { return supported_; }
  void Scan(const ScanWork& work, uint32_t start, uint64_t count,
            std::vector<uint32_t>* found) const override {
    scan_(work, start, count, found);
  }
  int MaxRow() const override { return row_ != nullptr ? kMaxRowWorks : 1; }
  void ScanRow(std::span<const ScanWork> works, uint32_t start, uint64_t count,
               std::vector<RowFound>* found) const override {
    if (row_ == nullptr || works.size() < 2 || !SharesTail(works)) {
      HashCore::ScanRow(works, start, count, found);
      return;
    }
    for (size_t first = 0; first < works.size(); first += kMaxRowWorks) {
      const int n = static_cast<int>(std::min<size_t>(kMaxRowWorks, works.size() - first));
      const size_t before = found->size();
      if (n == 1) {
        HashCore::ScanRow(works.subspan(first, 1), start, count, found);
      } else {
        row_(works.data() + first, n, start, count, found);
      }
      for (size_t i = before; i < found->size(); ++i) {
        (*found)[i].work += static_cast<uint32_t>(first);
      }
    }
  }

 private:
  const std::string_view name_;
  const bool supported_;
  const ScanFn scan_;
  const RowFn row_;
};

}  // namespace

const HashCore& ScalarCore() {
  static const FunctionCore core("scalar", true, internal::ScanScalar, internal::ScanRowScalar);
  return core;
}

const HashCore& ShaNiCore() {
  static const FunctionCore core("sha-ni", DetectCpuFeatures().sha_ni, internal::ScanShaNi);
  return core;
}

const HashCore& ShaNiPlainCore() {
  static const FunctionCore core("sha-ni-plain", DetectCpuFeatures().sha_ni,
                                 internal::ScanShaNiPlain);
  return core;
}

const HashCore& Avx2Core() {
  static const FunctionCore core("avx2", DetectCpuFeatures().avx2, internal::ScanAvx2,
                                 internal::ScanRowAvx2);
  return core;
}

const HashCore& HybridCore() {
  static const FunctionCore core(
      "avx512-sha", DetectCpuFeatures().avx512 && DetectCpuFeatures().sha_ni, internal::ScanHybrid);
  return core;
}

const HashCore& Hybrid2Core() {
  static const FunctionCore core("avx512-sha2",
                                 DetectCpuFeatures().avx512 && DetectCpuFeatures().sha_ni,
                                 internal::ScanHybrid2);
  return core;
}

const HashCore& Hybrid1Core() {
  static const FunctionCore core("avx512-sha1",
                                 DetectCpuFeatures().avx512 && DetectCpuFeatures().sha_ni,
                                 internal::ScanHybrid1);
  return core;
}

const HashCore& Avx512Core() {
  static const FunctionCore core("avx512", DetectCpuFeatures().avx512, internal::ScanAvx512,
                                 internal::ScanRowAvx512);
  return core;
}

}  // namespace synth::hash
