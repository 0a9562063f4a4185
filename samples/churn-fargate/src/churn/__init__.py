"""Churn propensity: the stage scripts of the churn-fargate retrain and batch pipelines."""
