# SPDX-License-Identifier: GPL-3.0-or-later
# Where an install puts the files that the system finds outside the program prefix: the VFS
# module, the configuration, the service files, the state directory. Included by the install
# scripts (not at configure time), because `cmake --install --prefix DIR` chooses the prefix only
# then. Input: CMAKE_INSTALL_PREFIX (as of this install), SMBTA_SMBD_VFS_DIR (smbd's vfs/
# directory, absolute), SMBTA_VFS_MODULE_DIR_OVERRIDE (empty or the user's -DSMBTA_VFS_MODULE_DIR),
# SMBTA_SBINDIR (CMAKE_INSTALL_SBINDIR).
#
# /usr and /usr/local are the system's own prefixes: there the module goes where smbd looks for it
# and the configuration into /etc, as an administrator expects. Any other prefix (a staging tree,
# /opt/smbta) gets everything below it, so that such an install writes nothing outside DIR.
string(REGEX REPLACE "/+$" "" _smbta_prefix "${CMAKE_INSTALL_PREFIX}")
if(_smbta_prefix STREQUAL "/usr" OR _smbta_prefix STREQUAL "/usr/local")
  set(SMBTA_SYSTEM_PREFIX TRUE)
  set(SMBTA_ETC_DIR "/etc")
  set(SMBTA_STATE_DIR "/var/lib/smbtad")
  set(SMBTA_LOG_DIR "/var/log/smbtad")
  set(SMBTA_RUN_DIR "/run")
  set(SMBTA_VFS_DIR "${SMBTA_SMBD_VFS_DIR}")
else()
  set(SMBTA_SYSTEM_PREFIX FALSE)
  set(SMBTA_ETC_DIR "${_smbta_prefix}/etc")
  set(SMBTA_STATE_DIR "${_smbta_prefix}/var/lib/smbtad")
  set(SMBTA_LOG_DIR "${_smbta_prefix}/var/log/smbtad")
  set(SMBTA_RUN_DIR "${_smbta_prefix}/run")
  # smbd's directory relative to its own prefix (/usr/lib/<arch>/samba/vfs: lib/<arch>/samba/vfs).
  string(REGEX REPLACE "^/usr/" "" _smbta_vfs_rel "${SMBTA_SMBD_VFS_DIR}")
  string(REGEX REPLACE "^/+" "" _smbta_vfs_rel "${_smbta_vfs_rel}")
  set(SMBTA_VFS_DIR "${_smbta_prefix}/${_smbta_vfs_rel}")
endif()
if(NOT SMBTA_VFS_MODULE_DIR_OVERRIDE STREQUAL "")
  if(IS_ABSOLUTE "${SMBTA_VFS_MODULE_DIR_OVERRIDE}")
    set(SMBTA_VFS_DIR "${SMBTA_VFS_MODULE_DIR_OVERRIDE}")
  else()
    set(SMBTA_VFS_DIR "${_smbta_prefix}/${SMBTA_VFS_MODULE_DIR_OVERRIDE}")
  endif()
endif()
# systemd reads units from /usr/lib/systemd/system and /usr/local/lib/systemd/system.
set(SMBTA_UNIT_DIR "${_smbta_prefix}/lib/systemd/system")
# The installed daemon and its configuration, as the service files name them (SMBTA_SBINDIR is
# CMAKE_INSTALL_SBINDIR as configured: relative to the prefix, or absolute).
if(IS_ABSOLUTE "${SMBTA_SBINDIR}")
  set(SMBTAD "${SMBTA_SBINDIR}/smbtad")
else()
  set(SMBTAD "${_smbta_prefix}/${SMBTA_SBINDIR}/smbtad")
endif()
set(SMBTAD_CONF "${SMBTA_ETC_DIR}/smbtad.conf")
