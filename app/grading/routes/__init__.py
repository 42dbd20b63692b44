"""Year-end grading pages: the member's self-assessment and result, the branch sheet, proposals, the
meeting and its minutes, ratification by the unit above, quarterly ratings, statistics, frameworks.

Views parse (app.grading.forms), authorize (app.core.permissions), and run a service through
app.core.rules.attempt, which commits or rolls back and puts the reason next to its field. A unit,
member or round the user may not see is a 404; one they may see but not act on is a 403.

One module per group of screens, all on the one `grading` blueprint.
"""

from . import acts, frameworks, meeting, member, overview, sheet  # noqa: F401 (registers the views)
from .base import bp

__all__ = ["bp"]
