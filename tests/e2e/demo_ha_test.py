#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/demo-ha as the README describes it, run without a terminal (so it ends by
itself): two nodes on a throwaway PostgreSQL cluster, one active and one standby; the SOS
pressed while no node is active reaches the standby after the kill -9, within 5 s; the
killed node comes back as a standby, whose API answers 503; and nothing it started is left
running afterwards (no postgres, mosquitto or hearthd of its folder). About 30 s.
"""
import os
import re
import subprocess
import sys

SOURCE = os.environ["HEARTH_SOURCE_DIR"]
BUILD = os.environ["HEARTH_BUILD_DIR"]


def fail(message, output=""):
    sys.stderr.write(f"FAIL: {message}\n--- demo-ha output ---\n{output}\n")
    sys.exit(1)


env = dict(os.environ, HEARTH_BUILD_DIR=BUILD)
run = subprocess.run([os.path.join(SOURCE, "scripts", "demo-ha")], env=env, cwd=SOURCE,
                     stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)
out = run.stdout + run.stderr
if run.returncode != 0:
    fail(f"exit {run.returncode}", out)

roles = re.findall(r"^   ([ab]) \(http://127\.0\.0\.1:\d+\): (\{.*\})$", out, re.M)
if [(n, '"role":"active"' in h, '"role":"standby"' in h) for n, h in roles] != [
        ("a", True, False), ("b", False, True), ("a", False, True), ("b", True, False)]:
    fail(f"the roles shown are not a active, b standby, then a standby, b active: {roles}", out)
m = re.search(r"b active after (\d+) ms; the SOS pressed during the gap in b's API after (\d+) ms",
              out)
if not m:
    fail("no takeover timing printed", out)
if int(m.group(2)) > 5000:
    fail(f"the SOS reached the new active node after {m.group(2)} ms (more than 5 s)", out)
if "GET /api/v1/alerts on a: 503" not in out:
    fail("the standby did not answer the API with 503", out)
if len(re.findall(r"#\d+ P1 open .*SOS", out)) != 2:
    fail("the two SOS alerts (before and after the kill) are not both shown", out)

left = subprocess.run(["pgrep", "-af", "hearth-demo-ha-"], capture_output=True, text=True).stdout
if left.strip():
    fail(f"processes left running:\n{left}", out)
print("demo-ha: ok;", m.group(0))
