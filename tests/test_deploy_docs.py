"""docs/operations.md holds: its nginx configuration passes `nginx -t`, its alert rules parse and name real metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import yaml
from _deploy import ROOT, add_documents, build_index, data_settings

from index.service import open_backend
from kb.updatestatus import UpdateOutcome, registry_for
from web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient
from prometheus_client import generate_latest

DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


def test_the_documented_nginx_configuration_is_valid(tmp_path: Path) -> None:
    (server,) = [b for b in blocks("nginx") if "server_name" in b]
    # the certificate files are the intranet's own: a self-contained stand-in keeps everything else as documented
    server = re.sub(r"\s*ssl_certificate(_key)? [^;]+;", "", server).replace("listen 443 ssl;", "listen 127.0.0.1:8443;")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/b;\n proxy_temp_path {tmp_path}/p;\n"
        f" fastcgi_temp_path {tmp_path}/f;\n uwsgi_temp_path {tmp_path}/u;\n scgi_temp_path {tmp_path}/s;\n{server}\n}}\n",
        encoding="utf-8")
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "proxy_pass http://kb/;" in server and "X-Forwarded-Proto" in server


def test_the_alert_rules_parse_and_use_only_metrics_kb_exposes(tmp_path: Path) -> None:
    (rules_text,) = [b for b in blocks("yaml") if "alert:" in b]
    rules = {r["alert"]: r["expr"] for g in yaml.safe_load(rules_text)["groups"] for r in g["rules"]}
    assert "36 * 3600" in rules["KbNoSuccessfulUpdate"] and "2 * 86400" in rules["KbIndexTooOld"] and "5.." in rules["KbErrorRate"]
    # the success gauge is absent until a night exits 0 (registry_for leaves it out for last_success None): a rule covers that too
    assert "absent(kb_update_last_success_timestamp_seconds)" in rules["KbUpdateNeverSucceeded"]
    never = generate_latest(registry_for(UpdateOutcome(1, 1.0, 2.0, {"a": 1}, {"a": 1}, None))).decode()
    assert "kb_update_exit_code 1.0" in never and "kb_update_last_success_timestamp_seconds" not in never
    settings = data_settings(tmp_path / "data")
    add_documents(settings, 0, 3)
    build_index(settings)
    with TestClient(create_app(settings, open_backend)) as client:
        client.get("/healthz")
        exposed = client.get("/metrics").text
    exposed += generate_latest(registry_for(UpdateOutcome(0, 1.0, 2.0, {"a": 1}, {"a": 0}, 1.0))).decode()
    names = {re.sub(r"_(bucket|count|sum|created)$", "", n) for n in re.findall(r"^(kb_[a-z_]+)", exposed, re.M)}
    used = {re.sub(r"_(bucket|count|sum)$", "", m) for m in re.findall(r"\bkb_[a-z_]+", " ".join(rules.values()))}
    assert used and used <= names, used - names
    documented = set(re.findall(r"`(kb_[a-z_]*[a-z])\b", DOC))  # `kb_update_*` is a family, not a name
    assert len(documented) > 10 and documented <= names, documented - names
