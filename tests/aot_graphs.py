"""The aten graphs torch.compile hands its backend, for tests that check what a compiled graph runs."""

from __future__ import annotations

import torch


def aot_graphs(fn, x: torch.Tensor, backward: bool = False):
    """The FX graphs' code (forward, then backward) that dynamo + AOT autograd trace for `fn(x)` (run with
    aot_eager: the graphs run as traced), and the output. With `backward`, ``out.sum()`` is
    differentiated so that the backward graph is traced too."""
    from functorch.compile import make_boxed_func
    from torch._dynamo.backends.common import aot_autograd

    graphs = []

    def record(gm, example_inputs):
        graphs.append(gm.code)
        return make_boxed_func(gm.forward)

    torch._dynamo.reset()
    compiled = torch.compile(fn, backend=aot_autograd(fw_compiler=record, bw_compiler=record), fullgraph=True)
    out = compiled(x)
    if backward and out.requires_grad:
        out.sum().backward()
    return graphs, out
