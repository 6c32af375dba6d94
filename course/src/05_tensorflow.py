# %% [markdown]
# # 05 — Convolutions in TensorFlow
#
# Everything so far was NumPy. This notebook maps it onto TensorFlow: the low-level
# `tf.nn` operations, the Keras layers built on them, the other convolution flavours
# (depthwise, separable, transposed), and how a whole convolutional network is put
# together and sized. Along the way, `convlab`'s NumPy versions give the same numbers
# as TensorFlow, live.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import convlab
from convlab import exercises, shapes, summary

tf = convlab.import_tensorflow()
import keras  # noqa: E402  (after TensorFlow, which it runs on)

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## `tf.nn.conv2d` and friends
#
# `tf.nn.conv2d(input, filters, strides, padding, dilations=None)` takes
#
# * `input` in NHWC layout `(batch, height, width, channels)`;
# * `filters` in **HWIO** layout `(height, width, in_channels, out_channels)` — the
#   `(k, k, c_in, K)` of notebook 03;
# * `strides` and `dilations` as an int or per-axis; `padding` as `"VALID"`, `"SAME"` or
#   explicit pairs.
#
# A layer adds a bias per output channel (`tf.nn.bias_add`) and a non-linearity
# (`tf.nn.relu`), and is often followed by `tf.nn.max_pool2d`:

# %%
x = rng.standard_normal((2, 28, 28, 3)).astype(np.float32)
kernel = rng.standard_normal((5, 5, 3, 8)).astype(np.float32)
bias = rng.standard_normal(8).astype(np.float32)

y = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
y = tf.nn.relu(tf.nn.bias_add(y, bias))
y = tf.nn.max_pool2d(y, ksize=2, strides=2, padding="VALID")
print("TensorFlow:", y.shape)

ours = convlab.conv2d(x, kernel, padding="same")
ours = convlab.max_pool2d(np.maximum(ours + bias, 0), 2)
print("convlab:   ", ours.shape, "| same numbers:", np.allclose(ours, y.numpy(), atol=1e-4))

# %% [markdown]
# ## The same numbers, across every option
#
# `convlab`'s ops are tested against TensorFlow over sweeps of kernel sizes, strides,
# paddings, dilations and channel counts. Here is a sample, live — including SAME padding
# at stride 2 (asymmetric), dilation combined with stride, and SAME pooling:

