"""Escalation figures for `scripts/bench`: an organisation's open queue and one page of its feed,
median and p95 (target: 20 ms p95). The same through HTTP, and need → webhook: bench_webhooks.

The data set (1,000,000 visits, 200,000 needs, 100,000 escalations across 50 provider
organisations, on the 100,000 bench clients) is built once, set-based, in one transaction, and
reused by later runs; the first of the provider organisations is its marker.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import column, func, insert, select, text
from sqlalchemy import table as table_clause

ORGANISATIONS = 50
HEALTH = 20  # the first 20 are GP practices; the others community organisations
ESCALATIONS = 100_000
NEEDS = 200_000
VISITS = 1_000_000
NO_PASSWORD = "!"  # noqa: S105 - no argon2 hash is "!": no one logs in as a bench user  # nosec B105
JOIN_EVERY = 5  # every fifth escalation has a repeat report joined to it
PROVIDER_NAME = "Bench provider {:02d} (generated)"
COORDINATOR_EMAIL = "bench-coordinator@example.org"
PAGE = 50
ROUNDS = 4  # passes over the 50 organisations: 200 samples per figure


def _names() -> list[str]:
    return [PROVIDER_NAME.format(i) for i in range(ORGANISATIONS)]


# --- The data set ---------------------------------------------------------------------------

# One row per escalation: who, what, and the times of everything that happened to it. The status
# mix follows age: of the last fortnight's most are still live, of older ones a few are stuck
# (acknowledged, never resolved; or never acknowledged at all), the rest resolved.
PLAN_SQL = """
CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
WITH drawn AS (
  SELECT i, least(:orgs - 1, floor(:orgs * power(random(), 1.4)))::int AS org_n,
         floor(random() * :clients)::int AS client_n,
         (:n - i + random()) / :n * interval '365 days' AS age,
         random() AS r_sev, random() AS r_cat, random() AS r_status, random() AS r_ack,
         random() AS r_res, random() AS r_extra, floor(random() * 7)::int AS outcome_n,
         1 + floor(random() * 5)::int AS usefulness
  FROM generate_series(1, :n) AS i
), typed AS (
  SELECT d.*, o.org_id, o.provider_id, c.client_id, :now - d.age AS created,
         CASE WHEN r_sev < 0.1 THEN 'urgent' WHEN r_sev < 0.4 THEN 'soon' ELSE 'routine' END
           AS severity,
         CASE WHEN d.org_n < :health THEN
                CASE WHEN r_cat < 0.6 THEN 'pain_or_illness' ELSE 'medication' END
              ELSE (ARRAY['food_or_shopping', 'transport', 'home_or_heating', 'money',
                          'loneliness', 'personal_care', 'digital_help'])[d.org_n % 7 + 1]
         END AS category,
         CASE WHEN d.age < interval '14 days' THEN
                CASE WHEN r_status < 0.30 THEN 'open' WHEN r_status < 0.62 THEN 'acknowledged'
                     WHEN r_status < 0.65 THEN 'reopened' ELSE 'resolved' END
              ELSE CASE WHEN r_status < 0.004 THEN 'acknowledged'
                        WHEN r_status < 0.006 THEN 'open'
                        WHEN r_status < 0.02 THEN 'reassigned' ELSE 'resolved' END
         END AS wanted
  FROM drawn d JOIN bench_orgs o ON o.n = d.org_n JOIN bench_clients c ON c.n = d.client_n
), unique_live AS (
  -- One live escalation per client, category and recipient: older live draws are resolved.
  SELECT t.*, CASE WHEN wanted IN ('open', 'acknowledged', 'reopened')
                    AND row_number() OVER (PARTITION BY client_id, category, org_id
                                           ORDER BY i DESC) > 1
                   THEN 'resolved' ELSE wanted END AS status,
         CASE severity WHEN 'urgent' THEN interval '1 hour' WHEN 'soon' THEN interval '1 day'
                       ELSE interval '3 days' END AS ack_sla,
         CASE severity WHEN 'urgent' THEN interval '12 hours'
                       WHEN 'soon' THEN interval '3 days' ELSE interval '14 days' END AS res_sla
  FROM typed t
), acked AS (
  SELECT u.*, CASE WHEN status IN ('acknowledged', 'resolved', 'reopened') THEN
                created + least(ack_sla * (0.05 + 0.9 * r_ack), (:now - created) * 0.4) END
                AS ack_at,
         CASE WHEN status = 'reassigned' THEN
                created + least(interval '2 hours', (:now - created) * 0.4) END AS reassigned_at
  FROM unique_live u
), resolved AS (
  SELECT a.*, CASE WHEN status IN ('resolved', 'reopened') THEN
                ack_at + least(res_sla * r_res, (:now - ack_at) * 0.5) END AS resolved_at
  FROM acked a
)
SELECT r.*,
       CASE WHEN status = 'reopened' THEN resolved_at + (:now - resolved_at) * 0.5 END
         AS reopened_at,
       CASE WHEN status = 'reopened' THEN NULL
            WHEN i % :join_every = 0 THEN 'joined'
            WHEN r_extra < 0.5 THEN 'note'
            WHEN status = 'open' THEN 'message' END AS extra
