# The `serve` runtime: a container-image Lambda function built on a plain Python image,
# made Lambda-compatible by the AWS Lambda Runtime Interface Client.
FROM python:3.11-slim

ARG LAMBDA_RIC_VERSION=2.2.1
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/src

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt "awslambdaric==${LAMBDA_RIC_VERSION}"
COPY src/ src/

ENTRYPOINT ["python", "-m", "awslambdaric"]
CMD ["fraud.handler.handler"]
