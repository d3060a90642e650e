"""Fargate's billing rule, prices and the cost formula, as pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ecs_pipelines.ecs.common import EcsSpecError
from ecs_pipelines.ecs.usage import (
    Architecture,
    Capacity,
    PriceTable,
    UnitPrices,
    billed_seconds,
    parse_price_overrides,
    prices_from_products,
    reservation_of,
    task_cost,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def fargate_task(seconds: float, **extra: object) -> dict[str, object]:
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef",
        "launchType": "FARGATE",
        "cpu": "1024",
        "memory": "2048",
        "pullStartedAt": T0,
        "startedAt": T0 + timedelta(seconds=5),
        "stoppedAt": T0 + timedelta(seconds=seconds),
        **extra,
    }


def test_fargate_bills_whole_seconds_from_pull_start_to_stop() -> None:
    """Fargate bills from pullStartedAt to stoppedAt, rounded up to the next second."""
    assert billed_seconds(fargate_task(90.2), Capacity.FARGATE) == 91


def test_fargate_bills_one_minute_at_least() -> None:
    """A Fargate task shorter than a minute is billed a minute."""
    assert billed_seconds(fargate_task(3), Capacity.FARGATE) == 60


def test_a_task_that_never_pulled_is_not_billed() -> None:
    """A task without pullStartedAt (it failed before pulling) is billed nothing."""
    task = fargate_task(3)
    del task["pullStartedAt"]
    assert billed_seconds(task, Capacity.FARGATE) == 0


def test_ec2_tasks_count_seconds_from_start_without_minimum() -> None:
    """An EC2 task's reserved seconds run from startedAt to stoppedAt, with no minimum."""
    task = fargate_task(12.5, launchType="EC2")
    assert billed_seconds(task, Capacity.EC2) == 8


def test_cost_is_seconds_times_reserved_size_times_prices() -> None:
    """The cost is billed seconds x (vCPU x vCPU price + GiB x GiB price) / 3600."""
    cost = task_cost(fargate_task(120), region="us-east-1", prices=PriceTable())
    assert cost.billed_seconds == 120
    assert cost.vcpu_seconds_reserved == 120
    assert cost.cost_usd == pytest.approx(120 * (1 * 0.04048 + 2 * 0.004445) / 3600)


def test_storage_past_twenty_gib_is_billed() -> None:
    """Ephemeral storage is billed only past the free 20 GiB."""
    task = fargate_task(3600, ephemeralStorage={"sizeInGiB": 30})
    cost = task_cost(task, region="us-east-1", prices=PriceTable())
    assert cost.cost_usd == pytest.approx(0.04048 + 2 * 0.004445 + 10 * 0.000111)


def test_spot_and_arm_take_their_own_prices() -> None:
    """Fargate Spot comes from the capacity provider, ARM64 from the task's attribute."""
    arm = fargate_task(3600, attributes=[{"name": "ecs.cpu-architecture", "value": "arm64"}])
    spot = fargate_task(3600, capacityProviderName="FARGATE_SPOT")
    del spot["launchType"]
    assert reservation_of(arm).architecture is Architecture.ARM64
    assert reservation_of(spot).capacity is Capacity.FARGATE_SPOT
    table = PriceTable()
    arm_cost = task_cost(arm, region="us-east-1", prices=table).cost_usd
    assert arm_cost == pytest.approx(0.03238 + 2 * 0.00356)
    assert task_cost(spot, region="us-east-1", prices=table).cost_usd is not None


def test_ec2_has_a_cost_only_at_the_users_prices() -> None:
    """EC2 tasks get reserved seconds always, a cost only with the user's EC2 prices."""
    task = fargate_task(3605, launchType="EC2")
    assert task_cost(task, region="us-east-1", prices=PriceTable()).cost_usd is None
    priced = PriceTable(ec2=UnitPrices(vcpu_hour=0.05, gib_hour=0.01))
    cost = task_cost(task, region="us-east-1", prices=priced)
    assert cost.vcpu_seconds_reserved == 3600
    assert cost.cost_usd == pytest.approx(0.05 + 2 * 0.01)


