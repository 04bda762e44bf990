#!/usr/bin/python3
"""Drives a program on a pseudo-terminal, like a tiny `expect` (standard library only).

usage: pty_drive.py STEP... -- PROGRAM [ARGS...]

Steps, run in order:
  expect:REGEX   wait (up to 10 s) until the output since the last match contains REGEX
  send:TEXT      type TEXT; backslash escapes are decoded (\\r Enter, \\x03 Ctrl-C, \\x04 Ctrl-D)
  absent:REGEX   fail if the output so far contains REGEX
  sleep:SECONDS  wait
  exit:CODE      wait (up to 10 s) for the program to exit with status CODE
Set PTY_DRIVE_SHOW=1 to see the transcript. Exit status 0 when every step succeeded; otherwise 1, with the step and the transcript on stderr.
"""
import os
import pty
import re
import select
import sys
import time

TIMEOUT = 10.0


def main(argv):
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    cut = argv.index("--")
    steps, command = argv[:cut], argv[cut + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execv(command[0], command)
        finally:
            os._exit(127)

    transcript = bytearray()
    position = 0  # output before this offset has been matched already
    status = None

    def read_some(deadline):
        nonlocal status
        timeout = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            return None
        transcript.extend(data)
        return True

    def fail(step, why):
        text = transcript.decode("utf-8", "replace")
        sys.stderr.write(f"pty_drive: step {step!r}: {why}\n--- transcript ---\n{text}\n--- end ---\n")
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        return 1

    for step in steps:
        kind, _, value = step.partition(":")
        if kind == "expect":
            pattern = re.compile(value.encode())
            deadline = time.monotonic() + TIMEOUT
            while True:
                m = pattern.search(transcript, position)
                if m:
                    position = m.end()
                    break
                got = read_some(deadline)
                if got is None:
                    return fail(step, "the program closed the terminal")
                if got is False and time.monotonic() >= deadline:
                    return fail(step, "timed out")
        elif kind == "send":
            os.write(fd, value.encode().decode("unicode_escape").encode("latin-1"))
        elif kind == "absent":
            if re.search(value.encode(), transcript):
                return fail(step, "found in the output")
        elif kind == "sleep":
            time.sleep(float(value))
        elif kind == "exit":
            deadline = time.monotonic() + TIMEOUT
            while status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = os.waitstatus_to_exitcode(st)
                    while read_some(time.monotonic() + 0.2):  # what is left in the terminal
                        pass
                    break
                if time.monotonic() >= deadline:
                    return fail(step, "the program did not exit")
                read_some(min(deadline, time.monotonic() + 0.05))
            if status != int(value):
                return fail(step, f"exit status {status}")
        else:
            return fail(step, "unknown step")

    if os.environ.get("PTY_DRIVE_SHOW"):
        sys.stderr.write(transcript.decode("utf-8", "replace"))
    if status is None:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
