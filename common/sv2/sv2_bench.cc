// Google Benchmark of the SV2 crypto (docs/BENCHMARKS.md "Stratum V2"): what a connection costs
// at the handshake and per frame. Baselines in the same run: libsecp256k1's own public key
// derivation next to the ElligatorSwift encoding written here, and ChaCha20-Poly1305 on the
// payload alone next to a sealed frame.
//
//   sv2_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <vector>

#include "benchmark/benchmark.h"
#include "common/sv2/frame.h"
#include "common/sv2/noise.h"
#include "common/sv2/secure_channel.h"

namespace synth::sv2 {
namespace {

SecretKey Key() { return *GenerateSecretKey(SystemRandom()); }

void BM_XOnlyPublicKey(benchmark::State& state) {  // libsecp256k1: the baseline
  SecretKey k = Key();
  for (auto _ : state) benchmark::DoNotOptimize(XOnlyPublicKey(k));
}
BENCHMARK(BM_XOnlyPublicKey);

void BM_EllSwiftEncode(benchmark::State& state) {  // This project's field arithmetic.
  XOnly x = *XOnlyPublicKey(Key());
  RandomFn random = SystemRandom();
  for (auto _ : state) benchmark::DoNotOptimize(EllSwiftEncode(x, random));
}
BENCHMARK(BM_EllSwiftEncode);

void BM_EllSwiftDecode(benchmark::State& state) {
  EllSwift e = *EllSwiftPublicKey(Key(), SystemRandom());
  for (auto _ : state) benchmark::DoNotOptimize(EllSwiftDecode(e));
}
BENCHMARK(BM_EllSwiftDecode);

void BM_V2Ecdh(benchmark::State& state) {
  SecretKey a = Key();
  EllSwift ours = *EllSwiftPublicKey(a, SystemRandom());
  EllSwift theirs = *EllSwiftPublicKey(Key(), SystemRandom());
  for (auto _ : state) benchmark::DoNotOptimize(V2Ecdh(a, ours, theirs, true));
}
BENCHMARK(BM_V2Ecdh);

// Both sides of one Noise NX handshake, certificate check included.
void BM_Handshake(benchmark::State& state) {
  SecretKey authority = Key();
  ResponderCredentials creds{Key(), {}};
  creds.certificate =
      *SignCertificate(authority, *XOnlyPublicKey(creds.static_key), 0, 0xffffffff, SystemRandom());
  XOnly authority_key = *XOnlyPublicKey(authority);
  for (auto _ : state) {
    auto client = SecureChannel::Initiator(authority_key, SystemRandom());
    auto server = SecureChannel::Responder(creds, SystemRandom());
    std::vector<Frame> frames;
    std::vector<uint8_t> act2, none;
    (void)server->Feed(*client->Start(), absl::Now(), &frames, &act2);
    if (!client->Feed(act2, absl::Now(), &frames, &none).ok()) state.SkipWithError("handshake");
  }
}
BENCHMARK(BM_Handshake)->Unit(benchmark::kMillisecond);

void BM_AeadPayloadOnly(benchmark::State& state) {  // The baseline for BM_SealFrame.
  CipherState c;
  c.InitializeKey(Key32{});
  std::vector<uint8_t> payload(static_cast<size_t>(state.range(0)), 7);
  for (auto _ : state) benchmark::DoNotOptimize(c.EncryptWithAd({}, payload));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload.size()));
}
BENCHMARK(BM_AeadPayloadOnly)->Arg(200)->Arg(65519);

void BM_SealFrame(benchmark::State& state) {
  CipherState c;
  c.InitializeKey(Key32{});
  Frame f{kChannelMsgBit, 0x1b, std::vector<uint8_t>(static_cast<size_t>(state.range(0)), 7)};
  for (auto _ : state) benchmark::DoNotOptimize(EncryptFrame(f, &c));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.payload.size()));
}
BENCHMARK(BM_SealFrame)->Arg(200)->Arg(65519);

}  // namespace
}  // namespace synth::sv2

BENCHMARK_MAIN();
