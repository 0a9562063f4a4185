# The `features` runtime of churn-fargate (see mlops.yaml). Built from the repository root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/src

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY src/ src/

# No ENTRYPOINT: each stage's `command` in mlops.yaml replaces this default.
USER nobody
CMD ["python", "-m", "churn.validate"]
