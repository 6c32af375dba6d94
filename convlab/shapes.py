"""Shape, padding and parameter arithmetic: integers in, integers out.

This module is the only place in convlab where sizes are computed. Every rule
follows TensorFlow (``tf.nn.conv2d``, ``tf.nn.max_pool2d``,
``keras.layers.Conv2DTranspose``) and is tested against its actual output shapes.

Per spatial axis, with input size ``n``, kernel size ``k``, stride ``s`` and
dilation ``d``, the dilated kernel spans ``k + (k - 1)(d - 1)`` cells and

* ``"valid"`` (no padding): ``out = floor((n - k_dilated) / s) + 1``,
  which equals ``ceil((n - k_dilated + 1) / s)``
* ``"same"``:  ``out = ceil(n / s)``, padding ``total = max((out - 1) s + k_dilated - n, 0)``,
  ``floor(total / 2)`` before and the rest after (the extra row or column goes to the
  bottom or right)
* explicit padding ``p`` (or ``(before, after)``): ``out = floor((n + 2p - k_dilated) / s) + 1``

Every size function takes ``n >= 1`` (an axis with no cells has no windows to count)
and raises ``ValueError`` naming the argument otherwise.

This module is the bottom layer of the package: it imports nothing from convlab and
checks its own integer arguments; the argument validation in ``_checks`` builds on it.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "Stamps",
    "Windows",
    "activation_count",
    "conv_output_size",
    "conv_params",
    "conv_transpose_output_size",
    "depthwise_params",
    "dilated_size",
    "locally_connected_params",
    "padding_amounts",
    "pool_output_size",
    "receptive_field",
    "same_padding",
    "separable_params",
    "transpose_stamps",
    "windows",
]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int(fn: str, name: str, value, *, minimum: int) -> int:
    if not _is_int(value):
        raise TypeError(f"{fn}: `{name}` must be an int; received {name}={value!r}.")
    if value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{fn}: `{name}` must be a {kind} int; received {name}={value!r}.")
    return int(value)


def _pair(fn: str, name: str, value, *, minimum: int = 1) -> tuple[int, int]:
    """Return ``value`` as an ``(h, w)`` pair of ints that are at least ``minimum``."""
    kind = "positive" if minimum == 1 else "non-negative"
    expected = f"a {kind} int or a pair of {kind} ints (h, w)"
    if _is_int(value):
        items = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_int, value)):
        items = tuple(value)
    else:
        raise TypeError(f"{fn}: `{name}` must be {expected}; received {name}={value!r}.")
    if min(items) < minimum:
        raise ValueError(f"{fn}: `{name}` must be {expected}; received {name}={value!r}.")
    return int(items[0]), int(items[1])


def _axis_padding(fn: str, padding):
    """``"valid"``, ``"same"`` or a ``(before, after)`` pair for one axis."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode in ("valid", "same"):
            return mode
        raise ValueError(
            f'{fn}: `padding` must be "valid", "same", an int or (before, after); '
            f"received padding={padding!r}."
        )
    if _is_int(padding):
        p = _int(fn, "padding", padding, minimum=0)
        return (p, p)
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        return tuple(_int(fn, "padding", p, minimum=0) for p in padding)
    raise TypeError(
        f'{fn}: `padding` must be "valid", "same", an int or (before, after); '
        f"received padding={padding!r}."
    )


def dilated_size(kernel_size: int, dilation_rate: int = 1) -> int:
    """Cells spanned by a kernel of ``kernel_size`` taps spaced ``dilation_rate`` apart.

    Examples
    --------
    >>> dilated_size(3, 2)
    5
    """
    k = _int("dilated_size", "kernel_size", kernel_size, minimum=1)
    d = _int("dilated_size", "dilation_rate", dilation_rate, minimum=1)
    return k + (k - 1) * (d - 1)


