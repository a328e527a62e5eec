// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "smbta/unique_fd.h"

namespace smbtad::web {
namespace {

constexpr std::size_t kMaxFileBytes = 32 * 1024 * 1024;

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

StaticFiles::StaticFiles(std::string root) {
  std::error_code ec;
  const auto canon = std::filesystem::weakly_canonical(root, ec);
  root_ = ec ? root : canon.string();
}

std::string_view StaticFiles::content_type_for(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  for (const auto& [ext, type] : kTypes)
    if (ends_with_ci(name, ext)) return type;
  return "application/octet-stream";
}

std::optional<StaticFile> StaticFiles::load(std::string_view url_path) const {
  if (url_path.empty() || url_path.front() != '/') return std::nullopt;
  std::string rel(url_path.substr(1));
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  // Every segment must be a plain name: no "..", ".", empty segments, backslashes or NULs.
  std::size_t start = 0;
  for (;;) {
    const auto slash = rel.find('/', start);
    const std::string_view seg(rel.data() + start,
                               (slash == std::string::npos ? rel.size() : slash) - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.front() == '.' ||
        seg.find('\0') != std::string_view::npos || seg.find('\\') != std::string_view::npos)
      return std::nullopt;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  // A symbolic link inside the root must not lead out of it.
  std::error_code ec;
  const auto full = std::filesystem::weakly_canonical(std::filesystem::path(root_) / rel, ec);
  if (ec) return std::nullopt;
  const std::string f = full.string();
  if (f.size() <= root_.size() || f.compare(0, root_.size(), root_) != 0 || f[root_.size()] != '/')
    return std::nullopt;
  smbta::UniqueFd fd(::open(f.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) > kMaxFileBytes)
    return std::nullopt;
  StaticFile out;
  out.body.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.body.size()) {
    const ssize_t n = ::read(fd.get(), out.body.data() + got, out.body.size() - got);
    if (n <= 0) return std::nullopt;
    got += static_cast<std::size_t>(n);
  }
  out.content_type = std::string(content_type_for(f));
  // Bundled assets carry a content hash in their names: they may be kept; pages never are, so a
  // new build (or a logout) is seen at once.
  out.cache_control = rel.starts_with("assets/") ? "private, max-age=86400" : "no-cache";
  return out;
}

}  // namespace smbtad::web
