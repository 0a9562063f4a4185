# The `prep` runtime: SageMaker Processing jobs for data preparation.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/src

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY src/ src/

# No ENTRYPOINT: the stage `command` in mlops.yaml replaces this default.
CMD ["python", "-m", "forecast.transform"]
