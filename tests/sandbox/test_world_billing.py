"""The world's billing stays consistent through mutations: an invoice marked paid has the
payment that paid it."""

from __future__ import annotations

from bizops_sandbox.world import World


def test_an_invoice_marked_paid_by_a_mutation_gets_its_payment() -> None:
    world = World.generate(seed=42, size="small")
    for _ in range(15):  # the 15th mutation of this world is the first to mark an invoice paid
        result = world.mutate_sources(updates=8)["zuora"]
    (invoice_id,) = result["Invoice"]["updated"]
    (payment_id,) = result["Payment"]["created"]
    (application_id,) = result["InvoicePayment"]["created"]
    invoice = next(i for i in world.records("Invoice") if i["Id"] == invoice_id)
    payment = next(p for p in world.records("Payment") if p["Id"] == payment_id)
    application = next(a for a in world.records("InvoicePayment") if a["Id"] == application_id)
    assert invoice["Balance"] == 0 and invoice["PaymentAmount"] == invoice["Amount"]
    assert (application["InvoiceId"], application["PaymentId"], application["Amount"]) == (
        invoice_id, payment_id, invoice["Amount"],
    )  # fmt: skip
    assert (payment["AccountId"], payment["Amount"], payment["Status"]) == (
        invoice["AccountId"], invoice["Amount"], "Processed",
    )  # fmt: skip
    assert payment["EffectiveDate"] == invoice["UpdatedDate"].date()
    assert payment["CreatedDate"] == payment["UpdatedDate"] == invoice["UpdatedDate"]
