// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics_registry.h"

#include <algorithm>
#include <stdexcept>

#include "metrics_exposition.h"

namespace smbtad::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must increase strictly");
}

void Histogram::observe(double v) {
  // Upper bounds are inclusive (le): the first bound not below v.
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                          bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> label_names, std::size_t max_children)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      max_children_(std::max<std::size_t>(max_children, 1)) {
  if (!valid_metric_name(name_)) throw std::invalid_argument("bad metric name " + name_);
  for (const auto& l : label_names_)
    if (!valid_label_name(l) || (type_ == Type::kHistogram && l == "le"))
      throw std::invalid_argument("bad label name " + l + " of " + name_);
}

void* FamilyBase::child(std::vector<std::string> values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("wrong number of label values for " + name_);
  std::lock_guard lock(mutex_);
  if (auto it = children_.find(values); it != children_.end()) return it->second.get();
  if (children_.size() + 1 >= max_children_) {
    // The last place is the overflow child's.
    std::fill(values.begin(), values.end(), std::string(kOverflowValue));
    if (auto it = children_.find(values); it != children_.end()) return it->second.get();
  }
  return children_.emplace(std::move(values), make_child()).first->second.get();
}

void FamilyBase::write(TextWriter& out) const {
  static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram"};
  out.family(name_, help_, kTypes[static_cast<int>(type_)]);
  std::lock_guard lock(mutex_);
  for (const auto& [values, c] : children_) write_child(out, values, c.get());
}

namespace {
TextWriter::LabelPairs pairs(const std::vector<std::string>& names,
                             const std::vector<std::string>& values) {
  TextWriter::LabelPairs p;
  for (std::size_t i = 0; i < names.size(); ++i) p.emplace_back(names[i], values[i]);
  return p;
}
}  // namespace

template <>
std::shared_ptr<void> Family<Counter>::make_child() const {
  return std::make_shared<Counter>();
}
template <>
void Family<Counter>::write_child(TextWriter& out, const std::vector<std::string>& values,
                                  const void* c) const {
  out.sample(name(), pairs(label_names(), values), static_cast<const Counter*>(c)->value());
}

template <>
std::shared_ptr<void> Family<Gauge>::make_child() const {
  return std::make_shared<Gauge>();
}
template <>
void Family<Gauge>::write_child(TextWriter& out, const std::vector<std::string>& values,
                                const void* c) const {
  out.sample(name(), pairs(label_names(), values), static_cast<const Gauge*>(c)->value());
}

template <>
std::shared_ptr<void> Family<Histogram>::make_child() const {
  return std::make_shared<Histogram>(bounds);
}
template <>
void Family<Histogram>::write_child(TextWriter& out, const std::vector<std::string>& values,
                                    const void* c) const {
  const auto s = static_cast<const Histogram*>(c)->snapshot();
  auto labels = pairs(label_names(), values);
  const std::string bucket = name() + "_bucket";
  std::vector<std::string> les;
  for (double b : s.bounds) les.push_back(format_value(b));
  les.emplace_back("+Inf");
  for (std::size_t i = 0; i < les.size(); ++i) {
    auto l = labels;
    l.emplace_back("le", les[i]);
    out.sample(bucket, l, s.cumulative[i]);
  }
  out.sample(name() + "_sum", labels, s.sum);
  out.sample(name() + "_count", labels, s.count);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::add(std::unique_ptr<FamilyBase> f) {
  std::lock_guard lock(mutex_);
  for (const auto& e : families_)
    if (e->name() == f->name()) throw std::invalid_argument("metric " + f->name() + " exists");
  families_.push_back(std::move(f));
}

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> labels, std::size_t max_children) {
  auto f = std::make_unique<CounterFamily>(std::move(name), std::move(help), Type::kCounter,
                                           std::move(labels), max_children);
  auto& ref = *f;
  add(std::move(f));
  return ref;
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels,
                             std::size_t max_children) {
  auto f = std::make_unique<GaugeFamily>(std::move(name), std::move(help), Type::kGauge,
                                         std::move(labels), max_children);
  auto& ref = *f;
  add(std::move(f));
  return ref;
}

HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<double> bounds,
                                     std::vector<std::string> labels, std::size_t max_children) {
  Histogram check(bounds);  // throws on bad bounds here, not at first use
  auto f = std::make_unique<HistogramFamily>(std::move(name), std::move(help), Type::kHistogram,
                                             std::move(labels), max_children);
  f->bounds = std::move(bounds);
  auto& ref = *f;
  add(std::move(f));
  return ref;
}

std::string Registry::expose() const {
  TextWriter out;
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) f->write(out);
  return out.take();
}

std::vector<std::string> Registry::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> n;
  for (const auto& f : families_) n.push_back(f->name());
  return n;
}

}  // namespace smbtad::metrics
