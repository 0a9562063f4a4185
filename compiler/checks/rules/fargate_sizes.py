"""Fargate tasks use one of the CPU/memory pairs Fargate offers."""

from compiler.checks.finding import Finding
from compiler.inherit import default, iter_stages
from compiler.stage_graph import view_kind

RULE = "fargate-size"
DESCRIPTION = "Fargate tasks use a CPU and memory pair that Fargate offers"

# cpu units -> (lowest MiB, highest MiB, step MiB), from the ECS task size table.
FARGATE_MEMORY = {
    256: (512, 2048, None),  # 512, 1024 or 2048
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def valid_memory(cpu: int) -> list:
    low, high, step = FARGATE_MEMORY[cpu]
    return [512, 1024, 2048] if step is None else list(range(low, high + 1, step))


def check(context):
    for stage in iter_stages(context.config):
        if stage.values["compute"] == "fargate" and view_kind(stage) != "tuning":
            yield from _pair(stage.values["cpu"], stage.values["memory"],
                             stage.origin("memory") if "memory" in stage.origins and stage.origins["memory"] else stage.origin("cpu"))
    service = (context.pipelines.get("deploy") or {}).get("service")
    if service is not None and context.pipelines["deploy"]["target"] == "ecs-service":
        cpu, memory = service.get("cpu", default("cpu")), service.get("memory", default("memory"))
        where = ("pipelines", "deploy", "service", "memory" if "memory" in service else "cpu")
        yield from _pair(cpu, memory, where)


def _pair(cpu: int, memory: int, path: tuple):
    allowed = valid_memory(cpu)
    if memory not in allowed:
        shown = ", ".join(map(str, allowed)) if len(allowed) <= 8 else f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"
        yield Finding(path, f"Fargate has no task size with cpu {cpu} and memory {memory}",
                      f"with cpu {cpu}, memory may be {shown} (MiB)", RULE)
