"""Runs a program on a pseudo-terminal and types a password at its prompt.

UW c-client's tools read passwords from the terminal (getpass), so a test that uses
mailutil as an IMAP client needs a terminal to answer on.

usage: with_password.py PASSWORD PROGRAM ARGS...
The program's output is printed; the exit status is the program's.
"""
import os
import pty
import select
import sys
import time

password = sys.argv[1]
argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
sent = False
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        if not sent and b"password" in out.lower():
            os.write(fd, password.encode() + b"\n")
            sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
