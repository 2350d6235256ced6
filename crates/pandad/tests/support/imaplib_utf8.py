"""UTF8=ACCEPT (RFC 6855) with Python's imaplib: one client enables it and names
mailboxes in UTF-8, another does not and sees the same mailboxes in modified UTF-7.

usage: imaplib_utf8.py PORT PASSWORD
Exits non-zero (with the failing check) if anything is not as RFC 6855 says.

(imaplib sends names as given, so they are quoted here; its append() in UTF-8 mode puts "UTF8 (" inside its literal, so the UTF-8 client
does not APPEND here; the other one does.)
"""
import imaplib
import sys

port = int(sys.argv[1])
password = sys.argv[2]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


def ok(r, what):
    check(r[0] == "OK", f"{what}: {r}")
    return r[1]


u = imaplib.IMAP4("127.0.0.1", port)
ok(u.login("demo", password), "login")
caps = ok(u.capability(), "capability")[0].decode().upper().split()
check("UTF8=ACCEPT" in caps, f"UTF8=ACCEPT advertised after login: {caps}")
u.capabilities = tuple(caps)
ok(u.enable("UTF8=ACCEPT"), "enable")
check(u.utf8_enabled, "imaplib is in UTF-8 mode")

ok(u.create('"台北/日本語"'), "create in UTF-8")
names = ok(u.list(), "list")
check(any('"台北/日本語"'.encode() in n for n in names), f"UTF-8 names in LIST: {names}")

m = imaplib.IMAP4("127.0.0.1", port)
ok(m.login("demo", password), "second login")
names = ok(m.list(), "second list")
check(any(b"&U,BTFw-/&ZeVnLIqe-" in n for n in names), f"modified UTF-7 in LIST: {names}")
ok(m.append("&U,BTFw-/&ZeVnLIqe-", None, None, b"Subject: hi\r\n\r\nbody\r\n"), "append")

n = int(ok(u.select('"台北/日本語"'), "select in UTF-8")[0])
check(n == 1, f"the UTF-8 client sees the message the other appended: {n}")
status = ok(u.status('"台北/日本語"', "(MESSAGES)"), "status")[0]
check(status == '"台北/日本語" (MESSAGES 1)'.encode(), f"STATUS answers in UTF-8: {status}")
ok(u.close(), "close")
ok(u.rename('"台北/日本語"', '"Ελληνικά"'), "rename in UTF-8")
names = ok(m.list(), "list after rename")
check(any(b"&A5UDuwO7A7cDvQO5A7oDrA-" in n for n in names), f"renamed: {names}")
typ, data = m.create("&AGE-&AGI-")
check(typ == "NO" and b"invalid modified UTF-7" in data[0], f"non-canonical refused: {data}")
u.logout()
m.logout()
print("ok")
