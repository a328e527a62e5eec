// SPDX-License-Identifier: GPL-3.0-or-later
// The Prometheus text exposition format (0.0.4): escaping, number formatting, sample lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smbtad::metrics {

// Content-Type of the text format, for the HTTP reply.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label values: backslash, double quote and line feed are escaped (\\, \", \n).
std::string escape_label_value(std::string_view v);
// HELP text: backslash and line feed are escaped.
std::string escape_help(std::string_view v);
// Go-style float text: integers without a fraction, +Inf, -Inf, NaN.
std::string format_value(double v);
// A metric or label name valid in the format ([a-zA-Z_:][a-zA-Z0-9_:]*; labels without ':').
bool valid_metric_name(std::string_view n);
bool valid_label_name(std::string_view n);

// Why: every family writes its lines through one writer, so the format's rules (one HELP and
// TYPE before the samples, label quoting) live in one place.
class TextWriter {
 public:
  using LabelPairs = std::vector<std::pair<std::string_view, std::string_view>>;
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, const LabelPairs& labels, double value);
  void sample(std::string_view name, const LabelPairs& labels, std::uint64_t value);
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void labels(const LabelPairs& labels);
  std::string out_;
};

}  // namespace smbtad::metrics
