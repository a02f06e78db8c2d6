"""The report of a digital-literacy programme: who signed up, who came, who completed, which
skills they showed, how their confidence moved and whether they went online afterwards.

Every figure is an aggregate query, so the report costs the same whatever the number of
learners. A date range chooses sessions: the report covers the workshops with a session (not
cancelled) starting between the two dates, in the programme's time zone, and counts attendance
at those sessions only. Without dates it covers every workshop of the programme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, distinct, exists, func, or_, select
from sqlalchemy.orm import aliased

from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import AttendanceStatus, ProgrammeKind, WorkshopEnrolmentStatus
from outreach.errors import Forbidden, NotFound, ValidationFailed
from outreach.literacy.models import (
    Attendance,
    Skill,
    SkillShown,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.literacy.services import may_manage
from outreach.programmes.models import Programme
from outreach.reports.ranges import percent

Status = WorkshopEnrolmentStatus
Session = WorkshopSession
Enrolment = WorkshopEnrolment
# A learner completed a workshop when they came to at least 3 in 4 of its sessions that have
# ended; kept as a fraction so the comparison stays in whole numbers in SQL.
COMPLETION = (3, 4)
COMPLETION_RULE = ("A learner has completed a workshop when they came (on time or late) to at "
                   "least 75% of its sessions that have ended. Cancelled sessions do not count.")
FOLLOW_UP_ANSWERS = {1: "Yes, on my own", 2: "Yes, with help", 3: "Not yet"}
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)

# --- The figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Learners:
    """Places on the programme's workshops, by where each stands now."""

    enrolled: int
    waiting: int
    offered: int
    withdrawn: int
    people: int  # different people with a place (one may be on two workshops)


@dataclass(frozen=True)
class Marks:
    """The register of one session that has started, or of all of them together."""

    present: int
    late: int
    no_show: int
    unmarked: int  # learners with a place then, not on the register

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def marked(self) -> int:
        return self.present + self.late + self.no_show

    @property
    def rate(self) -> float | None:
        """Present or late, out of those marked."""
        return percent(self.attended, self.marked)


@dataclass(frozen=True)
class SessionMarks(Marks):
    session_id: int = 0
    workshop_id: int = 0
    workshop_title: str = ""
    starts_at: datetime | None = None
    venue: str = ""


@dataclass(frozen=True)
class Completion:
    learners: int  # with a place on a workshop that has had at least one session
    completed: int
    rule: str = COMPLETION_RULE

    @property
    def rate(self) -> float | None:
        return percent(self.completed, self.learners)


@dataclass(frozen=True)
class SkillGained:
    skill_id: int
    name: str
    learners: int


@dataclass(frozen=True)
class Confidence:
    """Confidence online, 1 to 5, of the learners who rated it at the start and at the end."""

    learners: int
    mean_before: float | None
    mean_after: float | None
    improved: int
    same: int
    lower: int
    before: dict[int, int]  # score -> learners
    after: dict[int, int]
    changes: list[tuple[int, int, int]]  # (before, after, learners)


@dataclass(frozen=True)
class FollowUp:
    """Answers to the text sent four weeks after the last session."""

    asked: int
    answers: dict[int, int]  # 1, 2, 3 -> learners
    no_answer: int


@dataclass(frozen=True)
class Report:
    programme: Programme
    start: date | None
    end: date | None
    generated_at: datetime
    learners: Learners
    sessions: list[SessionMarks]
    attendance: Marks
    completion: Completion
    skills: list[SkillGained]
    confidence: Confidence
    follow_up: FollowUp
    workshops: int = field(default=0)


# --- Which programme, and which part of it ------------------------------------------------


