"""The client against a real `fmu-gateway serve` with payments off."""

from __future__ import annotations

import csv
import hashlib
import math
import os
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import List, Optional

from _support import FMU_PATH, FREE_URL, Recorder, needs_free, new_client

from fmu_gateway import (
    Client,
    GatewayError,
    GatewayTimeout,
    InvalidInput,
    NotFound,
    PaymentError,
    ServerBusy,
    Unauthorized,
    Upload,
)


@needs_free
class KeysAndDiscovery(unittest.TestCase):
    def test_create_key_is_used_and_health_answers(self) -> None:
        gw = Client(str(FREE_URL))
        self.assertIsNone(gw.key)
        key = gw.create_key()
        self.assertTrue(key.startswith("fmugw_"), key)
        self.assertEqual(gw.key, key)
        other = gw.create_key(use=False)
        self.assertNotEqual(other, key)
        self.assertEqual(gw.key, key, "use=False must not switch keys")
        self.assertEqual(gw.health()["status"], "ok")

    def test_library_lists_and_searches_the_built_in_models(self) -> None:
        gw = new_client(FREE_URL)
        models = gw.library()
        ids = {m.id for m in models}
        self.assertIn("msl:BouncingBall", ids)
        self.assertIn("msl:Dahlquist", ids)
        ball = next(m for m in models if m.id == "msl:BouncingBall")
        self.assertEqual(ball.name, "BouncingBall")
        self.assertIn("CS", ball.interfaces)
        found = gw.library(query="Dahlquist")
        self.assertIn("msl:Dahlquist", {m.id for m in found})
        self.assertLess(len(found), len(models))

    def test_variables_of_a_library_model(self) -> None:
        gw = new_client(FREE_URL)
        mv = gw.variables("msl:BouncingBall")
        self.assertEqual(mv.model_name, "BouncingBall")
        h = mv["h"]
        self.assertEqual((h.causality, h.unit, h.type), ("output", "m", "Float64"))
        params = gw.variables("msl:BouncingBall", causality="parameter")
        self.assertTrue(params.variables)
        self.assertEqual({v.causality for v in params.variables}, {"parameter"})
        self.assertIn("e", params.names())

    def test_no_key_or_a_wrong_key_is_unauthorized(self) -> None:
        for key in (None, "fmugw_k_not_a_real_key_at_all_0000000000000"):
            with self.assertRaises(Unauthorized) as cm:
                Client(str(FREE_URL), key=key).library()
            self.assertEqual((cm.exception.code, cm.exception.status), ("UNAUTHORIZED", 401))


