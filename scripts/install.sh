#!/bin/sh
# Installs Panda IMAP in Rust: builds the release binaries and copies them, the manual
# pages and the operator files under PREFIX, with UW's program names.
#
#   PREFIX/sbin/        imapd ipop3d pandad tmail mlock (mlock setgid mail)
#   PREFIX/bin/         mailutil dmail
#   PREFIX/share/man/   man1, man5, man8: every page in man/
#   PREFIX/share/doc/panda-imap/
#                       README.md and dist/ (inetd.conf, xinetd.d/, systemd/), naming the
#                       installed programs' paths
#
# A program is installed only if it was built; a page only if it is in man/. Nothing goes
# into /etc unless --etc is given, and then no existing file there is replaced.
# DESTDIR (or --destdir) stages the whole tree under another root, for packaging.
set -eu

EX_USAGE=64
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
    cat <<EOF
Usage: scripts/install.sh [--prefix DIR] [--destdir DIR] [--no-build] [--bin-dir DIR] [--etc]

  --prefix DIR    where to install (default: \$PREFIX, else /usr/local)
  --destdir DIR   stage the installation under DIR (default: \$DESTDIR, else none)
  --no-build      do not run cargo: install the binaries already built
  --bin-dir DIR   where the built binaries are (default: \$CARGO_TARGET_DIR/release,
                  else target/release)
  --etc           also copy the systemd units to /etc/systemd/system and the xinetd
                  files to /etc/xinetd.d (under DESTDIR), keeping any file already there
  -h, --help      print this and exit

Servers go to PREFIX/sbin, mailutil and dmail to PREFIX/bin, the manual pages to
PREFIX/share/man, dist/ and README.md to PREFIX/share/doc/panda-imap.
EOF
}

prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
build=yes
bin_dir=
etc=no
while [ $# -gt 0 ]; do
    case $1 in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit $EX_USAGE; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) [ $# -ge 2 ] || { usage >&2; exit $EX_USAGE; }; destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --bin-dir) [ $# -ge 2 ] || { usage >&2; exit $EX_USAGE; }; bin_dir=$2; shift 2 ;;
    --bin-dir=*) bin_dir=${1#*=}; shift ;;
    --no-build) build=no; shift ;;
    --etc) etc=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit $EX_USAGE ;;
    esac
done
case $prefix in
/*) ;;
*) echo "install.sh: --prefix must be an absolute path: $prefix" >&2; exit $EX_USAGE ;;
esac

if [ -z "$bin_dir" ]; then
    target=${CARGO_TARGET_DIR:-$root/target}
    case $target in /*) ;; *) target=$root/$target ;; esac
    bin_dir=$target/release
fi

if [ "$build" = yes ]; then
    echo "install.sh: building the release binaries" >&2
    (cd "$root" && cargo build --release --locked --workspace --bins)
fi

dest=$destdir$prefix
sbin_programs="imapd ipop3d pandad tmail mlock"
bin_programs="mailutil dmail"

# Where each installed program is, for the copies of dist/ files.
paths=""
installed=0
install_program() { # name dir mode
    src=$bin_dir/$1
    [ -f "$src" ] && [ -x "$src" ] || return 0
    install -d -m 0755 "$dest/$2"
    install -m "$3" "$src" "$dest/$2/$1"
    echo "  $prefix/$2/$1"
    paths="$paths s|/usr/local/s\\{0,1\\}bin/$1|$prefix/$2/$1|g;"
    installed=$((installed + 1))
}

echo "install.sh: installing into $dest" >&2
for p in $sbin_programs; do
    [ "$p" = mlock ] && continue
    install_program "$p" sbin 0755
done
for p in $bin_programs; do
    install_program "$p" bin 0755
done
# mlock makes dot-locks in the mail spool for users' processes: setgid mail, as UW's.
if [ -f "$bin_dir/mlock" ]; then
    install_program mlock sbin 0755
    if chgrp mail "$dest/sbin/mlock" 2>/dev/null; then
        chmod 2755 "$dest/sbin/mlock"
    else
        echo "install.sh: cannot give $dest/sbin/mlock to group mail (not root?): left without setgid" >&2
    fi
fi
if [ "$installed" = 0 ]; then
    echo "install.sh: no program found in $bin_dir (build first, or give --bin-dir)" >&2
    exit 1
fi

for page in "$root"/man/*.[1-8]; do
    [ -f "$page" ] || continue
    section=${page##*.}
    install -d -m 0755 "$dest/share/man/man$section"
    install -m 0644 "$page" "$dest/share/man/man$section/"
    echo "  $prefix/share/man/man$section/$(basename "$page")"
done

# A copy of $1 (under dist/) at $2, naming the installed paths.
copy_dist() {
    install -d -m 0755 "$(dirname "$2")"
    sed "$paths" "$root/dist/$1" >"$2"
    chmod 0644 "$2"
}

doc=$dest/share/doc/panda-imap
install -d -m 0755 "$doc"
install -m 0644 "$root/README.md" "$doc/README.md"
(cd "$root/dist" && find . -type f | sed 's|^\./||' | sort) | while read -r f; do
    copy_dist "$f" "$doc/$f"
done
echo "  $prefix/share/doc/panda-imap/ (README.md, inetd.conf, xinetd.d/, systemd/)"

if [ "$etc" = yes ]; then
    for pair in systemd:etc/systemd/system xinetd.d:etc/xinetd.d; do
        from=${pair%%:*}
        to=$destdir/${pair#*:}
        for f in "$root/dist/$from"/*; do
            name=$(basename "$f")
            if [ -e "$to/$name" ]; then
                echo "install.sh: $to/$name exists: left as it is" >&2
                continue
            fi
            copy_dist "$from/$name" "$to/$name"
            echo "  /${pair#*:}/$name"
        done
    done
fi
echo "install.sh: done. The configuration is /etc/panda/panda.toml: see panda.toml(5)." >&2
