"""The paid flow against a real `serve` with payments on (Stripe SDK → the stand-in):
simulate → PaymentRequired with the checkout → the human pays (signed webhook) → redeem → the
paid run succeeds; the token pays once."""

from __future__ import annotations

import threading
import time
import unittest

from _support import PAID_URL, needs_paid, new_client, pay

from fmu_gateway import NotFound, PaymentError, PaymentRequired

RUN = {"stop_time": 1.0, "step": 0.1}


@needs_paid
class PaidFlow(unittest.TestCase):
    def test_quote_prices_the_request_and_offers_a_checkout(self) -> None:
        gw = new_client(PAID_URL)
        q = gw.quote("msl:BouncingBall", **RUN)
        self.assertTrue(q.payments_enabled)
        self.assertTrue(q.payment_required)
        self.assertEqual((q.amount, q.amount_minor, q.currency), (1.0, 100, "usd"))
        self.assertEqual(q.estimated_rows, 11)
        assert q.checkout is not None
        self.assertTrue(q.checkout.session_id.startswith("cs_test_"), q.checkout)
        self.assertTrue(q.checkout.checkout_url.startswith("http"), q.checkout)

    def test_simulate_pay_redeem_then_the_paid_run_succeeds_once(self) -> None:
        gw = new_client(PAID_URL)
        with self.assertRaises(PaymentRequired) as cm:
            gw.simulate("msl:BouncingBall", **RUN)
        e = cm.exception
        self.assertEqual((e.code, e.status), ("PAYMENT_REQUIRED", 402))
        assert e.checkout is not None
        self.assertTrue(e.checkout.session_id.startswith("cs_test_"))
        self.assertEqual((e.amount, e.currency, e.checkout.amount), (1.0, "usd", 1.0))
        self.assertIn("stripe_checkout", e.checkout.methods)
        self.assertTrue(e.next_steps)
        self.assertEqual(e.data["status"], "payment_required")
        self.assertIsNone(e.x402, "no x402 offered by this gateway")
        self.assertEqual(gw.usage()["records"], [], "nothing ran")

        before = gw.redeem(e.checkout.session_id)
        self.assertEqual(before.status, "pending")
        self.assertFalse(before.paid)
        self.assertIsNone(before.payment_token)

        self.assertEqual(pay(e.checkout.session_id)["status"], 200)
        paid = gw.redeem(e.checkout.session_id)
        self.assertTrue(paid.paid, paid)
        assert paid.payment_token is not None

        res = gw.simulate("msl:BouncingBall", payment_token=paid.payment_token, **RUN)
        self.assertEqual(res.rows, 11)
        self.assertEqual(len(res.columns["h"]), 11)
        self.assertEqual(res.summary["h"]["max"], max(res.columns["h"]))

        # The token paid for one run: a second use is refused (and runs nothing).
        with self.assertRaises(PaymentError) as again:
            gw.simulate("msl:BouncingBall", payment_token=paid.payment_token, **RUN)
        self.assertEqual((again.exception.code, again.exception.status), ("PAYMENT_TOKEN_USED", 409))
        with self.assertRaises(PaymentError) as bogus:
            gw.simulate("msl:BouncingBall", payment_token="not-a-token", **RUN)
        self.assertEqual((bogus.exception.code, bogus.exception.status), ("PAYMENT_TOKEN_INVALID", 403))
        records = gw.usage()["records"]
        self.assertEqual([r["run_id"] for r in records], [res.run_id])

        # The token of a checkout is handed out once.
        with self.assertRaises(PaymentError) as twice:
            gw.redeem(e.checkout.session_id)
        self.assertEqual((twice.exception.code, twice.exception.status), ("CHECKOUT_ALREADY_REDEEMED", 409))

    def test_redeem_waits_for_the_payment(self) -> None:
        gw = new_client(PAID_URL)
        checkout = gw.pay("msl:BouncingBall")
        self.assertTrue(checkout.session_id.startswith("cs_test_"))
        self.assertEqual((checkout.amount, checkout.currency), (1.0, "usd"))
        payer = threading.Timer(1.0, pay, args=(checkout.session_id,))
        payer.start()
        try:
            t0 = time.monotonic()
            out = gw.redeem(checkout.session_id, wait=30, interval=0.25)
            waited = time.monotonic() - t0
        finally:
            payer.join()
        self.assertTrue(out.paid, out)
        self.assertEqual(out.fmu_id, "msl:BouncingBall")
        self.assertGreaterEqual(waited, 0.9, "answered before the payment")

    def test_another_key_cannot_redeem_my_checkout(self) -> None:
        mine = new_client(PAID_URL)
        checkout = mine.pay()
        pay(checkout.session_id)
        theirs = new_client(PAID_URL)
        with self.assertRaises(NotFound):
            theirs.redeem(checkout.session_id)
        self.assertTrue(mine.redeem(checkout.session_id).paid, "the owner's token is still there")

    def test_a_sweep_is_paid_before_anything_runs(self) -> None:
        gw = new_client(PAID_URL)
        with self.assertRaises(PaymentRequired) as cm:
            gw.sweep("msl:Dahlquist", {"k": [0.5, 1, 2]}, **RUN)
        assert cm.exception.checkout is not None
        self.assertEqual(cm.exception.amount, 1.0)
        self.assertEqual(gw.usage()["records"], [])


if __name__ == "__main__":
    unittest.main()