@needs_free
class Uploads(unittest.TestCase):
    def setUp(self) -> None:
        # A private copy: the bytes (and so the id) are this test's own.
        self.dir = tempfile.mkdtemp(prefix="fmugw-py-")
        self.fmu = os.path.join(self.dir, "Dahlquist.fmu")
        with open(str(FMU_PATH), "rb") as src, open(self.fmu, "wb") as dst:
            dst.write(src.read())
        self.sha = hashlib.sha256(Path(self.fmu).read_bytes()).hexdigest()

    def tearDown(self) -> None:
        for name in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def test_upload_asks_by_hash_and_sends_the_bytes_only_once(self) -> None:
        gw = new_client(FREE_URL)
        rec = Recorder(gw)
        first = gw.upload(self.fmu)
        self.assertEqual(first.fmu_id, f"sha256:{self.sha}")
        self.assertTrue(first.uploaded)
        self.assertEqual(first.model_name, "Dahlquist")
        self.assertEqual(rec.calls, [("GET", f"/v2/fmus/by-sha256/{self.sha}"), ("POST", "/v2/fmus")])

        rec.calls.clear()
        again = gw.upload(Path(self.fmu))
        self.assertEqual(again, Upload(fmu_id=first.fmu_id, sha256=self.sha, uploaded=False))
        self.assertEqual(rec.calls, [("GET", f"/v2/fmus/by-sha256/{self.sha}")], "the bytes were sent again")
        self.assertEqual(gw.find_upload(self.sha), first.fmu_id)

    def test_uploads_are_per_key(self) -> None:
        mine = new_client(FREE_URL)
        mine.upload(self.fmu)
        theirs = new_client(FREE_URL)
        self.assertIsNone(theirs.find_upload(self.sha))
        with self.assertRaises(NotFound) as cm:
            theirs.variables(f"sha256:{self.sha}")
        self.assertEqual(cm.exception.status, 404)
        self.assertTrue(theirs.upload(self.fmu).uploaded, "another key must send its own bytes")

    def test_a_path_is_uploaded_then_simulated_and_matches_the_closed_form(self) -> None:
        gw = new_client(FREE_URL)
        k = 0.7
        res = gw.simulate(
            self.fmu, stop_time=2.0, step=0.05, interface="ME", tolerance=1e-8, start_values={"k": k}, kpis=["x_final"]
        )
        self.assertEqual(res.provenance["fmu_id"], f"sha256:{self.sha}")
        t, x = res.columns["time"], res.columns["x"]
        self.assertEqual(len(t), 41)
        self.assertEqual(res.rows, len(t))
        self.assertEqual(t[0], 0.0)
        self.assertAlmostEqual(t[-1], 2.0, places=12)
        for ti, xi in zip(t, x):
            self.assertAlmostEqual(xi, math.exp(-k * ti), delta=1e-5 * max(1.0, abs(xi)))
        self.assertEqual(res.summary["x"]["final"], x[-1])
        self.assertEqual(res.kpis["x_final"], x[-1])

    def test_a_missing_file_is_refused_before_any_request(self) -> None:
        gw = new_client(FREE_URL)
        rec = Recorder(gw)
        with self.assertRaises(FileNotFoundError):
            gw.simulate(os.path.join(self.dir, "nope.fmu"), stop_time=1)
        self.assertEqual(rec.calls, [])


