"""What each feature means to a retention team: plain words and the family of cause it belongs
to, so a risk driver can be routed to the team that can fix it."""

EXPERIENCE = "experience"
SERVICE = "service"
LOGISTICS = "logistics"
VALUE_OR_PRICE = "value_or_price"
FALLING_ENGAGEMENT = "falling_engagement"
TRUST = "trust"
OTHER = "other"

_INACTIVE = ("fewer active days", FALLING_ENGAGEMENT)
_FEWER_ORDERS = ("fewer orders", FALLING_ENGAGEMENT)
_LOWER_SPEND = ("spending less", FALLING_ENGAGEMENT)
_FEWER_VISITS = ("fewer visits", FALLING_ENGAGEMENT)
_OVERDUE = ("orders overdue against the usual cycle", FALLING_ENGAGEMENT)
_SLOW_PAGES = ("slow pages", EXPERIENCE)
_SLOW_SERVICE = ("slow customer-service replies", SERVICE)
_LATE = ("late deliveries", LOGISTICS)

# Thresholds in the words follow dbt_project.yml (page_load_*_ms, slow_response_seconds, ...).
FEATURE_REASONS: dict[str, tuple[str, str]] = {
    "tenure_days": ("still new, no habit formed yet", FALLING_ENGAGEMENT),
    "days_since_last_order": _OVERDUE,
    "order_overdue_ratio": _OVERDUE,
    "days_since_last_activity": ("no recent visit", FALLING_ENGAGEMENT),
    "active_days_7d": _INACTIVE,
    "active_days_30d": _INACTIVE,
    "active_days_90d": _INACTIVE,
    "orders_7d": _FEWER_ORDERS,
    "orders_30d": _FEWER_ORDERS,
    "orders_90d": _FEWER_ORDERS,
    "order_value_30d": _LOWER_SPEND,
    "order_value_90d": _LOWER_SPEND,
    "sessions_7d": _FEWER_VISITS,
    "sessions_30d": _FEWER_VISITS,
    "page_views_30d": ("browsing less", FALLING_ENGAGEMENT),
    "session_drop_share": ("visiting less often than before", FALLING_ENGAGEMENT),
    "time_in_app_drop_share": ("less time in the app than before", FALLING_ENGAGEMENT),
    "messages_opened_30d": ("not opening our messages", FALLING_ENGAGEMENT),
    "avg_page_load_ms_30d": _SLOW_PAGES,
    "page_load_p90_ms_30d": _SLOW_PAGES,
    "page_load_noticeable_share_30d": ("page loads over 1.2 s", EXPERIENCE),
    "page_load_slow_share_30d": ("page loads over 2 s", EXPERIENCE),
    "page_load_very_slow_share_30d": ("page loads over 3 s", EXPERIENCE),
    "cs_contacts_90d": ("repeated customer-service contacts", SERVICE),
    "avg_response_seconds_90d": _SLOW_SERVICE,
    "slow_responses_90d": _SLOW_SERVICE,
    "avg_delivery_minutes_90d": _LATE,
    "late_deliveries_90d": _LATE,
    "complaints_90d": ("complaints", TRUST),
    "angry_contacts_90d": ("angry contacts with support", TRUST),
    "refunds_90d": ("refunds", TRUST),
    "avg_rating_90d": ("low ratings given", TRUST),
    "coupons_redeemed_90d": ("buys with coupons", VALUE_OR_PRICE),
    "coupon_order_share_90d": ("buys mostly with coupons", VALUE_OR_PRICE),
    "repeat_viewed_items_7d": ("keeps viewing items without buying", VALUE_OR_PRICE),
    "abandoned_carts_30d": ("abandoned carts", VALUE_OR_PRICE),
    "r_score": ("no recent purchase", FALLING_ENGAGEMENT),
    "recency_days": ("no recent purchase", FALLING_ENGAGEMENT),
    "rfm_recency_days": ("no recent purchase", FALLING_ENGAGEMENT),  # churn_training_set's names
    "rfm_frequency": ("buys rarely", FALLING_ENGAGEMENT),
    "rfm_monetary": _LOWER_SPEND,
    "f_score": ("buys rarely", FALLING_ENGAGEMENT),
    "frequency": ("buys rarely", FALLING_ENGAGEMENT),
    "m_score": _LOWER_SPEND,
    "monetary": _LOWER_SPEND,
    "repeat_order_days": ("few repeat orders", FALLING_ENGAGEMENT),
    "first_to_last_order_days": ("short buying history", FALLING_ENGAGEMENT),
    "first_order_age_days": ("long since the first order", FALLING_ENGAGEMENT),
}


def describe(feature: str) -> tuple[str, str]:
    """(plain words, family); a feature nobody described yet keeps its column name."""
    return FEATURE_REASONS.get(feature, (feature, OTHER))
