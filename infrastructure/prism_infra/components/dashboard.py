"""The stack's CloudWatch dashboard (its body is the pure `prism_infra.dashboard`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from prism_infra.cdn.monitoring import cdn_widgets
from prism_infra.dashboard import dashboard_body


@dataclass(frozen=True, slots=True)
class DashboardArgs:
    name: str  # dashboard name, e.g. prism-prod
    region: pulumi.Input[str]
    function_name: pulumi.Input[str]
    queue_name: pulumi.Input[str]
    namespace: str
    timeout_seconds: int
    alarm_arns: Sequence[pulumi.Input[str]]
    #: CDN (issue 14): its distribution, whose us-east-1 metrics get widgets too.
    cdn_distribution_id: pulumi.Input[str] | None = None
    #: Its alarms (in us-east-1), graphed on the dashboard too.
    cdn_alarm_arns: Sequence[pulumi.Input[str]] = ()


class Dashboard(pulumi.ComponentResource):
    dashboard: aws.cloudwatch.Dashboard

    def __init__(
        self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:monitoring:Dashboard", name, None, opts)
        body = pulumi.Output.all(
            region=args.region,
            function_name=args.function_name,
            queue_name=args.queue_name,
            alarm_arns=pulumi.Output.all(*args.alarm_arns),
            cdn_distribution_id=args.cdn_distribution_id,
            cdn_alarm_arns=pulumi.Output.all(*args.cdn_alarm_arns),
        ).apply(
            lambda names: json.dumps(
                dashboard_body(
                    namespace=args.namespace,
                    timeout_seconds=args.timeout_seconds,
                    extra_widgets=cdn_widgets(
                        names.pop("cdn_distribution_id") or "", names.pop("cdn_alarm_arns")
                    ),
                    **names,
                )
            )
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=args.name,
            dashboard_body=body,
            # Declared at the top of the stack before it became a component: same dashboard.
            opts=pulumi.ResourceOptions(
                parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]
            ),
        )
        self.register_outputs({"dashboard_name": self.dashboard.dashboard_name})