# %%
checks = []
for strides, padding, dilation in [(1, "VALID", 1), (2, "SAME", 1), (3, "SAME", 1), (2, "SAME", 2)]:
    expected = tf.nn.conv2d(x, kernel, strides, padding, dilations=dilation).numpy()
    got = convlab.conv2d(x, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    same = np.allclose(got, expected, atol=1e-4)
    checks.append((f"conv2d s={strides} {padding} d={dilation}", got.shape, same))
for k, s, padding in [(2, 2, "VALID"), (3, 2, "SAME")]:
    for name, tf_op in [("max_pool2d", tf.nn.max_pool2d), ("avg_pool2d", tf.nn.avg_pool2d)]:
        got = getattr(convlab, name)(x, k, strides=s, padding=padding)
        expected = tf_op(x, k, s, padding).numpy()
        same = np.allclose(got, expected, atol=1e-6)
        checks.append((f"{name} {k}x{k} s={s} {padding}", got.shape, same))
for label, shape, same in checks:
    print(f"{label:28s} {str(shape):18s} equal: {same}")

# %% [markdown]
# ## An independent reference finds a framework's bug
#
# `convlab`'s tests run checks like these over random sizes, strides and paddings, and
# that is how a bug in TensorFlow itself turned up. On x86 CPUs TensorFlow computes
# convolutions with oneDNN, Intel's library of optimised kernels: many specialised code
# paths, each fast for some shapes. For some valid arguments (for example an output one
# column wide, with a stride of 2 along the width) its `tf.nn.conv2d` returns values
# unrelated to the input: leftovers in memory it never initialised, different on every
# run. TensorFlow also ships plain reference kernels, and the environment variable
# `TF_ENABLE_ONEDNN_OPTS=0` selects them; they agree with `convlab`.
#
# Nothing about the failing call is exotic: a `(3, 17, 4, 1)` batch, a 5 x 5 kernel,
# strides `(1, 2)`, one cell of padding all round. A slow reference that anyone can
# read line by line, like `convlab.naive`, is how one notices that a fast path is wrong.
#
# TensorFlow reads the setting once, when it is imported, so each setting needs its
# own Python process. The next cell runs the same convolution in two fresh processes
# and prints only verdicts, since the wrong values change from run to run:

# %%
import subprocess
import sys

CHECK = """
import os, sys
os.environ["TF_ENABLE_ONEDNN_OPTS"] = sys.argv[1]  # read once, when TensorFlow loads
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
import convlab

rng = np.random.default_rng(0)
x = rng.standard_normal((3, 17, 4, 1)).astype(np.float32)
kernel = rng.standard_normal((5, 5, 1, 2)).astype(np.float32)
theirs = tf.nn.conv2d(
    x, kernel, strides=[1, 1, 2, 1], padding=[[0, 0], [1, 1], [1, 1], [0, 0]]
).numpy()
ours = convlab.conv2d(x, kernel, strides=(1, 2), padding=1)
gap = np.abs(theirs - ours).max()
print(f"output {theirs.shape}, equal to convlab: {np.allclose(theirs, ours, atol=1e-5)},",
      f"off by more than 1000: {not gap <= 1000}")  # NaN counts as off
"""
for setting, name in [("1", "oneDNN (the default)"), ("0", "reference kernels")]:
    run = subprocess.run(
        [sys.executable, "-c", CHECK, setting], capture_output=True, text=True, check=True
    )
    print(f"{name:21s} {run.stdout.strip()}")

# %% [markdown]
# With oneDNN, the numbers are off by more than 1000; with the reference kernels,
# TensorFlow and `convlab` agree. So `convlab`'s test suite takes TensorFlow's
# reference kernels as its oracle (it sets `TF_ENABLE_ONEDNN_OPTS=0`), and a
# regression test pins this case. The setting is for checking results only: oneDNN is
# faster, and it is what TensorFlow runs by default. If the first line says
# `equal to convlab: True` on your machine, your TensorFlow release or your CPU does
# not have this bug.

# %% [markdown]
# ## Keras layers
#
# `keras.layers.Conv2D(filters, kernel_size, strides=1, padding="valid", activation=None)`
# owns its kernel and bias and calls the same operation. Its weights can be read out and
# fed to `convlab` to get the layer's output:

# %%
layer = keras.layers.Conv2D(8, 5, padding="same", activation="relu")
keras_out = layer(x).numpy()
weights, layer_bias = layer.get_weights()
print("kernel", weights.shape, "bias", layer_bias.shape)
ours = np.maximum(convlab.conv2d(x, weights, padding="same") + layer_bias, 0)
print("convlab reproduces the Keras layer:", np.allclose(ours, keras_out, atol=1e-5))

# %% [markdown]
# `MaxPooling2D`, `Dense` (a matrix product plus bias) and `Dropout` (during training,
# zero a random fraction of the values and scale the rest up; at inference, do
# nothing) complete the toolbox.

# %%
dropout = keras.layers.Dropout(0.5)
ones = np.ones((1, 8), np.float32)
print("inference:", dropout(ones, training=False).numpy())
values = sorted({float(v) for v in dropout(ones, training=True).numpy().ravel()})
print("training, kept values scaled by 1 / (1 - 0.5):", values)

# %% [markdown]
# ## Depthwise, separable and transposed convolutions
#
# `tf.nn.depthwise_conv2d` (filters `(k, k, c_in, multiplier)`) and
# `tf.nn.separable_conv2d` (a depthwise filter plus a `(1, 1, c_in * multiplier, K)`
# pointwise one) are the operations of notebook 03:

# %%
depthwise = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
pointwise = rng.standard_normal((1, 1, 6, 4)).astype(np.float32)
dw = tf.nn.depthwise_conv2d(x, depthwise, [1, 2, 2, 1], "SAME").numpy()
sep = tf.nn.separable_conv2d(x, depthwise, pointwise, [1, 1, 1, 1], "VALID").numpy()
our_dw = convlab.depthwise_conv2d(x, depthwise, strides=2, padding="same")
our_sep = convlab.separable_conv2d(x, depthwise, pointwise)
print("depthwise:", dw.shape, "equal:", np.allclose(our_dw, dw, atol=1e-4))
print("separable:", sep.shape, "equal:", np.allclose(our_sep, sep, atol=1e-4))

# %% [markdown]
# A **transposed convolution** (`Conv2DTranspose`, `tf.nn.conv2d_transpose`) goes the
# other way: every input pixel stamps a copy of the kernel, scaled by its value, into
# the output, at `stride` spacing; where stamps overlap they add. It *grows* the map:
# `s (n - 1) + k` with `"valid"` padding and `n s` with `"same"`; 7 x 7 with a 3 x 3
# kernel at stride 2 gives 15 x 15 (valid) or 14 x 14 (same). `output_padding` adds
# cells at the end (it must be smaller than the stride) to pick between the several
# sizes that a strided convolution maps to the same output.

# %%
small = rng.standard_normal((1, 7, 7, 3)).astype(np.float32)
up_kernel = rng.standard_normal((3, 3, 5, 3)).astype(np.float32)  # (k, k, out, in)
for padding, output_padding in [("valid", None), ("same", None), ("same", 1)]:
    options = dict(strides=2, padding=padding, output_padding=output_padding)
    layer = keras.layers.Conv2DTranspose(5, 3, use_bias=False, **options)
    layer.build(small.shape)
    layer.set_weights([up_kernel])
    expected = layer(small).numpy()
    got = convlab.conv2d_transpose(small, up_kernel, **options)
    size = shapes.conv_transpose_output_size(7, 3, **options)
    same = np.allclose(got, expected, atol=1e-4)
    print(f"{padding:5s} output_padding={output_padding}: formula {size},"
          f" Keras {expected.shape[1:3]}, convlab equal: {same}")

# %% [markdown]
# Despite the old nickname "deconvolution", it is **not the inverse** of a convolution:
# it restores the *shape*, not the values. Convolve an image, transpose-convolve the
# result with the same kernel, and the image does not come back. What it is exactly is
# the gradient of the convolution with respect to its input (notebook 07 uses that).

# %%
image = rng.standard_normal((1, 8, 8, 1)).astype(np.float32)
k = rng.standard_normal((3, 3, 1, 1)).astype(np.float32)
down = convlab.conv2d(image, k, strides=2, padding="same")
back = convlab.conv2d_transpose(down, k, strides=2, padding="same")
restored = np.allclose(back, image, atol=1e-3)
print(image.shape, "->", down.shape, "->", back.shape, "| values restored:", restored)

# %% [markdown]
# ## The classic architecture
#
# Most convolutional networks for classification follow one pattern:
#
# ```
# INPUT -> [[CONV -> RELU] * N -> POOL?] * M -> [FC -> RELU] * K -> FC
# ```
#
# a few convolutions (with ReLU) followed by a pooling layer, repeated; then fully
# connected (dense) layers; the last one produces one score per class. The network of
# the notes for MNIST digits is `N = 1`, `M = 2`, `K = 1`:

# %%
model = keras.Sequential(
    [
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(2, name="pool1"),
        keras.layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2"),
        keras.layers.MaxPooling2D(2, name="pool2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(1024, activation="relu", name="fc"),
        keras.layers.Dropout(0.5, name="dropout"),
        keras.layers.Dense(10, name="logits"),
    ]
)

# %% [markdown]
# ## Sizing a network, layer by layer
#
# `convlab.summary.layer_table` lists every layer's output shape, parameters, FLOPs (a
# multiply-add counts as 2), activation memory per image in float32, and receptive field
# (how many input pixels along one side can influence one value). Its parameter total is
# checked against `model.count_params()`:

# %%
table = summary.layer_table(model)
table

# %%
print(f"parameters: {table.total_params:,} (Keras: {model.count_params():,})")
fc = next(row for row in table.rows if row.name == "fc")
print(f"the dense layer alone: {fc.params:,} = {fc.params / table.total_params:.0%} of them")
print("receptive field after pool2:", table.rows[3].receptive_field)

# %% [markdown]
# Two lessons are visible in the table. The convolutions do most of the *computation*
# but the first dense layer holds almost all the *parameters*: 3,212,288 of the
# 3,274,634. And the receptive field grows with depth: after the second pooling layer
# each value sees a 16 x 16 patch of the 28 x 28 digit.
#
# ## The notes' TensorFlow 1 code, in TensorFlow 2
#
# The source notes build this network in TensorFlow 1 style: `tf.placeholder` inputs,
# variables created by hand, `tf.Session().run(...)` to execute a graph. That API is
# gone from TensorFlow 2, and the notes' code also has bugs: it loads data with
# `input.data.read_data_sets` (the tutorial module is `input_data`), misspells
# `reshape` (`reshap=False`, `tf.reshap`), indexes `tf.random_normal[...]` instead of
# calling it, its `conv_net` function never returns its logits, it uses `keep_prob` and
# `cost` without defining them, it passes the labels outside the call to
# `softmax_cross_entropy_with_logits`, and it trains with plain gradient descent at a
# learning rate of 1e-5, which barely moves.
#
# In TensorFlow 2 the whole model is the Keras `Sequential` above: variables live in the
# layers, the model is called like a function (no session), dropout takes
# `training=True` instead of a `keep_prob` placeholder, and training is
# `model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True))`
# then `model.fit` — notebook 06 does exactly that. The one-layer building block, in
# `tf.nn` terms, is the first exercise below.
#
# ## Summary
#
# * `tf.nn.conv2d` takes NHWC inputs and HWIO filters; a conv layer is conv + bias +
#   activation; Keras layers wrap these ops and own the weights.
# * `convlab`'s NumPy ops give TensorFlow's numbers, option for option.
# * An independent, readable reference catches a framework's bugs: TensorFlow's default
#   oneDNN kernels get one family of valid convolutions wrong; its reference kernels
#   (`TF_ENABLE_ONEDNN_OPTS=0`) do not.
# * Transposed convolutions grow maps (`s (n - 1) + k` valid, `n s` same); they are the
#   convolution's input gradient, not its inverse.
# * A per-layer table shows where parameters (dense layers) and computation
#   (convolutions) go.
#
# ## Exercises
#
# **1.** The notes' layer in TensorFlow 2: `conv_block(x, kernel, bias)` applies a
# stride-1 SAME convolution, adds the bias, applies ReLU, then 2 x 2 max pooling, and
# returns a NumPy array.

# %% [exercise] conv_block

# %%
exercises.check("conv_block", conv_block)

# %% [markdown]
# **2.** `transpose_size(n, k, s, padding)`: the output length of `Conv2DTranspose`
# without `output_padding`, for `"valid"` and `"same"` (careful with `k < s`).

# %% [exercise] transpose_size

# %%
exercises.check("transpose_size", transpose_size)
