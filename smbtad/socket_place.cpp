// SPDX-License-Identifier: GPL-3.0-or-later
#include "socket_place.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "smbta/log.h"
#include "smbta/socket_trust.h"

namespace smbtad {

void prepare_socket_dir(const std::string& socket_path) {
  const std::filesystem::path dir = std::filesystem::path(socket_path).parent_path();
  if (dir.empty()) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error(
        "cannot create the directory " + dir.string() + " for the Unix socket " + socket_path +
        ": " + std::strerror(errno) +
        " (run smbtad as root, create the directory for smbtad's user, or choose another path)");
  ::chmod(dir.c_str(), 0755);  // whatever the umask: modules and clients must pass through
  smbta::log::notice("created {} (mode 0755) for the Unix socket", dir.string());
}

void explain_module_socket_trust(const std::string& socket_path) {
  const uid_t me = ::geteuid();
  char reason[512];
  if (smbta_c_socket_trusted(socket_path.c_str(), me == 0 ? -1 : static_cast<long>(me), reason,
                             sizeof reason) != 0) {
    smbta::log::warning(
        "smb_traffic_analyzer modules will refuse the socket {}: {} (they send only to a socket "
        "that root or their socket_owner could have bound; see vfs_smb_traffic_analyzer(8))",
        socket_path, reason);
    return;
  }
  if (me != 0) {
    const passwd* pw = ::getpwuid(me);
    smbta::log::notice(
        "the socket {} belongs to uid {}: modules send to it only with "
        "smb_traffic_analyzer:socket_owner = {}",
        socket_path, me, pw != nullptr ? pw->pw_name : std::to_string(me));
  }
}

}  // namespace smbtad
