import pytest

from backend.settings import Settings, SettingsError


def test_secret_is_generated_once_and_kept(tmp_path):
    env = {"FAPIAO_DATA_DIR": str(tmp_path)}
    first = Settings.from_mapping(env)
    second = Settings.from_mapping(env)
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_two_installations_get_different_secrets(tmp_path):
    a = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path / "a")})
    b = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path / "b")})
    assert a.secret_key != b.secret_key


def test_environment_overrides(tmp_path):
    s = Settings.from_mapping({
        "FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SECRET_KEY": "from-env", "FAPIAO_PORT": "9001",
        "FAPIAO_REDIS_URL": "redis://127.0.0.1:6379/0", "FAPIAO_ASYNC_MODE": "threading",
    })
    assert (s.secret_key, s.port, s.async_mode, s.embedded) == ("from-env", 9001, "threading", False)
    assert not (tmp_path / "secret_key").exists()
    assert s.db_url == f"sqlite:///{tmp_path / 'fapiao.db'}"


def test_dotenv_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"FAPIAO_DATA_DIR={tmp_path}\nFAPIAO_PORT=7000\nFAPIAO_WORKERS=3\n")
    s = Settings.from_env({"FAPIAO_PORT": "7001"}, dotenv=dotenv)
    assert (s.port, s.workers, s.data_dir) == (7001, 3, tmp_path)


@pytest.mark.parametrize("key,value", [("FAPIAO_PORT", "eighty"), ("FAPIAO_ASYNC_MODE", "asyncio")])
def test_bad_values_are_refused_clearly(tmp_path, key, value):
    with pytest.raises(SettingsError, match=key):
        Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SECRET_KEY": "x", key: value})
