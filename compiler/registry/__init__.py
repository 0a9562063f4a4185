"""The lite model registry: items in the platform's registry table (`items`), the Lambda handler
that keeps them current from the pipelines' events (`handler`), and `mlopsc registry` (`cli`,
`store`).

`items` and `handler` use only the standard library and boto3: the handler's zip
(`package.handler_zip`) holds this package's `__init__`, `items` and `handler` and nothing else, so
nothing here may import another part of mlopsc.
"""
