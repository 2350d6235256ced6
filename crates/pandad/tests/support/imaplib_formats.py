"""Every writable mailbox format through IMAP with Python's imaplib: CREATE with
#driver.NAME/, APPEND with flags, SELECT, FETCH, STORE, EXPUNGE, COPY across formats,
STATUS, and a second session seeing the first one's changes.

usage: imaplib_formats.py PORT PASSWORD
Exits non-zero (with the failing check) if anything is not as RFC 3501 says.
"""
import imaplib
import sys

port = int(sys.argv[1])
password = sys.argv[2]
FORMATS = ["mix", "mbx", "mmdf", "mx", "tenex", "mtx", "maildir", "unix"]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


def ok(r, what):
    check(r[0] == "OK", f"{what}: {r}")
    return r[1]


def message(n):
    return (
        f"From: someone@example.org\r\nSubject: message {n}\r\n\r\nbody {n}\r\n"
    ).encode()


m = imaplib.IMAP4("127.0.0.1", port)
ok(m.login("demo", password), "login")
other = imaplib.IMAP4("127.0.0.1", port)
ok(other.login("demo", password), "second login")
for fmt in FORMATS:
    box = f"box-{fmt}"
    ok(m.create(f"#driver.{fmt}/{box}"), f"create {fmt}")
    # tenex and mtx start as empty files: the first append says the format too.
    target = f"#driver.{fmt}/{box}" if fmt in ("tenex", "mtx") else box
    for n in (1, 2, 3):
        ok(m.append(target, "(\\Flagged)" if n == 2 else None, None, message(n)),
           f"append {fmt} {n}")
    exists = ok(m.select(box), f"select {fmt}")
    check(exists == [b"3"], f"{fmt}: 3 messages, got {exists}")
    data = ok(m.fetch("2", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), f"fetch {fmt}")
    check(b"\\Flagged" in data[0][0], f"{fmt}: flag kept: {data}")
    check(b"message 2" in data[0][1], f"{fmt}: text kept: {data}")
    ok(m.store("1", "+FLAGS", "(\\Deleted \\Seen)"), f"store {fmt}")
    ok(m.expunge(), f"expunge {fmt}")
    data = ok(m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), f"fetch after expunge {fmt}")
    subjects = [d[1] for d in data if isinstance(d, tuple)]
    check(len(subjects) == 2 and b"message 2" in subjects[0] and b"message 3" in subjects[1],
          f"{fmt}: after expunge {subjects}")
    ok(m.close(), f"close {fmt}")
    status = ok(other.status(box, "(MESSAGES UNSEEN)"), f"status {fmt}")
    check(b"MESSAGES 2" in status[0] and b"UNSEEN 2" in status[0], f"{fmt}: status {status}")

# COPY from each format to the next one's mailbox keeps flags.
for src, dst in zip(FORMATS, FORMATS[1:] + FORMATS[:1]):
    ok(m.select(f"box-{src}"), f"select {src}")
    ok(m.copy("1", f"box-{dst}"), f"copy {src} -> {dst}")
    ok(m.close(), "close")
    ok(other.select(f"box-{dst}", readonly=True), f"select {dst}")
    data = ok(other.fetch("3", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), f"fetch copy in {dst}")
    check(b"\\Flagged" in data[0][0] and b"message 2" in data[0][1],
          f"copy {src} -> {dst}: {data}")
    ok(other.close(), "close")

listed = b" ".join(ok(m.list("\"\"", "box-*"), "list"))
for fmt in FORMATS:
    check(f"box-{fmt}".encode() in listed, f"LIST shows box-{fmt}: {listed}")
check(m.logout()[0] == "BYE", "logout")
check(other.logout()[0] == "BYE", "logout")
print("ok")
