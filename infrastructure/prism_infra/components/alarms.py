"""The alarms and the SNS topic they notify.

Every alarm is declared always and notifies one topic (and says so again when it clears); the
topic mails `prism:alertEmail` when one is set. An alarm fires when its 5-minute value goes
above its threshold.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from prism_infra.alarms import PERIOD, AlarmsArgs, alarm_specs


class Alarms(pulumi.ComponentResource):
    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:alarms:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-topic", name=f"{args.name}-alerts", opts=child)
        if args.email:
            # AWS mails a confirmation link first; alarms reach the inbox once it is clicked.
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.email,
                opts=child,
            )
        self.alarms = {}
        for spec in alarm_specs(args):
            self.alarms[spec.key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=f"{args.name}-{spec.key}",
                alarm_description=spec.description,
                namespace=spec.namespace or None,
                metric_name=spec.metric_name or None,
                dimensions=spec.dimensions,
                statistic=spec.statistic,
                extended_statistic=spec.extended_statistic,
                metric_queries=spec.queries,
                period=None if spec.queries else PERIOD,
                evaluation_periods=1,
                threshold=spec.threshold,
                comparison_operator="GreaterThanThreshold",
                # No data means nothing ran, which is not a failure.
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                opts=child,
            )
        self.register_outputs({"topic_arn": self.topic.arn})
