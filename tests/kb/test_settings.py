"""Settings: defaults < KB_* environment < explicit overrides, bad values reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import ConfigError
from kb.settings import Settings, load_settings, setting_help


def test_defaults() -> None:
    s = load_settings(env={})
    assert s == Settings()
    assert s.store_path == Path("data/kb.sqlite3") and s.index_root == Path("data/index") and s.lock_path == Path("data/kb.lock")


def test_environment_then_overrides() -> None:
    env = {"KB_DATA_DIR": "/srv/kb/data", "KB_READ_TIMEOUT": "5", "KB_RETRIES": "1", "KB_CANARY_QUERIES": "våld, heder ,",
           "KB_USER_AGENT": ""}
    s = load_settings(env=env)
    assert s.data_dir == Path("/srv/kb/data") and s.read_timeout == 5.0 and s.retries == 1
    assert s.canary_queries == ("våld", "heder")
    assert s.user_agent == Settings().user_agent  # empty variable = unset
    s = load_settings(env=env, data_dir=Path("/tmp/x"), retries=None)
    assert s.data_dir == Path("/tmp/x") and s.retries == 1


def test_bad_environment_values_are_all_reported() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"KB_RETRIES": "many", "KB_READ_TIMEOUT": "soon"})
    keys = sorted(p.key for p in info.value.problems)
    assert keys == ["KB_READ_TIMEOUT", "KB_RETRIES"]
    assert all(p.file == "environment" for p in info.value.problems)


def test_replace_keeps_the_rest() -> None:
    s = Settings().replace(data_dir=Path("/d"))
    assert s.data_dir == Path("/d") and s.sources == Settings().sources


def test_every_setting_is_documented() -> None:
    rows = setting_help()
    assert len(rows) == len(Settings.__dataclass_fields__)
    for name, env, _default, help_text in rows:
        assert env == "KB_" + name.upper()
        assert help_text, name
