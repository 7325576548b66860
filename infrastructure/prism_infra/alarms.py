"""E-mail alarms: function errors, throttles, and S3 events parked in the dead-letter queue."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, slots=True)
class AlarmsArgs:
    email: str
    function_name: pulumi.Input[str]
    dead_letter_queue_name: pulumi.Input[str]


class Alarms(pulumi.ComponentResource):
    topic: aws.sns.Topic

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:alarms:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-topic", opts=child)
        # AWS mails a confirmation link first; alarms reach the inbox once it is clicked.
        aws.sns.TopicSubscription(
            f"{name}-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=args.email,
            opts=child,
        )
        lambda_metrics = {
            "errors": ("Errors", "the function returned errors"),
            "throttles": ("Throttles", "invocations were throttled"),
        }
        for key, (metric, what) in lambda_metrics.items():
            aws.cloudwatch.MetricAlarm(
                f"{name}-{key}",
                alarm_description=f"Prism: {what} in the last 5 minutes",
                namespace="AWS/Lambda",
                metric_name=metric,
                dimensions={"FunctionName": args.function_name},
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                opts=child,
            )
        aws.cloudwatch.MetricAlarm(
            f"{name}-dead-letters",
            alarm_description="Prism: S3 events failed and wait in the dead-letter queue",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": args.dead_letter_queue_name},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            opts=child,
        )
        self.register_outputs({"topic_arn": self.topic.arn})
