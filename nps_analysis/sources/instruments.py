"""Survey instruments: the service self-assessment's areas and statements, and named sets of
service dimensions (SERVQUAL, the three dimensions of customer service).
"""

from __future__ import annotations

import re

from .errors import NPSInputError

#: Named sets of dimensions; a mapping whose dimension names all belong to one set is shown in
#: that set's order.
DIMENSION_SETS: dict[str, tuple[str, ...]] = {
    # The three dimensions of customer service (DOMAIN.md).
    "service": ("business", "human", "hidden"),
    # Parasuraman, Zeithaml & Berry (1988).
    "servqual": ("tangibles", "reliability", "responsiveness", "assurance", "empathy"),
    "self-assessment": (
        "culture", "products", "comments", "knowing", "contact", "staff", "improvement",
    ),
}

#: The seven areas of the service self-assessment: area id -> title.
SELF_ASSESSMENT_AREAS: dict[str, str] = {
    "culture": "Customer-centred culture",
    "products": "Customer-oriented products",
    "comments": "Responding to comments",
    "knowing": "Knowing the customers",
    "contact": "Ease of contact",
    "staff": "Staff competence",
    "improvement": "Active improvement",
}

#: The 25 statements with their stable ids, in the order of the self-assessment.
SELF_ASSESSMENT_STATEMENTS: dict[str, str] = {
    "culture_1": "We are determined to do everything to satisfy our customers.",
    "culture_2": "We strive to get it right the first time.",
    "culture_3": "As owner I show others how important customer service is.",
    "culture_4": "Our customers' needs come before our internal needs.",
    "products_1": "We aim for cooperation in our sales.",
    "products_2": "We do not promise in our marketing what we cannot deliver.",
    "products_3": "We understand the features and benefits that matter most to our customers.",
    "products_4": "We develop new products or services from what customers tell us.",
    "comments_1": "We investigate complaints.",
    "comments_2": "We ask customers for advice all the time.",
    "comments_3": "From feedback we regularly look for ways to remove errors.",
    "knowing_1": "We know what our customers expect from us.",
    "knowing_2": "We communicate with them often.",
    "knowing_3": "Every employee knows what matters to customers.",
    "contact_1": "We make the relationship easy for customers.",
    "contact_2": "We aim to resolve every complaint.",
    "contact_3": "We encourage going beyond what the customer expects.",
    "staff_1": "I respect my employees.",
    "staff_2": "All staff fully understand our products or services.",
    "staff_3": "Every employee has the skills and tools for the job.",
    "staff_4": "Every employee is encouraged to solve customer problems.",
    "staff_5": "The whole team sees customer satisfaction as part of the job.",
    "improvement_1": "We always try to improve our processes and products.",
    "improvement_2": "We talk with other groups to learn their strengths and weaknesses.",
    "improvement_3": "When we hit a problem we solve it quickly.",
}


STATEMENT_PATTERN = re.compile(r"^(" + "|".join(SELF_ASSESSMENT_AREAS) + r")_\d+$")


def statement_area(statement_id: str) -> str:
    """The self-assessment area of a statement id (``"staff_3"`` -> ``"staff"``)."""
    if statement_id not in SELF_ASSESSMENT_STATEMENTS:
        raise NPSInputError(
            f"unknown self-assessment statement {statement_id!r}; the ids are "
            f"{', '.join(SELF_ASSESSMENT_STATEMENTS)}"
        )
    return statement_id.rsplit("_", 1)[0]