def programme_for_report(actor: User, programme_id: int) -> Programme:
    """The digital-literacy programme whose report the actor may read (404, 403 or 422)."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No such programme.")
    if not may_manage(actor, programme):
        raise Forbidden("Only the programme's coordinators can read its report.")
    if programme.kind != ProgrammeKind.DIGITAL_LITERACY:
        raise ValidationFailed("Reports of workshops are for digital-literacy programmes.",
                               fields={"programme_id": ["Not a digital-literacy programme."]})
    return programme


@dataclass(frozen=True)
class _Scope:
    programme: Programme
    start_at: datetime | None  # sessions starting at or after this
    end_at: datetime | None  # and before this
    now: datetime

    def in_range(self, starts_at):
        """The range's conditions on a session's start (none without dates)."""
        conditions = []
        if self.start_at is not None:
            conditions.append(starts_at >= self.start_at)
        if self.end_at is not None:
            conditions.append(starts_at < self.end_at)
        return conditions

    def workshop_ids(self) -> Select:
        """The programme's workshops, narrowed to those with a session in the range."""
        query = select(Workshop.id).where(Workshop.programme_id == self.programme.id)
        if self.start_at is None and self.end_at is None:
            return query
        # An alias: these queries sit inside others about sessions, and must not be tied to them.
        other = aliased(Session)
        return query.where(exists(select(other.id).where(
            other.workshop_id == Workshop.id, other.cancelled_at.is_(None),
            *self.in_range(other.starts_at))))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def build(programme: Programme, start: date | None = None, end: date | None = None,
          now: datetime | None = None) -> Report:
    """Every figure of the programme's report over the dates given (both included)."""
    now = now or utcnow()
    zone = ZoneInfo(programme.timezone)
    scope = _Scope(programme,
                   _local_midnight(start, zone) if start else None,
                   _local_midnight(end + timedelta(days=1), zone) if end else None, now)
    sessions = _sessions(scope)
    return Report(
        programme=programme, start=start, end=end, generated_at=now,
        learners=_learners(scope), sessions=sessions, attendance=_attendance_total(scope),
        completion=_completion(scope), skills=_skills(scope), confidence=_confidence(scope),
        follow_up=_follow_up(scope),
        workshops=db.session.scalar(select(func.count()).select_from(
            scope.workshop_ids().subquery())) or 0)


# --- The queries ----------------------------------------------------------------------------


def _learners(scope: _Scope) -> Learners:
    workshops = scope.workshop_ids()
    by_status = dict(db.session.execute(
        select(Enrolment.status, func.count(Enrolment.id))
        .where(Enrolment.workshop_id.in_(workshops)).group_by(Enrolment.status)).tuples().all())
    people = db.session.scalar(select(func.count(distinct(Enrolment.client_id))).where(
        Enrolment.workshop_id.in_(workshops), Enrolment.status == Status.ENROLLED)) or 0
    return Learners(*(by_status.get(s, 0) for s in (Status.ENROLLED, Status.WAITING,
                                                     Status.OFFERED, Status.WITHDRAWN)),
                    people=people)


def _marks_query(scope: _Scope) -> Select:
    """One row per session of the range that has started, with its register counted."""

    def marked(status: AttendanceStatus):
        return select(func.count(Attendance.id)).where(
            Attendance.session_id == Session.id, Attendance.status == status).scalar_subquery()

    # Learners with a place by the end of the session who are not on its register.
    unmarked = select(func.count(Enrolment.id)).where(
        Enrolment.workshop_id == Session.workshop_id, Enrolment.status == Status.ENROLLED,
        Enrolment.enrolled_at < Session.ends_at,
        # Correlated by hand: it refers to the session two queries out.
        ~exists(select(Attendance.id).where(Attendance.session_id == Session.id,
                                            Attendance.enrolment_id == Enrolment.id)
                .correlate_except(Attendance))
    ).scalar_subquery()
    return (select(Session.id.label("session_id"), Session.workshop_id,
                   Workshop.title.label("workshop_title"), Session.starts_at, Session.venue,
                   marked(AttendanceStatus.PRESENT).label("present"),
                   marked(AttendanceStatus.LATE).label("late"),
                   marked(AttendanceStatus.NO_SHOW).label("no_show"),
                   unmarked.label("unmarked"))
            .join(Workshop, Workshop.id == Session.workshop_id)
            .where(Session.workshop_id.in_(scope.workshop_ids()), Session.cancelled_at.is_(None),
                   Session.starts_at <= scope.now, *scope.in_range(Session.starts_at)))


def _sessions(scope: _Scope) -> list[SessionMarks]:
    rows = db.session.execute(_marks_query(scope).order_by(Session.starts_at, Session.id))
    return [SessionMarks(present=r.present, late=r.late, no_show=r.no_show,
                         unmarked=r.unmarked, session_id=r.session_id,
                         workshop_id=r.workshop_id, workshop_title=r.workshop_title,
                         starts_at=r.starts_at, venue=r.venue) for r in rows]


