"""The grading's part of the printed documents: the book's year-end section, and the content of the
branch's grading list and of the grading meeting's minutes (app.export registers those two kinds,
adds the official header and the signatures, renders and numbers them).

Plain values only (names, dates, texts), as documents hash them: a later change of a rating makes
the documents made before it answer "changed since" on the verification page. Nothing here changes
the database.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.core.db import db
from app.core.enums import OrgType
from app.core.filters import to_local, vn_time
from app.core.numbers import format_points
from app.core.text import shorten
from app.journal.models import Entry


def level_text(level, score) -> str | None:
    """ "Hoàn thành tốt nhiệm vụ (85,5 điểm)"; the level alone without a score; None without a level."""
    if level is None:
        return None
    if score is None:
        return level.name
    return f"{level.name} ({format_points(score)} điểm)"


def _cited(ids: list[int], titles: dict[int, tuple[date, str]]) -> list[dict]:
    return [
        {"date": titles[i][0], "title": titles[i][1]}
        for i in sorted(ids, key=lambda i: titles.get(i, (date.min,))[0])
        if i in titles
    ]


def _entry_titles(ids: set[int]) -> dict[int, tuple[date, str]]:
    if not ids:
        return {}
    rows = db.session.execute(select(Entry.id, Entry.deed_date, Entry.action).where(Entry.id.in_(ids)))
    return {r.id: (r.deed_date, shorten(r.action, 120)) for r in rows}


def ratification(grading_round) -> dict:
    """Who ratified the round and on which day (Vietnam's date): the unit that actually did."""
    from app.grading.services import ratified_by_unit

    if grading_round.ratified_at is None:
        return {"ratified_on": None, "ratified_by": None}
    unit = ratified_by_unit(grading_round)
    return {
        "ratified_on": to_local(grading_round.ratified_at).date(),
        "ratified_by": unit.name if unit is not None else None,
    }


# ---- the member's book: the year-end section ---------------------------------------------------------


def _self_sections(rating, assessment, titles) -> list[dict]:
    from app.grading.models import SECTIONS

    sections = []
    if assessment is not None:
        for key, label in SECTIONS:
            text = assessment.section_text(key)
            cited = _cited(rating.cited("self", key), titles)
            if text or cited:
                sections.append({"heading": label, "text": text, "cited": cited})
    return sections


def _proposal(rating, framework, titles) -> list[dict]:
    proposal = []
    for criterion in framework.criteria:
        line = rating.score_for("proposal", criterion.id)
        cited = _cited(rating.cited("proposal", f"c{criterion.id}"), titles)
        if (line and (line.comment or line.points is not None)) or cited:
            proposal.append(
                {
                    "criterion": criterion.text,
                    "points": format_points(line.points) if line and line.points is not None else None,
                    "comment": line.comment if line else "",
                    "cited": cited,
                }
            )
    return proposal


def grading_section(member, unit, year: int) -> dict | None:
    """The book's section on the year-end self-assessment and rating (None before a round is open).

    Part of the book's hashed content: a later change of the rating makes printed books answer
    "changed since" on the verification page.
    """
    from app.grading.services import member_rating, reconsider_deadline

    rating = member_rating(member, unit, year)
    if rating is None:
        return None
    grading_round = rating.round
    assessment = rating.self_assessment
    titles = _entry_titles({c.entry_id for c in rating.citations})
    ratified = grading_round.ratified_at is not None
    return {
        "title": f"Tự đánh giá và xếp loại năm {year}",
        "framework": grading_round.framework.name,
        "sections": _self_sections(rating, assessment, titles),
        "self_level": level_text(assessment.level, assessment.score) if assessment else None,
        "self_submitted": assessment.submitted_at.date() if assessment and assessment.submitted_at else None,
        "proposal": _proposal(rating, grading_round.framework, titles),
        "proposed_level": level_text(rating.proposed_level, rating.proposed_score),
        "proposal_comment": rating.proposal_comment,
        "meeting_date": grading_round.meeting_date,
        "votes": f"{rating.votes_agree}/{rating.votes_total}" if rating.votes_total else None,
        "final_level": level_text(rating.final_level, rating.final_score),
        "status": grading_round.status.label,
        **ratification(grading_round),
        "acknowledged_on": rating.acknowledged_at.date() if rating.acknowledged_at else None,
        "reconsideration": rating.reconsideration_reason,
        "reconsideration_answer": rating.reconsideration_answer,
        "deadline": reconsider_deadline(grading_round) if ratified else None,
    }


# ---- the branch's grading list and the meeting's minutes --------------------------------------------


def branch_round(unit, year: int):
    """The branch's grading round of the year, or None (not a branch, or no round opened)."""
    from app.grading.services import get_round

    return get_round(unit, year) if unit.kind.is_branch else None


def _rows(ratings) -> list[dict]:
    rows = []
    for index, r in enumerate(ratings, start=1):
        a = r.self_assessment
        rows.append(
            {
                "no": index,
                "name": r.user.full_name,
                "position": r.user.position or "",
                "self": level_text(a.level, a.score) if a and a.submitted_at else None,
                "proposed": level_text(r.proposed_level, r.proposed_score),
                "votes": f"{r.votes_agree}/{r.votes_total}" if r.votes_total else None,
                "final": level_text(r.final_level, r.final_score),
                "present": r.present,
                "absence_reason": r.absence_reason,
            }
        )
    return rows


def _tiers(grading_round) -> list[dict]:
    from app.grading.services import round_tiers

    return [{"label": t.tier.label, "count": t.count, "share": t.share} for t in round_tiers(grading_round)]


def grading_list_content(grading_round) -> dict:
    """Every member of the branch with the self-proposed, proposed and agreed levels, and the shares."""
    from app.grading.services import ratings_of

    tiers = _tiers(grading_round)
    return {
        "framework": grading_round.framework.name,
        "status": grading_round.status.label,
        "meeting_date": grading_round.meeting_date,
        **ratification(grading_round),
        "rows": _rows(ratings_of(grading_round)),
        "tiers": tiers,
        "rated": sum(t["count"] for t in tiers),
    }


def minutes_content(grading_round, unit) -> dict:
    """The grading meeting's minutes (biên bản) with the result list, and who signs them."""
    from app.grading.services import ratings_of

    rows = _rows(ratings_of(grading_round))
    party = unit.org_type is OrgType.PARTY
    return {
        "framework": grading_round.framework.name,
        "number": grading_round.minutes_number,
        "meeting_date": grading_round.meeting_date,
        "start": vn_time(grading_round.meeting_start) or None,
        "end": vn_time(grading_round.meeting_end) or None,
        **ratification(grading_round),
        "place": grading_round.meeting_place or unit.name,
        "chair": grading_round.chair_name,
        "recorder": grading_round.recorder_name,
        "notes": grading_round.meeting_notes,
        "present": sum(1 for r in rows if r["present"]),
        "total": len(rows),
        "absent": [{"name": r["name"], "reason": r["absence_reason"]} for r in rows if not r["present"]],
        "rows": rows,
        "tiers": _tiers(grading_round),
        "signatures": [
            {"lines": ["THƯ KÝ"], "name": grading_round.recorder_name},
            {
                "lines": ["T/M CHI BỘ" if party else "TM. BAN CHẤP HÀNH", "BÍ THƯ"],
                "name": grading_round.chair_name,
            },
        ],
    }
