// SPDX-License-Identifier: GPL-3.0-or-later
// XML rendering with the element structure of smbtaquery 1.2.6 (smbtaquery.md §3-4), escaped.
#include <fmt/format.h>

#include "query/format.h"
#include "smbta/timestamp.h"

namespace smbta::query {
namespace {

std::string esc(std::string_view s) {
  return markup_escape(s);
}

// The cell of column `id` in `row` as display text, or "".
std::string cell(const ResultTable& t, const std::vector<Cell>& row, std::string_view id,
                 bool human = true) {
  for (std::size_t c = 0; c < t.columns.size() && c < row.size(); ++c)
    if (t.columns[c].id == id)
      return esc(human ? display_text(row[c], t.columns[c].type)
                       : exact_text(row[c], t.columns[c].type));
  return {};
}

// Element names built from keys: a result decoded from the network must not be able to
// inject markup, so anything but [a-z0-9_-] makes the generic name "value".
std::string element(std::string_view key) {
  if (key.empty()) return "value";
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return "value";
  return std::string(key);
}

void description(std::string& out, const ResultTable& t) {
  out += "<description>\n\t" + esc(t.title) + "\n</description>\n";
}

void total(std::string& out, const ResultTable& t) {
  out += "<total>\n";
  description(out, t);
  const auto& row = t.rows.at(0);
  out += "<totalvalue>" + cell(t, row, "bytes") + "</totalvalue>\n";
  out += "<bytes>" + cell(t, row, "bytes", false) + "</bytes>\n";
  out += "</total>\n";
}

void list(std::string& out, const ResultTable& t) {
  out += "<list>\n";
  out += "<description>" + esc(t.title) + "</description>\n";
  out += fmt::format("<table_columns>{}</table_columns>\n", t.columns.size());
  for (const auto& c : t.columns) out += "<header_element>" + esc(c.label) + "</header_element>";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "<table_row>";
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      // webSMBTA finds rows by the id of the first cell (username, sharename, filename, domain).
      out += c == 0 ? "<table_value id=\"" + esc(t.columns[c].id) + "\">" : "<table_value>";
      out += esc(display_text(row[c], t.columns[c].type)) + "</table_value>";
    }
    out += "</table_row>\n";
  }
  out += "</list>\n";
}

void top(std::string& out, const ResultTable& t) {
  out += "<top>\n";
  description(out, t);
  const std::string* dim = t.note("dimension");
  for (const auto& row : t.rows) {
    std::string object;
    if (dim && *dim == "files")
      object = cell(t, row, "filename") + " (Share " + cell(t, row, "sharename") + ")";
    else if (dim && *dim == "shares")
      object = cell(t, row, "sharename") + " (Domain " + cell(t, row, "domain") + ")";
    else if (dim && *dim == "users")
      object = cell(t, row, "username") + " (Domain " + cell(t, row, "domain") + ")";
    else
      object = cell(t, row, "domain");
    out += "\n<toprow><num>" + cell(t, row, "pos") + "</num>\n<object>" + object +
           "</object>\n<value>" + cell(t, row, "bytes") + "</value>\n<bytes>" +
           cell(t, row, "bytes", false) + "</bytes>\n</toprow>\n";
  }
  out += "</top>\n";
}

void last_activity(std::string& out, const ResultTable& t) {
  out += "<last_activity>\n";
  description(out, t);
  for (const auto& row : t.rows) {
    out += "\n<last_activityrow>\n<timestamp>" + cell(t, row, "timestamp", false) +
           "</timestamp>\n<vfs_func>" + cell(t, row, "vfs_func") + "</vfs_func>\n<user>" +
           cell(t, row, "user") + "</user>\n<file>" + cell(t, row, "file") + "</file>\n<domain>" +
           cell(t, row, "domain") + "</domain>\n<share>" + cell(t, row, "share") +
           "</share>\n<comment>" + cell(t, row, "comment") + "</comment>\n<value>" +
           cell(t, row, "bytes", false) + "</value>\n</last_activityrow>\n";
  }
  out += "</last_activity>\n";
}

void usage(std::string& out, const ResultTable& t) {
  out += "<usage>\n";
  description(out, t);
  for (const auto& row : t.rows)
    out += "<usagerow><time>" + cell(t, row, "time") + "</time>\n<value>" +
           cell(t, row, "bytes", false) + "</value>\n<convval>" + cell(t, row, "bytes") +
           "</convval>\n<percent>" + cell(t, row, "percent", false) + "</percent></usagerow>\n\n";
  const std::string* total = t.note("total");
  out += "<value>" + esc(total ? *total : "0") + "</value>\n</usage>\n";
}

void search(std::string& out, const ResultTable& t) {
  out += "<search>\n\t<title>" + esc(t.title) + "</title>\n";
  const std::string* ts = t.note("timestamp");
  out += "\t<timestamp>" + esc(ts ? *ts : "") + "</timestamp>\n";
  for (const auto& row : t.rows) {
    const std::string kind = cell(t, row, "kind");
    out += "<result>";
    if (kind == "file")
      out += "<file><name>" + cell(t, row, "name") + "</name><share>" + cell(t, row, "share") +
             "</share><domain>" + cell(t, row, "domain") + "</domain></file>";
    else if (kind == "user")
      out += "<user><name>" + cell(t, row, "name") + "</name><domain>" + cell(t, row, "domain") +
             "</domain></user>";
    else if (kind == "sid")
      out += "<sid><name>" + cell(t, row, "name") + "</name><user>" + cell(t, row, "user") +
             "</user><domain>" + cell(t, row, "domain") + "</domain></sid>";
    else if (kind == "domain")
      out += "<domain><name>" + cell(t, row, "name") + "</name></domain>";
    else
      out += "<share><name>" + cell(t, row, "name") + "</name><domain>" + cell(t, row, "domain") +
             "</domain></share>";
    out += "</result>\n";
  }
  out += "</search>\n";
}

