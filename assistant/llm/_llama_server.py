"""Run llama-cpp-python's OpenAI-compatible server with llama.cpp's extra buffer types off.

Usage: ``python _llama_server.py [llama_cpp.server arguments]`` (the same as
``python -m llama_cpp.server``).

Why: llama.cpp's CPU backend offers "extra buffer types" that repack weights for special
kernels (AMX on Intel Xeon, the generic CPU repack, KleidiAI on Arm). On Intel hosts with
AMX, the AMX buffer type segfaults on the first completion (the server exits with 139 while
``/v1/models`` still answers; upstream "segfault in ggml_backend_amx_mul_mat"). Loading the
model with ``llama_model_params.use_extra_bufts = False`` uses the plain CPU buffers, which
work on every x86-64 and Arm host. llama-cpp-python's ``Llama`` has no argument for that
field, so this script makes the library's default model parameters carry it, for this
process only: every model this server loads gets it, whatever the command line says.
Costs nothing measurable for the embedded 135M model (its Q4_1 weights have no repacked
kernel on x86-64 anyway; see the embedded tests' latency figures).

It is run as a plain script, so it imports nothing from the assistant package (fast start,
and no package state in the server process).
"""

from __future__ import annotations

import sys

import llama_cpp.llama_cpp as llama_lib

_FIELD = "use_extra_bufts"
MARKER = "assistant: llama.cpp extra buffer types (AMX, CPU repack) are off"


def _without_extra_buffer_types() -> None:
    fields = {name for name, *_ in llama_lib.llama_model_params._fields_}
    if _FIELD not in fields:
        sys.exit(
            f"this llama-cpp-python has no llama_model_params.{_FIELD}, which the embedded "
            "server needs (0.3.36 has it): pip install -U 'llama-cpp-python[server]'"
        )
    library_defaults = llama_lib.llama_model_default_params

    def defaults_without_extra_buffer_types() -> llama_lib.llama_model_params:
        params = library_defaults()
        params.use_extra_bufts = False
        return params

    # llama_cpp.Llama reads the defaults through this module attribute at load time.
    llama_lib.llama_model_default_params = defaults_without_extra_buffer_types


def main() -> None:
    _without_extra_buffer_types()
    print(MARKER, file=sys.stderr, flush=True)
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