FROM resolved r
"""

TIMES_SQL = """
ALTER TABLE bench_plan ADD COLUMN extra_at timestamptz, ADD COLUMN due_at timestamptz,
  ADD COLUMN resolve_due_at timestamptz;
UPDATE bench_plan SET
  extra_at = CASE extra
    WHEN 'joined' THEN created + least(interval '20 minutes', (:now - created) * 0.2)
    WHEN 'message' THEN created + least(interval '1 minute', (:now - created) * 0.1)
    WHEN 'note' THEN coalesce(ack_at, created) + (coalesce(resolved_at, reassigned_at, :now)
                     - coalesce(ack_at, created)) * 0.5 END,
  due_at = coalesce(reopened_at, created) + ack_sla,
  resolve_due_at = coalesce(reopened_at, created) + res_sla;
"""

NEEDS_SQL = """
INSERT INTO needs (id, client_id, category, severity, source, status, description,
                   resolved_at, resolution, created_at, updated_at)
SELECT :need_base + i, client_id, category, severity,
       (ARRAY['visit', 'visit', 'sms', 'web'])[i % 4 + 1],
       CASE WHEN status IN ('resolved', 'reassigned') THEN 'resolved' ELSE 'open' END,
       'Reported at the door', coalesce(resolved_at, reassigned_at),
       CASE WHEN status IN ('resolved', 'reassigned') THEN 'Dealt with' ELSE '' END,
       created, coalesce(resolved_at, reassigned_at, created)
FROM bench_plan;
-- Repeat reports, each joined to the live or later-resolved escalation of its kind.
INSERT INTO needs (id, client_id, category, severity, source, status, description,
                   resolved_at, resolution, created_at, updated_at)
SELECT :need_base + :n + i / :join_every, client_id, category, 'routine', 'sms',
       CASE WHEN status IN ('resolved', 'reassigned') THEN 'resolved' ELSE 'open' END,
       'Said it again', coalesce(resolved_at, reassigned_at), '', extra_at, extra_at
FROM bench_plan WHERE extra = 'joined'
"""

# The rest, up to NEEDS in all: needs met at the door or by the visitor, never escalated.
OTHER_NEEDS_SQL = """
INSERT INTO needs (id, client_id, category, severity, source, status, description,
                   resolved_at, resolution, created_at, updated_at)
SELECT :need_base + :n + :n / :join_every + k, c.client_id, 'other', 'routine', 'visit',
       'resolved', 'Sorted on the visit', :now - k * interval '2 minutes', 'Sorted',
       :now - k * interval '2 minutes', :now - k * interval '2 minutes'
FROM generate_series(1, :rest) AS k JOIN bench_clients c ON c.n = k % :clients
"""

ESCALATIONS_SQL = """
INSERT INTO escalations (id, programme_id, client_id, need_id, category, severity,
  organisation_id, recipient_key, tier, status, routed_because, due_at, resolve_due_at,
  acknowledged_at, acknowledged_by_id, resolved_at, resolved_by_id, outcome, outcome_note,
  usefulness, escalated_at, resolve_overdue_at, created_at, updated_at)
SELECT :esc_base + i, :programme_id, client_id, :need_base + i, category, severity, org_id,
       'org:' || org_id, 1, status, '', due_at, resolve_due_at,
       ack_at, CASE WHEN ack_at IS NOT NULL THEN provider_id END,
       CASE WHEN status = 'resolved' THEN resolved_at END,
       CASE WHEN status = 'resolved' THEN provider_id END,
       CASE WHEN status = 'resolved' THEN (ARRAY['helped', 'helped', 'helped', 'referred_on',
         'already_in_hand', 'not_needed', 'could_not_reach'])[outcome_n + 1] END,
       CASE WHEN status = 'resolved' THEN 'Done' ELSE '' END,
       CASE WHEN status = 'resolved' THEN usefulness END,
       CASE WHEN status IN ('open', 'reopened') AND due_at <= :now THEN due_at END,
       CASE WHEN status = 'acknowledged' AND resolve_due_at <= :now THEN resolve_due_at END,
       created, greatest(created, ack_at, resolved_at, reopened_at, reassigned_at, extra_at)
