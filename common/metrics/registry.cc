#include "common/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/metrics/exposition.h"

namespace synth::metrics {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

void AtomicAdd(std::atomic<double>& a, double amount) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + amount, std::memory_order_relaxed)) {
  }
}

// Renders `{a="x",b="y"}` (plus `extra`, e.g. le="0.5"), or "" without labels.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"", EscapeLabelValue(values[i]),
                    "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

void RenderChild(const std::string& name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, const std::vector<double>&,
                 const Counter& c, std::string* out) {
  absl::StrAppend(out, name, LabelText(names, values), " ", FormatValue(c.Value()), "\n");
}

void RenderChild(const std::string& name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, const std::vector<double>&, const Gauge& g,
                 std::string* out) {
  absl::StrAppend(out, name, LabelText(names, values), " ", FormatValue(g.Value()), "\n");
}

void RenderChild(const std::string& name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, const std::vector<double>& bounds,
                 const Histogram& h, std::string* out) {
  Histogram::Snapshot s = h.Get();
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += s.counts[i];
    std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
    absl::StrAppend(out, name, "_bucket", LabelText(names, values, "le=\"" + le + "\""), " ",
                    cumulative, "\n");
  }
  absl::StrAppend(out, name, "_sum", LabelText(names, values), " ", FormatValue(s.sum), "\n");
  absl::StrAppend(out, name, "_count", LabelText(names, values), " ", s.count, "\n");
}

void CheckLabels(const std::string& name, const std::vector<std::string>& labels, bool histo) {
  if (!IsValidMetricName(name)) Die("invalid metric name '" + name + "'");
  for (const std::string& l : labels) {
    if (!IsValidLabelName(l) || (histo && l == "le")) {
      Die("invalid label name '" + l + "' for " + name);
    }
  }
}

}  // namespace

void Counter::Increment(double amount) {
  if (!(amount > 0)) return;
  AtomicAdd(value_, amount);
}

void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(bounds->size() + 1, 0) {}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  size_t i = std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin();
  absl::MutexLock lock(&mu_);
  ++counts_[i];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::Get() const {
  absl::MutexLock lock(&mu_);
  return {counts_, sum_, count_};
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != labels_.size()) return detached_;
  absl::MutexLock lock(&mu_);
  std::unique_ptr<T>& child = children_[values];
  if (child == nullptr) child = std::make_unique<T>(&buckets_);
  return *child;
}

template <typename T>
void Family<T>::Clear() {
  absl::MutexLock lock(&mu_);
  children_.clear();
}

template <typename T>
void Family<T>::Render(const char* type, std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n# TYPE ", name_, " ", type,
                  "\n");
  absl::MutexLock lock(&mu_);
  for (const auto& [values, child] : children_) {
    RenderChild(name_, labels_, values, buckets_, *child, out);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::Entry& Registry::AddEntry(const std::string& name, const std::string& type,
                                    const std::vector<std::string>& labels, bool* existed) {
  auto it = entries_.find(name);
  *existed = it != entries_.end();
  if (*existed) {
    if (it->second.type != type || it->second.labels != labels) {
      Die("metric '" + name + "' registered twice with a different type or labels");
    }
    return it->second;
  }
  order_.push_back(name);
  Entry& e = entries_[name];
  e.type = type;
  e.labels = labels;
  return e;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      const std::vector<std::string>& labels) {
  CheckLabels(name, labels, false);
  absl::MutexLock lock(&mu_);
  bool existed = false;
  Entry& e = AddEntry(name, "counter", labels, &existed);
  if (!existed) e.counter.reset(new Family<Counter>(name, help, labels, {}));
  return *e.counter;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& labels) {
  CheckLabels(name, labels, false);
  absl::MutexLock lock(&mu_);
  bool existed = false;
  Entry& e = AddEntry(name, "gauge", labels, &existed);
  if (!existed) e.gauge.reset(new Family<Gauge>(name, help, labels, {}));
  return *e.gauge;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          const std::vector<std::string>& labels,
                                          std::vector<double> buckets) {
  CheckLabels(name, labels, true);
  buckets.erase(std::remove_if(buckets.begin(), buckets.end(),
                               [](double b) { return std::isnan(b) || std::isinf(b); }),
                buckets.end());
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  absl::MutexLock lock(&mu_);
  bool existed = false;
  Entry& e = AddEntry(name, "histogram", labels, &existed);
  if (!existed) e.histogram.reset(new Family<Histogram>(name, help, labels, std::move(buckets)));
  return *e.histogram;
}

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const std::string& name : order_) {
    const Entry& e = entries_.at(name);
    if (e.counter) e.counter->Render("counter", &out);
    if (e.gauge) e.gauge->Render("gauge", &out);
    if (e.histogram) e.histogram->Render("histogram", &out);
  }
  return out;
}

}  // namespace synth::metrics
