"""The shape of the sample world: activity's rhythm, the skews, the types and their weights,
time zones, audiences and the vocabulary names and properties are drawn from."""

from __future__ import annotations

from datetime import datetime, timedelta

HOUR_US = 3_600_000_000  # an hour in microseconds, the unit of the activity SQL's instants


def epoch_us(instant: datetime) -> int:
    """A naive UTC instant as microseconds since the epoch."""
    return (instant - datetime(1970, 1, 1)) // timedelta(microseconds=1)


# Relative activity by UTC hour of day (Europe's afternoon meets America's morning) and by
# weekday (Monday first); the history also grows by a third from its first day to its last.
HOUR_OF_DAY = (
    0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.5, 0.75, 1.0, 1.15, 1.2, 1.2,
    1.15, 1.2, 1.3, 1.35, 1.3, 1.15, 0.95, 0.8, 0.65, 0.5, 0.4, 0.3,
)  # fmt: skip
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.5, 0.45)
GROWTH = 0.3
# Rows of the previous day's last hours delivered again at the start of the next day's file.
REDELIVERED_HOURS = 4
REDELIVERED_SHARE = 0.01

# Membership skew: every organization has 1..5 contacts of its own (1 most often); a tail
# of 8% of them shares the remaining contacts by Zipf weights 1 / (rank + 0.005 * tail), so
# the largest has hundreds (demo) to thousands (s and up); 3% of the contacts also belong
# to a second organization.
BASE_SKEW = 1.4
TAIL_SHARE = 0.08
TAIL_EXPONENT = 1.0
TAIL_RANK_OFFSET = 0.005
SECOND_ORG_SHARE = 0.03
# The whale: the tail's first organization holds at least this share of all contacts (10k+
# at scale l; at smaller scales the Zipf tail's own first organization is larger).
WHALE_SHARE = 0.0012
# Activity skew: 40% of events go to contacts drawn by rank with density ~ 1/sqrt(rank).
ACTIVE_SHARE = 0.4

ACTIVITY_TYPES = (
    ("page_viewed", 34.0),
    ("email_sent", 30.0),
    ("email_opened", 15.0),
    ("email_clicked", 5.0),
    ("sms_sent", 5.0),
    ("form_submitted", 4.0),
    ("purchase", 2.5),
    ("webinar_attended", 1.0),
    ("email_bounced", 1.5),
    ("demo_requested", 0.8),
    ("renewal_paid", 0.4),
    ("unsubscribed", 0.3),
)
TIMEZONES = (
    ("America/New_York", 20),
    ("UTC", 14),
    ("Europe/Berlin", 12),
    ("America/Los_Angeles", 11),
    ("Europe/London", 10),
    ("America/Chicago", 8),
    ("Asia/Tokyo", 7),
    ("Europe/Paris", 6),
    ("Asia/Singapore", 4),
    ("Australia/Sydney", 4),
    ("America/Sao_Paulo", 2),
    ("Asia/Kolkata", 2),
)
VOCABULARY: dict[str, list[str]] = {
    "name_heads": [
        "Acme", "Northwind", "Blue Harbor", "Cedar", "Summit", "Bright", "Granite", "Silver Oak",
        "Red Fox", "Evergreen", "Lumen", "Atlas", "Nimbus", "Juniper", "Harbor", "Ironwood",
        "Kite", "Maple", "Orbit", "Pioneer", "Quartz", "Riverbend", "Sable", "Tidewater",
        "Umbra", "Vantage", "Willow", "Zenith", "Bergmann", "Sakura", "Nordlicht", "Aurora",
        "Cobalt", "Delta", "Ember", "Fjord", "Golden Gate", "Helix", "Indigo", "Mosaic",
    ],
    "name_cores": [
        "Analytics", "Logistics", "Health", "Foods", "Robotics", "Software", "Capital",
        "Media", "Energy", "Labs", "Systems", "Retail", "Design", "Learning", "Biotech",
        "Travel", "Studios", "Networks", "Materials", "Consulting", "Cloud", "Security",
    ],
    "name_suffixes": [
        "Inc.", "LLC", "GmbH", "Ltd", "S.A.", "K.K.", "Co.", "Group", "Partners", "AG", "BV", "",
    ],
    "industries": [
        "software", "retail", "healthcare", "finance", "education", "manufacturing", "media",
        "logistics", "hospitality", "nonprofit", "energy", "real estate",
    ],
    "first_names": [
        "Anna", "Ben", "Chloé", "David", "Elif", "Fatima", "Georg", "Hiro", "Ines", "Jonas",
        "Kenji", "Laura", "Mateo", "Nora", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tomás",
        "Uma", "Viktor", "Wen", "Xavier", "Yuki", "Zoë", "Amara", "Björn", "Carmen", "Dmitri",
        "Emma", "Felix", "Grace", "Hannah", "Ivan", "Julia", "Karim", "Lea", "Mia", "Noah",
    ],
    "last_names": [
        "Smith", "Müller", "Garcia", "Tanaka", "Okafor", "Johansson", "Rossi", "Nguyen",
        "O'Brien", "Schmidt", "Kowalski", "Dubois", "Silva", "Kim", "Patel", "Cohen",
        "Fischer", "Haddad", "Ivanova", "Jensen", "Larsen", "Moreau", "Novak", "Park",
        "Quispe", "Sato", "Weber", "Yilmaz", "Zhang", "Brown", "Lopez", "Meyer",
    ],
    "domains": ["example.com", "example.org", "example.net", "acme.example", "mail.test"],
    "dial_codes": ["+1", "+1", "+1", "+44", "+49", "+33", "+81", "+61"],
    "roles": [
        "owner", "admin", "billing", "marketing", "engineer", "sales", "support", "executive",
    ],
    "email_templates": [
        "welcome", "onboarding-1", "onboarding-2", "newsletter-monthly", "product-update",
        "webinar-invite", "renewal-30d", "renewal-7d", "feature-tips", "case-study",
    ],
    "sms_templates": ["renewal-sms", "event-reminder", "verification", "flash-offer"],
    "urls": [
        "https://www.example.com/", "https://www.example.com/pricing",
        "https://www.example.com/features", "https://www.example.com/blog/org-journeys",
        "https://www.example.com/docs/getting-started", "https://www.example.com/customers",
        "https://www.example.com/contact", "https://app.example.com/billing",
        "https://app.example.com/settings/team", "https://www.example.com/webinars",
    ],
    "forms": ["contact-us", "newsletter-signup", "webinar-registration", "ebook-download"],
    "skus": ["seat-pack-5", "seat-pack-25", "addon-sms", "addon-analytics", "training-day"],
    "bounces": ["hard", "soft", "soft"],
    "unsubscribe_sources": ["preference_center", "email_link", "email_link", "support"],
    "renewal_plans": ["starter", "pro", "pro", "enterprise"],
    "products": ["core", "analytics", "messaging"],
    "webinars": ["org-journeys-101", "attribution-deep-dive", "duckdb-at-scale", "q4-roadmap"],
}  # fmt: skip
AUDIENCES = (("newsletter", 0.6), ("product", 0.45), ("events", 0.25), ("*", 0.015))
