"""The JSON API against its own OpenAPI description: schemathesis generates requests for every operation of
``/openapi.json`` and the app (in-process, over ASGI) must answer as it says it does: never 5xx
(``not_a_server_error``) nor an unhandled exception, and only statuses, media types, bodies and headers its
description declares (``CHECKS``: schemathesis's conformance checks).

Requests go as the national admin (a fresh session and its CSRF token for each, so that a generated
``DELETE /api/v1/session`` cannot log the rest out) and with an event source's token, so the checks behind
the login and the token are reached too. Random strings rarely name a real unit, period or form, so most
path and query values are drawn from real names (``REAL``, ``FORMS``): the code past the 404s runs too.
Both schema-valid (positive) and schema-violating (negative) requests; bounded by ``EXAMPLES``, about 20 s.
"""

from __future__ import annotations

import itertools
import traceback
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

import chiso.store.users as users_module
from browser_support import ADMIN, DATASET, RATE, seeded_workspace
from chiso import app as core
from chiso.web import create_app
from chiso.web.session import COOKIE

EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 8}  # per operation
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
UNITS = ["P48", "P96", "VN", "provinces", "BTP", "Đà Nẵng", "da nang", "P00"]
REAL: dict[str, list[Any]] = {  # parameter name -> names that exist (and a few near misses)
    "dataset": [DATASET, "security_quarterly", "ministry_monthly"],
    "unit": UNITS,
    "period": ["2024-04", "2024-05", "2024", "2024Q2", "2024H1", "2024-W14", "2024-04-15", "2024-13"],
    "from": ["2024-01", "2020", "2024Q1", "2024-W01"],
    "to": ["2024-06", "2024", "2024Q4", "2019"],
    "code": [RATE, "procedures_full_online_rate", "community_dx_teams", "fiber_household_rate", "dossier"],
    "indicator": [RATE, "procedures_full_online_rate", "egdi_rank"],
    "group": ["provinces", "ministries", "P48", "VN"],
    "kind": ["dossier", "ndxp"],
    "state": ["open", "submitted", "approved", "returned"],
    "type": ["province", "ministry", "group", "nation"],
    "pillar": ["digital_government", "digital_economy"],
    "drafts": [True, "1"],
}
FORMS = [{"dataset": d, "unit": u, "period": p} for d, u, p in (
    (DATASET, "P48", "2024-04"), (DATASET, "P96", "2024-05"), ("security_quarterly", "P48", "2024Q2"),
    ("ministry_monthly", "BTP", "2024-04"))]


def _realistic(context: Any, values: Any) -> st.SearchStrategy[Any]:
    """The generated values, real names for all of them (so a form path is whole), or a mix of both."""
    if not isinstance(values, dict):
        return st.just(values)
    path = context.operation.path if context.operation is not None else ""

    def real(k: str) -> list[Any] | None:
        return UNITS if k == "code" and path.startswith("/api/v1/units") else REAL.get(k)

    if set(values) == {"dataset", "unit", "period"}:  # a form: only whole real places open one
        return st.one_of(st.sampled_from(FORMS), st.fixed_dictionaries(
            {k: st.one_of(st.sampled_from(REAL[k]), st.just(v)) for k, v in values.items()}), st.just(values))
    every = st.fixed_dictionaries({k: st.sampled_from(r) if (r := real(k)) else st.just(v) for k, v in values.items()})
    mixed = st.fixed_dictionaries({k: st.one_of(st.sampled_from(r), st.just(v)) if (r := real(k)) else st.just(v)
                                   for k, v in values.items()})
    # Hypothesis leans to a one_of's first branches: the real names first, the generated values last
    return st.one_of(every, mixed, st.just(values))


@pytest.fixture(scope="module")
def cheap_hashes() -> Iterator[None]:
    # still argon2id, with small parameters: every generated login hashes a password, and the cost of
    # the hash is not what is tested here
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users_module, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="module")
def fuzz_ws(tmp_path_factory: pytest.TempPathFactory, cheap_hashes: None) -> Iterator[core.Workspace]:
    ws = seeded_workspace(tmp_path_factory.mktemp("fuzz") / "ws")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def event_token(fuzz_ws: core.Workspace) -> str:
    return fuzz_ws.store.events.add_source("fuzz", "Nguồn thử", ["VN"], ["dossier", "ndxp"])


@pytest.fixture(scope="module")
def api_schema(fuzz_ws: core.Workspace) -> Iterator[Any]:
    app = create_app(fuzz_ws)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
        return _realistic(context, path_parameters)

    @schema.hook
    def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
        return _realistic(context, query)

    yield schema
    app.state.writer.close()  # no lifespan over ASGI here: close the event writer the batches opened


def _fuzz(operation: Any, mode: GenerationMode, statuses: Counter[int], ws: core.Workspace, user_id: int,
          event_token: str) -> None:
    """One operation, one generation mode: raises schemathesis's failure (with a curl line) when a check fails."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        token, csrf = ws.store.users.start_session(user_id)
        # the session's real CSRF token wins over a generated one: the checks behind it are the target
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-csrf-token"}
        headers = {**generated, "X-CSRF-Token": csrf, "Authorization": f"Bearer {event_token}"}
        response = case.call_and_validate(headers=headers, cookies={COOKIE: token}, checks=CHECKS)
        statuses[response.status_code] += 1

    run()


def test_the_api_answers_as_described(api_schema: Any, fuzz_ws: core.Workspace, event_token: str) -> None:
    # schemathesis's pytest plugin (``from_fixture``) breaks on pytest 9 (it sets ``node._nodeid``), so
    # each operation gets its own Hypothesis run here; every operation runs even when one fails.
    rec = fuzz_ws.store.users.by_username(ADMIN.username)
    assert rec is not None
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20, f"only {len(operations)} operations in /openapi.json"
    failures: dict[str, str] = {}
    statuses: dict[str, Counter[int]] = {}
    for operation, mode in itertools.product(operations, EXAMPLES):
        label = f"{operation.label} ({mode.value})"
        try:
            _fuzz(operation, mode, statuses.setdefault(label, Counter()), fuzz_ws, rec.id, event_token)
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body): nothing to test negatively
            assert mode is GenerationMode.NEGATIVE, label
            del statuses[label]
        except Exception as exc:
            # a 5xx answer fails not_a_server_error; an unhandled exception reaches here as itself, since the
            # in-process transport re-raises it. Either way the notes carry the request as a curl line.
            failures[label] = "".join(traceback.format_exception_only(exc))
        except FailureGroup as exc:  # several distinct failures of one operation (not an Exception subclass)
            failures[label] = "".join(traceback.format_exception_only(exc))
    print("\n".join(f"{k}: {dict(sorted(v.items()))}" for k, v in sorted(statuses.items())))  # shown with -s
    assert not failures, "answers not as described:\n\n" + "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    reached = sum(1 for c in statuses.values() if any(200 <= s < 300 for s in c))
    assert reached >= 15, f"only {reached} operations ever answered 2xx: the fuzzing hardly got past the checks"
