"""numpy_predict runs Keras models through convlab and returns what model.predict returns."""

import numpy as np
import pytest

import convlab
from convlab import predict

from oracle import assert_matches


@pytest.fixture(scope="module")
def keras(tf):
    import keras

    return keras


def trained_like(model, rng):
    """Random weights everywhere (and non-trivial batch-norm statistics)."""
    model.set_weights(
        [rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in model.get_weights()]
    )
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            *others, variance = layer.get_weights()  # gamma and beta are optional
            layer.set_weights([*others, np.abs(variance) + 0.5])
    return model


def test_every_supported_layer_matches_keras(keras, rng):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((12, 11, 3)),
            layers.RandomTranslation(0.1, 0.1),
            layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="tanh"),
            layers.SeparableConv2D(6, 3, dilation_rate=1, activation="sigmoid"),
            layers.MaxPooling2D(2, padding="same"),
            layers.AveragePooling2D(1),
            layers.Conv2D(5, 1, use_bias=False),
            layers.Activation("relu"),
            layers.Dropout(0.5),
            layers.Flatten(),
            layers.Dense(7, activation="relu"),
            layers.Dense(4, activation="softmax"),
        ]
    )
    trained_like(model, rng)
    x = rng.random((9, 12, 11, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    ours = convlab.numpy_predict(model, x, batch_size=4)  # uneven batches on purpose
    assert ours.shape == expected.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_lean_and_classic_recipes_match_keras(keras, rng):
    from convlab.train import RECIPES

    x = rng.random((6, 28, 28, 1)).astype(np.float32)
    for name in ("lean", "classic"):
        model = trained_like(RECIPES[name].build(keras), rng)
        # Random weights give logits in the thousands: compare relative to their scale.
        assert_matches(convlab.numpy_predict(model, x), model.predict(x, verbose=0))


def test_batch_norm_after_a_linear_convolution_is_folded_into_it(keras, rng):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((10, 9, 3)),
            layers.Conv2D(6, 3, padding="same"),  # with a bias: folded
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.2),
            layers.Conv2D(5, 3, use_bias=False),  # no bias: folded
            layers.BatchNormalization(center=False, scale=False),
            layers.Conv2D(4, 3, activation="relu"),  # an activation first: not folded
            layers.BatchNormalization(),
        ]
    )
    trained_like(model, rng)
    steps = predict._steps(model)
    assert len(steps) == 5  # conv+bn, relu, conv+bn, conv, bn (dropout dropped)
    x = rng.random((5, 10, 9, 3)).astype(np.float32)
    assert_matches(convlab.numpy_predict(model, x, batch_size=2), model.predict(x, verbose=0))
    layer_by_layer = list(predict.layer_outputs(model, x))[-1][1]
    assert_matches(convlab.numpy_predict(model, x), layer_by_layer)


def test_global_pooling_and_layer_outputs(keras, rng):
    model = keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(3, 3, name="c"),
            keras.layers.GlobalAveragePooling2D(name="g"),
        ]
    )
    trained_like(model, rng)
    x = rng.random((2, 6, 6, 2)).astype(np.float32)
    outputs = list(predict.layer_outputs(model, x))
    assert [(layer.name, y.shape) for layer, y in outputs] == [("c", (2, 4, 4, 3)), ("g", (2, 3))]
    np.testing.assert_allclose(outputs[-1][1], model.predict(x, verbose=0), atol=1e-5)


def test_unsupported_layer_is_named(keras):
    model = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Conv2DTranspose(1, 3, name="up")]
    )
    with pytest.raises(
        TypeError, match="numpy_predict: layer 'up' is a Conv2DTranspose, which convlab cannot run"
    ):
        convlab.numpy_predict(model, np.zeros((1, 4, 4, 1)))


def test_unsupported_activation_is_named(keras):
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, activation="gelu", name="d")]
    )
    with pytest.raises(TypeError, match="numpy_predict: layer 'd' uses activation 'gelu'"):
        convlab.numpy_predict(model, np.zeros((1, 4)))


def test_rank_and_empty_batch(keras):
    model = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    with pytest.raises(
        ValueError,
        match=r"numpy_predict: `x` must be a batch shaped like the model's input \(None, 4, 4, 1\); received shape \(4, 4, 1\). For a single image, add a batch axis: x\[None\].",
    ):
        convlab.numpy_predict(model, np.zeros((4, 4, 1)))
    assert convlab.numpy_predict(model, np.zeros((0, 4, 4, 1))).shape == (0, 3)
