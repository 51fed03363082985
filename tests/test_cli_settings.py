"""A domain's own variables are checked when a `shopgraph` command starts, like the
platform's: a bad value stops it with a message naming the variable."""

from __future__ import annotations

import pytest

from shopgraph.cli import main


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHECKOUT_WAIT", "soon"),
        ("CHECKOUT_ADMISSION_MARGIN", "-3"),
        ("CHECKOUT_ADMISSION_MARGIN", "lots"),
        ("CART_GUEST_LIFETIME", "0d"),
        ("ORDER_PAYMENT_WINDOW", "-5m"),
        ("PAYMENTS_PROVIDER", "paypal"),
        ("PAYMENTS_PARKED_WEBHOOK_TTL", "a week"),
        ("LOG_LEVEL", "verbose"),
    ],
)
def test_a_bad_domain_variable_stops_start_up_naming_it(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)

    # `worker` would run until stopped: the check must refuse before anything starts.
    assert main(["worker", "carts"]) == 2

    error = capsys.readouterr().err
    assert "configuration error" in error
    assert variable in error
