#!/bin/sh
# The test command (README, .ci/run): installs what the tests need when it is missing,
# then runs every test of the workspace.
#
# The oracle tests run UW c-client's own tools (Debian's uw-mailutils) against ours, as a
# test account; they need root. In CI (CI=true) a missing oracle fails the run instead of
# being skipped. The charset tests compare with the system's converters: glibc iconv
# (libc-bin), Python's codecs and Perl's Encode (perl). The build links libpam
# (libpam0g-dev); the system-user tests make accounts with passwd's tools and log in
# through pam_unix (libpam-modules). The manual pages are checked with groff (groff-base). The client crate
# talks to Dovecot (dovecot-imapd).
#
# Then the GSSAPI test, with the `gssapi` feature (libgssapi's bindgen needs libclang-dev
# and libkrb5-dev): a real MIT KDC (krb5-kdc, krb5-admin-server for kdb5_util and
# kadmin.local, krb5-user for kinit) in a network namespace (util-linux's unshare,
# iproute2's ip), and Debian's python3-gssapi as the client.
set -eu
cd "$(dirname "$0")/.."

packages="uw-mailutils fetchmail isync python3 perl libc-bin systemd libpam0g-dev libpam-modules passwd groff-base dovecot-imapd mlock"
packages="$packages libclang-dev libkrb5-dev krb5-kdc krb5-admin-server krb5-user python3-gssapi iproute2 util-linux"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "test.sh: installing$missing" >&2
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        SUDO="none"
    fi
    if [ "$SUDO" = none ]; then
        echo "test.sh: cannot install$missing (not root, no sudo)" >&2
        [ "${CI:-}" = true ] && exit 1
    else
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq >/dev/null 2>&1 || true
        if ! $SUDO apt-get install -y -qq $missing >/dev/null; then
            echo "test.sh: apt-get install$missing failed" >&2
            [ "${CI:-}" = true ] && exit 1
        fi
    fi
fi

cargo test --workspace --locked "$@"
exec cargo test --locked -p pandad --features gssapi --test gssapi "$@"
