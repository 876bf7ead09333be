// File: common/metrics/registry.h
//
// A small Prometheus metrics registry: counters, gauges and histograms, each a family with fixed
// label names and one child per label-value tuple, rendered in the text exposition format 0.0.4
// (exposition.h) with HELP and TYPE lines.
//
//   metrics::Registry reg;
//   metrics::Family<metrics::Counter>& shares =
//       reg.AddCounter("synth_shares_total", "Shares by verdict", {"verdict"});
//   shares.WithLabels({"accepted"}).Increment();
//   metrics::Family<metrics::Histogram>& lease = reg.AddHistogram(
//       "synth_lease_duration_seconds", "Lease length", {}, {0.5, 1, 2, 5, 10});
//   lease.WithLabels({}).Observe(4.2);
//   std::string body = reg.Render();  // Serve with Content-Type metrics::kContentType.
//
// Contract: names follow Prometheus rules (IsValidMetricName/IsValidLabelName); a histogram may
// not use the label "le". Registering an invalid name, or one name twice with a different type
// or label set, is a programmer error and aborts (like CHECK); registering the same name, type
// and labels again returns the existing family. WithLabels with the wrong number of values
// returns a detached child that is never rendered (so a bug cannot crash a scrape).
// Families render in registration order, children in label-value order.
//
// Thread-safety: everything is thread-safe. Counter/Gauge updates are lock-free; a histogram
// observation and WithLabels take a short mutex. References returned stay valid for the
// registry's lifetime (Family::Clear aside: it drops the children, so callers that Clear must not
// hold child references across it).
#ifndef SYNTH_COMMON_METRICS_REGISTRY_H_
#define SYNTH_COMMON_METRICS_REGISTRY_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace synth::metrics {

// A value that only goes up (Increment ignores negative and NaN amounts).
class Counter {
 public:
  explicit Counter(const std::vector<double>* /*buckets*/ = nullptr) {}
  void Increment(double amount = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  explicit Gauge(const std::vector<double>* /*buckets*/ = nullptr) {}
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double amount);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into cumulative buckets (upper bounds fixed by the family) plus a sum.
class Histogram {
 public:
  struct Snapshot {
    std::vector<uint64_t> counts;  // Per bucket (not cumulative), one more for +Inf.
    double sum = 0;
    uint64_t count = 0;
  };
  explicit Histogram(const std::vector<double>* bounds);
  // Records one value (NaN is ignored).
  void Observe(double v);
  Snapshot Get() const;

 private:
  const std::vector<double>* const bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mu_);
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

// Returns `count` bucket bounds start, start·factor, start·factor², ...
std::vector<double> ExponentialBuckets(double start, double factor, int count);

class Registry;

// One metric family: name, help, label names, and a child per label-value tuple.
template <typename T>
class Family {
 public:
  // Returns the child for `values` (one per label name, in order), creating it at zero.
  T& WithLabels(const std::vector<std::string>& values);
  // Drops every child (for families refilled from a snapshot at each scrape).
  void Clear();

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> buckets)
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        buckets_(std::move(buckets)),
        detached_(&buckets_) {}
  void Render(const char* type, std::string* out) const;

  const std::string name_, help_;
  const std::vector<std::string> labels_;
  const std::vector<double> buckets_;  // Histograms only, sorted, without +Inf.
  T detached_;                         // Returned for a wrong label count; never rendered.
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              const std::vector<std::string>& labels);
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          const std::vector<std::string>& labels);
  // `buckets`: upper bounds, any order (sorted, deduplicated; +Inf is implicit).
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& labels,
                                  std::vector<double> buckets);

  // Returns the text exposition of every family.
  std::string Render() const;

 private:
  struct Entry {
    std::string type;
    std::vector<std::string> labels;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  Entry& AddEntry(const std::string& name, const std::string& type,
                  const std::vector<std::string>& labels, bool* existed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::metrics

#endif  // SYNTH_COMMON_METRICS_REGISTRY_H_
