"""Run a trained Keras model with convlab's NumPy ops instead of TensorFlow.

Each supported layer is translated into the matching convlab operation with the
layer's own weights, in inference mode (dropout and augmentation off, batch
normalisation with its moving statistics). :func:`numpy_predict` returns what
``model.predict(x)`` returns; :func:`layer_outputs` yields every layer's output,
for looking inside the network.

:func:`numpy_predict` runs the same layers with one shortcut, as inference engines
do: a batch normalisation right after a convolution without activation is a
per-channel scale and shift of that convolution's output, so it is folded into
the convolution's kernel and bias (one pass over the feature maps fewer).
"""

from __future__ import annotations

import functools

import numpy as np

from . import ops

__all__ = ["SUPPORTED_LAYERS", "layer_outputs", "numpy_predict"]

_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": lambda x: _softmax(x),
}


def _softmax(x):
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _activation(layer):
    name = (
        getattr(layer.activation, "__name__", "linear")
        if hasattr(layer, "activation")
        else "linear"
    )
    if name not in _ACTIVATIONS:
        raise TypeError(
            f"numpy_predict: layer {layer.name!r} uses activation {name!r}; supported: "
            f"{', '.join(_ACTIVATIONS)}."
        )
    return _ACTIVATIONS[name]


def _finish(layer, y, bias):
    """Add the layer's bias, if it has one, and apply its activation."""
    if bias:
        y += bias[0]  # y is the layer's own new output: no copy needed
    return _activation(layer)(y)


def _padding(layer):
    return layer.padding  # "valid" or "same", as convlab spells it


def _conv2d(layer, x):
    kernel, *bias = layer.get_weights()
    y = ops.conv2d(
        x, kernel, strides=layer.strides, padding=_padding(layer), dilation_rate=layer.dilation_rate
    )
    return _finish(layer, y, bias)


def _depthwise(layer, x):
    kernel, *bias = layer.get_weights()
    y = ops.depthwise_conv2d(
        x, kernel, strides=layer.strides, padding=_padding(layer), dilation_rate=layer.dilation_rate
    )
    return _finish(layer, y, bias)


def _separable(layer, x):
    depthwise, pointwise, *bias = layer.get_weights()
    y = ops.separable_conv2d(
        x,
        depthwise,
        pointwise,
        strides=layer.strides,
        padding=_padding(layer),
        dilation_rate=layer.dilation_rate,
    )
    return _finish(layer, y, bias)


def _dense(layer, x):
    kernel, *bias = layer.get_weights()
    y = x @ kernel
    return _finish(layer, y, bias)


def _batch_norm_scale_shift(layer):
    """Batch normalisation at inference as ``x * scale + shift``, per channel."""
    weights = dict(
        zip([w.path.split("/")[-1] for w in layer.weights], layer.get_weights(), strict=True)
    )
    scale = 1 / np.sqrt(weights["moving_variance"] + layer.epsilon)
    if "gamma" in weights:
        scale = scale * weights["gamma"]
    shift = -weights["moving_mean"] * scale + weights.get("beta", 0)
    return scale, shift


def _batch_norm(layer, x):
    scale, shift = _batch_norm_scale_shift(layer)
    return x * scale.astype(x.dtype) + shift.astype(x.dtype)


def _max_pool(layer, x):
    return ops.max_pool2d(x, layer.pool_size, strides=layer.strides, padding=_padding(layer))


def _avg_pool(layer, x):
    return ops.avg_pool2d(x, layer.pool_size, strides=layer.strides, padding=_padding(layer))


def _identity(layer, x):
    return x


_LAYERS = {
    "Conv2D": _conv2d,
    "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
    "Dense": _dense,
    "BatchNormalization": _batch_norm,
    "MaxPooling2D": _max_pool,
    "AveragePooling2D": _avg_pool,
    "GlobalAveragePooling2D": lambda layer, x: x.mean(axis=(1, 2)),
    "GlobalMaxPooling2D": lambda layer, x: x.max(axis=(1, 2)),
    "Flatten": lambda layer, x: x.reshape(len(x), -1),
    "ReLU": lambda layer, x: np.maximum(x, 0),
    "Activation": lambda layer, x: _activation(layer)(x),
    "Softmax": lambda layer, x: _softmax(x),
    # Training-only layers: identity at inference.
    "Dropout": _identity,
    "RandomTranslation": _identity,
    "RandomRotation": _identity,
    "RandomZoom": _identity,
    "RandomFlip": _identity,
}
SUPPORTED_LAYERS = tuple(_LAYERS)