def _output_size(n: int, k: int, s: int, total_padding: int, d: int) -> int:
    """floor((n + padding - k_dilated) / s) + 1; may be < 1 when the kernel does not fit."""
    return (n + total_padding - (k + (k - 1) * (d - 1))) // s + 1


def _same_padding(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + k + (k - 1) * (d - 1) - n, 0)
    return total // 2, total - total // 2


def same_padding(n, kernel_size, *, strides=1, dilation_rate=1) -> tuple[int, int]:
    """TensorFlow's SAME padding ``(before, after)`` along one axis.

    Notes
    -----
    ``out = ceil(n / s)``; ``total = max((out - 1) s + k_dilated - n, 0)``; the
    smaller half goes before, so an odd total puts the extra cell at the end.

    Examples
    --------
    >>> same_padding(28, 5, strides=2)
    (1, 2)
    >>> same_padding(32, 8, strides=2)
    (3, 3)
    """
    fn = "same_padding"
    n = _int(fn, "n", n, minimum=1)
    k = _int(fn, "kernel_size", kernel_size, minimum=1)
    s = _int(fn, "strides", strides, minimum=1)
    d = _int(fn, "dilation_rate", dilation_rate, minimum=1)
    return _same_padding(n, k, s, d)


def padding_amounts(n, kernel_size, *, strides=1, padding="valid", dilation_rate=1):
    """Cells of padding ``(before, after)`` along one axis for any padding spec.

    ``padding`` is ``"valid"``, ``"same"`` (case-insensitive), an int (both sides) or
    a ``(before, after)`` pair.

    Examples
    --------
    >>> padding_amounts(32, 8, strides=2, padding="same")
    (3, 3)
    >>> padding_amounts(32, 8, strides=2, padding=1)
    (1, 1)
    """
    return _padding_amounts("padding_amounts", n, kernel_size, strides, padding, dilation_rate)


def _padding_amounts(fn, n, kernel_size, strides, padding, dilation_rate):
    """Validate and resolve one axis's padding, naming the public function ``fn``."""
    n = _int(fn, "n", n, minimum=1)
    k = _int(fn, "kernel_size", kernel_size, minimum=1)
    s = _int(fn, "strides", strides, minimum=1)
    d = _int(fn, "dilation_rate", dilation_rate, minimum=1)
    return _resolve_padding(n, k, s, _axis_padding(fn, padding), d)


def _resolve_padding(n: int, k: int, s: int, spec, d: int) -> tuple[int, int]:
    """``(before, after)`` for a checked spec: "valid", "same" or a (before, after) pair."""
    if spec == "valid":
        return (0, 0)
    if spec == "same":
        return _same_padding(n, k, s, d)
    return spec


def _conv_axis(fn, n, kernel_size, strides, padding, dilation_rate):
    """``(before, after, out)`` along one axis, checked; the error names ``fn``."""
    before, after = _padding_amounts(fn, n, kernel_size, strides, padding, dilation_rate)
    out = _output_size(n, kernel_size, strides, before + after, dilation_rate)
    if out < 1:
        raise ValueError(
            f"{fn}: the kernel ({dilated_size(kernel_size, dilation_rate)} cells "
            f"after dilation) is longer than the padded input ({n + before + after}); "
            f"received n={n}, kernel_size={kernel_size}, padding={padding!r}, "
            f"dilation_rate={dilation_rate}."
        )
    return before, after, out


def conv_output_size(n, kernel_size, *, strides=1, padding="valid", dilation_rate=1) -> int:
    """Output length of a convolution along one axis.

    Parameters
    ----------
    n : int
        Input length, at least 1.
    kernel_size : int
    strides : int
    padding : {"valid", "same"}, int or (before, after)
    dilation_rate : int

    Returns
    -------
    int
        ``floor((n + before + after - k_dilated) / s) + 1``, which for ``"same"`` is
        ``ceil(n / s)`` and for ``"valid"`` is ``ceil((n - k_dilated + 1) / s)``.

    Raises
    ------
    ValueError
        If ``n < 1``, or if the (dilated) kernel is longer than the padded input.

    Examples
    --------
    >>> conv_output_size(32, 8, strides=2, padding=1)
    14
    >>> conv_output_size(32, 8, strides=2, padding="same")
    16
    >>> conv_output_size(32, 8, strides=2, padding="valid")
    13
    >>> conv_output_size(28, 3, dilation_rate=2)
    24
    """
    _, _, out = _conv_axis("conv_output_size", n, kernel_size, strides, padding, dilation_rate)
    return out


