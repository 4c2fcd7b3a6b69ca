#!/usr/bin/env python3
"""
An MQTT client that shares no code with this project: Debian's python3-paho-mqtt, with the
credentials computed here by Python's hmac/base64 exactly as Alibaba's documentation and its
Python demo compute them, and (optionally) a token applied for through the onsmqtt OpenAPI with a
request signed here (RPC signature version 1.0). The e2e tests drive it with a JSON plan.

    paho_client.py '<plan JSON>'

Plan: host, port, protocol (4 or 5), clientId, keepalive, tls ({"cafile": path} or absent),
auth ({"mode": "signature"|"device"|"token", ...}), will (optional), steps (list). Each step
waits (at most `timeout` seconds, default 10) for its outcome. One JSON line per event on stdout;
the last line is {"event": "done"} when every step completed. Exit 0 then, 1 otherwise.
"""
import base64
import hashlib
import hmac
import json
import queue
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

import paho.mqtt.client as mqtt

plan = json.loads(sys.argv[1])
events = queue.Queue()
TIMEOUT = float(plan.get("timeout", 10))


printing = threading.Lock()


def emit(event):
    # Callbacks run on paho's network thread: one whole line at a time.
    with printing:
        print(json.dumps(event), flush=True)


def finish(**extra):
    """Stops paho's network thread (its last callbacks print first), then the closing line."""
    client.loop_stop()
    emit({"event": "done", **extra})


def fail(message):
    emit({"event": "failed", "message": message})
    sys.exit(1)


def sign(secret, client_id):
    """Base64(HMAC-SHA1(key = secret, message = client id)), both UTF-8: Signature, DeviceCredential, custom SIGNED."""
    return base64.b64encode(hmac.new(secret.encode(), client_id.encode(), hashlib.sha1).digest()).decode()


def percent(text):
    return urllib.parse.quote(str(text), safe="~")


