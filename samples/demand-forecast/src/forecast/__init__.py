"""Store-level demand forecasting: stage scripts of the demand-forecast pipelines."""
