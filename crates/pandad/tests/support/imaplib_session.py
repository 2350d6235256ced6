"""A whole session with Python's imaplib against a running server, IDLE included.

usage: imaplib_session.py PORT PASSWORD
Exits non-zero (with the failing check) if anything is not as RFC 3501 says.
"""
import imaplib
import sys
import threading
import time

port = int(sys.argv[1])
password = sys.argv[2]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


def ok(r, what):
    check(r[0] == "OK", f"{what}: {r}")
    return r[1]


m = imaplib.IMAP4("127.0.0.1", port)
check(b"STARTTLS" in m.welcome, "greeting advertises STARTTLS")
try:
    m.login("demo", "wrong password")
    check(False, "a wrong password is refused")
except imaplib.IMAP4.error:
    pass
ok(m.login("demo", password), "login")
check("IDLE" in m.capabilities or "IDLE" in ok(m.capability(), "capability")[0].decode(), "IDLE advertised")
n = int(ok(m.select("INBOX"), "select")[0])
check(n == 3, f"seeded INBOX has 3 messages, not {n}")

# FETCH forms.
data = ok(m.fetch("1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"), "fetch")
check(len(data) == 3 and b"ENVELOPE" in data[0], "fetch 1:* gives three envelopes")
data = ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "fetch header fields")
check(data[0][1] == b"Subject: Welcome to Panda IMAP\r\n\r\n", f"header fields: {data}")
data = ok(m.fetch("1", "(BODYSTRUCTURE)"), "bodystructure")
check(b'("TEXT" "PLAIN"' in data[0], f"bodystructure: {data}")
whole = ok(m.fetch("2", "(RFC822)"), "rfc822")[0][1]
size = int(ok(m.fetch("2", "(RFC822.SIZE)"), "size")[0].split()[-1].rstrip(b")"))
check(len(whole) == size, "RFC822.SIZE is the size of RFC822")
check(b"\r\n" in whole and b"\n" not in whole.replace(b"\r\n", b""), "CRLF line ends")
flags = ok(m.fetch("2", "(FLAGS)"), "flags")[0]
check(b"\\Seen" in flags, "fetching RFC822 sets \\Seen")

# SEARCH, STORE, keywords.
check(ok(m.search(None, "TEXT", "folders"), "search")[0] == b"2", "SEARCH TEXT")
check(ok(m.uid("SEARCH", "SUBJECT", "production"), "uid search")[0] == b"3", "UID SEARCH SUBJECT")
check(ok(m.search(None, "UNSEEN"), "unseen")[0] == b"1 3", "SEARCH UNSEEN")
r = ok(m.store("1", "+FLAGS", "(\\Flagged $Important)"), "store")
check(b"$Important" in r[0] and b"\\Flagged" in r[0], f"store answer: {r}")
check(ok(m.search(None, "KEYWORD", "$Important"), "keyword")[0] == b"1", "SEARCH KEYWORD")

# Mailboxes.
ok(m.create("Work/2026"), "create")
names = b" ".join(ok(m.list(), "list"))
check(b"Work/2026" in names and b"INBOX" in names, f"list: {names}")
r = ok(m.copy("1:2", "Work/2026"), "copy")
check(b"COPYUID" in r[0], f"copy answer: {r}")
st = ok(m.status("Work/2026", "(MESSAGES UNSEEN)"), "status")[0]
check(b"MESSAGES 2" in st, f"status: {st}")
try:
    r = m.append("Nonexistent", None, None, b"Subject: x\r\n\r\ny\r\n")
    check(r[0] == "NO" and b"TRYCREATE" in r[1][0], f"append to a missing mailbox: {r}")
except imaplib.IMAP4.error as e:
    check("TRYCREATE" in str(e), f"append to a missing mailbox: {e}")
r = ok(m.append("INBOX", "(\\Seen)", None, b"Subject: appended\r\n\r\nhello\r\n"), "append")
check(b"APPENDUID" in r[0], f"append answer: {r}")
ok(m.noop(), "noop")
check(m.untagged_responses.get("EXISTS", [b"0"])[-1] == b"4", "EXISTS after APPEND")

# IDLE: another connection delivers; the news must come within 2 seconds.
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
check(m.readline().startswith(b"+"), "IDLE continuation")


def deliver():
    time.sleep(0.3)
    o = imaplib.IMAP4("127.0.0.1", port)
    o.login("demo", password)
    o.append("INBOX", None, None, b"Subject: during idle\r\n\r\nnew mail\r\n")
    o.logout()


t0 = time.time()
threading.Thread(target=deliver).start()
line = m.readline()
elapsed = time.time() - t0 - 0.3
check(line == b"* 5 EXISTS\r\n", f"IDLE news: {line}")
check(elapsed < 2.0, f"new mail took {elapsed:.2f}s to reach IDLE")
m.readline()  # RECENT
m.send(b"DONE\r\n")
check(m.readline().startswith(tag + b" OK"), "IDLE ends with OK")

# EXPUNGE and MOVE.
ok(m.store("5", "+FLAGS", "\\Deleted"), "store deleted")
check(ok(m.expunge(), "expunge")[0] == b"5", "EXPUNGE reports 5")
typ, dat = m._simple_command("MOVE", "4", "Work/2026")
check(typ == "OK", f"move: {typ} {dat}")
ok(m.close(), "close")
n = int(ok(m.select("Work/2026", readonly=True), "examine")[0])
check(n == 3, f"Work/2026 holds 3 after COPY and MOVE, not {n}")
check(m.logout()[0] == "BYE", "logout")
print("imaplib session ok")
