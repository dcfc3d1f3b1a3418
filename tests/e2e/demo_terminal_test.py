#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/demo in a terminal, as a newcomer runs it: it must never stop at a prompt, it
must print the console's address with a password for every account it made and the API
token it tells you to use, both must work against the running hearthd, and Ctrl-C must
stop everything it started.

Runs the real script on a pseudo-terminal (so `[ -t 0 ]` is true, as for a person) with a
small community (HEARTH_DEMO_HOUSEHOLDS) and the build tree under test (HEARTH_BUILD_DIR).
Nothing is typed into the terminal: a prompt would block the script and time the test out.
"""
import json
import os
import pty
import re
import select
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

SOURCE = os.environ["HEARTH_SOURCE_DIR"]
BUILD = os.environ["HEARTH_BUILD_DIR"]


def fail(message, output=""):
    sys.stderr.write(f"FAIL: {message}\n--- demo output ---\n{output}\n")
    sys.exit(1)


def http(url, token=None, body=None):
    req = urllib.request.Request(url, method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, data, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    env = dict(os.environ, HEARTH_DEMO_HOUSEHOLDS="50", HEARTH_BUILD_DIR=BUILD, TERM="dumb")
    pid, fd = pty.fork()
    if pid == 0:  # the child: its own session with the pty as its terminal
        os.chdir(SOURCE)
        os.execve("/bin/bash", ["bash", "scripts/demo"], env)
    output = ""
    token = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(fd, 65536).decode(errors="replace")
            except OSError:
                chunk = ""
            if not chunk:
                fail("the demo ended before it printed its token", output)
            output += chunk
        if re.search(r"password:\s*$", output) or "console password" in output:
            fail("the demo stopped at a password prompt", output)
        m = re.search(r"API token of demo-admin: (\S+)", output)
        if m:
            token = m.group(1)
            break
    if not token:
        os.killpg(pid, signal.SIGKILL)
        fail("no API token within 300 s", output)

    api = re.search(r"hearthd API on (http://127\.0\.0\.1:\d+)", output)
    mqtt_port = re.search(r"mosquitto on 127\.0\.0\.1:(\d+)", output)
    console = re.search(r"operator console: (http://127\.0\.0\.1:\d+)/", output)
    if not (api and mqtt_port and console):
        fail("the demo did not say where the API, the broker and the console are", output)
    api = api.group(1)
    if console.group(1) != api:
        fail("the console address is not the API's", output)
    if "alerts in the queue" not in output:
        fail("the demo did not print the alert queue", output)
    if f"Bearer {token}" not in output:
        fail("the curl line does not carry the token it tells you to use", output)

    # The token it printed is the one that works.
    status, me = http(f"{api}/api/v1/me", token)
    if status != 200 or me.get("user") != "demo-admin" or me.get("role") != "admin":
        fail(f"the printed token does not work: {status} {me}", output)
    # Every account it printed logs in with the password printed beside it.
    accounts = re.findall(r"user (\S+)\s+password (\S+)", output)
    if sorted(a for a, _ in accounts) != ["demo-admin", "op-demo", "sw-lu"]:
        fail(f"expected three accounts with passwords, got {accounts}", output)
    for user, password in accounts:
        status, body = http(f"{api}/api/v1/login", body={"user": user, "password": password})
        if status != 200 or body.get("user") != user:
            fail(f"{user} cannot log in with the printed password: {status} {body}", output)

    # Ctrl-C, as a person would press it: the whole foreground process group.
    os.killpg(pid, signal.SIGINT)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                output += os.read(fd, 65536).decode(errors="replace")
            except OSError:
                pass
    else:
        os.killpg(pid, signal.SIGKILL)
        fail("the demo did not stop within 30 s of Ctrl-C", output)
    # Nothing it started is left: the broker's port and the API are closed.
    for port in (int(mqtt_port.group(1)), int(api.rsplit(":", 1)[1])):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                fail(f"something still listens on port {port} after Ctrl-C", output)
    print("demo on a terminal: no prompt; token and 3 passwords work; Ctrl-C stops it")


if __name__ == "__main__":
    main()
