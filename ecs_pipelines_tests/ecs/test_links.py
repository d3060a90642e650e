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
    where = "cluster=demo&region=us-east-1&account=123456789012"
    assert links.task(cluster, ARN) == (f"http://127.0.0.1:4711/_local/tasks/{'a' * 32}?{where}")
    assert links.logs("demo", ARN, REF) == (
        f"http://127.0.0.1:4711/_local/tasks/{'a' * 32}/logs/main?{where}"
    )


def test_embedded_pages_name_the_tasks_own_account() -> None:
    """A task launched in another account (an assumed role's) links to its page in that
    account; a bare task id names none (the server's default)."""
    links = links_for("http://127.0.0.1:4711", "us-east-1")
    other = "arn:aws:ecs:us-east-1:111122223333:task/demo/" + "b" * 32
    assert links.task("demo", other).endswith("&account=111122223333")
    assert "account=" not in links.task("demo", "b" * 32)
