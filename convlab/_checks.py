"""Argument validation for convlab's public functions.

Every public op validates its arguments once, here, and every message names the
function, the argument, what was expected and what was received. Nothing below
the entry point re-checks.

Layering: :mod:`convlab.shapes` (sizes, and the checks of integer arguments) sits
below this module, which uses it for every size; shapes never imports this module.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import shapes

__all__ = [
    "ConvArgs",
    "PoolArgs",
    "as_array",
    "conv_args",
    "pair",
    "padding_spec",
    "pool_args",
]

_PADDING_HELP = '"valid", "same", an int, (pad_h, pad_w) or ((top, bottom), (left, right))'


# Integers and (h, w) pairs are checked by shapes, the layer below this one.
_is_int = shapes._is_int
pair = shapes._pair


def padding_spec(fn: str, padding, *, explicit: bool = True):
    """Normalise ``padding`` to ``"valid"``, ``"same"`` or ``((top, bottom), (left, right))``."""
    allowed = _PADDING_HELP if explicit else '"valid" or "same"'
    if isinstance(padding, str):
        mode = padding.lower()
        if mode in ("valid", "same"):
            return mode
        raise ValueError(f"{fn}: `padding` must be {allowed}; received padding={padding!r}.")
    if explicit:
        if _is_int(padding):
            if padding < 0:
                raise ValueError(
                    f"{fn}: `padding` must not be negative; received padding={padding!r}."
                )
            return ((int(padding),) * 2,) * 2
        if isinstance(padding, (tuple, list)) and len(padding) == 2:
            if all(map(_is_int, padding)):
                (ph, pw) = padding
                spec = ((ph, ph), (pw, pw))
            elif all(
                isinstance(p, (tuple, list)) and len(p) == 2 and all(map(_is_int, p))
                for p in padding
            ):
                spec = tuple(tuple(p) for p in padding)
            else:
                spec = None
            if spec is not None:
                if min(min(p) for p in spec) < 0:
                    raise ValueError(
                        f"{fn}: `padding` must not be negative; received padding={padding!r}."
                    )
                return tuple((int(a), int(b)) for a, b in spec)
    raise TypeError(f"{fn}: `padding` must be {allowed}; received padding={padding!r}.")


def as_array(fn: str, name: str, value, *, ndim: int, layout: str, hint: str = ""):
    """Return ``value`` as a numeric ndarray with ``ndim`` axes (any float or int dtype)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise TypeError(
            f"{fn}: `{name}` must be a numeric array; could not convert it ({error})."
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{fn}: `{name}` must be a numeric (bool, int or float) array; "
            f"received an array of dtype {array.dtype}."
        )
    if array.ndim != ndim:
        message = f"{fn}: `{name}` must be a {ndim}-D array {layout}; received shape {array.shape}."
        if hint and array.ndim == ndim - 1:
            message += f" {hint}"
        raise ValueError(message)
    return array


def float_dtype(*arrays) -> np.dtype:
    """float64 if any input is float64, else float32 (ints and halves compute in float32)."""
    return np.result_type(np.float32, *(a.dtype for a in arrays if a.dtype.kind == "f"))


def images(fn: str, x, name: str = "x"):
    return as_array(
        fn,
        name,
        x,
        ndim=4,
        layout="in NHWC layout (batch, height, width, channels)",
        hint=f"For a single image, add a batch axis: {name}[None].",
    )


def _check_positive_dims(fn: str, name: str, shape, axes, what: str):
    for axis in axes:
        if shape[axis] < 1:
            raise ValueError(
                f"{fn}: `{name}` must have at least one {what}; received shape {shape}."
            )


def _images_and_kernel(fn, x, kernel, *, layout, hint, in_axis, note=""):
    """An NHWC batch and a 4-D kernel whose axis ``in_axis`` holds x's channels."""
    x = images(fn, x)
    kernel = as_array(fn, "kernel", kernel, ndim=4, layout=layout, hint=hint)
    _check_positive_dims(fn, "kernel", kernel.shape, (0, 1), "row and column")
    _check_positive_dims(fn, "x", x.shape, (3,), "channel")
    if kernel.shape[in_axis] != x.shape[3]:
        raise ValueError(
            f"{fn}: `kernel` expects {kernel.shape[in_axis]} input channels "
            f"(kernel.shape[{in_axis}]{note}) but `x` has {x.shape[3]} (x.shape[3]); "
            f"received x.shape={x.shape}, kernel.shape={kernel.shape}."
        )
    return x, kernel


class ConvArgs(NamedTuple):
    """Validated arguments of a convolution: arrays in the compute dtype plus geometry."""

    x: np.ndarray
    kernel: np.ndarray
    strides: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    out_hw: tuple[int, int]


