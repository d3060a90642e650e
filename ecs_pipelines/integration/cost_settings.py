"""EcsResource's ``cost`` settings: whether steps read their tasks' use, where prices come from
(the shipped table, the Price List API, the user's overrides, EC2 prices), and when a task is
told it could be smaller. Checked when the resource is built, naming the field."""

from __future__ import annotations

from dagster import Config
from pydantic import Field

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.usage import (
    DEFAULT_THRESHOLD,
    MIN_RUNS,
    PRICES_AS_OF,
    PRICES_SOURCE,
    PriceTable,
    parse_price_overrides,
    unit_prices,
)


class CostSettings(Config):
    """How steps report what their tasks cost and used."""

    report_usage: bool = Field(
        default=True,
        description=(
            "After a step's tasks stop, read their CPU and memory use from Container Insights "
            "(one FilterLogEvents on the cluster's performance log group per step) and add "
            "cost and use to the step's metadata and run log."
        ),
    )
    price_list_api: bool = Field(
        default=False,
        description=(
            "Ask the AWS Price List API (pricing:GetProducts, AmazonECS) for the Region's "
            "Fargate prices, cached for a day; otherwise the shipped price table of "
            f"{PRICES_AS_OF} ({PRICES_SOURCE})."
        ),
    )
    prices: dict[str, dict[str, float]] = Field(
        default={},
        description=(
            "Prices that replace the table's, USD per hour: "
            '{"us-east-1/FARGATE/X86_64": {"vcpu_hour": 0.04048, "gib_hour": 0.004445, '
            '"storage_gib_hour": 0.000111}}; capacity FARGATE or FARGATE_SPOT, architecture '
            "X86_64 or ARM64."
        ),
    )
    ec2_prices: dict[str, float] = Field(
        default={},
        description=(
            'What a vCPU and a GiB cost per hour on your EC2 instances ({"vcpu_hour": ..., '
            '"gib_hour": ...}); without it EC2 tasks report reserved vCPU- and GiB-seconds only.'
        ),
    )
    right_sizing_threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        description=(
            "An asset's task that used less than this share of its reserved memory or CPU in "
            "each of its recent materialisations is told the smaller Fargate size it fits."
        ),
    )
    right_sizing_runs: int = Field(
        default=MIN_RUNS,
        description="How many recent materialisations (this one included) the hint looks at.",
    )

    def check(self) -> None:
        """Each setting within its limits, before any call."""
        self.price_table()
        if not 0 < self.right_sizing_threshold < 1:
            raise EcsSpecError(
                "cost.right_sizing_threshold",
                f"must be between 0 and 1 (a share of the reservation), got "
                f"{self.right_sizing_threshold}",
            )
        if not 1 <= self.right_sizing_runs <= 100:
            raise EcsSpecError(
                "cost.right_sizing_runs", f"must be 1..100, got {self.right_sizing_runs}"
            )

    def price_table(self) -> PriceTable:
        """The shipped table with the user's overrides and EC2 prices."""
        overrides = parse_price_overrides(self.prices)
        ec2 = unit_prices(self.ec2_prices, "cost.ec2_prices") if self.ec2_prices else None
        return PriceTable(overrides=overrides, ec2=ec2)
