#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Raw HTTP/1.1 over one TCP connection, for what curl cannot send:
# pipelined requests, a request smuggled behind another, a head split
# over two TCP segments. Each --send is written with its own send() (and
# TCP_NODELAY, so each leaves as its own segment), --gap milliseconds
# apart; then the answers are read until the server closes, the
# connection is reset, or --timeout passes. One line on stdout:
#
#   status=200,403 responses=2 reset=no closed=yes elapsed=0.004 first=0.002
#
# status: the status codes read, in order ("none" if none); reset: the
# connection was reset; closed: the peer closed it; elapsed: seconds from
# the first send to the end; first: to the first byte or the reset.
# Escapes in --send texts (\r \n \x00) are decoded.
#
#   http_raw.py HOST PORT --send TEXT [--send TEXT...] [--gap MS] [--timeout S]
import argparse
import codecs
import re
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--send", action="append", required=True)
    ap.add_argument("--gap", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(a.timeout)
    s.connect((a.host, a.port))
    data = b""
    reset = False
    closed = False
    first = None
    start = time.monotonic()
    try:
        for i, text in enumerate(a.send):
            if i and a.gap:
                time.sleep(a.gap / 1000.0)
            s.sendall(codecs.decode(text, "unicode_escape").encode("latin-1"))
        deadline = start + a.timeout
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if first is None:
                first = time.monotonic() - start
            if not chunk:
                closed = True
                break
            data += chunk
    except ConnectionResetError:
        reset = True
    except BrokenPipeError:
        reset = True
    except socket.timeout:
        pass
    if first is None and (reset or closed):
        first = time.monotonic() - start
    elapsed = time.monotonic() - start
    codes = re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)
    print("status=%s responses=%d reset=%s closed=%s elapsed=%.3f first=%s" % (
        ",".join(c.decode() for c in codes) or "none", len(codes), "yes" if reset else "no",
        "yes" if closed else "no", elapsed, "%.3f" % first if first is not None else "none"))


if __name__ == "__main__":
    main()
