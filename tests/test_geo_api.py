"""The map through the API: autocomplete, location checks with reasons, the zone."""

from fastapi.testclient import TestClient


def test_streets_autocomplete(client: TestClient) -> None:
    response = client.get("/api/v1/geo/streets", params={"q": "oberk"})
    assert response.status_code == 200
    assert response.json()[0]["name"] == "Rue Oberkampf"


def test_a_deliverable_location_names_its_street(client: TestClient) -> None:
    response = client.get("/api/v1/geo/locate", params={"lat": 48.864817, "lon": 2.373368})
    assert response.status_code == 200
    body = response.json()
    assert body["street"] == "Rue Oberkampf"
    assert body["distance_to_street_m"] < 1


def test_a_point_in_the_seine_is_a_422_that_says_why(client: TestClient) -> None:
    response = client.get("/api/v1/geo/locate", params={"lat": 48.853, "lon": 2.3573})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    [problem] = body["detail"]
    assert problem["field"] == "location"
    assert "outside the service zone" in problem["reason"]


def test_two_km_outside_the_extract_is_a_422(client: TestClient) -> None:
    response = client.get("/api/v1/geo/locate", params={"lat": 48.8809, "lon": 2.3828})
    assert response.status_code == 422
    assert "km beyond its edge" in response.json()["detail"][0]["reason"]


def test_the_zone_comes_with_its_attribution(client: TestClient) -> None:
    body = client.get("/api/v1/geo/zone").json()
    assert len(body["outline"]) >= 4
    assert "OpenStreetMap contributors" in body["attribution"]
