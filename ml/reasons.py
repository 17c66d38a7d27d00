"""What each feature means to a retention team: plain words and the family of cause it belongs
to, so a risk driver can be routed to the team that can fix it.

The words live with the features, in dbt (the training set's YAML `meta`, and the per-type
words of the feature_catalog model); the pipeline reads them from feature_catalog and passes
them here as {feature: (words, family)}.
"""

EXPERIENCE = "experience"
SERVICE = "service"
LOGISTICS = "logistics"
VALUE_OR_PRICE = "value_or_price"
FALLING_ENGAGEMENT = "falling_engagement"
TRUST = "trust"
OTHER = "other"
FAMILIES = (EXPERIENCE, SERVICE, LOGISTICS, VALUE_OR_PRICE, FALLING_ENGAGEMENT, TRUST, OTHER)

Words = dict[str, tuple[str, str]]  # feature -> (plain words, family)


def describe(feature: str, words: Words | None = None) -> tuple[str, str]:
    """(plain words, family); a feature nobody described keeps its column name."""
    return (words or {}).get(feature, (feature, OTHER))
