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
    assert all(p.file == "miljövariabel" for p in info.value.problems)


def test_replace_keeps_the_rest() -> None:
    s = Settings().replace(data_dir=Path("/d"))
    assert s.data_dir == Path("/d") and s.sources == Settings().sources


def test_every_setting_is_documented() -> None:
    rows = setting_help()
    assert len(rows) == len(Settings.__dataclass_fields__)
    for name, env, _default, help_text in rows:
        assert env == "KB_" + name.upper()
        assert help_text, name


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("KB_MIN_KEEP_SHARE", "1.5"), ("KB_PUBLISH_MIN_SHARE", "-0.1"), ("KB_MIN_KEEP_SHARE", "nan"),
        ("KB_READ_TIMEOUT", "0"), ("KB_CONNECT_TIMEOUT", "inf"), ("KB_FETCH_DEADLINE", "nan"), ("KB_PARSE_TIMEOUT", "-1"),
        ("KB_MAX_BYTES", "0"), ("KB_CACHE_SIZE", "-1"), ("KB_MAX_CONCURRENT_SEARCHES", "0"), ("KB_INDEX_PROCS", "0"),
        ("KB_HOST_PARALLELISM", "0"), ("KB_RETRIES", "-1"), ("KB_GONE_AFTER_RUNS", "0"),
        ("KB_BASE_URL", "kb.example.se"), ("KB_BASE_URL", "ftp://kb.example.se"), ("KB_BASE_URL", "https://kb.example.se/?x=1"),
        ("KB_BASE_URL", "http://[::1"), ("KB_ALLOWED_HOSTS", " , "),
    ],
)
def test_out_of_range_environment_values_are_config_errors(var: str, raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={var: raw})
    (problem,) = info.value.problems
    assert (problem.file, problem.key, problem.value) == ("miljövariabel", var, raw)
    assert problem.message.startswith("förväntade")


def test_values_at_the_edges_are_accepted() -> None:
    s = load_settings(env={"KB_MIN_KEEP_SHARE": "0", "KB_PUBLISH_MIN_SHARE": "1", "KB_CACHE_SIZE": "0",
                           "KB_BASE_URL": "https://kb.example.se/kunskapsbank", "KB_ALLOWED_HOSTS": "kb.example.se"})
    assert (s.min_keep_share, s.publish_min_share, s.cache_size) == (0.0, 1.0, 0)
    assert s.allowed_hosts == ("kb.example.se",)


def test_overrides_are_checked_too() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, base_url="http://0.0.0.0:99999", cache_size=-1)
    assert sorted((p.file, p.key) for p in info.value.problems) == [("kommandoraden", "--base-url"), ("kommandoraden", "--cache-size")]
