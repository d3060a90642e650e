"""Links point where a person can see the task: the AWS console on AWS, the embedded ECS's own
pages on a loopback endpoint."""

from __future__ import annotations

from ecs_pipelines.ecs.logs import LogStreamRef
from ecs_pipelines.ecs.logs.links import AwsConsoleLinks, EmbeddedEcsLinks, links_for

ARN = "arn:aws:ecs:eu-west-1:123456789012:task/prod/" + "a" * 32
REF = LogStreamRef("main", "/ecs/app", f"ecs/main/{'a' * 32}", "eu-west-1")


def test_aws_endpoints_link_to_the_consoles() -> None:
    """No endpoint (or a non-loopback one) gives the ECS and CloudWatch console pages."""
    for endpoint in (None, "https://ecs.eu-west-1.amazonaws.com"):
        links = links_for(endpoint, "eu-west-1")
        assert isinstance(links, AwsConsoleLinks)
        assert "console.aws.amazon.com/ecs/v2/clusters/prod/tasks/" + "a" * 32 in links.task(
            "prod", ARN
        )
        assert "cloudwatch/home?region=eu-west-1" in links.logs("prod", ARN, REF)


def test_loopback_endpoints_link_to_the_embedded_pages() -> None:
    """A loopback endpoint gives the embedded ECS's task page and per-container log page."""
    links = links_for("http://127.0.0.1:4711", "us-east-1")
    assert isinstance(links, EmbeddedEcsLinks)
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/demo"
    assert links.task(cluster, ARN) == (
        f"http://127.0.0.1:4711/_local/tasks/{'a' * 32}?cluster=demo&region=us-east-1"
    )
    assert links.logs("demo", ARN, REF) == (
        f"http://127.0.0.1:4711/_local/tasks/{'a' * 32}/logs/main?cluster=demo&region=us-east-1"
    )
