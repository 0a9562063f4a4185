# The port keeps the model's own Dockerfiles; a stand-in here.
FROM public.ecr.aws/docker/library/python:3.12-slim
