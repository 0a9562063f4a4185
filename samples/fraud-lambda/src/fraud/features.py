"""Pure feature code shared by training and the Lambda handler (standard library only)."""
import math
import zlib

LABEL = "is_fraud"
REQUIRED_FIELDS = ("txn_id", "amount", "hour", "merchant_category", "country_mismatch",
                   "card_age_days", "txns_last_24h")
FEATURE_NAMES = ("log_amount", "night", "country_mismatch", "new_card", "velocity_24h",
                 "high_risk_merchant")
# Merchant category codes: wire transfers, direct marketing, quasi-cash/crypto, betting.
HIGH_RISK_MCC = frozenset({"4829", "5967", "6051", "7995"})


def featurize(txn):
    """One transaction (a mapping of raw fields) -> the model's feature vector."""
    missing = [f for f in REQUIRED_FIELDS if f not in txn]
    if missing:
        raise ValueError(f"missing fields: {', '.join(missing)}")
    hour = int(txn["hour"])
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    return [
        math.log1p(max(float(txn["amount"]), 0.0)),
        1.0 if hour < 6 else 0.0,
        1.0 if int(txn["country_mismatch"]) else 0.0,
        1.0 if float(txn["card_age_days"]) < 30 else 0.0,
        float(txn["txns_last_24h"]),
        1.0 if str(txn["merchant_category"]).split(".")[0] in HIGH_RISK_MCC else 0.0,
    ]


def in_holdout(txn_id, fraction):
    """Stable hold-out assignment by transaction id."""
    return zlib.crc32(str(txn_id).encode("utf-8")) % 10_000 < int(fraction * 10_000)
