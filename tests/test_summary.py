"""The per-layer table against Keras's counts and TensorFlow's real receptive fields."""

import pytest

from convlab import shapes, summary


@pytest.fixture(scope="module")
def keras(tf):
    import keras

    return keras


def classic(keras):
    from convlab.train import RECIPES

    return RECIPES["classic"].build(keras)  # the notes' network, as notebooks 05 and 06 show it


def test_rows_match_keras(keras):
    model = classic(keras)
    table = summary.layer_table(model)
    assert [row.name for row in table.rows] == [layer.name for layer in model.layers]
    assert [row.params for row in table.rows] == [layer.count_params() for layer in model.layers]
    assert table.total_params == model.count_params() == 3_274_634
    assert [row.output_shape for row in table.rows][:5] == [
        (28, 28, 32),
        (14, 14, 32),
        (14, 14, 64),
        (7, 7, 64),
        (3136,),
    ]


def test_flops_and_memory(keras):
    table = summary.layer_table(classic(keras))
    conv1, _, conv2, *_, fc, _, logits = table.rows
    assert conv1.flops == 2 * 5 * 5 * 1 * 32 * 28 * 28
    assert conv2.flops == 2 * 5 * 5 * 32 * 64 * 14 * 14
    assert fc.flops == 2 * 3136 * 1024 and logits.flops == 2 * 1024 * 10
    assert conv1.activation_bytes == 28 * 28 * 32 * 4


def test_receptive_field_matches_shapes(keras):
    # shapes.receptive_field itself is checked against real gradients in test_shapes.py.
    table = summary.layer_table(classic(keras))
    fields = [row.receptive_field for row in table.rows]
    assert fields[:4] == [5, 6, 14, 16]
    assert fields[4:] == [None] * 4  # flatten and dense see everything
    assert fields[3] == shapes.receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)])


def test_depthwise_and_separable(keras):
    model = keras.Sequential(
        [
            keras.Input((10, 10, 16)),
            keras.layers.DepthwiseConv2D(3, name="dw"),
            keras.layers.SeparableConv2D(32, 3, strides=2, name="sep"),
            keras.layers.GlobalAveragePooling2D(name="gap"),
        ]
    )
    table = summary.layer_table(model)
    assert [row.params for row in table.rows] == [160, 688, 0]
    assert table.rows[0].flops == 2 * 9 * 16 * 8 * 8
    assert table.rows[1].flops == 2 * 9 * 16 * 3 * 3 + 2 * 16 * 3 * 3 * 32
    assert [row.receptive_field for row in table.rows] == [3, 5, None]


def test_text_table(keras):
    text = repr(summary.layer_table(classic(keras)))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["layer", "output", "shape"]
    assert "conv1 (Conv2D)" in lines[2] and "(28, 28, 32)" in lines[2] and "832" in lines[2]
    assert lines[-1].startswith("total") and "3,274,634" in lines[-1]
    assert "<table>" in summary.layer_table(classic(keras))._repr_html_()


def test_layers_without_spatial_arithmetic_still_add_up(keras):
    # BatchNormalization has parameters but no kernel: the table reads its count from Keras.
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.BatchNormalization(name="bn")])
    table = summary.layer_table(model)
    assert table.total_params == model.count_params() == 12
    assert table.rows[0].flops == 0 and table.rows[0].receptive_field == 1
