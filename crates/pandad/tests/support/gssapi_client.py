"""A SASL GSSAPI (RFC 4752) client: imaplib's AUTHENTICATE, or POP3 AUTH by hand.

usage: gssapi_client.py imap|pop|imap-stream PORT SERVICE AUTHZID [garbage] [mailbox=NAME]

With imap-stream, PORT is instead a command that runs an IMAP session on its standard
input and output (imapd in inetd mode).

Kerberos comes from the environment (KRB5_CONFIG, KRB5CCNAME). SERVICE names the ticket
asked for (service@localhost). With "garbage" the first token is not a Kerberos token.
Prints "OK <text>" and, for IMAP, appends one message to INBOX (or to the mailbox NAME,
which it creates); or "NO <text>".
"""

import base64
import imaplib
import poplib
import sys

import gssapi

proto, port, service, authzid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
garbage = "garbage" in sys.argv[5:]
mailbox = "INBOX"
for arg in sys.argv[5:]:
    if arg.startswith("mailbox="):
        mailbox = arg[len("mailbox="):]

target = gssapi.Name(service + "@localhost", gssapi.NameType.hostbased_service)
ctx = gssapi.SecurityContext(name=target, usage="initiate")


def respond(challenge):
    """The answer to one server challenge (raw bytes in, raw bytes out)."""
    if garbage:
        return b"not a kerberos token"
    if not ctx.complete:
        token = ctx.step(challenge or None)
        return token or b""
    offer = ctx.unwrap(challenge).message
    assert len(offer) == 4 and offer[0] & 1, offer
    size = int.from_bytes(offer[1:], "big")
    assert size == 8192, size
    return ctx.wrap(b"\x01\x00\x00\x00" + authzid.encode(), False).message


if proto in ("imap", "imap-stream"):
    if proto == "imap":
        m = imaplib.IMAP4("127.0.0.1", int(port))
    else:
        m = imaplib.IMAP4_stream(port)
    assert "AUTH=GSSAPI" in m.capabilities, m.capabilities
    try:
        typ, data = m.authenticate("GSSAPI", respond)
    except imaplib.IMAP4.error as e:
        print("NO", e)
        sys.exit(0)
    print("OK", data[0].decode())
    if mailbox != "INBOX":
        typ, data = m.create(mailbox)
        assert typ == "OK", data
    typ, data = m.append(mailbox, None, None, b"Subject: via kerberos\r\n\r\nhello\r\n")
    assert typ == "OK", data
    m.logout()
else:
    p = poplib.POP3("127.0.0.1", int(port))
    assert "GSSAPI" in " ".join(p.capa().get("SASL", [])), p.capa()
    p._putcmd("AUTH GSSAPI")
    while True:
        line = p._getline()[0].decode()
        if line.startswith("+OK"):
            print("OK", line)
            break
        if line.startswith("-ERR"):
            print("NO", line)
            break
        challenge = base64.b64decode(line[1:].strip())
        p._putcmd(base64.b64encode(respond(challenge)).decode())
    p.quit()