def conv_args(
    fn: str,
    x,
    kernel,
    strides,
    padding,
    dilation_rate,
    *,
    kernel_layout: str = "(kernel_height, kernel_width, in_channels, out_channels)",
) -> ConvArgs:
    """Validate a forward convolution's arguments; the kernel's axis 2 must match x's channels."""
    x, kernel = _images_and_kernel(
        fn,
        x,
        kernel,
        layout=kernel_layout,
        hint="For a 2-D kernel use kernel[:, :, None, None] or convlab.kernels.as_filter(kernel).",
        in_axis=2,
    )
    strides = pair(fn, "strides", strides)
    dilation = pair(fn, "dilation_rate", dilation_rate)
    spec = padding_spec(fn, padding)
    pads, out_hw = _geometry(fn, x.shape[1:3], kernel.shape[:2], strides, spec, dilation)
    dtype = float_dtype(x, kernel)
    return ConvArgs(
        x.astype(dtype, copy=False),
        kernel.astype(dtype, copy=False),
        strides,
        dilation,
        pads,
        out_hw,
    )


def _geometry(fn, size_hw, kernel_hw, strides, spec, dilation):
    """Padding and output size per spatial axis, with a clear error when the kernel does not fit."""
    pads, out = [], []
    for axis in range(2):
        n, k, s, d = size_hw[axis], kernel_hw[axis], strides[axis], dilation[axis]
        per_axis = spec if isinstance(spec, str) else spec[axis]
        before, after = shapes._resolve_padding(n, k, s, per_axis, d)
        pads.append((before, after))
        out.append(shapes._output_size(n, k, s, before + after, d))
    if min(out) < 1 and not (spec == "same"):
        dilated = tuple(shapes.dilated_size(k, d) for k, d in zip(kernel_hw, dilation, strict=True))
        padded = tuple(n + sum(p) for n, p in zip(size_hw, pads, strict=True))
        window = f"{kernel_hw[0]}x{kernel_hw[1]}"
        if dilated != tuple(kernel_hw):
            window += f", {dilated[0]}x{dilated[1]} with dilation"
        raise ValueError(
            f"{fn}: the window ({window}) is larger than the padded input "
            f"({padded[0]}x{padded[1]}); received input {size_hw[0]}x{size_hw[1]} with "
            f"padding={spec!r}. Use a smaller window, more padding or padding='same'."
        )
    return tuple(pads), tuple(out)


class PoolArgs(NamedTuple):
    x: np.ndarray
    pool: tuple[int, int]
    strides: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    out_hw: tuple[int, int]


def pool_args(fn: str, x, pool_size, strides, padding) -> PoolArgs:
    """Validate a pooling op's arguments; ``strides=None`` means ``pool_size`` (as in Keras)."""
    x = images(fn, x)
    pool = pair(fn, "pool_size", pool_size)
    strides = pool if strides is None else pair(fn, "strides", strides)
    spec = padding_spec(fn, padding, explicit=False)
    pads, out_hw = _geometry(fn, x.shape[1:3], pool, strides, spec, (1, 1))
    return PoolArgs(x.astype(float_dtype(x), copy=False), pool, strides, pads, out_hw)


def transpose_args(fn: str, x, kernel, strides, padding, output_padding) -> ConvArgs:
    """Validate a transposed convolution; ``pads`` holds the cells cropped before each axis."""
    x, kernel = _images_and_kernel(
        fn,
        x,
        kernel,
        layout="(kernel_height, kernel_width, out_channels, in_channels)",
        hint="For a 2-D kernel use kernel[:, :, None, None].",
        in_axis=3,
        note="; transposed kernels are (kh, kw, out_channels, in_channels)",
    )
    strides = pair(fn, "strides", strides)
    spec = padding_spec(fn, padding)
    extra = (
        None if output_padding is None else pair(fn, "output_padding", output_padding, minimum=0)
    )
    if extra is not None and (extra[0] >= strides[0] or extra[1] >= strides[1]):
        raise ValueError(
            f"{fn}: `output_padding` must be smaller than `strides` along each axis; "
            f"received output_padding={output_padding!r}, strides={strides}."
        )
    pads, out = [], []
    for axis in range(2):
        per_axis = spec if isinstance(spec, str) else spec[axis]
        length, before = shapes._transpose_geometry(
            x.shape[1 + axis],
            kernel.shape[axis],
            strides[axis],
            per_axis,
            None if extra is None else extra[axis],
        )
        # The transposed op is the gradient of a forward conv from `length` back to n;
        # TensorFlow rejects settings where that forward conv would not give n.
        k, s = kernel.shape[axis], strides[axis]
        if length > 0 and x.shape[1 + axis] != shapes._output_size(
            length, k, s, sum(shapes._resolve_padding(length, k, s, per_axis, 1)), 1
        ):
            raise ValueError(
                f"{fn}: padding={padding!r} with kernel size {kernel.shape[axis]} and "
                f"output_padding={output_padding!r} gives an output of {length} cells, too "
                f"short to come from {x.shape[1 + axis]} input cells at stride "
                f"{strides[axis]}; use output_padding >= 1 or an odd kernel."
            )
        pads.append((before, 0))
        out.append(length)
    if min(out) < 1 and x.shape[1] * x.shape[2] > 0:
        raise ValueError(
            f"{fn}: the padding crops away the whole output; received x.shape={x.shape}, "
            f"kernel.shape={kernel.shape}, padding={padding!r}."
        )
    dtype = float_dtype(x, kernel)
    return ConvArgs(
        x.astype(dtype, copy=False),
        kernel.astype(dtype, copy=False),
        strides,
        (1, 1),
        tuple(pads),
        (max(out[0], 0), max(out[1], 0)),
    )
