#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the Debian package that scripts/package built, then installs it for real:
#  1. its control fields, and that Depends names the package of every shared library the
#     packaged hearthd needs (its NEEDED entries, resolved by ldd here), and no -dev package;
#  2. its file list: hearthd, the unit, the config (a conffile), and every file of the source
#     tree's devices/, rules/, schemas/, messages/ and console, so that a new file needs no
#     install rule;
#  3. its maintainer scripts: the unit enabled, started, stopped and purged through
#     deb-systemd-helper / deb-systemd-invoke;
#  4. `dpkg -i` on this machine inside a private mount namespace whose /etc, /usr and /var are
#     overlays (every write is thrown away; /run/systemd is hidden, so nothing is started):
#     the dependencies resolve, postinst enables hearthd.service, `hearthd check --config
#     /etc/hearth/hearth.yaml` passes with the installed config, `dpkg -r` keeps the edited
#     config and `dpkg -P` removes it and the unit's enablement.
# Usage: tests/package/check_package.sh build-package/hearth_<version>_amd64.deb
set -euo pipefail
deb=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0
ok() { echo "ok    $*"; passed=$((passed + 1)); }
bad() { echo "FAIL  $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

work=$(mktemp -d /tmp/hearth-package-XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- 1. control fields and Depends --------------------------------------------------------
field() { dpkg-deb --field "$deb" "$1"; }
version=$(sed -n 's/^project(hearth VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
check "the file is named hearth_${version}_amd64.deb" test "$(basename "$deb")" = "hearth_${version}_amd64.deb"
check "Package: hearth" test "$(field Package)" = hearth
check "Version: $version" test "$(field Version)" = "$version"
check "Architecture: amd64" test "$(field Architecture)" = amd64
depends=$(field Depends)
echo "      Depends: $depends"
dep_names=$(echo "$depends" | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep -v '^$' | sort -u)

dpkg-deb -x "$deb" "$work/x"
# The libraries hearthd itself needs (NEEDED), where ldd finds them: those are what
# Depends must name (their own dependencies are their packages' business).
needed=$(readelf -d "$work/x/usr/bin/hearthd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
libs=$(for n in $needed; do ldd "$work/x/usr/bin/hearthd" | awk -v n="$n" '$1 == n {print $3}'; done)
check "hearthd needs shared libraries (readelf found NEEDED entries)" test -n "$libs"
check "ldd resolves every library of the packaged hearthd" sh -c "! ldd '$work/x/usr/bin/hearthd' | grep -q 'not found'"
for lib in $libs; do
  pkg=$(dpkg -S "$(realpath "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
    pkg=$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1) || true
  if [ -z "$pkg" ]; then
    bad "$(basename "$lib") belongs to no installed package"
  # A here-string, not a pipe: under pipefail a pipe fails when either side does, and this
  # check once failed for a name that was there (not reproduced since); grep alone decides.
  elif grep -qx -- "$pkg" <<<"$dep_names"; then
    ok "Depends names $pkg ($(basename "$lib"))"
  else
    bad "Depends does not name $pkg, which ships $(basename "$lib")"
  fi
done
for pkg in tzdata init-system-helpers; do
  check "Depends names $pkg" sh -c "echo '$dep_names' | grep -qx '$pkg'"
done
check "Depends names no -dev package" sh -c "! echo '$dep_names' | grep -q -- '-dev$'"
check "Recommends mosquitto" test "$(field Recommends)" = mosquitto

# --- 2. the file list ----------------------------------------------------------------------
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | sort >"$work/files"
has() { grep -qx "$1" "$work/files"; }
for f in /usr/bin/hearthd /lib/systemd/system/hearthd.service /etc/hearth/hearth.yaml \
  /usr/share/hearth/console/index.html /usr/share/hearth/console/app.js \
  /usr/share/hearth/console/style.css /usr/share/doc/hearth/README.md \
  /usr/share/doc/hearth/docs/openapi.yaml; do
  check "ships $f" has "$f"
done
missing=0
for dir in devices rules schemas messages; do
  [ -d "$root/$dir" ] || continue
  while IFS= read -r f; do
    has "/usr/share/hearth/$dir/${f#"$root/$dir/"}" || { bad "does not ship $dir/${f#"$root/$dir/"}"; missing=1; }
  done < <(find "$root/$dir" -type f)
  [ $missing -eq 0 ] && ok "ships every file of $dir/ ($(find "$root/$dir" -type f | wc -l))"
done
check "installs nothing outside /usr, /etc and /lib" \
  sh -c "! grep -v -e '^/usr' -e '^/etc' -e '^/lib' -e '^/\$' -e '^\$' '$work/files'"
check "the unit runs /usr/bin/hearthd with /etc/hearth/hearth.yaml" \
  grep -qx 'ExecStart=/usr/bin/hearthd run --config /etc/hearth/hearth.yaml' "$work/x/lib/systemd/system/hearthd.service"
check "the shipped config is config/hearth.yaml" cmp -s "$root/config/hearth.yaml" "$work/x/etc/hearth/hearth.yaml"

# --- 3. maintainer scripts -------------------------------------------------------------------
dpkg-deb --control "$deb" "$work/control"
check "conffiles is /etc/hearth/hearth.yaml" test "$(cat "$work/control/conffiles")" = /etc/hearth/hearth.yaml
for s in postinst prerm postrm; do
  check "$s is an executable sh script" sh -c "test -x '$work/control/$s' && sh -n '$work/control/$s'"
done
check "postinst enables hearthd.service" grep -q "deb-systemd-helper enable 'hearthd.service'" "$work/control/postinst"
check "postinst starts (or restarts) it" grep -q "deb-systemd-invoke \$_dh_action 'hearthd.service'" "$work/control/postinst"
check "prerm stops it on removal" grep -q "deb-systemd-invoke stop 'hearthd.service'" "$work/control/prerm"
check "postrm purges its enablement" grep -q "deb-systemd-helper purge 'hearthd.service'" "$work/control/postrm"

# --- 4. a real install, in a namespace whose writes are thrown away --------------------------
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
mkdir -p "$work/ns"
cat >"$work/ns/inside.sh" <<'INSIDE'
set -euo pipefail
work=$1
deb=$2
for d in etc usr var; do
  mkdir -p "$work/ns/$d-up" "$work/ns/$d-work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ns/$d-up,workdir=$work/ns/$d-work" "/$d"
done
# Where systemd runs, hide it: postinst then enables the unit but starts nothing.
if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi
report() { echo "$1 $2" >>"$work/ns/results"; }
t() { local what=$1; shift; if "$@" >>"$work/ns/log" 2>&1; then report ok "$what"; else report FAIL "$what"; fi; }
dpkg -r hearth >/dev/null 2>&1 || true
t "dpkg -i installs it, its dependencies met by this machine" dpkg -i "$deb"
t "postinst enabled hearthd.service" test -L /etc/systemd/system/multi-user.target.wants/hearthd.service
t "hearthd is on the PATH" sh -c 'command -v hearthd | grep -qx /usr/bin/hearthd'
mkdir -p /var/lib/hearth   # what StateDirectory=hearth makes at the first start
t "hearthd check passes with the installed config" sh -c 'hearthd check --config /etc/hearth/hearth.yaml | tee -a '"$work/ns/check"' | grep -q "/etc/hearth/hearth.yaml: ok"'
t "hearthd devices test passes on the installed device types" hearthd devices test /usr/share/hearth/devices/*.yaml
echo "# an administrator's edit" >>/etc/hearth/hearth.yaml
t "dpkg -r removes it" dpkg -r hearth
t "the removed package's hearthd is gone" test ! -e /usr/bin/hearthd
t "dpkg -r keeps the edited config (a conffile)" grep -q "an administrator's edit" /etc/hearth/hearth.yaml
t "dpkg -P removes the config" sh -c 'dpkg -P hearth && test ! -e /etc/hearth/hearth.yaml'
t "dpkg -P removes the enablement" test ! -e /etc/systemd/system/multi-user.target.wants/hearthd.service
INSIDE
if $SUDO unshare --mount --propagation private bash "$work/ns/inside.sh" "$work" "$deb"; then
  :
fi
if [ -f "$work/ns/results" ]; then
  while read -r verdict what; do
    if [ "$verdict" = ok ]; then ok "$what"; else bad "$what"; fi
  done <"$work/ns/results"
  [ -f "$work/ns/check" ] && sed 's/^/      /' "$work/ns/check"
else
  bad "the install in a private mount namespace did not run (unshare and overlay mounts need root)"
fi
if [ $failed -gt 0 ] && [ -f "$work/ns/log" ]; then
  echo "--- install log"
  cat "$work/ns/log"
fi
echo "package: $passed passed, $failed failed"
[ $failed -eq 0 ]
