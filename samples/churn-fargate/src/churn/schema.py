"""Pure helpers shared by the stages (no pandas, no AWS), unit-tested in tests/."""
import zlib

LABEL = "churned"
REQUIRED_COLUMNS = (
    "customer_id", "tenure_months", "monthly_charges", "total_charges",
    "contract", "support_calls", LABEL,
)
CONTRACTS = ("month-to-month", "one-year", "two-year")


def missing_columns(header, required=REQUIRED_COLUMNS):
    """Required columns absent from `header`, in the order they are required."""
    present = {h.strip().lower() for h in header}
    return [c for c in required if c not in present]


def in_test_split(customer_id, fraction):
    """Stable hold-out assignment: the same customer always lands on the same side."""
    bucket = zlib.crc32(str(customer_id).encode("utf-8")) % 10_000
    return bucket < int(fraction * 10_000)


def feature_columns(columns):
    """The model's inputs: every column except the id and the label."""
    return [c for c in columns if c not in ("customer_id", LABEL)]
