# SPDX-License-Identifier: Apache-2.0
# Installation layout and the Debian package (cpack -G DEB).
#
#   cmake --install build                  binary, units, sysusers/tmpfiles, man pages, bash
#                                          completion, docs,
#                                          and /etc/complyd/complyd.toml (mode 0640) unless one exists
#   DESTDIR=/tmp/root cmake --install build   the same into a scratch root
#   cd build && cpack -G DEB               complyd_<version>_<arch>.deb (installs under /usr)
#
# Paths follow Debian 12: units in /lib/systemd/system when the prefix is /usr
# (the .deb), sysusers.d and tmpfiles.d under <prefix>/lib, the configuration
# in /etc/complyd whatever the prefix (the unit and the binary default to it).

set(COMPLYD_CONFDIR "/etc/complyd" CACHE PATH "Directory of complyd.toml (absolute)")
set(COMPLYD_UNITDIR "lib/systemd/system" CACHE STRING "systemd system units (relative to the prefix)")
set(COMPLYD_SYSUSERSDIR "lib/sysusers.d" CACHE STRING "sysusers.d snippets (relative to the prefix)")
set(COMPLYD_TMPFILESDIR "lib/tmpfiles.d" CACHE STRING "tmpfiles.d snippets (relative to the prefix)")

set(COMPLYD_PKG_DIR ${CMAKE_SOURCE_DIR}/packaging)
set(COMPLYD_GEN_DIR ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${COMPLYD_GEN_DIR})

# Compressed at build time, as Debian policy wants them (gzip -9n: reproducible).
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(COMPLYD_MAN_GZ ${COMPLYD_GEN_DIR}/complyd.8.gz)
set(COMPLYD_CHANGELOG_GZ ${COMPLYD_GEN_DIR}/changelog.gz)
add_custom_command(OUTPUT ${COMPLYD_MAN_GZ}
  COMMAND ${GZIP_EXECUTABLE} -9n -c ${COMPLYD_PKG_DIR}/complyd.8 > ${COMPLYD_MAN_GZ}
  DEPENDS ${COMPLYD_PKG_DIR}/complyd.8 VERBATIM)
add_custom_command(OUTPUT ${COMPLYD_CHANGELOG_GZ}
  COMMAND ${GZIP_EXECUTABLE} -9n -c ${COMPLYD_PKG_DIR}/changelog > ${COMPLYD_CHANGELOG_GZ}
  DEPENDS ${COMPLYD_PKG_DIR}/changelog VERBATIM)
# complyd.toml(5) is generated from docs/configuration.md (single source).
find_program(GO_MD2MAN_EXECUTABLE go-md2man REQUIRED)
set(COMPLYD_CONFIG_MAN ${COMPLYD_GEN_DIR}/complyd.toml.5)
add_custom_command(OUTPUT ${COMPLYD_CONFIG_MAN} ${COMPLYD_CONFIG_MAN}.gz
  COMMAND sh ${COMPLYD_PKG_DIR}/config-man.sh ${CMAKE_SOURCE_DIR}/docs/configuration.md ${PROJECT_VERSION}
          ${COMPLYD_CONFIG_MAN} ${GO_MD2MAN_EXECUTABLE}
  COMMAND ${GZIP_EXECUTABLE} -9n -c ${COMPLYD_CONFIG_MAN} > ${COMPLYD_CONFIG_MAN}.gz
  DEPENDS ${COMPLYD_PKG_DIR}/config-man.sh ${CMAKE_SOURCE_DIR}/docs/configuration.md VERBATIM)
# Bash completion, printed by the binary from its own command line.
set(COMPLYD_COMPLETION ${COMPLYD_GEN_DIR}/complyd.bash-completion)
add_custom_command(OUTPUT ${COMPLYD_COMPLETION}
  COMMAND complyd completion bash > ${COMPLYD_COMPLETION}
  DEPENDS complyd VERBATIM)
add_custom_target(complyd_packaging_files ALL
  DEPENDS ${COMPLYD_MAN_GZ} ${COMPLYD_CHANGELOG_GZ} ${COMPLYD_CONFIG_MAN}.gz ${COMPLYD_COMPLETION})

install(FILES ${CMAKE_SOURCE_DIR}/systemd/complyd.service ${CMAKE_SOURCE_DIR}/systemd/complyd-report.service
              ${CMAKE_SOURCE_DIR}/systemd/complyd-report.timer
        DESTINATION ${COMPLYD_UNITDIR})
install(FILES ${CMAKE_SOURCE_DIR}/systemd/complyd.sysusers DESTINATION ${COMPLYD_SYSUSERSDIR} RENAME complyd.conf)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/complyd.tmpfiles DESTINATION ${COMPLYD_TMPFILESDIR} RENAME complyd.conf)
install(FILES ${COMPLYD_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${COMPLYD_CONFIG_MAN}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${COMPLYD_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME complyd)
install(FILES ${COMPLYD_PKG_DIR}/copyright ${COMPLYD_CHANGELOG_GZ} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/architecture.md
              ${CMAKE_SOURCE_DIR}/docs/configuration.md ${CMAKE_SOURCE_DIR}/docs/checks.md
              ${CMAKE_SOURCE_DIR}/docs/inventory.md ${CMAKE_SOURCE_DIR}/docs/findings-format.md
              ${CMAKE_SOURCE_DIR}/docs/operations.md ${CMAKE_SOURCE_DIR}/docs/security.md
              ${CMAKE_SOURCE_DIR}/docs/sources.md ${CMAKE_SOURCE_DIR}/docs/notifications.md
              ${CMAKE_SOURCE_DIR}/docs/report-format.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The default configuration: commented, incomplete on purpose (no [inventory]),
# never overwriting an operator's file on a plain `cmake --install`. In the
# .deb it is a conffile and dpkg handles upgrades.
install(CODE "
  if(EXISTS \"\$ENV{DESTDIR}${COMPLYD_CONFDIR}/complyd.toml\")
    message(STATUS \"Keeping: \$ENV{DESTDIR}${COMPLYD_CONFDIR}/complyd.toml\")
  else()  # file(INSTALL) prepends DESTDIR itself
    file(INSTALL \"${COMPLYD_PKG_DIR}/complyd.toml\" DESTINATION \"${COMPLYD_CONFDIR}\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  endif()
")

# --- cpack -G DEB ----------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME complyd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "complyd maintainers <complyd@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compliance auditing daemon for payment-platform integrations")
set(CPACK_PACKAGE_DESCRIPTION "complyd audits partner integrations with donation and payment platforms
against the security checklist of their integration guides: token rotation,
webhook secrets, HTTPS, signature failures, offboarding, retention windows
and leaked secrets in logs. It runs as a hardened systemd service and keeps
findings with their lifecycle in SQLite.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd-sysusers, systemd-tmpfiles and systemctl for the maintainer scripts
# (deb-systemd-* come from init-system-helpers, which is essential).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
configure_file(${COMPLYD_PKG_DIR}/conffiles.in ${COMPLYD_GEN_DIR}/conffiles @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${COMPLYD_GEN_DIR}/conffiles ${COMPLYD_PKG_DIR}/postinst ${COMPLYD_PKG_DIR}/prerm ${COMPLYD_PKG_DIR}/postrm)
# Staged with DESTDIR, so /etc/complyd lands in the package (never on this host).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
include(CPack)
