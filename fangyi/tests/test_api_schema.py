"""The API against its own OpenAPI document (schemathesis), as an operator and as a grid
worker: no server error, no status code the document does not name, no answer that
breaks its schema. Bounded: a few examples per operation, so the suite stays quick.

Two of schemathesis' checks are left out, for reasons of the domain rather than of the API:
- positive data acceptance: a schema-valid request may rightly be refused (422 for an ID
  number whose check character is wrong, 404 for an id outside the user's area), which no
  JSON schema can express;
- negative data rejection: pydantic reads a query `date=0` as 1970-01-01 (a timestamp),
  a lenient reading that stores nothing wrong.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from fangyi.duty.services import api_token_create
from fangyi.passes.tests.wsgi import keep_test_connection
from fangyi.wsgi import application

EXAMPLES = 15

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def bearers(tree) -> dict[str, str]:
    operator = get_user_model().objects.create_superuser("operator", password="x-operator-1")
    return {
        "operator": f"Bearer {api_token_create(user=operator)}",
        "grid worker": f"Bearer {api_token_create(user=tree.users['building'])}",
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_to_its_document(case, bearers):
    # The WSGI application is called directly (as gunicorn would): its request signals
    # would close the test's database connection, which holds the test's transaction.
    with keep_test_connection():
        _call_as_each(case, bearers)


def _call_as_each(case, bearers: dict[str, str]) -> None:
    for bearer in bearers.values():
        case.call_and_validate(
            headers={"Authorization": bearer},
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
        )
