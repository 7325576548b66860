"""The image recipe: Dockerfile.lambda and buildspec.yml, and installs that mirror the image.

No Docker here, so the install tests run the Dockerfile's own `uv` commands (read from the
Dockerfile, not copied) on the build-context zip the stack uploads: once for linux/arm64
(every locked runtime package must have an aarch64 wheel) and once for this machine, then
serve a request from the installed app with the image's PYTHONPATH and CMD.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml
from infra_mocks import REPO_ROOT

from prism_infra.build_context import build_context
from prism_infra.environment import ADAPTER_ENV, APP_PORT

DOCKERFILE = (REPO_ROOT / "Dockerfile.lambda").read_text()
RUNTIME_IMPORTS = (
    "PIL",
    "pillow_heif",
    "simplejpeg",
    "numpy",
    "thash",  # ThumbHash placeholders (pure Python)
    "pydantic_settings",
    "fastapi",
    "uvicorn",
    "boto3",
    "aws_lambda_powertools",
)
DEV_OR_DEPLOY = ("pytest", "pulumi", "pulumi_aws", "moto", "hypothesis", "ruff", "schemathesis")
_AARCH64 = 183  # ELF e_machine for ARM 64


def _instructions() -> list[str]:
    """Dockerfile instructions with line continuations joined and comments dropped."""
    lines = [ln for ln in DOCKERFILE.splitlines() if not ln.lstrip().startswith("#")]
    return [i.strip() for i in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines() if i.strip()]


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in _instructions():
        if instruction.startswith("ENV "):
            for pair in shlex.split(instruction[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def _install_commands() -> tuple[list[str], list[str]]:
    """The Dockerfile's `uv export` and `uv pip install` commands, as argument lists."""
    (run,) = [i for i in _instructions() if i.startswith("RUN ") and "uv export" in i]
    export, install = (shlex.split(part) for part in run[4:].split("&&"))
    return export, install


def _replace_option(args: list[str], option: str, new: list[str]) -> list[str]:
    i = args.index(option)
    return [*args[:i], *new, *args[i + 2 :]]


