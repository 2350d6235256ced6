"""A whole session with Python's poplib against a running server.

usage: poplib_session.py PORT PASSWORD
"""
import poplib
import sys

port = int(sys.argv[1])
password = sys.argv[2]


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


def login():
    p = poplib.POP3("127.0.0.1", port)
    check(p.getwelcome().startswith(b"+OK POP3 "), f"greeting {p.getwelcome()}")
    p.user("demo")
    p.pass_(password)
    return p


p = poplib.POP3("127.0.0.1", port)
caps = p.capa()
for c in ["TOP", "UIDL", "USER", "LOGIN-DELAY"]:
    check(c in caps, f"CAPA has {c}: {caps}")
p.user("demo")
try:
    p.pass_("wrong")
    check(False, "a wrong password is refused")
except poplib.error_proto:
    pass
p.user("demo")
p.pass_(password)
count, size = p.stat()
check(count == 3, f"STAT {count}")
listing = p.list()[1]
check(len(listing) == 3 and sum(int(l.split()[1]) for l in listing) == size, "LIST adds up to STAT")
uids = p.uidl()[1]
check(len(uids) == 3 and all(len(u.split()[1]) == 16 for u in uids), f"UIDL {uids}")
resp, lines, octets = p.retr(1)
check(octets == int(listing[0].split()[1]), f"RETR size {octets} = LIST size")
check(b"Subject: Welcome to Panda IMAP" in lines, "RETR gives the message")
check(any(l.startswith(b"Status: ") for l in lines), "RETR adds Status:")
top = p.top(2, 0)[1]
check(b"Subject: Folders" in top and top[-1] == b"", f"TOP 2 0: {top}")
p.dele(1)
check(p.stat()[0] == 2, "DELE hides the message")
p.rset()
check(p.stat()[0] == 3, "RSET brings it back")
p.dele(3)
# Another session before QUIT still sees all three: nothing is deleted yet.
p.quit()
p = login()
check(p.stat()[0] == 2, "QUIT deleted message 3")
check(p.uidl()[1] == uids[:2], "UIDL stable across sessions")
p.quit()
print("poplib session ok")
