"""The child process that scrubs one stored file, within the limits it is given.

``python -m sosbot.storage.scrub_child image|video ORIGINAL TARGET MAX_PIXELS MEMORY_BYTES
SECONDS``: the scrubbed copy is written to TARGET and one JSON line answers on stdout,
``{"ext": ".png"}`` or ``{"refused": "why"}``. Started by ``media_scrub.scrub_in_child``,
which also enforces the wall-clock limit; here the address space is capped (a decoder that
asks for more gets MemoryError, not the worker's memory) and so is CPU time (a backstop,
should the parent die while the child spins).

Whatever the file provokes in the scrubber is a refusal of that file: it is hostile input,
and failing closed means it is not sent. Only a child that cannot start or answer is an
error for the caller.
"""

from __future__ import annotations

import json
import math
import resource
import sys
from pathlib import Path

from PIL import Image

from sosbot.storage.media_scrub import scrub
from sosbot.storage.video_scrub import scrub_mp4


def limit(memory_bytes: int, seconds: float) -> None:
    """Cap this process's address space and CPU time."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = math.ceil(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def main(argv: list[str]) -> int:
    kind, original, target, max_pixels, memory_bytes, seconds = argv
    limit(int(memory_bytes), float(seconds))
    Image.MAX_IMAGE_PIXELS = int(max_pixels)  # Pillow's own checks (frames, plugins) too
    try:
        data = Path(original).read_bytes()
        if kind == "video":
            result, ext = scrub_mp4(data), ""
        else:
            result, ext = scrub(data, max_pixels=int(max_pixels))
    except MemoryError:
        answer: dict[str, str] = {"refused": f"scrubbing needs more than {memory_bytes} bytes"}
    except Exception as exc:  # the file's doing, whatever it is: refuse it
        answer = {"refused": f"{type(exc).__name__}: {exc}"[:500]}
    else:
        Path(target).write_bytes(result)
        answer = {"ext": ext}
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
