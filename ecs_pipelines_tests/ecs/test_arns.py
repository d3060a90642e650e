"""Task ARNs: the cluster a task ARN names."""

import pytest

from ecs_pipelines.ecs.common import task_cluster


@pytest.mark.parametrize(
    ("task", "cluster"),
    [
        ("arn:aws:ecs:us-east-1:123456789012:task/analytics/0f9c3e1a2b", "analytics"),
        ("arn:aws-cn:ecs:cn-north-1:123456789012:task/etl-prod/0f9c3e1a2b", "etl-prod"),
        ("arn:aws:ecs:us-east-1:123456789012:task/0f9c3e1a2b", None),  # the older form
        ("0f9c3e1a2b", None),  # a task id
    ],
)
def test_task_cluster_reads_the_cluster_of_a_task_arn(task: str, cluster: str | None) -> None:
    """A task ARN's cluster name; None for a task id or an ARN of the older form."""
    assert task_cluster(task) == cluster
