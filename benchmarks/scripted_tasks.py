"""A simulated task of the scripted ECS endpoint: its schedule and its DescribeTasks view.

No process runs: the task's status follows from the clock (PENDING, RUNNING 50 ms after
RunTask, STOPPED at its stop time), and ``describe`` renders about 2 KB of JSON per task, like
a Fargate task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
CONTAINER = "main"
FAMILY = "bench"


@dataclass
class SimTask:
    arn: str
    cluster: str
    created_at: float
    stop_at: float
    exit_code: int
    overrides: dict[str, Any]
    tags: list[dict[str, str]]
    started_by: str | None
    group: str
    launch_type: str
    stop_code: str = "EssentialContainerExited"
    stopped_reason: str = "Essential container in task exited"
    describes: int = 0
    definition: str = ""  # the task definition's ARN (default: bench:1)

    def status(self, now: float) -> str:
        if now >= self.stop_at:
            return "STOPPED"
        if now >= self.created_at + 0.05:
            return "RUNNING"
        return "PENDING"

    def describe(self, now: float, with_tags: bool) -> dict[str, Any]:
        """A task as DescribeTasks gives it (about 2 KB of JSON, like a Fargate task)."""
        status = self.status(now)
        task_id = self.arn.rsplit("/", 1)[-1]
        container: dict[str, Any] = {
            "containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{self.cluster}/"
            f"{task_id}/{task_id[:8]}-0000-4000-8000-{task_id[-12:]}",
            "taskArn": self.arn,
            "name": CONTAINER,
            "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/bench:latest",
            "runtimeId": f"{task_id}-0000000001",
            "lastStatus": status,
            "networkInterfaces": [{"attachmentId": task_id[:8], "privateIpv4Address": "10.0.1.7"}],
            "healthStatus": "UNKNOWN",
            "cpu": "256",
            "memory": "512",
        }
        task: dict[str, Any] = {
            "taskArn": self.arn,
            "clusterArn": cluster_arn(self.cluster),
            "taskDefinitionArn": self.definition or task_definition_arn(),
            "lastStatus": status,
            "desiredStatus": "STOPPED" if status == "STOPPED" else "RUNNING",
            "containers": [container],
            "overrides": self.overrides,
            "createdAt": self.created_at,
            "launchType": self.launch_type,
            "group": self.group,
            "cpu": "256",
            "memory": "512",
            # ECS raises a task's version with each change (the events carry it too).
            "version": {"PENDING": 1, "RUNNING": 2}.get(status, 3),
            "availabilityZone": f"{REGION}a",
            "connectivity": "CONNECTED",
            "platformVersion": "1.4.0",
            "platformFamily": "Linux",
            "attachments": [
                {
                    "id": task_id[:8],
                    "type": "ElasticNetworkInterface",
                    "status": "ATTACHED",
                    "details": [
                        {"name": "subnetId", "value": "subnet-0bench"},
                        {"name": "networkInterfaceId", "value": "eni-0bench"},
                        {"name": "macAddress", "value": "0a:00:00:00:00:01"},
                        {"name": "privateDnsName", "value": "ip-10-0-1-7.ec2.internal"},
                        {"name": "privateIPv4Address", "value": "10.0.1.7"},
                    ],
                }
            ],
        }
        if self.started_by:
            task["startedBy"] = self.started_by
        if status != "PENDING":
            task["startedAt"] = self.created_at + 0.05
            task["pullStartedAt"] = self.created_at + 0.01
            task["pullStoppedAt"] = self.created_at + 0.04
        if status == "STOPPED":
            task["stopCode"] = self.stop_code
            task["stoppedReason"] = self.stopped_reason
            task["stoppingAt"] = self.stop_at
            task["stoppedAt"] = self.stop_at
            task["executionStoppedAt"] = self.stop_at
            container["exitCode"] = self.exit_code
        if with_tags:
            task["tags"] = self.tags
        return task


def cluster_arn(cluster: str) -> str:
    name = cluster.rsplit("/", 1)[-1]
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"


def task_definition_arn() -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{FAMILY}:1"


def environment_of(overrides: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for container in overrides.get("containerOverrides", []):
        for item in container.get("environment", []):
            env[item["name"]] = item["value"]
    return env
