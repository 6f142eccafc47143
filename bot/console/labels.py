"""Words of the console's figures and tables, in the operator language (`_o`)."""

from __future__ import annotations


def labels(_o) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Figure keys, column names and outcome names as people read them."""
    return {
        # figures
        "now": _o("Tickets now"),
        "queue": _o("Queue over time"),
        "tickets_by_lang": _o("Tickets per day by language"),
        "tickets_by_subject": _o("Tickets per day by topic"),
        "first_reply": _o("Time to the first operator reply"),
        "urgent": _o("Urgent cases and their outcomes"),
        "ratings": _o("Ratings (1-5)"),
        "bot_share": _o("What became of the questions"),
        "bot_share_by_lang": _o("What became of the questions, by language"),
        "hours": _o("Busiest hours against office hours"),
        "helpful": _o("Answers people found helpful"),
        # columns and rows
        "day": _o("Day"),
        "status": _o("Status"),
        "tickets": _o("Tickets"),
        "measure": _o("Measure"),
        "minutes": _o("Minutes"),
        "median": _o("Median"),
        "p90": _o("90th percentile"),
        "answered_tickets": _o("Tickets answered"),
        "outcome": _o("Outcome"),
        "rating": _o("Rating"),
        "questions": _o("Questions"),
        "hour": _o("Hour"),
        "office_hours": _o("Within office hours"),
        "outside_office_hours": _o("Outside office hours"),
        "waiting": _o("Waiting"),
        "taken": _o("Being answered"),
        "closed": _o("Closed"),
        "most_waiting": _o("Most waiting at once (hourly)"),
        "language": _o("Language"),
        "entry": _o("Entry"),
        "helped": _o("👍 This helped"),
        "not_helped": _o("🙋 Talk to a person, after the answer"),
        "percent": _o("Share, %"),
        "bot_answered": _o("Answered by the bot"),
        "urgent_help": _o("Urgent: emergency numbers and a person"),
        "clarified": _o("Clarified by the bot"),
        "not_understood": _o("Not understood by the bot"),
        "passed_to_person": _o("Passed to a person"),
        "answered": _o("Answered"),
        "referred": _o("Referred"),
        "no_reply": _o("No reply"),
        "not_our_work": _o("Not our work"),
        "spam": _o("Spam"),
        "user_blocked": _o("The person blocked the bot"),
        "-": _o("no topic"),
    }
