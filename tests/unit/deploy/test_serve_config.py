"""`serve_config.yaml` is a valid Serve deploy config that points at our application and
keeps HTTP on 127.0.0.1 (checked offline with Serve's own schema)."""

from pathlib import Path

import yaml
from ray.serve.schema import ServeDeploySchema

from serve_app.gateway import Gateway, app_from_env
from serve_app.password_service import PasswordService

CONFIG = Path(__file__).parents[3] / "serve_config.yaml"


def test_the_serve_config_is_valid_and_binds_127_0_0_1() -> None:
    schema = ServeDeploySchema.model_validate(yaml.safe_load(CONFIG.read_text()))
    assert schema.http_options.host == "127.0.0.1"
    (application,) = schema.applications
    assert application.import_path == "serve_app.gateway:app_from_env"
    assert [d.name for d in application.deployments] == [Gateway.name, PasswordService.name]
    for deployment in application.deployments:
        autoscaling = deployment.autoscaling_config
        assert autoscaling["min_replicas"] >= 1 and autoscaling["max_replicas"] >= 2
    assert application.logging_config.enable_access_log is False
    assert callable(app_from_env)
