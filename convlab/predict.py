"""Run a trained Keras model with convlab's NumPy ops instead of TensorFlow.

Each supported layer is translated into the matching convlab operation with the
layer's own weights, in inference mode (dropout and augmentation off, batch
normalisation with its moving statistics). :func:`numpy_predict` returns what
``model.predict(x)`` returns; :func:`layer_outputs` yields every layer's output,
for looking inside the network.
"""

from __future__ import annotations

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
    return _activation(layer)(y + bias[0] if bias else y)


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


def _batch_norm(layer, x):
    weights = dict(
        zip([w.path.split("/")[-1] for w in layer.weights], layer.get_weights(), strict=True)
    )
    scale = 1 / np.sqrt(weights["moving_variance"] + layer.epsilon)
    if "gamma" in weights:
        scale = scale * weights["gamma"]
    shift = -weights["moving_mean"] * scale + weights.get("beta", 0)
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


def numpy_predict(model, x, *, batch_size=1024):
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
        The model's outputs, equal to Keras's within float32 rounding.

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
    parts = []
    for start in range(0, len(x), batch_size):
        *_, (_, last) = layer_outputs(model, x[start : start + batch_size])
        parts.append(last)
    if not parts:  # an empty batch: run one image for the output shape
        *_, (_, last) = layer_outputs(model, np.zeros((1, *x.shape[1:]), np.float32))
        return last[:0]
    return np.concatenate(parts)
