"""Schemathesis against the app's own OpenAPI document, with a valid token: for every operation, generated
inputs (valid and invalid) never give a 5xx, and every answer matches the document (status, content type,
body schema). Runs on PostgreSQL (the stricter database about types and ranges), on its own database."""

from __future__ import annotations

import pytest
import schemathesis
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from server.briefs import service as briefs
from server.extensions import db
from tests.conftest import PLAN_FOR_TESTS, Phone, _pg_url, build_world, create_pg_database, drop_pg_database, make_app

EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    """A PostgreSQL park with a record of each kind (so that ids 1 and 2 exist), and an office token."""
    name = create_pg_database()
    app = make_app(_pg_url(name).replace("postgresql://", "postgresql+psycopg://"), tmp_path_factory.mktemp("fuzz"))
    with app.app_context():
        upgrade()
        world = build_world(app.test_client())
        phone = Phone(world)
        for user, enterprise in (("insp_a", 0), ("insp_b", 1)):
            hazard = phone.hazard(user, enterprise)
            assert phone.photo(user, hazard["id"], "before").status_code == 201
        phone.hazard("insp_a", 0, level="major", plan=PLAN_FOR_TESTS, deadline="2099-12-31")
        world.post("office", "/api/v1/records", json={"kind": "drill", "date": "2026-06-01", "title": "疏散演练"})
        briefs.request_brief(world.users["office"], {"quarter": "2026Q3"})
        db.session.commit()
        app.config["FUZZ_TOKEN"] = world.token("office")
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_pg_database(name)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_generated_requests_get_documented_answers_and_never_a_5xx(fuzzed_app, mode):
    """Every operation of the document, valid or invalid inputs, with the office's token."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    headers = {"Authorization": f"Bearer {fuzzed_app.config['FUZZ_TOKEN']}"}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)  # fmt: skip
        def run(case):
            with fuzzed_app.app_context():
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            continue  # no invalid input exists for this operation (e.g. no parameters at all)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - report every operation's failure at once
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert operations >= 40
    assert not failures, "\n\n".join(failures)
