#include "common/hash/precompute.h"

namespace synth::hash {
namespace {

constexpr uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
constexpr uint32_t BigS0(uint32_t x) { return Rotr(x, 2) ^ Rotr(x, 13) ^ Rotr(x, 22); }
constexpr uint32_t BigS1(uint32_t x) { return Rotr(x, 6) ^ Rotr(x, 11) ^ Rotr(x, 25); }
constexpr uint32_t SmallS0(uint32_t x) { return Rotr(x, 7) ^ Rotr(x, 18) ^ (x >> 3); }
constexpr uint32_t SmallS1(uint32_t x) { return Rotr(x, 17) ^ Rotr(x, 19) ^ (x >> 10); }
constexpr uint32_t Ch(uint32_t e, uint32_t f, uint32_t g) { return (e & f) ^ (~e & g); }
constexpr uint32_t Maj(uint32_t a, uint32_t b, uint32_t c) { return (a & b) ^ (a & c) ^ (b & c); }

// One round on s = {a..h}.
void Round(uint32_t s[8], uint32_t kw) {
  uint32_t t1 = s[7] + BigS1(s[4]) + Ch(s[4], s[5], s[6]) + kw;
  uint32_t t2 = BigS0(s[0]) + Maj(s[0], s[1], s[2]);
  for (int i = 7; i > 0; --i) s[i] = s[i - 1];
  s[4] += t1;
  s[0] = t1 + t2;
}

uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

constexpr uint32_t kIv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

}  // namespace

const uint32_t kH2T1 = kIv[7] + BigS1(kIv[4]) + Ch(kIv[4], kIv[5], kIv[6]) + 0x428a2f98;
const uint32_t kH2T2 = BigS0(kIv[0]) + Maj(kIv[0], kIv[1], kIv[2]);
const uint32_t kH2Kw[8] = {0xd807aa98 + 0x80000000u,
                           0x12835b01,
                           0x243185be,
                           0x550c7dc3,
                           0x72be5d74,
                           0x80deb1fe,
                           0x9bdc06a7,
                           0xc19bf174 + 0x100u};

void AppendIfMeetsTarget(const ScanWork& work, uint32_t nonce, std::vector<uint32_t>* found) {
  if (MeetsTarget(HashNonce(work, nonce), work.target)) found->push_back(nonce);
}

void AppendRowIfMeetsTarget(const ScanWork& work, uint32_t work_index, uint32_t nonce,
                            std::vector<RowFound>* found) {
  if (MeetsTarget(HashNonce(work, nonce), work.target)) found->push_back({work_index, nonce});
}

bool CandidateTop(uint32_t s7, uint32_t target7) { return __builtin_bswap32(s7) <= target7; }

Precomp MakePrecomp(const ScanWork& work) {
  Precomp p{};
  for (int i = 0; i < 8; ++i) p.midstate[i] = work.midstate[i];
  for (int i = 0; i < 3; ++i) p.w[i] = LoadBe32(work.tail.data() + 4 * i);
  uint32_t s[8];
  for (int i = 0; i < 8; ++i) s[i] = work.midstate[i];
  Round(s, kSha256K[0] + p.w[0]);
  Round(s, kSha256K[1] + p.w[1]);
  for (int i = 0; i < 8; ++i) p.state2[i] = s[i];
  Round(s, kSha256K[2] + p.w[2]);
  Round(s, kSha256K[3]);  // W3 = 0: the nonce enters as a += W3, e += W3.
  for (int i = 0; i < 8; ++i) p.state4[i] = s[i];

  uint32_t w[18] = {p.w[0], p.w[1], p.w[2], 0, 0x80000000u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 640};
  w[16] = SmallS1(w[14]) + w[9] + SmallS0(w[1]) + w[0];
  w[17] = SmallS1(w[15]) + w[10] + SmallS0(w[2]) + w[1];
  for (int i = 4; i < 18; ++i) p.kw1[i] = kSha256K[i] + w[i];
  p.w16 = w[16];
  p.w17 = w[17];
  p.w18c = SmallS1(w[16]) + w[11] + w[2];           // + sigma0(W3)
  p.w19c = SmallS1(w[17]) + w[12] + SmallS0(w[4]);  // + W3
  p.w31c = SmallS0(w[16]) + w[15];
  p.w32c = SmallS0(w[17]) + w[16];
  p.target7 = work.target[7];
  return p;
}

}  // namespace synth::hash
