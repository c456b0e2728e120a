from fastapi.testclient import TestClient


def test_restaurants_list_the_alliance_with_coordinates(client: TestClient) -> None:
    response = client.get("/api/v1/restaurants")
    assert response.status_code == 200
    restaurants = response.json()
    assert len(restaurants) >= 8
    for restaurant in restaurants:
        assert {"id", "slug", "name", "lat", "lon"} <= restaurant.keys()
    assert "password_hash" not in response.text
    assert "auto_accept" not in restaurants[0]


def test_restaurants_are_paginated(client: TestClient) -> None:
    everything = client.get("/api/v1/restaurants").json()
    first = client.get("/api/v1/restaurants", params={"limit": 3}).json()
    rest = client.get("/api/v1/restaurants", params={"offset": 3}).json()
    assert [r["id"] for r in first + rest] == [r["id"] for r in everything]


def test_a_page_too_large_is_refused_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/api/v1/restaurants", params={"limit": 1000})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["detail"][0]["field"] == "query.limit"
    assert "less than or equal to 100" in body["detail"][0]["reason"]


def test_unknown_paths_answer_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}
