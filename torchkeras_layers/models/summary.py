"""`model.summary()`: Keras' table (layer (type), output shape, param #, connections) as plain text."""

from __future__ import annotations

import math

__all__ = ["format_summary", "readable_memory_size"]


def readable_memory_size(size: float) -> str:
    """Keras' `readable_memory_size`: 4224 -> '4.12 KB'."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def format_shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _layer_params(layer) -> str:
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _weight_bytes(model, trainable: bool) -> tuple[int, int]:
    count = size = 0
    for tensor, (_, owner, info) in zip(model.keras_weight_tensors(), model.keras_weights()):
        if model.is_trainable_weight(owner, info) == trainable:  # live flags, as trainable_weights
            n = math.prod(info.keras_shape)
            count += n
            size += n * tensor.element_size()
    return count, size


def format_summary(model, line_length: int | None = None, positions=None, show_trainable: bool = False) -> str:
    """The text of `model.summary()`. `model._summary_rows()` gives (layer, output shape, connected-to)."""
    rows = model._summary_rows()
    graph = any(connected is not None for _, _, connected in rows)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph else [])
    if show_trainable:
        headers.append("Trainable")
    cells = []
    for layer, shape, connected in rows:
        label = getattr(layer, "class_label", type(layer).__name__)
        row = [f"{layer.name} ({label})", format_shape(shape), _layer_params(layer)]
        if graph:
            row.append(connected or "-")
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        cells.append(row)
    default = [31, 22, 13, 25, 9] if graph else [31, 22, 13, 9]
    widths = [max([default[i], len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    if line_length:  # stretch the first column so the table spans `line_length`
        widths[0] = max(widths[0], line_length - sum(w + 3 for w in widths[1:]) - 4)
    if positions:  # Keras' relative column ends; honoured as minimum widths
        ends = [int(p * (line_length or sum(widths) + 3 * len(widths))) if p <= 1 else int(p) for p in positions]
        starts = [0] + ends[:-1]
        widths = [max(w, e - s - 3) for w, s, e in zip(widths, starts, ends)]
    right = {2}  # Param # is right-aligned, as in Keras

    def line(left, mid, end, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + end

    def row_text(values, edge="│"):
        parts = [f" {v.rjust(w) if i in right else v.ljust(w)} " for i, (v, w) in enumerate(zip(values, widths))]
        return edge + edge.join(parts) + edge

    out = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━"), row_text(headers, "┃"), line("┡", "╇", "┩", "━")]
    for i, row in enumerate(cells):
        out.append(row_text(row))
        out.append(line("├", "┼", "┤", "─") if i < len(cells) - 1 else line("└", "┴", "┘", "─"))
    if not cells:
        out.append(line("└", "┴", "┘", "─"))
    trainable, t_size = _weight_bytes(model, True) if model.built else (0, 0)
    frozen, f_size = _weight_bytes(model, False) if model.built else (0, 0)
    out.append(f" Total params: {trainable + frozen:,} ({readable_memory_size(t_size + f_size)})")
    out.append(f" Trainable params: {trainable:,} ({readable_memory_size(t_size)})")
    out.append(f" Non-trainable params: {frozen:,} ({readable_memory_size(f_size)})")
    return "\n".join(out)
