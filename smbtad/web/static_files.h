// SPDX-License-Identifier: GPL-3.0-or-later
// The dashboard's static files from --web-root: no path traversal, exact content types.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace smbtad::web {

struct StaticFile {
  std::string body;
  std::string content_type;
  std::string cache_control;
};

// Why: the files a browser may load are exactly the regular files below the root, whatever the
// request path says (.., encoded dots, symbolic links out of the root, NUL bytes); everything
// else is "not found". Content types come from a fixed table so that nothing is sniffed.
class StaticFiles {
 public:
  explicit StaticFiles(std::string root);
  const std::string& root() const { return root_; }
  // `url_path` is the decoded request path ("/", "/assets/app.js"); "/" is index.html.
  std::optional<StaticFile> load(std::string_view url_path) const;

  static std::string_view content_type_for(std::string_view file_name);

 private:
  std::string root_;  // canonical
};

}  // namespace smbtad::web
