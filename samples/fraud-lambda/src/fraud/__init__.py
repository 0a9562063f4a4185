"""Card fraud scoring: retrain stage scripts and the Lambda handler."""
