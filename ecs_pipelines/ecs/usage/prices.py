"""Fargate's prices: what one vCPU, one GiB of memory and one GiB of extra ephemeral storage
cost per hour, by Region, capacity (on-demand or Spot) and CPU architecture.

The shipped table holds AWS's published on-demand Linux prices of Fargate
(https://aws.amazon.com/fargate/pricing/) for the Regions below, as transcribed on
``PRICES_AS_OF``: the x86_64 rate of US East (N. Virginia), $0.04048 per vCPU-hour and
$0.004445 per GB-hour, is the one the pricing page's examples use; the other rows (the same
rate in Ohio, Oregon and Ireland, ARM64, Frankfurt, Fargate Spot) were transcribed without a
live check against the page and are the first to verify (Spot prices move with spare
capacity: the Price List API gives today's).
Prices change: ask the Price List API (``price_list.py``) or override the table in the
resource's configuration (``cost.prices``) where it matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ecs_pipelines.ecs.common import EcsSpecError

PRICES_AS_OF = "2026-12-07"
PRICES_SOURCE = "https://aws.amazon.com/fargate/pricing/"


class Capacity(StrEnum):
    """How a task ran, for its price: Fargate, Fargate Spot, or on EC2 (or external) instances
    the user pays for by the instance."""

    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"
    EC2 = "EC2"


class Architecture(StrEnum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"


@dataclass(frozen=True)
class UnitPrices:
    """USD per vCPU-hour, per GiB-hour of memory and per GiB-hour of ephemeral storage past
    the free 20 GiB (Fargate's storage price; 0 where it does not apply)."""

    vcpu_hour: float
    gib_hour: float
    storage_gib_hour: float = 0.0


PriceKey = tuple[str, Capacity, Architecture]

_STORAGE = 0.000111
_X86 = UnitPrices(vcpu_hour=0.04048, gib_hour=0.004445, storage_gib_hour=_STORAGE)
_ARM = UnitPrices(vcpu_hour=0.03238, gib_hour=0.00356, storage_gib_hour=_STORAGE)
_SPOT = UnitPrices(vcpu_hour=0.01334053, gib_hour=0.00146489, storage_gib_hour=_STORAGE)
_FRANKFURT = UnitPrices(vcpu_hour=0.04656, gib_hour=0.00511, storage_gib_hour=0.000122)
_FRANKFURT_ARM = UnitPrices(vcpu_hour=0.03725, gib_hour=0.00409, storage_gib_hour=0.000122)

SHIPPED_PRICES: Mapping[PriceKey, UnitPrices] = {
    **{
        key: value
        for region in ("us-east-1", "us-east-2", "us-west-2", "eu-west-1")
        for key, value in {
            (region, Capacity.FARGATE, Architecture.X86_64): _X86,
            (region, Capacity.FARGATE, Architecture.ARM64): _ARM,
        }.items()
    },
    ("us-east-1", Capacity.FARGATE_SPOT, Architecture.X86_64): _SPOT,
    ("eu-central-1", Capacity.FARGATE, Architecture.X86_64): _FRANKFURT,
    ("eu-central-1", Capacity.FARGATE, Architecture.ARM64): _FRANKFURT_ARM,
}


class PriceTable:
    """Prices by (Region, capacity, architecture): overrides first, then the base table."""

    def __init__(
        self,
        base: Mapping[PriceKey, UnitPrices] = SHIPPED_PRICES,
        *,
        overrides: Mapping[PriceKey, UnitPrices] | None = None,
        ec2: UnitPrices | None = None,
        source: str = f"price table of {PRICES_AS_OF} ({PRICES_SOURCE})",
    ) -> None:
        self._prices = {**base, **(overrides or {})}
        self._ec2 = ec2
        self.source = source

    def get(self, region: str, capacity: Capacity, arch: Architecture) -> UnitPrices | None:
        """The prices that apply, or None when the table has none (EC2 without the user's
        prices, a Region the table lacks)."""
        if capacity is Capacity.EC2:
            return self._ec2
        return self._prices.get((region, capacity, arch))

    def with_prices(self, prices: Mapping[PriceKey, UnitPrices], source: str) -> PriceTable:
        """This table with ``prices`` laid over its base (the Price List API's answer); the
        overrides given to this table still win."""
        table = PriceTable({**self._prices, **prices}, ec2=self._ec2, source=source)
        return table


def parse_price_overrides(config: Mapping[str, Mapping[str, float]]) -> dict[PriceKey, UnitPrices]:
    """The resource's ``cost.prices`` setting: ``"<region>/<FARGATE|FARGATE_SPOT>/<X86_64|ARM64>"``
    -> ``{"vcpu_hour": ..., "gib_hour": ..., "storage_gib_hour": ...}``; raises EcsSpecError
    naming the entry that is wrong."""
    parsed: dict[PriceKey, UnitPrices] = {}
    for name, values in config.items():
        parts = name.split("/")
        field = f"cost.prices[{name!r}]"
        if len(parts) != 3:
            raise EcsSpecError(
                field, "must be named <region>/<FARGATE|FARGATE_SPOT>/<X86_64|ARM64>"
            )
        region, capacity, arch = parts
        try:
            key = (region, Capacity(capacity.upper()), Architecture(arch.upper()))
        except ValueError as error:
            raise EcsSpecError(
                field, f"names an unknown capacity or architecture: {error}"
            ) from None
        parsed[key] = unit_prices(values, field)
    return parsed


def unit_prices(values: Mapping[str, float], field: str) -> UnitPrices:
    """``{"vcpu_hour", "gib_hour"[, "storage_gib_hour"]}`` as UnitPrices, each a number >= 0."""
    known = {"vcpu_hour", "gib_hour", "storage_gib_hour"}
    unknown = set(values) - known
    if unknown or not {"vcpu_hour", "gib_hour"} <= set(values):
        raise EcsSpecError(
            field,
            "needs vcpu_hour and gib_hour (USD per hour, >= 0), optionally storage_gib_hour; "
            f"got {sorted(values)}",
        )
    for key, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise EcsSpecError(
                f"{field}.{key}", f"must be a number >= 0 (USD per hour), got {value!r}"
            )
    return UnitPrices(
        vcpu_hour=float(values["vcpu_hour"]),
        gib_hour=float(values["gib_hour"]),
        storage_gib_hour=float(values.get("storage_gib_hour", 0.0)),
    )