void throughput(std::string& out, const ResultTable& t) {
  out += "<throughput>\t<title>" + esc(t.title) + "</title>\n";
  const std::int64_t bytes = note_int(t, "total");
  out += "\t<throughput_value>" + esc(human_bytes(bytes)) + "</throughput_value>\n";
  out += fmt::format("\t<bytes>{}</bytes>\n", bytes);
  if (const auto* r = t.note("average_rate")) out += "\t<rate>" + esc(*r) + "</rate>\n";
  for (const auto& row : t.rows)
    out += "\t<interval><start>" + cell(t, row, "start", false) + "</start><bytes>" +
           cell(t, row, "bytes", false) + "</bytes><rate>" + cell(t, row, "rate", false) +
           "</rate></interval>\n";
  out += "</throughput>\n";
}

void report(std::string& out, const ResultTable& t) {
  const std::string* kind = t.note("kind");
  const std::string el = "smbtad-report-" + (kind ? *kind : std::string("short"));
  out += "<" + el + ">\n";
  for (const auto& row : t.rows) {
    const std::string key = element(cell(t, row, "key"));
    out += "\t<" + key + ">" + cell(t, row, "value") + "</" + key + ">\n";
  }
  out += "</" + el + ">\n";
}

void self_check(std::string& out, const ResultTable& t) {
  out += "<self-check>\n";
  std::string comments, modules;
  for (const auto& row : t.rows) {
    const std::string key = element(cell(t, row, "key"));
    if (key == "module") {
      modules += "<module><ip>" + cell(t, row, "component") + "</ip><overflow>" +
                 cell(t, row, "overflow") + "</overflow><subrelease>" + cell(t, row, "subrelease") +
                 "</subrelease><dropped>" + cell(t, row, "dropped") + "</dropped><comment>" +
                 cell(t, row, "comment") + "</comment></module>\n";
    } else {
      out += "<" + key + "_version>" + cell(t, row, "version") + "</" + key + "_version>\n";
      comments += "<" + key + "_comment>" + cell(t, row, "comment") + "</" + key + "_comment>\n";
    }
  }
  out += comments;
  if (const auto* e = t.note("error")) out += "<error>" + esc(*e) + "</error>\n";
  out += modules;
  out += "</self-check>\n";
}

// Functions this version knows nothing special about: a generic table.
void generic(std::string& out, const ResultTable& t) {
  out += "<result function=\"" + esc(t.function) + "\">\n";
  description(out, t);
  for (const auto& row : t.rows) {
    out += "<row>";
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      out += "<value id=\"" + esc(t.columns[c].id) + "\">" +
             esc(exact_text(row[c], t.columns[c].type)) + "</value>";
    out += "</row>\n";
  }
  out += "</result>\n";
}

// latency, top_slowest and trend: the generic rows, and the notes (growth, busiest hour, the
// percentiles' error bound) as elements of their own.
void with_notes(std::string& out, const ResultTable& t) {
  out += "<" + t.function + ">\n";
  description(out, t);
  for (const auto& row : t.rows) {
    out += "<row>";
    for (std::size_t c = 0; c < t.columns.size() && c < row.size(); ++c)
      out += "<value id=\"" + esc(t.columns[c].id) + "\">" +
             esc(exact_text(row[c], t.columns[c].type)) + "</value>";
    out += "</row>\n";
  }
  for (const auto& [k, v] : t.notes) {
    const std::string key = element(k);
    out += "<" + key + ">" + esc(v) + "</" + key + ">\n";
  }
  out += "</" + t.function + ">\n";
}

}  // namespace

std::string render_xml(std::span<const ResultTable> tables, const RenderOptions& opts) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<smbta_output>\n\n";
  for (const auto& t : tables) {
    if (t.function == "total" && !t.rows.empty())
      total(out, t);
    else if (t.function == "list")
      list(out, t);
    else if (t.function == "top")
      top(out, t);
    else if (t.function == "last_activity")
      last_activity(out, t);
    else if (t.function == "usage")
      usage(out, t);
    else if (t.function == "search")
      search(out, t);
    else if (t.function == "throughput")
      throughput(out, t);
    else if (t.function == "smbtad-report")
      report(out, t);
    else if (t.function == "self-check")
      self_check(out, t);
    else if (t.function == "trend" || t.function == "latency" || t.function == "top_slowest")
      with_notes(out, t);
    else
      generic(out, t);
  }
  out += "<footer>\n\t<application>SMB Traffic Analyzer</application>\n\t<version>" +
         esc(opts.version) + "</version>\n\t<timestamp>" +
         format_timestamp(opts.generated_ms).substr(0, 19) +
         "</timestamp>\n\t<homepage>https://github.com/hhetter/smbtad</homepage>\n</footer>\n"
         "</smbta_output>\n";
  return out;
}

}  // namespace smbta::query
