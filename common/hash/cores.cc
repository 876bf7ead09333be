// The HashCore objects. Compiled without ISA flags: only the Scan* loops in the per-ISA files
// use wider instructions, and they are reached only after Supported() said yes.
#include "common/hash/cores.h"

#include "common/hash/cpu_features.h"

namespace synth::hash {
namespace {

using ScanFn = void (*)(const ScanWork&, uint32_t, uint64_t, std::vector<uint32_t>*);

class FunctionCore final : public HashCore {
 public:
  FunctionCore(std::string_view name, bool supported, ScanFn scan)
      : name_(name), supported_(supported), scan_(scan) {}
  std::string_view Name() const override { return name_; }
  bool Supported() const override { return supported_; }
  void Scan(const ScanWork& work, uint32_t start, uint64_t count,
            std::vector<uint32_t>* found) const override {
    scan_(work, start, count, found);
  }

 private:
  const std::string_view name_;
  const bool supported_;
  const ScanFn scan_;
};

}  // namespace

const HashCore& ScalarCore() {
  static const FunctionCore core("scalar", true, internal::ScanScalar);
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
  static const FunctionCore core("avx2", DetectCpuFeatures().avx2, internal::ScanAvx2);
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
  static const FunctionCore core("avx512", DetectCpuFeatures().avx512, internal::ScanAvx512);
  return core;
}

}  // namespace synth::hash
