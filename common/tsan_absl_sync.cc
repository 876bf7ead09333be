// File: common/tsan_absl_sync.cc
//
// ThreadSanitizer builds only (preset tsan): makes abseil's Mutex, CondVar and Notification
// visible to TSan. Debian's libabsl_synchronization is not built with -fsanitize=thread, so its
// locks are plain atomics and futexes to TSan: without this file every access guarded by an
// absl::Mutex (the project's only lock) is reported as a data race (docs/RELIABILITY.md).
//
// How: this file defines the library's exported entry points itself. The definitions in the
// executable interpose the shared library's (for our calls and for the library's and gRPC's
// internal PLT calls alike); each one tells TSan what the lock does (the __tsan_mutex_*
// annotations abseil itself makes when it is built with TSan) and calls the real function,
// found with dlsym(RTLD_NEXT). cmake/SynthHelpers.cmake compiles it into every executable of a
// SYNTH_SANITIZE=thread build, and nowhere else.
#if defined(__SANITIZE_THREAD__)

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#define SYNTH_STR2(x) #x
#define SYNTH_STR(x) SYNTH_STR2(x)

namespace {

// Returns the next definition (the shared library's) of absl::<mangled rest>: `rest` is the
// mangled name after the namespace, e.g. "5Mutex4LockEv"; `is_const` for const members.
void* Real(const char* rest, bool is_const) {
  const char* ns = SYNTH_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::string name = std::string(is_const ? "_ZNK4absl" : "_ZN4absl") +
                     std::to_string(std::strlen(ns)) + ns + rest;
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found: %s\n", name.c_str(), dlerror());
    std::abort();
  }
  return f;
}

// A lazily resolved real function of type F (thread-safe: a benign double lookup at most).
template <typename F>
F Resolve(std::atomic<void*>& cache, const char* rest, bool is_const) {
  void* f = cache.load(std::memory_order_acquire);
  if (f == nullptr) {
    f = Real(rest, is_const);
    cache.store(f, std::memory_order_release);
  }
  return reinterpret_cast<F>(f);
}

// Wrappers nest when the library calls its own entry points (CondVar::WaitWithTimeout calls
// WaitWithDeadline, Notification::Notify locks its Mutex): only the outermost one annotates.
thread_local int tl_depth = 0;
struct Outermost {
  Outermost() { ++tl_depth; }
  ~Outermost() { --tl_depth; }
};

// Declares `real`, the library's function; a nested call goes straight to it.
// Declares `real`, the library's function, and calls it at once for a nested call (`args`:
// the parenthesized argument list, `this` first).
#define SYNTH_REAL(type, rest, is_const, args)      \
  static std::atomic<void*> cache{nullptr};         \
  auto real = Resolve<type>(cache, rest, is_const); \
  if (tl_depth > 0) return real args;               \
  Outermost outermost

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;
constexpr unsigned kTryFailed = __tsan_mutex_try_lock_failed;

// A wait that releases `mu` and holds it again on return (Await, CondVar::Wait): to TSan an
// unlock followed by a lock, with the real wait (and the conditions it evaluates, always with
// the lock held) inside the lock's ignore region.
template <typename Wait>
auto WaitReleasing(void* mu, unsigned read, Wait wait) {
  __tsan_mutex_pre_unlock(mu, read);
  __tsan_mutex_post_unlock(mu, read);
  __tsan_mutex_pre_lock(mu, read);
  auto result = wait();
  __tsan_mutex_post_lock(mu, read, 0);
  return result;
}

