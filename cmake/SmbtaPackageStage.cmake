# SPDX-License-Identifier: GPL-3.0-or-later
# Run by cpack (CPACK_PRE_BUILD_SCRIPTS) on the staged files of the packages before they are
# built, for what Debian expects of a package but `cmake --install` rightly does not do: man
# pages compressed (gzip -9n: reproducible), the module stripped as dh_strip strips a shared
# object (CPACK_STRIP_FILES covers only install(TARGETS); the module's install is a script), and
# /usr/share/doc/<package>/{copyright,changelog.Debian.gz}. The changelog is written here rather
# than at configure time so that `cpack -D CPACK_DEBIAN_PACKAGE_RELEASE=N` gets its version right.
find_program(_strip NAMES strip REQUIRED)
string(TIMESTAMP _date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(GLOB _components LIST_DIRECTORIES true RELATIVE "${CPACK_TEMPORARY_DIRECTORY}"
  "${CPACK_TEMPORARY_DIRECTORY}/*")
foreach(_component IN LISTS _components)
  set(_root "${CPACK_TEMPORARY_DIRECTORY}/${_component}")
  string(TOUPPER "${_component}" _upper)
  set(SMBTA_DEB_PACKAGE "${CPACK_DEBIAN_${_upper}_PACKAGE_NAME}")
  if(NOT IS_DIRECTORY "${_root}" OR SMBTA_DEB_PACKAGE STREQUAL "")
    continue()
  endif()
  set(SMBTA_DEB_VERSION "${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
  set(SMBTA_DEB_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
  set(SMBTA_DEB_DATE "${_date}")
  set(_doc "${_root}${CPACK_PACKAGING_INSTALL_PREFIX}/share/doc/${SMBTA_DEB_PACKAGE}")
  configure_file("${CPACK_SMBTA_CHANGELOG}" "${_doc}/changelog.Debian" @ONLY)
  configure_file("${CPACK_SMBTA_COPYRIGHT}" "${_doc}/copyright" COPYONLY)
  file(GLOB_RECURSE _files LIST_DIRECTORIES false "${_root}/*")
  foreach(_file IN LISTS _files)
    if(_file MATCHES "/share/man/man[0-9]/[^/]+\\.[0-9]$" OR _file MATCHES "/changelog\\.Debian$")
      execute_process(COMMAND gzip -9nf "${_file}" RESULT_VARIABLE _rc)
    elseif(_file MATCHES "\\.so$")
      execute_process(COMMAND "${_strip}" --remove-section=.comment --remove-section=.note
        --strip-unneeded "${_file}" RESULT_VARIABLE _rc)
    else()
      continue()
    endif()
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "preparing ${_file} for the package ${SMBTA_DEB_PACKAGE} failed")
    endif()
  endforeach()
endforeach()
