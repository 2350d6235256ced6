"""Runs a program on a pseudo-terminal and leaves it waiting at its password prompt.

A UW c-client tool asked to move a local mailbox to a remote one opens the local
mailbox read-write first, then asks for the remote password: while it waits there it
holds the mailbox as any c-client session does (the /tmp lock with its PID), which is
what a kiss-of-death test needs from the UW side.

usage: hold_at_prompt.py PROGRAM ARGS...
Prints "holding PID" once the prompt is up, then "ended signal N" or "ended exit N"
when the program ends (it is never given a password; it is killed after 120 s).
"""
import os
import pty
import select
import signal
import sys
import time

argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
deadline = time.time() + 30
while b"password" not in out.lower():
    if time.time() > deadline:
        print("no prompt:", out.decode(errors="replace"), flush=True)
        os.kill(pid, signal.SIGKILL)
        sys.exit(1)
    ready, _, _ = select.select([fd], [], [], 0.5)
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            print("ended before the prompt:", out.decode(errors="replace"), flush=True)
            sys.exit(1)
        out += data
print("holding", pid, flush=True)
deadline = time.time() + 120
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
    ready, _, _ = select.select([fd], [], [], 0.2)
    if fd in ready:
        try:
            os.read(fd, 4096)
        except OSError:
            pass
if os.WIFSIGNALED(status):
    print("ended signal", os.WTERMSIG(status), flush=True)
else:
    print("ended exit", os.WEXITSTATUS(status), flush=True)