@needs_free
class Simulate(unittest.TestCase):
    def test_columns_are_the_full_csv_result(self) -> None:
        gw = new_client(FREE_URL)
        res = gw.simulate("msl:BouncingBall", stop_time=3, step=0.01, kpis=["h_max"], max_points=20)
        self.assertEqual(res.rows, 301)
        self.assertEqual(set(res.columns), {"time", *res.summary.keys()})
        self.assertEqual({len(c) for c in res.columns.values()}, {301})
        self.assertLessEqual(len(res.series["time"]), 20 + 8, "the inline series is downsampled")
        self.assertEqual(res.kpis["h_max"], max(res.columns["h"]))
        self.assertIsNone(res.plot_png, "no plot was asked for")
        for name, s in res.summary.items():
            col = res.columns[name]
            self.assertEqual((s["min"], s["max"], s["final"]), (min(col), max(col), col[-1]), name)
        # The same bytes read independently (csv module on the downloaded file) give the same numbers.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.csv")
            size = gw.download_result(res.run_id, path)
            self.assertEqual(size, os.path.getsize(path))
            with open(path, newline="") as f:
                rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        self.assertEqual(header, list(res.columns))
        for j, name in enumerate(header):
            self.assertEqual([float(r[j]) for r in body], res.columns[name], name)

    def test_outputs_limit_the_columns_and_columns_false_skips_the_csv(self) -> None:
        gw = new_client(FREE_URL)
        res = gw.simulate("msl:BouncingBall", stop_time=1, step=0.25, outputs=["h"])
        self.assertEqual(list(res.columns), ["time", "h"])
        self.assertEqual(res.columns["time"], [0.0, 0.25, 0.5, 0.75, 1.0])
        rec = Recorder(gw)
        lean = gw.simulate("msl:BouncingBall", stop_time=1, step=0.25, outputs=["h"], columns=False)
        self.assertEqual(lean.columns, {})
        self.assertEqual(rec.calls, [("POST", "/v2/simulate")])
        self.assertEqual(gw.result(lean.run_id).columns, res.columns, "same request, same numbers")
        self.assertEqual(gw.run(lean.run_id)["run"]["run_id"], lean.run_id)
        self.assertEqual([r["run_id"] for r in gw.usage()["records"]], [lean.run_id, res.run_id])
        plotted = gw.simulate("msl:BouncingBall", stop_time=1, step=0.25, outputs=["h"], plot=True, columns=False)
        png = plotted.plot_png
        assert png is not None
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")

    def test_input_signals_start_values_and_text_and_boolean_columns(self) -> None:
        gw = new_client(FREE_URL)
        res = gw.simulate(
            "msl:Feedthrough",
            stop_time=1,
            step=0.25,
            outputs=["Float64_output", "String_output", "Boolean_output", "Int32_output"],
            start_values={"Int32_input": -7},
            input_signals=[
                {"name": "Float64_input", "time": [0, 1], "values": [0, 2]},
                {"name": "String_input", "time": [0, 0.5], "values": ["a, b", 'say "hi"']},
                {"name": "Boolean_input", "time": [0, 0.5], "values": [False, True]},
            ],
        )
        self.assertEqual(res.columns["time"], [0.0, 0.25, 0.5, 0.75, 1.0])
        self.assertEqual(res.columns["Float64_output"], [0.0, 0.5, 1.0, 1.5, 2.0])  # linear: 2 t
        self.assertEqual(res.columns["Boolean_output"], [0.0, 0.0, 1.0, 1.0, 1.0])
        self.assertEqual(res.columns["Int32_output"], [-7.0] * 5)
        self.assertEqual(res.text_columns, {"String_output": ["a, b", "a, b", 'say "hi"', 'say "hi"', 'say "hi"']})
        self.assertEqual([p["name"] for p in res.provenance["input_signals"]], ["Float64_input", "String_input", "Boolean_input"])

    def test_coded_errors(self) -> None:
        gw = new_client(FREE_URL)
        with self.assertRaises(NotFound) as nf:
            gw.simulate("msl:NoSuchModel", stop_time=1)
        self.assertEqual((nf.exception.code, nf.exception.status), ("NOT_FOUND", 404))
        self.assertEqual(nf.exception.data.get("id"), "msl:NoSuchModel")
        self.assertTrue(nf.exception.hint)

        with self.assertRaises(InvalidInput) as bad:
            gw.simulate("msl:BouncingBall", stop_time=1, stop_tme=2)  # a misspelt argument
        self.assertEqual((bad.exception.code, bad.exception.status), ("BAD_REQUEST", 400))
        self.assertIn("stop_tme", bad.exception.message)

        with self.assertRaises(InvalidInput) as unk:
            gw.simulate("msl:BouncingBall", stop_time=1, outputs=["no_such_variable"])
        self.assertEqual((unk.exception.code, unk.exception.status), ("UNKNOWN_VARIABLE", 422))

        with self.assertRaises(InvalidInput) as rows:
            gw.simulate("msl:BouncingBall", stop_time=1e9, step=1e-3)
        # Refused by the request schema (REST answers it as BAD_REQUEST, with the field at fault).
        self.assertEqual((rows.exception.code, rows.exception.status), ("BAD_REQUEST", 400))
        self.assertEqual([i["path"] for i in rows.exception.data["issues"]], ["/step"])

    def test_another_keys_run_is_not_found(self) -> None:
        mine = new_client(FREE_URL)
        res = mine.simulate("msl:BouncingBall", stop_time=1, step=0.5, columns=False)
        theirs = new_client(FREE_URL)
        with self.assertRaises(NotFound):
            theirs.result(res.run_id)
        with self.assertRaises(NotFound):
            theirs.run(res.run_id)


