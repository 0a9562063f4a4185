"""moto's server (`python -m moto.server`), with a fix for a gap where moto answers unlike AWS.

- moto 5.2.x stores a bucket's EventBridgeConfiguration (and sends the bucket's events to
  EventBridge) but leaves it out of GetBucketNotificationConfiguration's answer
  (moto/s3/responses.py, get_bucket_notification). AWS returns an empty
  <EventBridgeConfiguration/> element when it is enabled (Amazon S3 API reference,
  GetBucketNotificationConfiguration), which apply reads to leave an enabled bucket unchanged.
"""

from __future__ import annotations

import sys

from moto import server
from moto.s3.responses import S3Response

_answer = S3Response.get_bucket_notification


def _with_eventbridge(self):
    status, headers, body = _answer(self)
    configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if configuration is not None and configuration.event_bridge is not None:
        text = body.decode() if isinstance(body, bytes) else body
        if "<EventBridgeConfiguration" not in text:
            if "</NotificationConfiguration>" in text:
                text = text.replace("</NotificationConfiguration>",
                                    "<EventBridgeConfiguration/></NotificationConfiguration>")
            else:  # an otherwise empty configuration: <NotificationConfiguration/>
                text = text.replace("/>", "><EventBridgeConfiguration/></NotificationConfiguration>", 1)
            body = text.encode() if isinstance(body, bytes) else text
            headers.pop("content-length", None)
    return status, headers, body


S3Response.get_bucket_notification = _with_eventbridge

if __name__ == "__main__":
    server.main(sys.argv[1:])