def _check_model(model):
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in _LAYERS:
            raise TypeError(
                f"numpy_predict: layer {layer.name!r} is a {kind}, which convlab cannot run; "
                f"supported: {', '.join(SUPPORTED_LAYERS)}."
            )


def layer_outputs(model, x):
    """Yield ``(layer, output)`` for each layer of a Sequential-style model, in order.

    Parameters
    ----------
    model : keras.Model
        Layers applied one after the other (a ``keras.Sequential``).
    x : array_like, shape (n, h, w, c)
    """
    _check_model(model)
    y = np.asarray(x, dtype=np.float32)
    for layer in model.layers:
        y = _LAYERS[type(layer).__name__](layer, y).astype(np.float32, copy=False)
        yield layer, y


def _folds_into(conv, layer):
    """Whether ``layer`` is a batch normalisation of ``conv``'s output channels that can
    be folded into ``conv``: a Conv2D without activation, normalised along channels."""
    return (
        type(conv).__name__ == "Conv2D"
        and getattr(conv.activation, "__name__", "") == "linear"
        and type(layer).__name__ == "BatchNormalization"
        and layer.axis in (-1, 3, [-1], [3])
    )


def _folded_conv2d(conv, batch_norm):
    """``batch_norm(conv(x))`` as one convolution: each filter scaled, its bias shifted."""
    kernel, *bias = conv.get_weights()
    scale, shift = _batch_norm_scale_shift(batch_norm)
    kernel = (kernel * scale).astype(np.float32)
    bias = ((bias[0] if bias else 0) * scale + shift).astype(np.float32)
    options = dict(strides=conv.strides, padding=_padding(conv), dilation_rate=conv.dilation_rate)

    def step(x):
        y = ops.conv2d(x, kernel, **options)
        y += bias
        return y

    return step


def _steps(model):
    """The model as a list of functions of the batch, with batch norms folded (see above)."""
    layers = [layer for layer in model.layers if _LAYERS[type(layer).__name__] is not _identity]
    steps = []
    while layers:
        layer = layers.pop(0)
        if layers and _folds_into(layer, layers[0]):
            steps.append(_folded_conv2d(layer, layers.pop(0)))
        else:
            steps.append(functools.partial(_LAYERS[type(layer).__name__], layer))
    return steps


def numpy_predict(model, x, *, batch_size=256):
    """What ``model.predict(x)`` returns, computed with convlab's NumPy ops.

    Parameters
    ----------
    model : keras.Model
        A Sequential-style model built from the layers in ``SUPPORTED_LAYERS``.
    x : array_like, shape (n, ...)
        A batch shaped like the model's input, e.g. NHWC images.
    batch_size : int
        Images per step (bounds the memory of the intermediate maps).

    Returns
    -------
    ndarray of float32
        The model's outputs, equal to Keras's within float32 rounding (a batch
        normalisation after a convolution is folded into it, see the module's notes).

    Raises
    ------
    TypeError
        If the model contains a layer convlab cannot run.
    """
    _check_model(model)
    x = np.asarray(x, dtype=np.float32)
    expected = tuple(model.inputs[0].shape)
    if x.ndim != len(expected):
        hint = (
            " For a single image, add a batch axis: x[None]." if x.ndim == len(expected) - 1 else ""
        )
        raise ValueError(
            f"numpy_predict: `x` must be a batch shaped like the model's input {expected}; "
            f"received shape {x.shape}.{hint}"
        )
    steps = _steps(model)

    def run(batch):
        for step in steps:
            batch = step(batch).astype(np.float32, copy=False)
        return batch

    parts = [run(x[start : start + batch_size]) for start in range(0, len(x), batch_size)]
    if not parts:  # an empty batch: run one image for the output shape
        return run(np.zeros((1, *x.shape[1:]), np.float32))[:0]
    return np.concatenate(parts)
