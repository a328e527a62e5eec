# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian packages, built by `cpack -G DEB` (CPack's DEB generator) in a build tree; they
# install below /usr, whatever the tree's CMAKE_INSTALL_PREFIX: `smbta` (smbtad, the tools, man
# pages, unit, configuration) and `samba-vfs-smb-traffic-analyzer` (the module, tied to the exact
# samba it was compiled against). The install rules are the project's own (component smbta, and
# the module's directory installs into component vfs_module: see the top-level CMakeLists.txt);
# this file adds what only a package needs: control fields, maintainer scripts (packaging/),
# copyright and changelog (cmake/SmbtaPackageStage.cmake).
# The revision can also be chosen per run: `cpack -G DEB -D CPACK_DEBIAN_PACKAGE_RELEASE=2`.
# CPack instead of a debian/ directory: the install rules already say where everything goes, and
# one `cpack` in any build tree makes both packages without a second build system to keep true.
set(SMBTA_PACKAGE_RELEASE "1" CACHE STRING
  "Debian revision of the packages (the part after the '-' in their version)")
if(NOT SMBTA_PACKAGE_RELEASE MATCHES "^[0-9A-Za-z.+~]+$")
  message(FATAL_ERROR "SMBTA_PACKAGE_RELEASE='${SMBTA_PACKAGE_RELEASE}' is not a Debian revision "
    "(digits, letters and . + ~ only)")
endif()
set(SMBTA_PACKAGE_MAINTAINER "smbta maintainers <maintainers@users.noreply.r-seed-4b3dc39e.example>"
  CACHE STRING "Maintainer field of the packages")

set(_pkg_src "${PROJECT_SOURCE_DIR}/packaging")
set(_components smbta)
if(TARGET smb_traffic_analyzer)
  list(APPEND _components vfs_module)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smbta)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${SMBTA_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
# The install scripts choose /etc, /var/lib/smbtad and smbd's module directory from the prefix
# (cmake/SmbtaInstallDirs.cmake): CPack must run them with the prefix /usr and DESTDIR set,
# not with the staging directory as the prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${_components})
# What each package needs beyond the install rules (compressed man pages, a stripped module,
# copyright and changelog), added to the staged files; they read the CPACK_SMBTA_* variables.
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/cmake/SmbtaPackageStage.cmake")
set(CPACK_SMBTA_COPYRIGHT "${_pkg_src}/copyright")
set(CPACK_SMBTA_CHANGELOG "${_pkg_src}/changelog.Debian.in")

set(CPACK_DEBIAN_PACKAGE_RELEASE "${SMBTA_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SMBTA_PACKAGE_NAME smbta)
# The drivers libdbi loads at run time are not seen by dpkg-shlibdeps: sqlite3 is the installed
# configuration's database; PostgreSQL and MySQL are the user's choice.
set(CPACK_DEBIAN_SMBTA_PACKAGE_DEPENDS "adduser, libdbd-sqlite3")
set(CPACK_DEBIAN_SMBTA_PACKAGE_SUGGESTS
  "samba-vfs-smb-traffic-analyzer, libdbd-pgsql, libdbd-mysql, rrdtool")
set(CPACK_DEBIAN_SMBTA_DESCRIPTION "SMB Traffic Analyzer: daemon and reporting tools
smbtad receives the records of the Samba VFS module smb_traffic_analyzer
(protocol V2) and stores them in sqlite3, PostgreSQL or MySQL through libdbi.
smbtaquery prints reports (top users, shares and files, usage over time,
searches), smbtamonitor shows the live traffic of a share or user, and
rrddriver feeds it into RRDtool. The service runs as the unprivileged system
user smbtad, with its database in /var/lib/smbtad.")
set(CPACK_DEBIAN_SMBTA_PACKAGE_CONTROL_EXTRA
  "${_pkg_src}/smbta/conffiles;${_pkg_src}/smbta/postinst;${_pkg_src}/smbta/prerm;${_pkg_src}/smbta/postrm")

if(TARGET smb_traffic_analyzer)
  # smbd refuses (or misreads) a module built for another samba: depend on exactly that one.
  execute_process(COMMAND dpkg-query -W "-f=\${Version}" samba
    OUTPUT_VARIABLE _samba_version RESULT_VARIABLE _rc ERROR_QUIET)
  if(NOT _rc EQUAL 0 OR _samba_version STREQUAL "")
    message(FATAL_ERROR "packaging: dpkg-query cannot tell the installed samba's version")
  endif()
  set(SMBTA_PACKAGE_SAMBA_VERSION "${_samba_version}")
  set(CPACK_DEBIAN_VFS_MODULE_PACKAGE_NAME samba-vfs-smb-traffic-analyzer)
  set(CPACK_DEBIAN_VFS_MODULE_PACKAGE_DEPENDS "samba (= ${_samba_version})")
  # libcrypto is loaded only for shares with a key_file (vfs_module/libcrypto_dl.cpp).
  set(_recommends "")
  get_filename_component(_crypto "${OPENSSL_CRYPTO_LIBRARY}" REALPATH)
  execute_process(COMMAND dpkg-query -S "${_crypto}" OUTPUT_VARIABLE _owner ERROR_QUIET)
  if(_owner MATCHES "^([^:,]+)")
    set(_recommends "${CMAKE_MATCH_1}")
  endif()
  set(CPACK_DEBIAN_VFS_MODULE_PACKAGE_RECOMMENDS "${_recommends}")
  set(CPACK_DEBIAN_VFS_MODULE_PACKAGE_SUGGESTS "smbta")
  set(CPACK_DEBIAN_VFS_MODULE_DESCRIPTION "Samba VFS module smb_traffic_analyzer (SMB Traffic Analyzer)
The module reports every read, write, open, close, mkdir, rmdir, rename and
unlink on the shares that list it in 'vfs objects' to an smbtad (package
smbta) over TCP or a Unix socket, with optional anonymization of user names
and encryption. Built for samba ${_samba_version} exactly,
and depends on that version.")
endif()

include(CPack)
