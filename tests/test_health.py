from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import load_settings
from tests.databases import REDIS_URL


def test_healthz_answers_while_the_process_lives(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "not configured"},
    }


def test_readyz_is_503_naming_the_database_when_it_is_down(tmp_path: Path) -> None:
    # Port 1 on loopback refuses connections: a database server that is down.
    settings = load_settings(
        database_url="postgresql+psycopg://chaud@127.0.0.1:1/chaud", data_dir=tmp_path
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "service_unavailable"
    # Named, not explained: the driver's text (host, port, user) stays in the log.
    assert body["detail"] == {"database": "unavailable"}
    assert "127.0.0.1" not in response.text


def test_readyz_is_503_naming_redis_when_it_is_down(database_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        database_url=database_url, redis_url="redis://127.0.0.1:1/0", data_dir=tmp_path
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["detail"]) == {"redis"}


@pytest.mark.skipif(REDIS_URL is None, reason="CHAUD_TEST_REDIS_URL names no Redis to check")
def test_readyz_checks_a_configured_redis(database_url: str, tmp_path: Path) -> None:
    settings = load_settings(database_url=database_url, redis_url=REDIS_URL, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_metrics_are_exposed_to_the_bearer_of_the_metrics_token(
    database_url: str, tmp_path: Path
) -> None:
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path, metrics_token="scrape-me-please"
    )
    with TestClient(create_app(settings)) as client:
        client.get("/healthz")
        response = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
        assert response.status_code == 200
        assert 'http_requests_total{handler="/healthz"' in response.text
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert wrong.status_code == 401


def test_metrics_are_off_without_a_token(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    assert client.get("/metrics").status_code == 404
    # An empty variable (compose passes one when it is unset) is no token at all.
    settings = load_settings(database_url=database_url, data_dir=tmp_path, metrics_token="")
    with TestClient(create_app(settings)) as empty:
        assert empty.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "3f2c1a9e8d7b4c6a9e8d7b4c6a9e8d7b"})
    assert response.headers["X-Request-ID"] == "3f2c1a9e8d7b4c6a9e8d7b4c6a9e8d7b"
    assert len(client.get("/healthz").headers["X-Request-ID"]) >= 32


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/restaurants" in spec["paths"]
    assert "503" in spec["paths"]["/readyz"]["get"]["responses"]
