import math

import pytest

from fraud.features import FEATURE_NAMES, featurize, in_holdout

TXN = {"txn_id": "T1", "amount": "99.0", "hour": 3, "merchant_category": "7995",
       "country_mismatch": 1, "card_age_days": 12, "txns_last_24h": 4}


def test_featurize_gives_one_value_per_feature_name():
    assert featurize(TXN) == [math.log1p(99.0), 1.0, 1.0, 1.0, 4.0, 1.0]
    assert len(featurize(TXN)) == len(FEATURE_NAMES)


def test_featurize_rejects_bad_input():
    with pytest.raises(ValueError, match="missing fields: amount"):
        featurize({k: v for k, v in TXN.items() if k != "amount"})
    with pytest.raises(ValueError, match="hour"):
        featurize({**TXN, "hour": 24})


def test_holdout_is_deterministic():
    ids = [f"T{i}" for i in range(2000)]
    assert [in_holdout(i, 0.25) for i in ids] == [in_holdout(i, 0.25) for i in ids]
    assert 0.2 < sum(in_holdout(i, 0.25) for i in ids) / len(ids) < 0.3