@needs_free
class Sweep(unittest.TestCase):
    def test_a_grid_runs_every_combination_and_each_run_is_stored(self) -> None:
        gw = new_client(FREE_URL)
        ks = [0.5, 1.0, 2.0]
        out = gw.sweep(
            "msl:Dahlquist", {"k": ks}, stop_time=1.0, step=0.1, interface="ME", tolerance=1e-8, kpis=["x_final"], plot=True
        )
        self.assertEqual((out.total, out.completed, out.failed), (3, 3, 0))
        self.assertEqual((out.plot_png or b"")[:8], b"\x89PNG\r\n\x1a\n", "the overlay chart of the runs")
        self.assertEqual(len(gw.usage()["records"]), 3, "each run is recorded for its owner")
        self.assertEqual(out.parameters, ["k"])
        self.assertEqual([r.start_values["k"] for r in out.runs], ks)
        for run in out.runs:
            self.assertTrue(run.ok)
            expected = math.exp(-float(run.start_values["k"]) * 1.0)
            self.assertAlmostEqual(float(run.kpis["x_final"] or 0), expected, delta=1e-5)
            assert run.run_id is not None
            table = gw.result(run.run_id)
            self.assertEqual(table.rows, 11)
            self.assertEqual(table.columns["x"][-1], run.summary["x"]["final"])

    def test_bad_grids_are_refused(self) -> None:
        gw = new_client(FREE_URL)
        with self.assertRaises(InvalidInput) as cm:
            gw.sweep("msl:Dahlquist", {"no_such_parameter": [1, 2]}, stop_time=1)
        self.assertIn(cm.exception.code, ("UNKNOWN_VARIABLE", "INVALID_START_VALUE", "BAD_REQUEST"))
        with self.assertRaises(InvalidInput) as empty:
            gw.sweep("msl:Dahlquist", {}, stop_time=1)
        self.assertEqual(empty.exception.code, "BAD_REQUEST")


@needs_free
class Admission(unittest.TestCase):
    def test_a_second_run_of_a_busy_key_is_refused_with_retry_after_and_a_hung_up_run_frees_it(self) -> None:
        # The harness's free gateway admits one request in flight per key (FMU_GATEWAY_QUEUE_PER_KEY=1).
        key = new_client(FREE_URL).key
        long_client = Client(str(FREE_URL), key=key, timeout=10)
        outcome: List[BaseException] = []

        def long_run() -> None:
            # The probe below may hold the key's one slot when this run arrives: then this run is the
            # one refused, and it asks again (else the probe would find nothing in flight to be refused by).
            while True:
                try:
                    long_client.simulate("msl:DCMotor", stop_time=240_000, step=0.25, interface="CS", columns=False)
                except ServerBusy:
                    time.sleep(0.02)
                    continue
                except BaseException as e:  # noqa: BLE001 - the outcome is asserted below
                    outcome.append(e)
                return

        th = threading.Thread(target=long_run)
        th.start()
        gw = Client(str(FREE_URL), key=key, retries=0)
        busy: Optional[ServerBusy] = None
        try:
            while th.is_alive() and busy is None:
                try:
                    gw.simulate("msl:BouncingBall", stop_time=0.5, step=0.5, columns=False)
                except ServerBusy as e:
                    busy = e
                time.sleep(0.1)
        finally:
            th.join()
        assert busy is not None, "never refused while the long run was in flight"
        self.assertEqual((busy.code, busy.status), ("SERVER_BUSY", 503))
        self.assertIsNotNone(busy.retry_after)
        self.assertGreater(busy.retry_after or 0, 0)
        # Past the client's 10 s deadline the long run is a coded timeout, and the hang-up cancels it
        # on the gateway (on a fast machine it may finish first: then it simply completed).
        self.assertLessEqual(len(outcome), 1)
        if outcome:
            self.assertIsInstance(outcome[0], GatewayTimeout)
            self.assertEqual(outcome[0].code, "REMOTE_TIMEOUT")
        deadline = time.monotonic() + 30
        while True:
            try:
                res = gw.simulate("msl:BouncingBall", stop_time=0.5, step=0.5)
                break
            except ServerBusy as e:
                if time.monotonic() > deadline:
                    raise
                time.sleep(min(e.retry_after or 0.5, 1.0))
        self.assertEqual(res.rows, 2)


@needs_free
class PaymentsOff(unittest.TestCase):
    def test_quote_is_free_and_pay_is_refused(self) -> None:
        gw = new_client(FREE_URL)
        q = gw.quote("msl:BouncingBall", stop_time=3, step=0.01)
        self.assertFalse(q.payments_enabled)
        self.assertFalse(q.payment_required)
        self.assertEqual((q.amount, q.estimated_rows), (0, 301))
        self.assertIsNone(q.checkout)
        with self.assertRaises(GatewayError) as cm:
            gw.pay()
        self.assertIsInstance(cm.exception, PaymentError)
        self.assertEqual(cm.exception.code, "PAYMENTS_DISABLED")


if __name__ == "__main__":
    unittest.main()