def test_overrides_win_over_the_shipped_table() -> None:
    """A price the resource's config gives replaces the shipped one."""
    overrides = parse_price_overrides({"us-east-1/FARGATE/X86_64": {"vcpu_hour": 1, "gib_hour": 0}})
    cost = task_cost(fargate_task(3600), region="us-east-1", prices=PriceTable(overrides=overrides))
    assert cost.cost_usd == pytest.approx(1.0)


def test_a_bad_override_names_its_entry() -> None:
    """An override with a negative price is refused, naming the entry and the limit."""
    with pytest.raises(EcsSpecError, match=r"cost.prices\['us-east-1/FARGATE/X86_64'\].vcpu_hour"):
        parse_price_overrides({"us-east-1/FARGATE/X86_64": {"vcpu_hour": -1, "gib_hour": 0}})
    with pytest.raises(EcsSpecError, match="<region>/<FARGATE"):
        parse_price_overrides({"us-east-1": {"vcpu_hour": 1, "gib_hour": 0}})


def test_price_list_products_become_prices() -> None:
    """GetProducts' price list is read by usage type: on-demand, ARM, Spot and storage."""

    def product(usage: str, usd: str) -> str:
        dimension = {"unit": "hours", "pricePerUnit": {"USD": usd}}
        terms = {"OnDemand": {"sku.term": {"priceDimensions": {"sku.term.dim": dimension}}}}
        return json.dumps({"product": {"attributes": {"usagetype": usage}}, "terms": terms})

    products = [
        product("EUC1-Fargate-vCPU-Hours:perCPU", "0.0465600000"),
        product("EUC1-Fargate-GB-Hours", "0.0051100000"),
        product("EUC1-Fargate-ARM-vCPU-Hours:perCPU", "0.0372500000"),
        product("EUC1-Fargate-ARM-GB-Hours", "0.0040900000"),
        product("EUC1-SpotUsage-vCPU-Hours:perCPU", "0.0140000000"),
        product("EUC1-Fargate-EphemeralStorage-GB-Hours", "0.0001220000"),
        product("EUC1-Fargate-Windows-vCPU-Hours:perCPU", "0.09"),
    ]
    prices = prices_from_products("eu-central-1", products)
    x86 = prices[("eu-central-1", Capacity.FARGATE, Architecture.X86_64)]
    assert x86 == UnitPrices(vcpu_hour=0.04656, gib_hour=0.00511, storage_gib_hour=0.000122)
    assert prices[("eu-central-1", Capacity.FARGATE, Architecture.ARM64)].vcpu_hour == 0.03725
    # Spot without its memory price is no price at all.
    assert ("eu-central-1", Capacity.FARGATE_SPOT, Architecture.X86_64) not in prices


def test_price_list_answers_are_paged_and_cached_for_a_day() -> None:
    """fetch_prices pages GetProducts for the Region (the embedded ECS does not serve the
    Price List API: a stubbed client stands in), then answers from its cache for a day."""
    import boto3
    from botocore.stub import Stubber

    from ecs_pipelines.ecs.usage import fetch_prices, forget_prices

    def product(usage: str, usd: str) -> str:
        dimension = {"unit": "hours", "pricePerUnit": {"USD": usd}}
        terms = {"OnDemand": {"s.t": {"priceDimensions": {"s.t.d": dimension}}}}
        return json.dumps({"product": {"attributes": {"usagetype": usage}}, "terms": terms})

    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    expected = {
        "ServiceCode": "AmazonECS",
        "FormatVersion": "aws_v1",
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-west-2"}],
    }
    forget_prices()
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {"PriceList": [product("USW2-Fargate-vCPU-Hours:perCPU", "0.05")], "NextToken": "2"},
            expected,
        )
        stub.add_response(
            "get_products",
            {"PriceList": [product("USW2-Fargate-GB-Hours", "0.005")]},
            {**expected, "NextToken": "2"},
        )
        first = fetch_prices(client, "us-west-2", clock=lambda: 1000.0)
        again = fetch_prices(client, "us-west-2", clock=lambda: 1000.0 + 3600)
        stub.assert_no_pending_responses()
    assert first == again
    assert first[("us-west-2", Capacity.FARGATE, Architecture.X86_64)] == UnitPrices(0.05, 0.005)
    forget_prices()
