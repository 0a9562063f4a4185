"""SageMaker inference server: GET /ping, POST /invocations (CSV rows of FEATURES, no header)."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import xgboost as xgb

from forecast.schema import FEATURES

MODEL_DIR = os.environ.get("MODEL_DIR", "/opt/ml/model")
BOOSTER = xgb.Booster()
BOOSTER.load_model(os.path.join(MODEL_DIR, "model.json"))


class Handler(BaseHTTPRequestHandler):
    def _reply(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._reply(200 if self.path == "/ping" else 404, b"")

    def do_POST(self):
        if self.path != "/invocations":
            return self._reply(404, b"")
        text = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        try:
            rows = np.array([[float(v) for v in line.split(",")]
                             for line in text.splitlines() if line.strip()])
            matrix = xgb.DMatrix(rows.reshape(-1, len(FEATURES)), feature_names=list(FEATURES))
        except ValueError as exc:
            return self._reply(400, f"bad CSV: {exc}\n".encode())
        predictions = BOOSTER.predict(matrix)
        self._reply(200, "".join(f"{p:.4f}\n" for p in predictions).encode(), "text/csv")


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
