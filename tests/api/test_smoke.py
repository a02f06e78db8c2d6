def test_coordinator_creates_and_reads_client(world, api_as):
    api = api_as(world.coordinator)
    created = api.post("/clients", json={
        "programme_id": world.programme.id, "full_name": "Mary Testperson",
        "date_of_birth": "1938-02-01", "phone": "07700 900555", "lives_alone": True,
    })
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["phone"] == "+447700900555"
    fetched = api.get(f"/clients/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json()["full_name"] == "Mary Testperson"