FROM bench_plan;
INSERT INTO escalation_needs (escalation_id, need_id)
SELECT :esc_base + i, :need_base + i FROM bench_plan
UNION ALL
SELECT :esc_base + i, :need_base + :n + i / :join_every FROM bench_plan WHERE extra = 'joined';
"""

# Events get ids and feed positions in the order they happened, as the sequencer would have
# placed them (see escalations.feed).
EVENTS_SQL = """
INSERT INTO escalation_events (id, escalation_id, organisation_id, kind, actor_id, via, note,
                               detail, at, position)
SELECT :event_base + row_number() OVER w, :esc_base + i, org_id, kind, actor, via, note,
       json_build_object('status', after), at, :position_base + row_number() OVER w
FROM (
  SELECT i, org_id, 'created' AS kind, NULL::int AS actor, 'system' AS via, '' AS note,
         'open' AS after, created AS at, 0 AS step FROM bench_plan
  UNION ALL
  SELECT i, org_id, 'acknowledged', provider_id, 'web', '', 'acknowledged', ack_at, 1
  FROM bench_plan WHERE ack_at IS NOT NULL
  UNION ALL
  SELECT i, org_id, extra, CASE extra WHEN 'note' THEN provider_id END,
         CASE extra WHEN 'note' THEN 'api' ELSE 'system' END,
         CASE extra WHEN 'note' THEN 'Phoned the client; visit booked.' ELSE '' END,
         CASE WHEN extra = 'note' AND ack_at IS NOT NULL AND extra_at >= ack_at
              THEN 'acknowledged' ELSE 'open' END, extra_at, 2
  FROM bench_plan WHERE extra IS NOT NULL
  UNION ALL
  SELECT i, org_id, 'resolved', provider_id, 'web', 'Done', 'resolved', resolved_at, 3
  FROM bench_plan WHERE resolved_at IS NOT NULL
  UNION ALL
  SELECT i, org_id, 'reopened', NULL, 'web', 'Still struggling', 'reopened', reopened_at, 4
  FROM bench_plan WHERE reopened_at IS NOT NULL
  UNION ALL
  SELECT i, org_id, 'reassigned', NULL, 'web', 'Not ours', 'reassigned', reassigned_at, 4
  FROM bench_plan WHERE reassigned_at IS NOT NULL
) AS e
WINDOW w AS (ORDER BY at, i, step)
"""

# Ten visits a client over the 99 days before the bench day, in walking order, mostly well.
VISITS_SQL = """
INSERT INTO visits (id, client_id, visitor_id, round_id, visited_at, visited_on, outcome,
                    answers, prescription_delivered, appointment_reminded, note, recorded_at)
SELECT gen_random_uuid()::text, c.id, r.visitor_id, c.round_id, v.at,
       (v.at AT TIME ZONE 'Europe/Jersey')::date,
       CASE WHEN v.r < 0.85 THEN 'seen_well' WHEN v.r < 0.90 THEN 'seen_concern'
            WHEN v.r < 0.96 THEN 'no_answer' WHEN v.r < 0.98 THEN 'declined' ELSE 'away' END,
       '{}'::json, false, false, '', v.at
FROM clients c JOIN rounds r ON r.id = c.round_id
CROSS JOIN generate_series(1, :per_client) AS k
CROSS JOIN LATERAL (SELECT :day - ((k * 9 - c.id % 9) * interval '1 day')
                           + c.walk_order * interval '4 minutes' AS at, random() AS r) AS v
WHERE c.programme_id = :programme_id
"""


def bench_operator(db) -> tuple[int, int]:
    """(organisation id, programme id) of the bench's operator and its programme."""
    from outreach.bench.run import MARKER
    from outreach.organisations.models import Organisation
    from outreach.programmes.models import Programme

    operator_id = db.session.scalar(select(Organisation.id).where(Organisation.name == MARKER))
    programme_id = db.session.scalar(select(Programme.id).where(
        Programme.operator_id == operator_id))
    return operator_id, programme_id


