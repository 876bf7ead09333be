#!/usr/bin/env python3
"""A cgminer API client of the tests' own: one request per connection, the answer read until the
server closes, its NUL checked.

    cgminer_client.py HOST PORT REQUEST [--bind ADDR] [--timeout S]

Prints the answer (without the NUL). Exit 0; 1 when the server did not close within the timeout
or the answer lacks its NUL; 3 when the server closed without an answer.
"""
import socket
import sys
import time


def ask(host, port, request, bind=None, timeout=10.0):
    """Returns the answer bytes without the final NUL; b"" when closed unanswered."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if bind:
            s.bind((bind, 0))
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(request if isinstance(request, bytes) else request.encode())
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        else:
            raise TimeoutError("the server did not close the connection")
    finally:
        s.close()
    if not data:
        return b""
    if not data.endswith(b"\0"):
        raise ValueError("answer without its NUL terminator: %r" % data[-80:])
    return data[:-1]


def main(argv):
    args = argv[1:]
    bind, timeout = None, 10.0
    if "--bind" in args:
        i = args.index("--bind")
        bind = args[i + 1]
        del args[i:i + 2]
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    host, port, request = args[0], int(args[1]), args[2]
    try:
        out = ask(host, port, request, bind, timeout)
    except (OSError, ValueError) as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    if not out:
        return 3
    sys.stdout.write(out.decode("utf-8", "replace") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
