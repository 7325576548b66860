"""Stack-test helpers: run the real Pulumi program under mocks, record every resource.

Besides the inputs (what `Mocks.new_resource` sees), the recording monitor keeps each
resource's dependency URNs straight from the RegisterResource request, so ordering assertions
check what the engine would actually be told.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

from prism_infra.config import StackSettings

#: A secret version id as Secrets Manager makes them (a UUID; botocore refuses shorter ones).
SECRET_VERSION = "6f1c1f0e-8d2b-4b8e-9c39-0a9e2b7d5c41"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
DISTRIBUTION_ID = "E2QWRUHAPOMQZL"
#: Stack configs several test files run (fixtures of the same names, conftest.py). They
#: describe the stack without the CDN; test_infra_cdn*.py cover it on (the default).
TODAY: dict[str, Any] = {"cdn": False}
KEYS = ["0123456789abcdef0123456789abcdef", "rotation-key-two-0123456789abcdef"]
PUBLIC: dict[str, Any] = {**TODAY, "functionUrlAuth": "NONE", "apiKeys": KEYS}
#: Most settings away from their defaults (the `configured` fixture).
CONFIGURED: dict[str, Any] = {
    **TODAY,
    "functionUrlAuth": "NONE",
    "apiKeys": ["k" * 32, "second-key-for-rotation-0123456789"],
    "corsOrigins": ["https://app.example.com"],
    "alertEmail": "ops@example.com",
    "rejectedExpirationDays": 7,
    "uploadsPrefix": "incoming/",
    "memorySize": 3538,
    "reservedConcurrency": 5,
}
MAILED: dict[str, Any] = {
    **TODAY,
    "alertEmail": "ops@example.com",
    "timeout": 60,
    "alarmThresholds": {"errors": 3, "durationP99Percent": 50, "rejectionRatePercent": 40},
    "protectData": False,
}
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent: str
    #: Every URN it depends on: `dependencies` and `propertyDependencies` together.
    dependencies: set[str] = field(default_factory=set)
    protect: bool = False
    #: The other links Pulumi's dependency graph follows (`State.GetAllDependencies`).
    deleted_with: str = ""
    replace_with: tuple[str, ...] = ()
    provider: str = ""
    #: URNs this resource was known by before (its `aliases`), resolved as the engine would.
    aliases: list[str] = field(default_factory=list)

    def policy(self, key: str = "policy") -> dict[str, Any]:
        return json.loads(self.inputs[key])


class RecordingMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        name = args.name
        typ = args.typ
        if typ == "aws:s3/bucket:Bucket":
            state["bucket"] = f"{name}-a1b2c3"
            state["arn"] = f"arn:aws:s3:::{name}-a1b2c3"
            state["bucketRegionalDomainName"] = f"{name}-a1b2c3.s3.{REGION}.amazonaws.com"
            return state["bucket"], state
        if typ == "aws:ecr/repository:Repository":
            repo = args.inputs["name"]
            state["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}"
            state["arn"] = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repo}"
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{args.inputs['name']}"
        elif typ == "aws:sqs/queue:Queue":
            state["name"] = args.inputs.get("name", f"{name}-q1")
            state["arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{state['name']}"
        elif typ == "aws:iam/role:Role":
            state["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        elif typ == "aws:lambda/function:Function":
            state["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{args.inputs['name']}"
        elif typ == "aws:lambda/functionUrl:FunctionUrl":
            host = f"{name}-x9" if name.startswith("cdn-") else "abc123"
            state["functionUrl"] = f"https://{host}.lambda-url.eu-west-1.on.aws/"
        elif typ == "aws:codebuild/project:Project":
            state["arn"] = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{args.inputs['name']}"
        elif typ == "aws:sns/topic:Topic":
            region = args.inputs.get("region", REGION)
            state["arn"] = f"arn:aws:sns:{region}:{ACCOUNT}:{args.inputs.get('name', name)}"
        elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            region = args.inputs.get("region", REGION)
            state["arn"] = f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{args.inputs['name']}"
        elif typ == "aws:cloudfront/distribution:Distribution":
            state["arn"] = f"arn:aws:cloudfront::{ACCOUNT}:distribution/{DISTRIBUTION_ID}"
            state["domainName"] = "d111111abcdef8.cloudfront.net"
            return DISTRIBUTION_ID, state
        elif typ == "aws:cloudfront/function:Function":
            state["arn"] = f"arn:aws:cloudfront::{ACCOUNT}:function/{args.inputs['name']}"
        elif typ == "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination":
            state["arn"] = (
                f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-destination:{args.inputs['name']}"
            )
        elif typ == "aws:secretsmanager/secret:Secret":
            secret = f"{args.inputs['namePrefix']}AbCdEf"
            state["arn"] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}"
        elif typ == "aws:secretsmanager/secretVersion:SecretVersion":
            state["versionId"] = SECRET_VERSION
        elif typ == "pulumi-python:dynamic/prism:ImageBuild":
            digest = "sha256:" + "ab" * 32
            state["image_digest"] = digest
            state["image_uri"] = f"{args.inputs['repository_url']}@{digest}"
            state["build_id"] = f"{args.inputs['project_name']}:0f0f-build"
        return f"{name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None] | dict:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/test",
                "userId": "AIDTEST",
                "id": ACCOUNT,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": REGION, "name": REGION, "id": REGION, "endpoint": "x"}
        raise AssertionError(f"unexpected invoke {args.token}")


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []

    def RegisterResource(self, request):  # gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            deps = set(request.dependencies)
            for prop in request.propertyDependencies.values():
                deps |= set(prop.urns)
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=pulumi.runtime.rpc.deserialize_properties(request.object),
                    parent=request.parent,
                    dependencies=deps,
                    protect=bool(request.protect),
                    deleted_with=request.deletedWith,
                    replace_with=tuple(request.replace_with),
                    provider=request.provider,
                    aliases=[alias_urn(request, a) for a in request.aliases],
                )
            )
        return response


def alias_urn(request, alias) -> str:  # protobuf messages
    """The URN an alias names, by the mock monitor's rule (`MockMonitor.make_urn`: the type is
    prefixed with the parent's own type only; top-level resources have the root Stack's)."""
    if alias.urn:
        return alias.urn
    spec = alias.spec
    parent_type = (
        "pulumi:pulumi:Stack"
        if spec.noParent
        else (spec.parentUrn or request.parent).split("::")[2].split("$")[-1]
    )
    stack, project = spec.stack or pulumi.get_stack(), spec.project or pulumi.get_project()
    qualified = f"{parent_type}${spec.type or request.type}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{spec.name or request.name}"


@dataclass
class Stack:
    resources: list[Registered]
    outputs: dict[str, Any]

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registered:
        (found,) = [r for r in self.resources if r.name == name]
        return found

    def depends_on(self, resource: Registered, other: Registered) -> bool:
        return other.urn in resource.dependencies

    def children_of(self, parent: Registered) -> list[Registered]:
        return [r for r in self.resources if r.parent == parent.urn]

    def kept_by_exclude_protected(self) -> list[Registered]:
        """What `pulumi destroy --exclude-protected` leaves, computed as the CLI does.

        `getProtectedExcludes` (pulumi/pulumi pkg/cmd/pulumi/operations/destroy.go) excludes
        every protected resource and its `TransitiveDependenciesOf`
        (pkg/resource/graph/dependency_graph.go): its provider, its parent chain, its
        dependencies and property dependencies, `deletedWith` and `replaceWith`, each followed
        again. Children of a kept resource are not kept by that alone.
        """
        by_urn = {r.urn: r for r in self.resources}
        kept: set[str] = set()
        todo = [r.urn for r in self.resources if r.protect]
        while todo:
            urn = todo.pop()
            if urn in kept or urn not in by_urn:  # the root Stack is not recorded
                continue
            kept.add(urn)
            r = by_urn[urn]
            provider = r.provider.rsplit("::", 1)[0] if r.provider else ""
            todo += [r.parent, provider, r.deleted_with, *r.replace_with, *r.dependencies]
        return [r for r in self.resources if r.urn in kept]


def fresh_root_stack() -> None:
    """Start the next mock run with a new root Stack resource, as a real `pulumi up` does.

    set_mocks keeps an existing root, and stack transformations (the tags) live on it, so
    without this one run's tags would leak into the next.
    """
    pulumi.runtime.settings.ROOT.set(None)


def run_stack(settings: StackSettings, stack: str = "prod") -> Stack:
    """Declare the whole stack under mocks and return what was registered."""
    from prism_infra.stack import build_stack

    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    fresh_root_stack()
    pulumi.runtime.set_mocks(mocks, project="prism", stack=stack, preview=False, monitor=monitor)
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        outputs = build_stack(settings, project_root=REPO_ROOT)
        return pulumi.Output.all(**outputs).apply(resolved.update)

    program()
    return Stack(resources=monitor.registered, outputs=resolved)


def run_main_program(stack: str) -> list[Registered]:
    """infrastructure/__main__.py itself under mocks, in preview, with whatever config is set
    (pulumi.runtime.set_all_config): what `pulumi preview` runs."""
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    fresh_root_stack()
    pulumi.runtime.set_mocks(mocks, project="prism", stack=stack, preview=True, monitor=monitor)

    @pulumi.runtime.test
    def program() -> None:
        runpy.run_path(str(REPO_ROOT / "infrastructure" / "__main__.py"), run_name="__main__")

    program()
    return monitor.registered
