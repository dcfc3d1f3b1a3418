# SPDX-License-Identifier: Apache-2.0
# Install rules (`cmake --install`) and the Debian package (CPack; scripts/package).
#
#   bin/hearthd
#   share/hearth/{devices,rules,schemas,messages,console}/   whole folders: new files need no edit
#   share/doc/hearth/README.md, share/doc/hearth/docs/
#   <systemd unit dir>/hearthd.service                       /lib/systemd/system for /usr
#   <sysconfdir>/hearth/hearth.yaml                          /etc/hearth for /usr; a conffile
#
# The installed unit and config name this prefix's paths (the sources name /usr's).

include(GNUInstallDirs)

set(hearth_datadir ${CMAKE_INSTALL_DATADIR}/hearth)
set(hearth_full_datadir ${CMAKE_INSTALL_FULL_DATADIR}/hearth)
set(hearth_full_confdir ${CMAKE_INSTALL_FULL_SYSCONFDIR}/hearth)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(hearth_systemd_default systemd systemdsystemunitdir)
endif()
if(NOT hearth_systemd_default)
  set(hearth_systemd_default ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(HEARTH_SYSTEMD_UNIT_DIR ${hearth_systemd_default} CACHE PATH
    "Where cmake --install puts hearthd.service")

install(TARGETS hearthd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Data folders of the source tree's top level, each installed whole. A folder of one of these
# names that a later change adds (a message catalogue in messages/) is picked up as it is.
foreach(dir devices rules schemas messages)
  if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/${dir})
    install(DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}/ DESTINATION ${hearth_datadir}/${dir})
  endif()
endforeach()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/daemon/console/ DESTINATION ${hearth_datadir}/console)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# The unit and the config, rewritten for this prefix.
function(hearth_rewrite src dst)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(READ ${src} text)
  string(REPLACE "/usr/bin/hearthd" "${CMAKE_INSTALL_FULL_BINDIR}/hearthd" text "${text}")
  string(REPLACE "/usr/share/hearth" "${hearth_full_datadir}" text "${text}")
  string(REPLACE "/usr/share/doc/hearth" "${CMAKE_INSTALL_FULL_DOCDIR}" text "${text}")
  string(REPLACE "/etc/hearth/hearth.yaml" "${hearth_full_confdir}/hearth.yaml" text "${text}")
  file(WRITE ${dst} "${text}")
endfunction()
set(hearth_pkg ${CMAKE_BINARY_DIR}/packaging)
hearth_rewrite(${CMAKE_SOURCE_DIR}/systemd/hearthd.service ${hearth_pkg}/hearthd.service)
hearth_rewrite(${CMAKE_SOURCE_DIR}/config/hearth.yaml ${hearth_pkg}/hearth.yaml)
install(FILES ${hearth_pkg}/hearthd.service DESTINATION ${HEARTH_SYSTEMD_UNIT_DIR})
install(FILES ${hearth_pkg}/hearth.yaml DESTINATION ${hearth_full_confdir})

# --- the Debian package -------------------------------------------------------------------
# scripts/package configures a tree with -DCMAKE_INSTALL_PREFIX=/usr and runs cpack there.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hearth)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "hearth maintainers <hearth@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "safety alerts for older people living alone")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "hearthd subscribes to a residential community's MQTT broker, normalizes what its smart\n"
    "devices report (water and electricity meters, gas, smoke, tilt sensors, SOS buttons),\n"
    "runs rules that turn anomalies into prioritized alerts, and serves them to a 24-hour\n"
    "call-centre operator and the resident's social worker over HTTP and a web console.")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # hearth_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries hearthd links, found by dpkg-shlibdeps; tzdata for time zones (read
# at run time); the maintainer scripts call deb-systemd-helper and deb-systemd-invoke.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libjs-chart.js: the console's charts (served as /lib/chart.js).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata, init-system-helpers (>= 1.54~), libjs-chart.js")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto")
file(WRITE ${hearth_pkg}/debian/conffiles "${hearth_full_confdir}/hearth.yaml\n")
foreach(script postinst prerm postrm)
  file(COPY ${CMAKE_SOURCE_DIR}/packaging/debian/${script} DESTINATION ${hearth_pkg}/debian
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                        WORLD_READ WORLD_EXECUTE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${CMAKE_SOURCE_DIR}/packaging/debian/${script})
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${hearth_pkg}/debian/conffiles ${hearth_pkg}/debian/postinst ${hearth_pkg}/debian/prerm
    ${hearth_pkg}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
