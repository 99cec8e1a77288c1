"""The project's shape: things a newcomer and a deployment rely on."""

import importlib
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_platform_folder_is_not_a_package_so_the_stdlib_module_still_works():
    assert not (ROOT / "platform" / "__init__.py").exists()
    result = subprocess.run(
        [sys.executable, "-c", "import platform, uuid; print(platform.system()); uuid.uuid4()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() in {"Linux", "Darwin", "Windows"}


def test_site_package_is_importable_as_village():
    assert importlib.import_module("village.settings").BASE_DIR == ROOT


def test_docker_compose_names_web_db_and_redis_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"proxy", "migrate", "web", "periodic", "db", "redis"} <= set(services)
    assert services["periodic"]["command"] == ["python", "manage.py", "run_periodic"]
    for name in ("web", "db", "redis"):
        assert "healthcheck" in services[name], name
    web = services["web"]
    assert web["environment"]["VILLAGE_ENV"] == "production"
    # Migrations run once, in `migrate`; web runs the image's daphne command.
    assert "migrate" in services["migrate"]["command"]
    assert "command" not in web
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])


def test_docker_compose_runs_scalable_workers_on_procrastinate_like_periodic():
    """Workers (stage 2, the periodic jobs) are a service of their own that
    `--scale worker=N` multiplies: the contrib's command, the environment of
    `periodic`, and web, periodic and worker all on procrastinate."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker = services["worker"]
    assert worker["command"] == ["python", "manage.py", "procrastinate", "worker"]
    assert worker["environment"] == services["periodic"]["environment"]
    for name in ("web", "periodic", "worker"):
        assert services[name]["environment"]["VILLAGE_TASKS"] == "procrastinate", name
    # A fixed name or a published port would stop a second copy from starting.
    assert not {"container_name", "ports"} & set(worker)
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["restart"] == "unless-stopped"


def test_every_dependency_has_a_tested_lower_bound():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    unbounded = [r for r in requirements if ">=" not in r]
    assert unbounded == []


def test_every_village_app_is_packaged_and_copied_into_the_image():
    """A new app must reach the wheel (pyproject) and the Docker image, or
    production fails to start while every test here passes."""
    import tomllib

    from django.conf import settings

    apps = [app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()]
    assert {"audit", "accounts", "chat", "moderation", "intake", "volunteers", "outcomes"} <= set(
        apps
    )
    packaged = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for app in apps:
        assert f"{app}*" in packaged, app
        assert f"COPY {app} ./{app}" in dockerfile, app


def test_infra_is_packaged_and_imports_no_app():
    """`infra` is the bottom layer (DESIGN.md): any app may import it, so it
    must not import an app back, and it must reach the wheel."""
    import ast
    import tomllib

    from django.conf import settings

    packaged = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    assert "infra*" in packaged
    apps = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()}
    apps |= {"village"}
    modules = sorted((ROOT / "platform" / "infra").glob("*.py"))
    assert {m.stem for m in modules} >= {
        "realtime",
        "ephemeral",
        "dbwork",
        "client_address",
        "origins",
        "handshakes",
    }
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in apps, f"{module.name} imports {name}"


def test_notify_is_packaged_and_imports_no_app():
    """notify only sends; who is told is decided above it (DESIGN.md layers)."""
    import ast
    import tomllib

    from django.conf import settings

    packaged = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    assert "notify*" in packaged
    assert "COPY notify ./notify" in (ROOT / "Dockerfile").read_text()
    apps = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()}
    for module in sorted((ROOT / "notify").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert (node.module or "").split(".")[0] not in apps, module.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in apps, module.name