@pytest.fixture(scope="module")
def context_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build context exactly as CodeBuild unpacks it."""
    root = tmp_path_factory.mktemp("context")
    zipfile.ZipFile(io.BytesIO(build_context(REPO_ROOT).data)).extractall(root)
    return root


def _uv(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"{shlex.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


def _install(context_dir: Path, target: Path, platform_args: list[str]) -> None:
    export, install = _install_commands()
    _uv(export, context_dir)
    install = _replace_option(install, "--target", ["--target", str(target)])
    install = _replace_option(install, "--python", platform_args)
    _uv(install, context_dir)


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    return int.from_bytes(header[18:20], "little")


# --- static checks ------------------------------------------------------------------------


def test_dockerfile_builds_arm64_with_the_adapter_and_locked_runtime_only() -> None:
    froms = [i for i in _instructions() if i.startswith("FROM ")]
    assert all("--platform=linux/arm64" in f for f in froms if " AS uv" not in f)
    assert re.search(r"FROM --platform=linux/arm64 \$\{ADAPTER_IMAGE\} AS adapter\n", DOCKERFILE)
    assert re.search(r"ARG ADAPTER_IMAGE=public\.ecr\.aws/awsguru/aws-lambda-adapter:", DOCKERFILE)
    assert "COPY --from=adapter /lambda-adapter /opt/extensions/lambda-adapter" in DOCKERFILE
    export, install = _install_commands()
    assert export[:2] == ["uv", "export"]
    assert {"--frozen", "--no-default-groups", "--no-emit-project"} <= set(export)
    assert install[:3] == ["uv", "pip", "install"]
    assert {"--require-hashes", "--no-deps", "--only-binary"} <= set(install)


def test_dockerfile_runs_the_app_under_uvicorn_on_the_adapter_port() -> None:
    (cmd,) = [i for i in _instructions() if i.startswith("CMD ")]
    argv = json.loads(cmd[4:])
    assert argv[:3] == ["python", "-m", "uvicorn"]
    assert "--factory" in argv
    assert "prism.http.app:create_app" in argv
    assert argv[argv.index("--port") + 1] == str(APP_PORT)


def test_dockerfile_adapter_settings_match_the_stack() -> None:
    env = _env()
    for key, value in ADAPTER_ENV.items():
        assert env[key] == value, key
    assert env["AWS_LWA_INVOKE_MODE"] == "buffered"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"


def test_buildspec_builds_for_arm64_without_provenance_and_exports_the_digest() -> None:
    spec = yaml.safe_load((REPO_ROOT / "buildspec.yml").read_text())
    assert str(spec["version"]) == "0.2"
    assert spec["env"]["exported-variables"] == ["IMAGE_DIGEST"]
    commands = " ".join(c for phase in spec["phases"].values() for c in phase["commands"])
    assert "aws ecr get-login-password" in commands
    assert "docker login" in commands
    build = re.search(r"docker build [^\n]*", commands)
    assert build
    assert "--platform linux/arm64" in build.group(0)
    assert "--provenance=false" in build.group(0)
    assert "-f Dockerfile.lambda" in build.group(0)
    assert 'docker push "$REPOSITORY_URI:$IMAGE_TAG"' in commands
    # every build builds and pushes: the provider gives each one a new tag, and an image
    # found under an old tag would be exactly what a forced rebuild is meant to replace
    build_phase = spec["phases"]["build"]["commands"]
    assert [c.split()[:2] for c in build_phase] == [["docker", "build"], ["docker", "push"]]
    assert "IMAGE_DIGEST=" in commands
    # a failure anywhere stops the build instead of running later phases
    assert all(phase.get("on-failure") == "ABORT" for phase in spec["phases"].values())


# --- installs (uv cache keeps these quick) --------------------------------------------------


def test_locked_runtime_installs_for_linux_arm64(context_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "deps"
    _install(
        context_dir,
        target,
        ["--python-platform", "aarch64-manylinux_2_28", "--python-version", "3.12"],
    )
    for name in RUNTIME_IMPORTS:
        assert (target / name).is_dir(), name
    for name in DEV_OR_DEPLOY:
        assert not (target / name).exists(), name
    extensions = list(target.rglob("*.so"))
    assert any(p.name.startswith("_imaging.cpython-312-aarch64") for p in extensions)
    assert extensions
    assert {_elf_machine(p) for p in extensions} == {_AARCH64}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_installed_runtime_serves_a_request(context_dir: Path, tmp_path: Path) -> None:
    """Same layout as the image: deps and app on PYTHONPATH, a bare interpreter, the CMD."""
    python = getattr(sys, "_base_executable", sys.executable)  # outside the project's venv
    deps = tmp_path / "deps"
    _install(context_dir, deps, ["--python", python])
    app = tmp_path / "app"
    shutil.copytree(context_dir / "lambda" / "prism", app / "prism")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        **_env(),
        "PYTHONPATH": f"{app}:{deps}",
        "PYTHONNOUSERSITE": "1",
        "PRISM_STORAGE": "local",
        "PRISM_DATA_DIR": str(tmp_path / "data"),
    }
    probe = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u, json; "
            f"print(json.dumps([m for m in {DEV_OR_DEPLOY!r} if u.find_spec(m)]))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(probe.stdout) == []  # no dev or deploy packages in reach

    (cmd,) = [i for i in _instructions() if i.startswith("CMD ")]
    argv = json.loads(cmd[4:])
    port = _free_port()
    argv[0] = python
    argv[argv.index("--port") + 1] = str(port)
    argv[argv.index("--host") + 1] = "127.0.0.1"
    server = subprocess.Popen(
        argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        if response is None:
            server.kill()
            output = server.communicate(timeout=10)[0]
            pytest.fail(f"the installed app did not start:\n{output[-4000:]}")
        assert response.status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
