"""Runs a command on a pseudo-terminal, as an operator's shell would, and types at it.

usage: type_at_prompt.py SCRIPT -- COMMAND [ARGS...]
SCRIPT is a JSON list of steps: ["send", "text"] writes the text as keystrokes (escape sequences
included); ["wait", "text", n] waits until the text has been printed n times in all. Everything the
command printed goes to stdout; the exit code is the command's (3 when a wait gave up).
"""
import json
import os
import pty
import select
import sys
import time

TIMEOUT = 60

def main():
    split = sys.argv.index("--")
    script = json.loads(sys.argv[1])
    command = sys.argv[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.setdefault("TERM", "xterm")
        os.execvp(command[0], command)
    printed = b""

    def read_some(wait):
        nonlocal printed
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        printed += chunk
        return bool(chunk)

    for step in script:
        if step[0] == "send":
            os.write(fd, step[1].encode())
        else:
            text, times = step[1].encode(), step[2]
            deadline = time.monotonic() + TIMEOUT
            while printed.count(text) < times:
                if time.monotonic() > deadline or not read_some(1):
                    sys.stdout.write(printed.decode(errors="replace"))
                    sys.stdout.write(f"\n[gave up waiting for {step[1]!r} x{times}]\n")
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    return 3
    deadline = time.monotonic() + TIMEOUT
    while read_some(1):
        if time.monotonic() > deadline:
            sys.stdout.write(printed.decode(errors="replace"))
            sys.stdout.write("\n[gave up waiting for the command to end]\n")
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return 3
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(printed.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)

sys.exit(main())
