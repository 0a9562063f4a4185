# The `serve` runtime: the SageMaker endpoint (`docker run IMAGE serve`, port 8080) and the
# mini-batch scoring tasks (their `command` replaces CMD).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/src

RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY src/ src/
COPY docker/bin/serve /usr/local/bin/serve

EXPOSE 8080
CMD ["serve"]
