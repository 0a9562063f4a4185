from churn.schema import feature_columns, in_test_split, missing_columns


def test_missing_columns_is_case_and_space_insensitive_and_ordered():
    header = [" Customer_ID", "tenure_months", "CONTRACT", "churned"]
    assert missing_columns(header) == ["monthly_charges", "total_charges", "support_calls"]


def test_test_split_is_stable_and_roughly_the_requested_fraction():
    ids = [f"C{i:05d}" for i in range(5000)]
    first = [in_test_split(i, 0.2) for i in ids]
    assert first == [in_test_split(i, 0.2) for i in ids]
    assert 0.17 < sum(first) / len(ids) < 0.23
    assert not any(in_test_split(i, 0.0) for i in ids)


def test_feature_columns_drop_id_and_label():
    assert feature_columns(["customer_id", "tenure_months", "churned"]) == ["tenure_months"]