def _attendance_total(scope: _Scope) -> Marks:
    per_session = _marks_query(scope).subquery()
    row = db.session.execute(select(
        *(func.coalesce(func.sum(per_session.c[name]), 0).label(name)
          for name in ("present", "late", "no_show", "unmarked")))).one()
    return Marks(int(row.present), int(row.late), int(row.no_show), int(row.unmarked))


def _completion(scope: _Scope) -> Completion:
    ended = (select(Session.workshop_id, func.count(Session.id).label("ended"))
             .where(Session.workshop_id.in_(scope.workshop_ids()),
                    Session.cancelled_at.is_(None), Session.ends_at <= scope.now)
             .group_by(Session.workshop_id).subquery())
    came = (select(Attendance.enrolment_id, func.count(Attendance.id).label("came"))
            .join(Session, Session.id == Attendance.session_id)
            .where(Attendance.status.in_(ATTENDED), Session.cancelled_at.is_(None),
                   Session.ends_at <= scope.now)
            .group_by(Attendance.enrolment_id).subquery())
    share, whole = COMPLETION
    completed = case((func.coalesce(came.c.came, 0) * whole >= ended.c.ended * share, 1),
                     else_=0)
    row = db.session.execute(
        select(func.count(Enrolment.id).label("learners"),
               func.coalesce(func.sum(completed), 0).label("completed"))
        .join(ended, ended.c.workshop_id == Enrolment.workshop_id)
        .outerjoin(came, came.c.enrolment_id == Enrolment.id)
        .where(Enrolment.status == Status.ENROLLED)).one()
    return Completion(int(row.learners), int(row.completed))


def _skills(scope: _Scope) -> list[SkillGained]:
    """Each skill of the checklist with the number of different learners seen doing it."""
    shown = (select(SkillShown.skill_id, Enrolment.client_id)
             .join(Enrolment, Enrolment.id == SkillShown.enrolment_id)
             .where(Enrolment.workshop_id.in_(scope.workshop_ids())).subquery())
    learners = func.count(distinct(shown.c.client_id))
    rows = db.session.execute(
        select(Skill.id, Skill.name, learners.label("learners"))
        .outerjoin(shown, shown.c.skill_id == Skill.id)
        .where(Skill.programme_id == scope.programme.id)
        .group_by(Skill.id, Skill.name, Skill.position, Skill.active)
        .having(or_(Skill.active.is_(True), learners > 0))  # a retired skill, once gained
        .order_by(Skill.position, Skill.id))
    return [SkillGained(r.id, r.name, r.learners) for r in rows]


def _confidence(scope: _Scope) -> Confidence:
    before, after = Enrolment.confidence_before, Enrolment.confidence_after
    rated = and_(Enrolment.workshop_id.in_(scope.workshop_ids()), before.is_not(None),
                 after.is_not(None))

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(select(
        func.count(Enrolment.id).label("learners"), func.avg(before).label("mean_before"),
        func.avg(after).label("mean_after"), counted(after > before).label("improved"),
        counted(after == before).label("same"), counted(after < before).label("lower"),
    ).where(rated)).one()

    def spread(column) -> dict[int, int]:
        counts = dict(db.session.execute(select(column, func.count(Enrolment.id))
                                         .where(rated).group_by(column)).tuples().all())
        return {score: counts.get(score, 0) for score in range(1, 6)}

    changes = db.session.execute(select(before, after, func.count(Enrolment.id))
                                 .where(rated).group_by(before, after)
                                 .order_by(before, after)).tuples().all()
    return Confidence(
        learners=row.learners, mean_before=_mean(row.mean_before),
        mean_after=_mean(row.mean_after), improved=int(row.improved), same=int(row.same),
        lower=int(row.lower), before=spread(before), after=spread(after),
        changes=[(b, a, n) for b, a, n in changes])


def _mean(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _follow_up(scope: _Scope) -> FollowUp:
    answer = Enrolment.follow_up_answer

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(select(
        func.count(Enrolment.id).label("asked"),
        *(counted(answer == n).label(f"a{n}") for n in FOLLOW_UP_ANSWERS),
        counted(answer.is_(None)).label("none"),
    ).where(Enrolment.workshop_id.in_(scope.workshop_ids()),
            Enrolment.follow_up_sent_at.is_not(None))).one()
    answers = {n: int(row._mapping[f"a{n}"]) for n in FOLLOW_UP_ANSWERS}
    return FollowUp(asked=row.asked, answers=answers, no_answer=int(row.none))