def build(db, now: datetime) -> None:
    """Add the escalation data set in one transaction (ANALYZE after)."""
    from outreach.auth.models import User
    from outreach.bench.run import BENCH_DAY
    from outreach.organisations.models import Organisation

    session = db.session
    stamps = {"created_at": now, "updated_at": now}
    operator_id, programme_id = bench_operator(db)
    org_ids = [session.execute(insert(Organisation).returning(Organisation.id), {
        "name": name, "kind": "health" if i < HEALTH else "community",
        "email": f"bench-provider-{i}@example.org", **stamps}).scalar_one()
        for i, name in enumerate(_names())]
    provider_ids = [session.execute(insert(User).returning(User.id), {
        "email": f"bench-provider-{i}@example.org", "full_name": f"Provider {i}",
        "password_hash": NO_PASSWORD, "role": "provider", "organisation_id": org_id,
        "session_token": f"benchprov{i}", **stamps}).scalar_one()
        for i, org_id in enumerate(org_ids)]
    session.execute(insert(User), {
        "email": COORDINATOR_EMAIL, "full_name": "Bench Coordinator",
        "password_hash": NO_PASSWORD, "role": "coordinator", "organisation_id": operator_id,
        "session_token": f"benchcoord{operator_id}",
        **stamps})
    run = session.execute
    run(text("SELECT setseed(0.5)"))
    run(text("CREATE TEMP TABLE bench_orgs (n int PRIMARY KEY, org_id int, provider_id int) "
             "ON COMMIT DROP"))
    run(text("INSERT INTO bench_orgs VALUES (:n, :o, :p)"),
        [{"n": n, "o": o, "p": p} for n, (o, p) in enumerate(zip(org_ids, provider_ids,
                                                                  strict=True))])
    run(text("CREATE TEMP TABLE bench_clients ON COMMIT DROP AS SELECT "
             "(row_number() OVER (ORDER BY id) - 1)::int AS n, id AS client_id FROM clients "
             "WHERE programme_id = :p"), {"p": programme_id})
    run(text("ALTER TABLE bench_clients ADD PRIMARY KEY (n)"))
    clients = session.scalar(text("SELECT count(*) FROM bench_clients"))
    # Clients have a GP practice: the one the GP-bound escalations go to.
    run(text("UPDATE clients c SET gp_practice_id = o.org_id FROM bench_clients b, bench_orgs o "
             "WHERE c.id = b.client_id AND o.n = b.n % :health"), {"health": HEALTH})
    params = {"n": ESCALATIONS, "orgs": ORGANISATIONS, "health": HEALTH, "clients": clients,
              "now": now, "join_every": JOIN_EVERY, "programme_id": programme_id,
              "position_base": session.scalar(text(
                  "SELECT coalesce(max(position), 0) FROM escalation_events"))}
    run(text(PLAN_SQL), params)
    for statement in TIMES_SQL.split(";"):
        if statement.strip():
            run(text(statement), params)
    params |= {
        "need_base": session.scalar(text("SELECT coalesce(max(id), 0) FROM needs")),
        "esc_base": session.scalar(text("SELECT coalesce(max(id), 0) FROM escalations")),
        "event_base": session.scalar(text("SELECT coalesce(max(id), 0) FROM escalation_events"))}
    for statement in NEEDS_SQL.split(";"):
        run(text(statement), params)
    params["rest"] = NEEDS - session.scalar(text("SELECT count(*) FROM needs"))
    run(text(OTHER_NEEDS_SQL), params)
    for statement in ESCALATIONS_SQL.split(";"):
        if statement.strip():
            run(text(statement), params)
    run(text(EVENTS_SQL), params)
    run(text(VISITS_SQL), {"per_client": VISITS // clients, "programme_id": programme_id,
                           "day": datetime.combine(BENCH_DAY, datetime.min.time(),
                                                   tzinfo=now.tzinfo) + timedelta(hours=9)})
    for table in ("needs", "escalations", "escalation_events", "escalation_needs"):
        highest = select(func.max(column("id"))).select_from(table_clause(table))
        run(select(func.setval(func.pg_get_serial_sequence(table, "id"),
                               highest.scalar_subquery())))
    session.commit()
    # Vacuumed and analysed, as autovacuum would leave a real database: without it the planner
    # guesses at the new tables and index-only scans find no page marked all-visible.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("visits", "needs", "escalations", "escalation_events",
                      "escalation_needs", "clients", "organisations", "users"):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def escalation_data_set(bench) -> list:
    """Build the escalation data set unless this database has it; adds no rows to the table."""
    from outreach.db import db, utcnow
    from outreach.organisations.models import Organisation

    with bench.app.app_context():
        if db.session.scalar(select(Organisation.id).where(
                Organisation.name == PROVIDER_NAME.format(0))) is not None:
            print("Reusing the escalation data set.", flush=True)
            return []
        started = time.perf_counter()
        print(f"Building {VISITS:,} visits, {NEEDS:,} needs and {ESCALATIONS:,} escalations "
              f"across {ORGANISATIONS} organisations ...", flush=True)
        build(db, utcnow())
        print(f"Built in {time.perf_counter() - started:.1f} s.", flush=True)
    return []


