#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generates a week-long capture of a small community for `hearthd replay` (issue 4).

Deterministic: a fixed seed and no clock, so running it again rewrites the same bytes.
    python3 tests/data/week/generate.py   # writes capture.jsonl and registry/*.csv here

The community: building W1, 20 households with a LoRaWAN water meter each (ChirpStack v4,
hourly uplinks), 4 lone elders (H-01..H-04), a smoke alarm in H-05, a tilt sensor on the
building (The Things Stack v3, every 6 h). What happens during the week, and the alerts
the replay test expects (and no others):
  - H-05's smoke alarm is test-pressed on day 2          -> nothing (a test press)
  - the tilt sensor drifts 0.16 deg over the week (2.8 ‰) -> building-tilt-warning (limit 4 ‰)
  - H-02's meter (a lone elder's) goes silent on day 4     -> device-offline, never lone-elder-no-water
  - H-03's resident (a lone elder) uses no water after
    lunch on day 5 (20 Nov, 13:00)                        -> lone-elder-no-water, 12 h later
  - H-15's toilet runs non-stop from day 2, 12:00          -> water-continuous-flow
"""
import base64
import datetime as dt
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, no DST
START = dt.datetime(2026, 11, 16, 0, 0, tzinfo=TZ)
DAYS = 7
rng = random.Random(20261116)


def utc(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def eui(n):
    return f"a84041000001{n:04x}"


households = [f"H-{i:02d}" for i in range(1, 21)]
lone = {"H-01": 1938, "H-02": 1941, "H-03": 1944, "H-04": 1950}
events = []  # (time, seq, topic, payload)
seq = 0


def emit(t, topic, payload):
    global seq
    seq += 1
    events.append((t, seq, topic, json.dumps(payload, separators=(",", ":"))))


def hourly_use(hh, t):
    """Litres used in the hour ending at local time t."""
    h = t.hour
    day = (t - START).days
    if hh == "H-03" and (day > 4 or (day == 4 and h > 13)):
        return 0  # the quiet resident: nothing after lunch on day 5
    if hh in lone:
        # 07-09 washing, 12-13 lunch, 18-21 evening; quiet 21:00 -> 07:00 (10 h) every night
        return {8: 15, 9: 10, 13: 12, 19: 12, 20: 8, 21: 5}.get(h, 0)
    base = 0
    if 6 <= h <= 23:
        base = rng.choice([0, 0, 5, 10, 20, 40])
    if hh == "H-15" and t >= START + dt.timedelta(days=1, hours=12):
        base += 3  # a toilet that keeps running
    return base


# Water meters: hourly, a few minutes of jitter, one uplink per hour per meter.
for n, hh in enumerate(households, start=1):
    total = 100_000 + 7_919 * n
    fcnt = 1000 * n
    for k in range(DAYS * 24 + 1):
        t = START + dt.timedelta(hours=k)
        if hh == "H-02" and t >= START + dt.timedelta(days=3, hours=12):
            break  # the meter goes silent (battery dead, or flooded pit)
        if k > 0:
            total += hourly_use(hh, t)
        sent = t + dt.timedelta(minutes=rng.randint(0, 4), seconds=rng.randint(0, 59))
        fcnt += 1
        frame = total.to_bytes(4, "little") + bytes([0, 88])
        emit(sent, f"application/7d3f/device/{eui(n)}/event/up", {
            "time": utc(sent),
            "deviceInfo": {"applicationId": "7d3f", "devEui": eui(n), "deviceName": f"meter-{n:02d}"},
            "fCnt": fcnt, "fPort": 1, "data": base64.b64encode(frame).decode(),
            "object": {"total_l": total, "leak": False, "burst": False, "battery": 88},
        })

# The smoke alarm in H-05 checks in every hour; a test press on day 2 at 10:00.
smoke_topic = "zigbee2mqtt/0x00158d00000005aa"
for k in range(DAYS * 24):
    t = START + dt.timedelta(hours=k, minutes=30)
    emit(t, smoke_topic, {"smoke": False, "test": False, "battery": 90 - k // 40, "battery_low": False,
                          "tamper": False, "linkquality": 100 + k % 7})
press = START + dt.timedelta(days=1, hours=10)
emit(press, smoke_topic, {"smoke": False, "test": True, "battery": 86, "battery_low": False, "tamper": False})
emit(press + dt.timedelta(seconds=5), smoke_topic,
     {"smoke": True, "test": True, "battery": 86, "battery_low": False, "tamper": False})
emit(press + dt.timedelta(seconds=40), smoke_topic,
     {"smoke": False, "test": False, "battery": 86, "battery_low": False, "tamper": False})

# The tilt sensor: every 6 h, drifting 0.16 deg in x over the week.
reports = DAYS * 4
for k in range(reports + 1):
    t = START + dt.timedelta(hours=6 * k, minutes=2)
    x = 0.20 + 0.16 * k / reports
    emit(t, "v3/community-structure@hearth/devices/tilt-w1/up", {
        "end_device_ids": {"device_id": "tilt-w1", "dev_eui": "24E1247100000001"},
        "received_at": utc(t),
        "uplink_message": {"f_port": 85, "f_cnt": 500 + k, "frm_payload": "AWQ=",
                           "decoded_payload": {"angle_x": round(x, 4), "angle_y": 0.10, "angle_z": 89.7,
                                               "battery": 97}},
    })

events.sort(key=lambda e: (e[0], e[1]))
with open(os.path.join(HERE, "capture.jsonl"), "w", newline="\n") as f:
    for t, _, topic, payload in events:
        f.write(json.dumps({"ts": utc(t), "topic": topic, "payload": payload}, separators=(", ", ": ")) + "\n")

reg = os.path.join(HERE, "registry")
with open(os.path.join(reg, "households.csv"), "w", newline="\n") as f:
    f.write("household_id,building,unit,address\n")
    for i, hh in enumerate(households, start=1):
        f.write(f"{hh},W1,{100 + i},Building W1 Unit {100 + i}\n")
with open(os.path.join(reg, "residents.csv"), "w", newline="\n") as f:
    f.write("resident_id,household_id,name,birth_year,lives_alone,phone,emergency_contact,emergency_phone,"
            "social_worker\n")
    r = 0
    for hh in households:
        people = [(lone[hh], "true")] if hh in lone else [(1952 + int(hh[2:]), "false"), (1955 + int(hh[2:]), "false")]
        for year, alone in people:
            r += 1
            f.write(f"R-{r:03d},{hh},Example Resident {r},{year},{alone},+86-000-0000-{r:04d},Example Contact {r},"
                    f"+86-000-1000-{r:04d},sw-{'a' if r % 2 else 'b'}\n")
with open(os.path.join(reg, "devices.csv"), "w", newline="\n") as f:
    f.write("device_id,external_id,type,household_id,building,location\n")
    for n, hh in enumerate(households, start=1):
        f.write(f"meter-{n:02d},{eui(n)},lora.water-meter,{hh},W1,utility\n")
    f.write("smoke-05,0x00158d00000005aa,z2m.smoke-detector,H-05,W1,kitchen\n")
    f.write("tilt-w1,24E1247100000001,tts.tilt-sensor,,W1,north-east corner\n")
with open(os.path.join(reg, "buildings.csv"), "w", newline="\n") as f:
    f.write("building,height_m,tilt_limit_permille\nW1,30,4\n")