def apply_token(apply):
    """ApplyToken over the onsmqtt OpenAPI (2020-04-20), the request signed as Alibaba's RPC style documents it."""
    params = {
        "Action": "ApplyToken",
        "Version": "2020-04-20",
        "Format": "JSON",
        "AccessKeyId": apply["accessKeyId"],
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": str(uuid.uuid4()),
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "InstanceId": apply["instanceId"],
        "Resources": ",".join(sorted(apply["resources"])),
        "Actions": apply["actions"],
        "ExpireTime": str(int(time.time() * 1000) + int(apply.get("ttlMs", 3600000))),
    }
    canonical = "&".join(f"{percent(k)}={percent(params[k])}" for k in sorted(params))
    to_sign = "POST&%2F&" + percent(canonical)
    params["Signature"] = base64.b64encode(hmac.new((apply["secret"] + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    request = urllib.request.Request(apply["endpoint"], data=urllib.parse.urlencode(params).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        body = json.loads(response.read())
    emit({"event": "applied", "requestId": body.get("RequestId")})
    return body["Token"]


def credentials(auth, client_id):
    mode = auth["mode"]
    if mode == "signature":
        return f"Signature|{auth['accessKeyId']}|{auth['instanceId']}", sign(auth["secret"], client_id)
    if mode == "device":
        return f"DeviceCredential|{auth['deviceAccessKeyId']}|{auth['instanceId']}", sign(auth["secret"], client_id)
    if mode == "token":
        tokens = dict(auth.get("tokens", {}))
        if "apply" in auth:
            tokens[auth["apply"].get("type", "RW")] = apply_token(auth["apply"])
        password = "|".join(f"{t}|{tokens[t]}" for t in ("R", "W", "RW") if t in tokens)
        return f"Token|{auth['accessKeyId']}|{auth['instanceId']}", password
    fail(f"unknown auth mode {mode}")


v5 = plan.get("protocol", 4) == 5
client_id = plan["clientId"]
if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2.x
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id=client_id, protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
else:
    client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, **({} if v5 else {"clean_session": True}))
username, password = credentials(plan["auth"], client_id)
client.username_pw_set(username, password)
if plan.get("tls"):
    client.tls_set(ca_certs=plan["tls"]["cafile"], cert_reqs=ssl.CERT_REQUIRED)
if plan.get("will"):
    will = plan["will"]
    client.will_set(will["topic"], will.get("payload", "gone"), qos=will.get("qos", 0), retain=will.get("retain", False))


def reason(rc):
    return rc.value if hasattr(rc, "value") else int(rc) if not isinstance(rc, int) and hasattr(rc, "__int__") else rc


def props(properties):
    if properties is None:
        return {}
    out = {}
    for name in ("ServerKeepAlive", "RetainAvailable", "SharedSubscriptionAvailable", "MaximumPacketSize", "TopicAliasMaximum", "WildcardSubscriptionAvailable"):
        if hasattr(properties, name):
            out[name] = getattr(properties, name)
    return out


def on_connect(_client, _userdata, _flags, rc, properties=None):
    events.put(("connack", reason(rc)))
    emit({"event": "connack", "rc": reason(rc), "properties": props(properties)})


def on_disconnect(_client, _userdata, rc, properties=None):
    events.put(("disconnect", reason(rc)))
    emit({"event": "disconnect", "rc": reason(rc)})


def on_message(_client, _userdata, message):
    events.put(("message", message.topic))
    text = message.payload.decode("utf-8", "replace")
    emit({"event": "message", "topic": message.topic, "bytes": len(message.payload), "payload": text if len(text) <= 200 else text[:200], "retain": bool(message.retain)})


def on_publish(_client, _userdata, mid):
    events.put(("puback", mid))
    emit({"event": "puback", "mid": mid})


def on_subscribe(_client, _userdata, mid, granted, properties=None):
    codes = [reason(g) if not isinstance(g, int) else g for g in granted]
    events.put(("suback", mid))
    emit({"event": "suback", "mid": mid, "granted": codes})


client.on_connect = on_connect
client.on_disconnect = on_disconnect
client.on_message = on_message
client.on_publish = on_publish
client.on_subscribe = on_subscribe


def wait_for(kind, key=None, timeout=TIMEOUT):
    """The next event of `kind` (with `key`, if given); other events are set aside for later waits."""
    deadline = time.monotonic() + timeout
    kept = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event = events.get(timeout=left)
            except queue.Empty:
                return None
            if event[0] == kind and (key is None or event[1] == key):
                return event
            if event[0] == "disconnect" and kind != "disconnect":
                kept.append(event)
                return None
            kept.append(event)
    finally:
        for event in kept:
            events.put(event)


client.connect(plan["host"], plan["port"], keepalive=plan.get("keepalive", 90))
client.loop_start()
connack = wait_for("connack")
if connack is None:
    fail("no CONNACK")
if connack[1] != 0:
    finish(refused=connack[1])
    sys.exit(0 if plan.get("expectRefusal") else 1)

for step in plan.get("steps", []):
    if "subscribe" in step:
        _rc, mid = client.subscribe(step["subscribe"], qos=step.get("qos", 1))
        if step.get("expectDisconnect"):
            continue
        if wait_for("suback", mid) is None:
            fail(f"no SUBACK for {step['subscribe']}")
    elif "publish" in step:
        payload = step.get("payload", "")
        if isinstance(payload, dict):
            payload = json.dumps(payload) if "json" not in payload else json.dumps(payload["json"])
        if step.get("bytes"):
            payload = "x" * int(step["bytes"])
        info = client.publish(step["publish"], payload, qos=step.get("qos", 1), retain=step.get("retain", False))
        if step.get("qos", 1) > 0 and not step.get("expectDisconnect"):
            if wait_for("puback", info.mid) is None:
                fail(f"no PUBACK for {step['publish']}")
    elif "expect" in step:
        if wait_for("message", step["expect"], step.get("timeout", TIMEOUT)) is None:
            fail(f"no message on {step['expect']}")
    elif "expectDisconnect" in step:
        if wait_for("disconnect", None, step.get("timeout", TIMEOUT)) is None:
            fail("still connected")
        finish()
        sys.exit(0)
    elif "sleep" in step:
        time.sleep(float(step["sleep"]))
    else:
        fail(f"unknown step {json.dumps(step)}")

client.disconnect()
wait_for("disconnect", None, 5)
finish()