# --- Queue and feed -------------------------------------------------------------------------


def bench_providers(db) -> list[tuple[int, int]]:
    """(organisation id, provider user id) of each bench provider organisation."""
    from outreach.auth.models import User
    from outreach.organisations.models import Organisation

    return list(db.session.execute(
        select(Organisation.id, User.id).join(User, User.organisation_id == Organisation.id)
        .where(Organisation.name.in_(_names()), User.role == "provider")
        .order_by(Organisation.id)).tuples())


def middle_cursor(db, organisation_id: int) -> str:
    """A cursor half-way through the organisation's feed, as a system catching up would send."""
    from outreach.escalations import feed
    from outreach.escalations.models import EscalationEvent

    count = db.session.scalar(select(db.func.count()).where(
        EscalationEvent.organisation_id == organisation_id))
    event = db.session.scalar(select(EscalationEvent).where(
        EscalationEvent.organisation_id == organisation_id)
        .order_by(EscalationEvent.position).offset(count // 2).limit(1))
    return feed.cursor_of(event)


def _queue_time(db, user_id: int, now: datetime) -> float:
    from outreach.auth.models import User
    from outreach.escalations.queries import live_queue
    from outreach.escalations.schemas import EscalationOut

    db.session.expunge_all()  # each sample starts cold, as a request would
    user = db.session.get(User, user_id)
    started = time.perf_counter()
    rows = db.session.scalars(live_queue(user, now).limit(PAGE)).all()
    EscalationOut(many=True).dump(rows)
    return (time.perf_counter() - started) * 1000


def _feed_time(db, user_id: int, cursor: str, dump: bool) -> float:
    from outreach.auth.models import User
    from outreach.escalations import feed
    from outreach.escalations.schemas import FeedItemOut

    db.session.expunge_all()
    user = db.session.get(User, user_id)
    started = time.perf_counter()
    page = feed.read(feed.feed_scope(user), cursor, PAGE)
    if dump:
        FeedItemOut(many=True).dump(page.items)
    return (time.perf_counter() - started) * 1000


def percentile(times: list[float], share: float) -> float:
    """The value `share` of the way up the sorted times (nearest rank)."""
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def queue_and_feed_figures(bench) -> list:
    """An organisation's open queue and one page of its feed: median and p95 over samples."""
    from outreach.bench.run import Row
    from outreach.db import db, utcnow

    with bench.app.app_context():
        providers = bench_providers(db)
        cursors = {org: middle_cursor(db, org) for org, _ in providers}
        now = utcnow()
        samples = [p for _ in range(ROUNDS) for p in providers]
        random.Random(5).shuffle(samples)  # noqa: S311 - a repeatable order, not a secret  # nosec B311
        for org, user_id in providers[:5]:  # warm the pool, the statement and schema caches
            _queue_time(db, user_id, now)
            _feed_time(db, user_id, cursors[org], True)
        queue = [_queue_time(db, user_id, now) for _, user_id in samples]
        feed_read = [_feed_time(db, user_id, cursors[org], False) for org, user_id in samples]
        feed_page = [_feed_time(db, user_id, cursors[org], True) for org, user_id in samples]
        db.session.rollback()
    return [
        Row("escalation queue, 50 live + dump, median", statistics.median(queue), "ms"),
        Row("escalation queue, 50 live + dump, p95", percentile(queue, 0.95), "ms", 20.0),
        Row("escalation feed page of 50, read only, p95", percentile(feed_read, 0.95), "ms"),
        Row("escalation feed page of 50 + dump, median", statistics.median(feed_page), "ms"),
        Row("escalation feed page of 50 + dump, p95", percentile(feed_page, 0.95), "ms", 20.0),
    ]
