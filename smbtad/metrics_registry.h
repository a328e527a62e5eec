// SPDX-License-Identifier: GPL-3.0-or-later
// Counters, gauges and histograms with labels, cheap to update from any thread, read at scrape.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace smbtad::metrics {

class TextWriter;

// Why: the ingest path adds to a counter for every record; a relaxed atomic add is all it costs.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // For totals another part keeps (the writer's stored rows): published, never decreasing.
  void set_total(std::uint64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Why: levels (backlog, open connections) are set by their owner and read by the scraper.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Why: database write latency is a distribution; buckets with atomic counts let the writer
// thread observe without a lock while the scraper reads.
class Histogram {
 public:
  // `bounds`: upper bounds of the finite buckets, strictly increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

enum class Type { kCounter, kGauge, kHistogram };

// Why: a Prometheus metric family is one name with one HELP and TYPE and one child per label
// set; children are created on first use and never move, so callers may keep the reference.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names,
             std::size_t max_children);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  Type type() const { return type_; }
  void write(TextWriter& out) const;

  // Children beyond max_children share one with every label value "_other_": a peer that
  // invents share names cannot make smbtad (or Prometheus) grow without bound.
  static constexpr std::string_view kOverflowValue = "_other_";

 protected:
  void* child(std::vector<std::string> values);
  virtual std::shared_ptr<void> make_child() const = 0;
  virtual void write_child(TextWriter& out, const std::vector<std::string>& values,
                           const void* child) const = 0;

 private:
  std::string name_, help_;
  Type type_;
  std::vector<std::string> label_names_;
  std::size_t max_children_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::shared_ptr<void>> children_;
};

template <class Metric>
class Family;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

template <class Metric>
class Family : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  // The child for these label values, in the order of the family's label names.
  Metric& with(std::vector<std::string> values) {
    return *static_cast<Metric*>(child(std::move(values)));
  }
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::vector<std::string>(values.begin(), values.end()));
  }

  std::vector<double> bounds;  // histograms only

 protected:
  std::shared_ptr<void> make_child() const override;
  void write_child(TextWriter& out, const std::vector<std::string>& values,
                   const void* child) const override;
};

// Why: the one place that knows every family smbtad exports; /metrics is its text.
class Registry {
 public:
  static constexpr std::size_t kDefaultMaxChildren = 10000;
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> labels = {},
                         std::size_t max_children = kDefaultMaxChildren);
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {},
                     std::size_t max_children = kDefaultMaxChildren);
  HistogramFamily& histogram(std::string name, std::string help, std::vector<double> bounds,
                             std::vector<std::string> labels = {},
                             std::size_t max_children = kDefaultMaxChildren);
  // The Prometheus text exposition format (version 0.0.4) of every family.
  std::string expose() const;
  std::vector<std::string> names() const;

 private:
  void add(std::unique_ptr<FamilyBase> f);
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

}  // namespace smbtad::metrics