// Notification::notified_yet_ follows its Mutex (notification.h); HasBeenNotified() is inline,
// so our code's acquire load of it is instrumented and pairs with a release at this address.
void* NotifiedFlag(const absl::Notification* n) {
  static_assert(sizeof(absl::Notification) == 2 * sizeof(absl::Mutex));
  return const_cast<char*>(reinterpret_cast<const char*>(n)) + sizeof(absl::Mutex);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  SYNTH_REAL(void (*)(Mutex*), "5Mutex4LockEv", false, (this));
  __tsan_mutex_pre_lock(this, 0);
  real(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::ReaderLock() {
  SYNTH_REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv", false, (this));
  __tsan_mutex_pre_lock(this, kRead);
  real(this);
  __tsan_mutex_post_lock(this, kRead, 0);
}

bool Mutex::TryLock() {
  SYNTH_REAL(bool (*)(Mutex*), "5Mutex7TryLockEv", false, (this));
  __tsan_mutex_pre_lock(this, kTry);
  bool ok = real(this);
  __tsan_mutex_post_lock(this, kTry | (ok ? 0 : kTryFailed), 0);
  return ok;
}

bool Mutex::ReaderTryLock() {
  SYNTH_REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv", false, (this));
  __tsan_mutex_pre_lock(this, kRead | kTry);
  bool ok = real(this);
  __tsan_mutex_post_lock(this, kRead | kTry | (ok ? 0 : kTryFailed), 0);
  return ok;
}

void Mutex::Unlock() {
  SYNTH_REAL(void (*)(Mutex*), "5Mutex6UnlockEv", false, (this));
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() {
  SYNTH_REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv", false, (this));
  __tsan_mutex_pre_unlock(this, kRead);
  real(this);
  __tsan_mutex_post_unlock(this, kRead);
}

void Mutex::LockWhen(const Condition& cond) {
  SYNTH_REAL(void (*)(Mutex*, const Condition&), "5Mutex8LockWhenERKNS0_9ConditionE", false,
             (this, cond));
  __tsan_mutex_pre_lock(this, 0);
  real(this, cond);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  SYNTH_REAL(void (*)(Mutex*, const Condition&), "5Mutex14ReaderLockWhenERKNS0_9ConditionE", false,
             (this, cond));
  __tsan_mutex_pre_lock(this, kRead);
  real(this, cond);
  __tsan_mutex_post_lock(this, kRead, 0);
}

// The timed variants hold the lock on return whether or not the condition became true.
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  SYNTH_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE", false,
             (this, cond, timeout));
  __tsan_mutex_pre_lock(this, 0);
  bool ok = real(this, cond, timeout);
  __tsan_mutex_post_lock(this, 0, 0);
  return ok;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  SYNTH_REAL(bool (*)(Mutex*, const Condition&, Time),
             "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE", false,
             (this, cond, deadline));
  __tsan_mutex_pre_lock(this, 0);
  bool ok = real(this, cond, deadline);
  __tsan_mutex_post_lock(this, 0, 0);
  return ok;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  SYNTH_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE", false,
             (this, cond, timeout));
  __tsan_mutex_pre_lock(this, kRead);
  bool ok = real(this, cond, timeout);
  __tsan_mutex_post_lock(this, kRead, 0);
  return ok;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  SYNTH_REAL(bool (*)(Mutex*, const Condition&, Time),
             "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE", false,
             (this, cond, deadline));
  __tsan_mutex_pre_lock(this, kRead);
  bool ok = real(this, cond, deadline);
  __tsan_mutex_post_lock(this, kRead, 0);
  return ok;
}

void Mutex::Await(const Condition& cond) {
  SYNTH_REAL(void (*)(Mutex*, const Condition&), "5Mutex5AwaitERKNS0_9ConditionE", false,
             (this, cond));
  WaitReleasing(this, 0, [&] {
    real(this, cond);
    return 0;
  });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  SYNTH_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE", false,
             (this, cond, timeout));
  return WaitReleasing(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  SYNTH_REAL(bool (*)(Mutex*, const Condition&, Time),
             "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE", false,
             (this, cond, deadline));
  return WaitReleasing(this, 0, [&] { return real(this, cond, deadline); });
}

Mutex::~Mutex() {
  static std::atomic<void*> cache{nullptr};
  auto real = Resolve<void (*)(Mutex*)>(cache, "5MutexD1Ev", false);
  if (tl_depth == 0) __tsan_mutex_destroy(this, 0);
  real(this);
}

void CondVar::Wait(Mutex* mu) {
  SYNTH_REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE", false, (this, mu));
  WaitReleasing(mu, 0, [&] {
    real(this, mu);
    return 0;
  });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  SYNTH_REAL(bool (*)(CondVar*, Mutex*, Duration),
             "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE", false, (this, mu, timeout));
  return WaitReleasing(mu, 0, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  SYNTH_REAL(bool (*)(CondVar*, Mutex*, Time), "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE",
             false, (this, mu, deadline));
  return WaitReleasing(mu, 0, [&] { return real(this, mu, deadline); });
}

// Notify and the waits lock mutex_ through the (interposed) Mutex calls, which orders a slow
// wait after Notify; the release/acquire pair below covers the fast paths, which only read
// notified_yet_ (uninstrumented inside the library, instrumented in our inline HasBeenNotified).
void Notification::Notify() {
  SYNTH_REAL(void (*)(Notification*), "12Notification6NotifyEv", false, (this));
  __tsan_release(NotifiedFlag(this));
  real(this);
}

void Notification::WaitForNotification() const {
  SYNTH_REAL(void (*)(const Notification*), "12Notification19WaitForNotificationEv", true, (this));
  real(this);
  __tsan_acquire(NotifiedFlag(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  SYNTH_REAL(bool (*)(const Notification*, Duration),
             "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", true,
             (this, timeout));
  bool notified = real(this, timeout);
  if (notified) __tsan_acquire(NotifiedFlag(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  SYNTH_REAL(bool (*)(const Notification*, Time),
             "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", true, (this, deadline));
  bool notified = real(this, deadline);
  if (notified) __tsan_acquire(NotifiedFlag(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // defined(__SANITIZE_THREAD__)
