"""What each task cost and used: Fargate's billing rule and prices (a shipped, dated table, the
Price List API, the user's overrides), the task performance events of Container Insights (how
the embedded ECS writes them, how one read per step gets them back), and the smaller valid
Fargate size a task that used little would fit.
"""

from ecs_pipelines.ecs.usage.billing import (
    CPU_UNITS_PER_VCPU,
    FARGATE_MINIMUM_SECONDS,
    FREE_STORAGE_GIB,
    Reservation,
    TaskCost,
    billed_seconds,
    cost_for,
    reservation_of,
    task_cost,
)
from ecs_pipelines.ecs.usage.performance import (
    PERFORMANCE_GROUP,
    TaskUsage,
    filter_pattern,
    parse_task_events,
    performance_group,
    task_event,
)
from ecs_pipelines.ecs.usage.price_list import (
    PRICING_REGION,
    fetch_prices,
    forget_prices,
    prices_from_products,
)
from ecs_pipelines.ecs.usage.prices import (
    PRICES_AS_OF,
    PRICES_SOURCE,
    SHIPPED_PRICES,
    Architecture,
    Capacity,
    PriceKey,
    PriceTable,
    UnitPrices,
    parse_price_overrides,
    unit_prices,
)
from ecs_pipelines.ecs.usage.reads import INSIGHTS_OFF, UsageRead, read_usage
from ecs_pipelines.ecs.usage.report import StepFigures, TaskFigures, step_figures
from ecs_pipelines.ecs.usage.sizing import (
    DEFAULT_HEADROOM,
    DEFAULT_THRESHOLD,
    FARGATE_SIZES,
    MIN_RUNS,
    RunUsage,
    SizeHint,
    size_hint,
    smallest_fitting,
    valid_sizes,
)

__all__ = [
    "CPU_UNITS_PER_VCPU",
    "DEFAULT_HEADROOM",
    "DEFAULT_THRESHOLD",
    "FARGATE_MINIMUM_SECONDS",
    "FARGATE_SIZES",
    "FREE_STORAGE_GIB",
    "INSIGHTS_OFF",
    "MIN_RUNS",
    "PERFORMANCE_GROUP",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "PRICING_REGION",
    "SHIPPED_PRICES",
    "Architecture",
    "Capacity",
    "PriceKey",
    "PriceTable",
    "Reservation",
    "RunUsage",
    "SizeHint",
    "StepFigures",
    "TaskCost",
    "TaskFigures",
    "TaskUsage",
    "UnitPrices",
    "UsageRead",
    "billed_seconds",
    "cost_for",
    "fetch_prices",
    "filter_pattern",
    "forget_prices",
    "parse_price_overrides",
    "parse_task_events",
    "performance_group",
    "prices_from_products",
    "read_usage",
    "reservation_of",
    "size_hint",
    "smallest_fitting",
    "step_figures",
    "task_cost",
    "task_event",
    "unit_prices",
    "valid_sizes",
]