def pool_output_size(n, pool_size, *, strides=None, padding="valid") -> int:
    """Output length of a pooling window along one axis (``strides`` defaults to ``pool_size``).

    Examples
    --------
    >>> pool_output_size(28, 2)
    14
    >>> pool_output_size(13, 3, strides=2)
    6
    >>> pool_output_size(3, 2, padding="same")
    2
    """
    fn = "pool_output_size"
    k = _int(fn, "pool_size", pool_size, minimum=1)
    s = k if strides is None else _int(fn, "strides", strides, minimum=1)
    spec = _axis_padding(fn, padding)
    if not isinstance(spec, str):
        raise ValueError(
            f'{fn}: `padding` must be "valid" or "same" for pooling; received padding={padding!r}.'
        )
    before, after = _padding_amounts(fn, n, k, s, spec, 1)
    out = _output_size(n, k, s, before + after, 1)
    if out < 1:
        raise ValueError(
            f"{fn}: the pool window ({k}) is longer than the input ({n}); "
            f"received n={n}, pool_size={pool_size}."
        )
    return out


def _transpose_geometry(n, k, s, padding, output_padding):
    """Output length and the crop ``before`` of a transposed convolution (Keras's rules)."""
    if padding == "valid":
        before = 0
        length = (
            n * s + max(k - s, 0) if output_padding is None else (n - 1) * s + k + output_padding
        )
    elif padding == "same":
        length = (
            n * s if output_padding is None else (n - 1) * s + k - 2 * (k // 2) + output_padding
        )
        before = max((n - 1) * s + k - length, 0) // 2
    else:
        before, after = padding
        length = (n - 1) * s + k - before - after + (output_padding or 0)
    return length, before


def conv_transpose_output_size(
    n, kernel_size, *, strides=1, padding="valid", output_padding=None
) -> int:
    """Output length of a transposed convolution along one axis, as Keras computes it.

    Notes
    -----
    With ``output_padding=None``: ``"valid"`` gives ``n s + max(k - s, 0)`` (that is
    ``s (n - 1) + k`` when ``k >= s``) and ``"same"`` gives ``n s``. With an
    ``output_padding`` ``a`` (which must be smaller than the stride):
    ``s (n - 1) + k - 2 pad + a`` where ``pad`` is 0 for valid and ``k // 2`` for same.
    Explicit ``(before, after)`` padding crops the full output:
    ``s (n - 1) + k - before - after + a``.

    Examples
    --------
    >>> conv_transpose_output_size(7, 3, strides=2)
    15
    >>> conv_transpose_output_size(7, 3, strides=2, padding="same")
    14
    >>> conv_transpose_output_size(7, 3, strides=2, padding="same", output_padding=1)
    14
    """
    fn = "conv_transpose_output_size"
    n = _int(fn, "n", n, minimum=1)
    k = _int(fn, "kernel_size", kernel_size, minimum=1)
    s = _int(fn, "strides", strides, minimum=1)
    spec = _axis_padding(fn, padding)
    if output_padding is not None:
        output_padding = _int(fn, "output_padding", output_padding, minimum=0)
        if output_padding >= s:
            raise ValueError(
                f"{fn}: `output_padding` must be smaller than `strides`; received "
                f"output_padding={output_padding}, strides={s}."
            )
    length, _ = _transpose_geometry(n, k, s, spec, output_padding)
    if length < 1:
        raise ValueError(
            f"{fn}: the padding crops away the whole output; received n={n}, "
            f"kernel_size={k}, strides={s}, padding={padding!r}."
        )
    return length


def _kernel_area(fn: str, kernel_size) -> int:
    kh, kw = _pair(fn, "kernel_size", kernel_size)
    return kh * kw


def conv_params(kernel_size, in_channels, filters, *, use_bias=True) -> int:
    """Trainable parameters of a Conv2D layer: ``(kh * kw * c_in + 1) * filters``.

    Examples
    --------
    >>> conv_params(5, 3, 1)
    76
    >>> conv_params(8, 3, 20)
    3860
    >>> conv_params(3, 16, 32)
    4640
    """
    fn = "conv_params"
    area = _kernel_area(fn, kernel_size)
    c_in = _int(fn, "in_channels", in_channels, minimum=1)
    f = _int(fn, "filters", filters, minimum=1)
    return (area * c_in + bool(use_bias)) * f


def locally_connected_params(
    kernel_size, in_channels, filters, output_size, *, use_bias=True
) -> int:
    """Parameters of the same layer without weight sharing: one filter per output position.

    ``output_size`` is the output's ``(height, width)`` (or an int for square maps).

    Examples
    --------
    >>> locally_connected_params(8, 3, 20, 14)
    756560
    """
    fn = "locally_connected_params"
    oh, ow = _pair(fn, "output_size", output_size)
    return conv_params(kernel_size, in_channels, filters, use_bias=use_bias) * oh * ow


def depthwise_params(kernel_size, in_channels, *, depth_multiplier=1, use_bias=True) -> int:
    """Parameters of a DepthwiseConv2D layer: ``kh * kw * c_in * m`` weights + ``c_in * m`` biases.

    Examples
    --------
    >>> depthwise_params(3, 16)
    160
    """
    fn = "depthwise_params"
    area = _kernel_area(fn, kernel_size)
    c_in = _int(fn, "in_channels", in_channels, minimum=1)
    m = _int(fn, "depth_multiplier", depth_multiplier, minimum=1)
    return (area + bool(use_bias)) * c_in * m


def separable_params(
    kernel_size, in_channels, filters, *, depth_multiplier=1, use_bias=True
) -> int:
    """Parameters of a SeparableConv2D layer: depthwise + pointwise weights + one bias per filter.

    Examples
    --------
    >>> separable_params(3, 16, 32)
    688
    """
    fn = "separable_params"
    area = _kernel_area(fn, kernel_size)
    c_in = _int(fn, "in_channels", in_channels, minimum=1)
    f = _int(fn, "filters", filters, minimum=1)
    m = _int(fn, "depth_multiplier", depth_multiplier, minimum=1)
    return area * c_in * m + c_in * m * f + f * bool(use_bias)


def activation_count(height, width, channels, *, layers=1) -> int:
    """Number of activations in ``layers`` maps of ``height x width x channels``.

    Examples
    --------
    >>> activation_count(224, 224, 64, layers=3)
    9633792
    """
    fn = "activation_count"
    values = [
        _int(fn, name, value, minimum=0)
        for name, value in (("height", height), ("width", width), ("channels", channels))
    ]
    return values[0] * values[1] * values[2] * _int(fn, "layers", layers, minimum=0)


def receptive_field(layers: Iterable) -> int:
    """Receptive field (in input pixels, along one axis) of a stack of layers.

    Parameters
    ----------
    layers : iterable of (kernel_size, strides) or (kernel_size, strides, dilation_rate)
        From the input upwards; a pooling layer is ``(pool_size, strides)``.

    Notes
    -----
    ``r = 1``, ``j = 1``; for each layer ``r += (k_dilated - 1) * j``, ``j *= s``:
    each layer widens the field by its kernel minus one, measured in the jump
    ``j`` (the product of the strides below it).

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1), (3, 1)])
    7
    >>> receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])
    16
    """
    fn = "receptive_field"
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise TypeError(
                f"{fn}: each layer must be (kernel_size, strides) or "
                f"(kernel_size, strides, dilation_rate); received layers[{index}]={layer!r}."
            )
        k = _int(fn, "kernel_size", layer[0], minimum=1)
        s = _int(fn, "strides", layer[1], minimum=1)
        d = _int(fn, "dilation_rate", layer[2], minimum=1) if len(layer) == 3 else 1
        field += (dilated_size(k, d) - 1) * jump
        jump *= s
    return field


# ------------------------------------------------------------------ where the windows fall
# The drawings (convlab.figures, convlab.widgets) take their geometry from here, so a
# picture can never disagree with the arithmetic above.


class Windows(NamedTuple):
    """Where the windows of a convolution or a pooling layer fall along one axis.

    Cells are numbered in the *padded* input: ``0 .. before - 1`` are padding, the
    real cells are ``before .. before + n - 1``, the rest is padding again.
    """

    before: int  #: padding cells before the input
    after: int  #: padding cells after the input
    padded: int  #: length of the padded input, ``before + n + after``
    taps: tuple[tuple[int, ...], ...]  #: for each output position, the cells its window reads
    unread: tuple[int, ...]  #: cells that no window reads (dropped, or skipped by the stride)


def windows(n, kernel_size, *, strides=1, padding="valid", dilation_rate=1) -> Windows:
    """The cells each window reads along one axis, and the cells none reads.

    Parameters are those of :func:`conv_output_size` (pooling uses the same rules with
    ``dilation_rate=1``). Output position ``i`` reads cells
    ``i * s + j * d`` for ``j = 0 .. k - 1`` of the padded input.

    Examples
    --------
    >>> w = windows(7, 2, strides=2)
    >>> w.taps, w.unread
    (((0, 1), (2, 3), (4, 5)), (6,))
    >>> windows(28, 5, strides=2, padding="same")[:2]
    (1, 2)
    >>> windows(5, 3, dilation_rate=2).taps
    ((0, 2, 4),)
    """
    before, after, out = _conv_axis("windows", n, kernel_size, strides, padding, dilation_rate)
    taps = tuple(
        tuple(i * strides + j * dilation_rate for j in range(kernel_size)) for i in range(out)
    )
    read = {cell for window in taps for cell in window}
    unread = tuple(c for c in range(n + before + after) if c not in read)
    return Windows(before, after, n + before + after, taps, unread)


class Stamps(NamedTuple):
    """Where a transposed convolution stamps its kernel along one axis.

    Input cell ``i`` adds ``x[i] * kernel`` to the output cells
    ``starts[i] .. starts[i] + k - 1``; cells outside ``0 .. length - 1`` are cropped
    (``"same"`` or explicit padding).
    """

    length: int  #: output length, as :func:`conv_transpose_output_size`
    starts: tuple[int, ...]  #: first output cell of each input cell's stamp


def transpose_stamps(n, kernel_size, *, strides=1, padding="valid", output_padding=None) -> Stamps:
    """Where each input cell's stamp lands in a transposed convolution's output.

    Examples
    --------
    >>> transpose_stamps(2, 3, strides=2)
    Stamps(length=5, starts=(0, 2))
    >>> transpose_stamps(2, 3, strides=2, output_padding=1)
    Stamps(length=6, starts=(0, 2))
    >>> transpose_stamps(3, 5, strides=2, padding="same")
    Stamps(length=6, starts=(-1, 1, 3))
    """
    fn = "transpose_stamps"
    n = _int(fn, "n", n, minimum=1)
    length = conv_transpose_output_size(
        n, kernel_size, strides=strides, padding=padding, output_padding=output_padding
    )
    _, before = _transpose_geometry(
        n, kernel_size, strides, _axis_padding(fn, padding), output_padding
    )
    return Stamps(length, tuple(i * strides - before for i in range(n)))
