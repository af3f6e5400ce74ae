#!/usr/bin/env python3
"""The original FMU Gateway SDK's call sequence, with Python's standard library only.

Performs what EnhancedFMUGatewayClient and run_fmu_simulation.py do (health, key, by-hash,
upload, variables, simulate with input signals and KPIs, library, a sweep by repeated
simulate) against a free gateway, then the paid flow against a paid one: 402, checkout,
payment token, paid run, token reuse refused. Written for this project from the original's
documented contract; it shares no code with it.

Usage: original_sdk_flow.py FREE_URL PAID_URL FMU_PATH
For the payment, it prints "PAY <session_id>" and waits for one line on stdin (the test pays
at the Stripe stand-in and answers). Exits 0 when every check held, 1 with the reason otherwise.
"""
import hashlib
import json
import math
import sys
import urllib.error
import urllib.request
import uuid


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def request(method, url, key=None, body=None, files=None):
    headers = {}
    data = None
    if key:
        headers["Authorization"] = "Bearer " + key
    if files is not None:
        boundary = uuid.uuid4().hex
        name, filename, content = files
        data = (
            ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name, filename)).encode()
            + content + ("\r\n--%s--\r\n" % boundary).encode()
        )
        headers["Content-Type"] = "multipart/form-data; boundary=" + boundary
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text.decode(errors="replace")


def simulate_request(fmu_id, stop_time, step=0.001, start_values=None, input_signals=None, kpis=None):
    """What the SDK's SimulateRequest.model_dump() sends (the basic client adds the null fields)."""
    return {
        "fmu_id": fmu_id,
        "stop_time": stop_time,
        "step": step,
        "start_values": start_values or {},
        "input_signals": input_signals or [],
        "kpis": kpis or [],
        "parameters": None,
        "drive_cycle": None,
    }


def free_flow(base, fmu_path):
    status, health = request("GET", base + "/health")
    check(status == 200, "health: %s" % status)

    status, body = request("POST", base + "/keys")
    check(status == 200, "POST /keys answered %s, the quick start keeps a key only on 200" % status)
    key = body["key"]

    status, body = request("GET", base + "/library")
    check(status == 401, "library without a key: %s" % status)
    check(isinstance(body, dict) and isinstance(body.get("detail"), str), "401 without detail: %r" % body)

    content = open(fmu_path, "rb").read()
    sha = hashlib.sha256(content).hexdigest()
    status, _ = request("GET", base + "/fmus/by-hash/" + sha, key)
    check(status == 404, "by-hash before upload: %s" % status)
    status, meta = request("POST", base + "/fmus", key, files=("file", "model.fmu", content))
    check(status == 200, "upload: %s %r" % (status, meta))
    fmu_id = meta["id"]
    check(fmu_id == sha and meta["sha256"] == sha, "upload id: %r" % meta)
    for field in ("model_name", "fmi_version", "guid"):
        check(isinstance(meta.get(field), str), "upload lacks %s" % field)
    status, cached = request("GET", base + "/fmus/by-hash/" + sha, key)
    check(status == 200 and cached["fmu_id"] == sha, "by-hash after upload: %s %r" % (status, cached))

    status, variables = request("GET", base + "/fmus/%s/variables" % fmu_id, key)
    check(status == 200 and isinstance(variables, list) and variables, "variables: %s" % status)
    for v in variables:
        check(set(("name", "causality", "variability", "declaredType")) <= set(v), "variable fields: %r" % v)

    status, result = request("POST", base + "/simulate", key, simulate_request(fmu_id, 0.5, 0.1))
    check(status == 200 and result["status"] == "ok", "simulate upload: %s %r" % (status, result))

    req = simulate_request(
        "msl:Feedthrough", 2.0, 0.5,
        input_signals=[{"name": "Float64_input", "t": [0.0, 2.0], "u": [0.0, 20.0]}],
        kpis=["Float64_output_max", "Float64_output_mean"],
    )
    status, result = request("POST", base + "/simulate", key, req)
    check(status == 200, "simulate with signals: %s %r" % (status, result))
    kr = result["key_results"]
    check(kr["final_time"] == 2.0, "final_time %r" % kr.get("final_time"))
    check(abs(kr["final_Float64_output"] - 20.0) < 1e-12, "final output %r" % kr.get("final_Float64_output"))
    check(abs(kr["Float64_output_max"] - 20.0) < 1e-12, "KPI max %r" % kr.get("Float64_output_max"))
    # A ramp 0 -> 20 over [0, 2]: its time-weighted mean is 10.
    check(abs(kr["Float64_output_mean"] - 10.0) < 1e-9, "KPI mean %r" % kr.get("Float64_output_mean"))
    status, summary = request("GET", base + result["summary_url"], key)
    check(status == 200, "summary: %s" % status)
    check(summary["history"]["Float64_output"] == [0.0, 5.0, 10.0, 15.0, 20.0], "history %r" % summary["history"])

    status, models = request("GET", base + "/library", key, None)
    check(status == 200 and any("Bouncing" in m["model_name"] for m in models), "library list")

    # parameter_sweep_parallel: one simulate per value of a start value.
    for k in (1.0, 2.0):
        status, r = request("POST", base + "/simulate", key, simulate_request("msl:Dahlquist", 1.0, 0.1, start_values={"k": k}))
        check(status == 200, "sweep point k=%s: %s" % (k, status))
        check(abs(r["key_results"]["final_x"] - math.exp(-k)) < 1e-3, "x(1) for k=%s: %r" % (k, r["key_results"]["final_x"]))


def paid_flow(base):
    status, body = request("POST", base + "/keys")
    check(status == 200, "paid POST /keys: %s" % status)
    key = body["key"]
    req = simulate_request("msl:BouncingBall", 1.0, 0.01, kpis=["h_rms"])
    status, pay = request("POST", base + "/simulate", key, req)
    check(status == 402, "unpaid simulate: %s %r" % (status, pay))
    check(pay["status"] == "payment_required" and pay["amount"] == 1.0 and pay["currency"] == "usd", "402 body %r" % pay)
    check(pay["methods"] == ["stripe_checkout"], "methods %r" % pay["methods"])
    for field in ("description", "next_step", "checkout_url", "session_id"):
        check(isinstance(pay.get(field), str), "402 lacks %s" % field)
    session = pay["session_id"]
    status, _ = request("GET", base + "/payments/checkout/" + session, key)
    check(status == 404, "checkout before payment: %s" % status)

    print("PAY " + session, flush=True)
    check(sys.stdin.readline().strip() == "paid", "the test did not pay")

    status, tok = request("GET", base + "/payments/checkout/" + session, key)
    check(status == 200, "checkout after payment: %s %r" % (status, tok))
    check(tok["session_id"] == session and isinstance(tok["payment_token"], str), "token body %r" % tok)
    status, _ = request("GET", base + "/payments/checkout/" + session, key)
    check(status == 410, "checkout redeemed twice: %s" % status)

    paid = dict(req, payment_token=tok["payment_token"])
    status, result = request("POST", base + "/simulate", key, paid)
    check(status == 200 and result["status"] == "ok" and "h_rms" in result["key_results"], "paid run: %s %r" % (status, result))
    status, again = request("POST", base + "/simulate", key, paid)
    check(status == 402 and again["error"] == "invalid_or_expired_payment_token", "token reuse: %s %r" % (status, again))


def main():
    free, paid, fmu = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/"), sys.argv[3]
    try:
        free_flow(free, fmu)
        paid_flow(paid)
    except (Failed, KeyError, TypeError) as e:
        print("FAILED: %s: %s" % (type(e).__name__, e), flush=True)
        return 1
    print("OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
