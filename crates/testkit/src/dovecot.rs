//! Dovecot's imap program run inetd-style: each connection the test's loopback listener
//! takes is served by `/usr/lib/dovecot/imap`, pre-authenticated as `nobody` on a maildir
//! in a temporary directory (no Dovecot daemon, no accounts, no names to resolve).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{is_root, needs};

/// Debian's Dovecot imap program.
pub const IMAP: &str = "/usr/lib/dovecot/imap";

/// Whether Dovecot can serve the test `test`: root (to run it as `nobody`) and the
/// program, as [`needs`] treats their absence.
pub fn available(test: &str) -> bool {
    needs(
        test,
        Path::new(IMAP).exists() && is_root(),
        &format!("needs root and Dovecot's imap ({IMAP})"),
    )
}

/// Serves each connection to the returned loopback port with Dovecot's imap on
/// `home`/Maildir; the count is of the connections taken so far.
pub fn serve(home: &Path) -> (u16, Arc<AtomicUsize>) {
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(home.join("Maildir")).unwrap();
    for d in ["", "Maildir"] {
        nix::unistd::chown(&home.join(d), Some(nobody.uid), Some(nobody.gid)).unwrap();
    }
    let conf = home.join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "base_dir = {h}/run\nstate_dir = {h}/state\nlog_path = /dev/stderr\nssl = no\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n",
            h = home.display()
        ),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let home = home.to_owned();
    let count = Arc::new(AtomicUsize::new(0));
    let taken = count.clone();
    std::thread::spawn(move || {
        while let Ok((sock, _)) = listener.accept() {
            taken.fetch_add(1, Ordering::SeqCst);
            let out = sock.try_clone().unwrap();
            let child = Command::new("runuser")
                .args(["-u", "nobody", "--", "env", "USER=nobody", "TZ=UTC"])
                .arg(format!("HOME={}", home.display()))
                .arg(IMAP)
                .arg("-c")
                .arg(&conf)
                .arg("-o")
                .arg(format!("mail_location=maildir:{}/Maildir", home.display()))
                .stdin(Stdio::from(std::os::fd::OwnedFd::from(sock)))
                .stdout(Stdio::from(std::os::fd::OwnedFd::from(out)))
                .spawn();
            if let Ok(mut child) = child {
                std::thread::spawn(move || child.wait());
            }
        }
    });
    (port, count)
}
