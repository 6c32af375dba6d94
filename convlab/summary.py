"""A per-layer table for a Keras model: output shape, parameters, FLOPs, memory, receptive field.

Parameter counts are read from Keras (and their sum checked against
``model.count_params()``); everything else is computed here from the layer's
settings, with sizes and receptive fields from :mod:`convlab.shapes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import shapes

__all__ = ["LayerRow", "LayerTable", "layer_table"]


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    params: int
    flops: int  # multiply-adds count as 2 FLOPs, per example
    activation_bytes: int  # the layer's output, per example
    receptive_field: int | None  # input pixels along one axis; None once everything is mixed


class LayerTable:
    """Rows of :class:`LayerRow` with totals; shows as a text table (and HTML in notebooks)."""

    headers = ("layer", "output shape", "params", "FLOPs", "activations", "receptive field")

    def __init__(self, rows, total_params):
        self.rows = list(rows)
        self.total_params = total_params

    @property
    def total_flops(self) -> int:
        return sum(row.flops for row in self.rows)

    @property
    def total_activation_bytes(self) -> int:
        return sum(row.activation_bytes for row in self.rows)

    def _cells(self):
        for row in self.rows:
            field = (
                "all"
                if row.receptive_field is None
                else f"{row.receptive_field}x{row.receptive_field}"
            )
            yield (
                f"{row.name} ({row.kind})",
                str(row.output_shape),
                f"{row.params:,}",
                _si(row.flops),
                _bytes(row.activation_bytes),
                field,
            )
        yield (
            "total",
            "",
            f"{self.total_params:,}",
            _si(self.total_flops),
            _bytes(self.total_activation_bytes),
            "",
        )

    def __repr__(self) -> str:
        lines = [self.headers, *self._cells()]
        widths = [max(len(line[i]) for line in lines) for i in range(len(self.headers))]
        text = [
            "  ".join(
                cell.ljust(width) if i < 2 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
            for line in lines
        ]
        text.insert(1, "-" * len(text[0]))
        text.insert(len(text) - 1, "-" * len(text[0]))
        return "\n".join(line.rstrip() for line in text)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self.headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"
            for cells in self._cells()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _si(value: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return str(value)


def _bytes(value: int) -> str:
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def layer_table(model, *, bytes_per_value: int = 4) -> LayerTable:
    """Describe each layer of a built Keras model, per example.

    Parameters
    ----------
    model : keras.Model
        A Sequential or functional model with a known input shape.
    bytes_per_value : int
        Size of one activation (4 for float32).

    Returns
    -------
    LayerTable
        ``rows`` (one :class:`LayerRow` per layer) and totals. FLOPs count a
        multiply-add as 2; pooling and activations count 0. The receptive field is
        along the height, in input pixels, through convolutions and pooling; after
        a layer that mixes all positions (Flatten, Dense, global pooling) it is
        "all".

    Raises
    ------
    ValueError
        If the parameter counts do not add up to ``model.count_params()`` (a layer
        type this function does not understand).
    """
    rows = []
    windows = []  # (kernel, stride, dilation) of the spatial layers so far
    mixed = False  # a layer that sees every position (dense, flatten, global pooling)
    for layer in model.layers:
        kind = type(layer).__name__
        out_shape = tuple(layer.output.shape)
        per_example = math.prod(d for d in out_shape[1:] if d is not None)
        flops = 0
        if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D"):
            (kh, kw), (sh, _), (dh, _) = (
                _pair(layer.kernel_size),
                _pair(layer.strides),
                _pair(layer.dilation_rate),
            )
            c_in = layer.input.shape[-1]
            positions = math.prod(out_shape[1:3])
            if kind == "Conv2D":
                flops = 2 * kh * kw * c_in * positions * out_shape[3]
            else:
                multiplier = layer.depth_multiplier
                flops = 2 * kh * kw * c_in * multiplier * positions
                if kind == "SeparableConv2D":
                    flops += 2 * c_in * multiplier * positions * out_shape[3]
            windows.append((kh, sh, dh))
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            (kh, _), (sh, _) = _pair(layer.pool_size), _pair(layer.strides)
            windows.append((kh, sh))
        elif kind == "Dense":
            flops = 2 * layer.input.shape[-1] * layer.units
            mixed = True
        elif kind in ("Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            mixed = True
        rows.append(
            LayerRow(
                name=layer.name,
                kind=kind,
                output_shape=out_shape[1:],
                params=layer.count_params(),
                flops=flops,
                activation_bytes=per_example * bytes_per_value,
                receptive_field=None if mixed else shapes.receptive_field(windows),
            )
        )
    total = sum(row.params for row in rows)
    if total != model.count_params():
        raise ValueError(
            f"layer_table: the layers' parameters add up to {total:,} but "
            f"model.count_params() is {model.count_params():,}; a layer type is not understood."
        )
    return LayerTable(rows, total)
