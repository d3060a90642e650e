"""Today's Fargate prices from the AWS Price List API (``pricing`` ``GetProducts`` for the
``AmazonECS`` service), cached per Region for a day.

The Price List API answers from a few Regions only (us-east-1 among them), whatever Region the
prices are for. Products are told apart by their ``usagetype``, which ends the same way in every
Region (``USE1-Fargate-vCPU-Hours:perCPU``, ``EUC1-Fargate-ARM-GB-Hours``,
``USE1-SpotUsage-vCPU-Hours:perCPU``, ``USE1-Fargate-EphemeralStorage-GB-Hours``...).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ecs_pipelines.ecs.common import BoundedMap, Retrier
from ecs_pipelines.ecs.usage.prices import Architecture, Capacity, PriceKey, UnitPrices

# The pricing client goes untyped: mypy-boto3-pricing is not among the project's type stubs.
PricingClient = Any

PRICING_REGION = "us-east-1"
CACHE_SECONDS = 24 * 3600
MAX_PAGES = 10
_USAGE = re.compile(
    r"(?:^|-)(?P<kind>Fargate|SpotUsage)(?P<arm>-ARM)?-(?P<what>vCPU-Hours:perCPU|GB-Hours|"
    r"EphemeralStorage-GB-Hours)$"
)
_cache: BoundedMap[str, tuple[float, dict[PriceKey, UnitPrices]]] = BoundedMap(
    "Fargate prices by Region", 32
)


def prices_from_products(region: str, products: Iterable[str]) -> dict[PriceKey, UnitPrices]:
    """The Fargate prices of ``region`` in GetProducts' ``PriceList`` (JSON strings): on-demand
    and Spot, x86_64 and ARM64; a set that lacks its vCPU or memory price is left out."""
    found: dict[tuple[Capacity, Architecture], dict[str, float]] = {}
    storage: float | None = None
    for text in products:
        product = json.loads(text)
        usage = str(product.get("product", {}).get("attributes", {}).get("usagetype", ""))
        match = _USAGE.search(usage)
        price = _on_demand_usd(product.get("terms", {}))
        if match is None or price is None:
            continue
        if match["what"] == "EphemeralStorage-GB-Hours":
            storage = price
            continue
        capacity = Capacity.FARGATE_SPOT if match["kind"] == "SpotUsage" else Capacity.FARGATE
        arch = Architecture.ARM64 if match["arm"] else Architecture.X86_64
        unit = "vcpu_hour" if match["what"].startswith("vCPU") else "gib_hour"
        found.setdefault((capacity, arch), {})[unit] = price
    return {
        (region, capacity, arch): UnitPrices(
            vcpu_hour=values["vcpu_hour"],
            gib_hour=values["gib_hour"],
            storage_gib_hour=storage or 0.0,
        )
        for (capacity, arch), values in found.items()
        if {"vcpu_hour", "gib_hour"} <= set(values)
    }


def _on_demand_usd(terms: Mapping[str, Any]) -> float | None:
    for offer in (terms.get("OnDemand") or {}).values():
        for dimension in (offer.get("priceDimensions") or {}).values():
            try:
                return float(dimension["pricePerUnit"]["USD"])
            except (KeyError, TypeError, ValueError):
                continue
    return None


def fetch_prices(
    pricing_client: PricingClient,
    region: str,
    *,
    clock: Callable[[], float] = time.time,
    retrier: Retrier | None = None,
) -> dict[PriceKey, UnitPrices]:
    """``region``'s Fargate prices, from the cache when fetched within a day."""
    cached = _cache.get(region)
    now = clock()
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    retrier = retrier or Retrier()
    products: list[str] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        request: dict[str, object] = {
            "ServiceCode": "AmazonECS",
            "FormatVersion": "aws_v1",
            "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        }
        if token:
            request["NextToken"] = token
        answer = retrier.call(lambda: pricing_client.get_products(**request))  # noqa: B023 (called at once)
        products.extend(answer.get("PriceList", []))
        token = answer.get("NextToken")
        if not token:
            break
    prices = prices_from_products(region, products)
    _cache.put(region, (now, prices))
    return prices


def forget_prices() -> None:
    """Empty the cache (tests; a long-lived process that wants today's prices now)."""
    _cache.clear()
