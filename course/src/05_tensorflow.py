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
from convlab import exercises, figures, shapes, summary

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
# A layer adds a bias per output channel (`tf.nn.bias_add`) and a *non-linearity* (a
# function applied to every value that is not a straight line: without one, a stack of
# layers would collapse into a single weighted sum), most
# often the **ReLU** (`tf.nn.relu`, "rectified linear unit": negative values become 0,
# the others stay), and is often followed by `tf.nn.max_pool2d`:

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
# `convlab`'s tests run comparisons like these over many random sizes,
# strides and paddings, and that is how a bug in TensorFlow itself turned up. On x86
# CPUs TensorFlow computes convolutions with oneDNN, Intel's library of optimised
# kernels: many specialised code paths, each fast for some shapes. For some valid
# arguments (an output one column wide with a stride of 2 along the width is one such
# case) its `tf.nn.conv2d` returns numbers unrelated to the input: leftovers of memory
# it never filled in, different on every run. TensorFlow also ships plain reference
# kernels, slower and simpler; setting the environment variable
# `TF_ENABLE_ONEDNN_OPTS=0` before TensorFlow is imported selects them.
#
# Nothing about the failing call is exotic: a batch of three 17 x 4 images, a 5 x 5
# kernel with two filters, strides `(1, 2)`, one cell of zero padding all round.
# TensorFlow reads the setting once, when it is imported, so each setting needs a
# Python process of its own. The next cell runs the same convolution in two fresh
# processes and compares each result with `convlab.conv2d`, value by value. It prints
# how many agree, not the values, because the wrong values change from run to run.
#
# **Predict:** the output is 15 rows by 1 column (check it with the size formula). If
# you trust a framework used by millions, how many outputs do you expect to agree?

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
same = np.isclose(theirs, ours, atol=1e-5)  # a NaN counts as different
print(f"x {x.shape}, kernel {kernel.shape} -> output {theirs.shape}")
print(f"outputs equal to convlab's: {same.sum()} of {same.size}")
"""
for setting, name in [("1", "oneDNN (TensorFlow's default)"), ("0", "reference kernels")]:
    run = subprocess.run(
        [sys.executable, "-c", CHECK, setting], capture_output=True, text=True, check=True
    )
    print(name)
    for line in run.stdout.splitlines():
        print("   ", line)

# %% [markdown]
# With oneDNN, only 6 of the 90 outputs are right; the others are garbage, not
# rounding, and they change from run to run. With the reference kernels, all 90 agree. A slow reference that anyone can
# read line by line, like `convlab.naive`, is how one notices that a fast path is
# wrong. So `convlab`'s test suite takes TensorFlow's reference kernels as its oracle
# (it sets `TF_ENABLE_ONEDNN_OPTS=0`), and a regression test pins this case. The
# setting is for checking results only: oneDNN is faster, and TensorFlow runs it by
# default. If the first count says `90 of 90` on your machine, your TensorFlow
# release or your CPU does not have this bug.

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
# zero a random fraction of the values and scale the rest up; at *inference*, when the
# trained network makes predictions, do nothing) complete the toolbox.

# %%
dropout = keras.layers.Dropout(0.5)
ones = np.ones((1, 8), np.float32)
print("inference:", dropout(ones, training=False).numpy())
values = sorted({float(v) for v in dropout(ones, training=True).numpy().ravel()})
print("training, kept values scaled by 1 / (1 - 0.5):", values)

# %% [markdown]
# ## Depthwise, separable and transposed convolutions
#
# `tf.nn.depthwise_conv2d` (filters `(k, k, c_in, multiplier)`: each input channel gets
# `multiplier` filters of its own, so 3 channels with a multiplier of 2 give 6 maps) and
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
# the output, at `stride` spacing; where stamps overlap they add. The figure does it for
# a 2 x 2 input and a 3 x 3 kernel at stride 2: four stamps, two cells apart, and their
# sum; the outlined cells are where stamps overlap.

# %%
x2 = np.array([[1.0, 2.0], [3.0, -1.0]])
k3 = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
figures.transposed_stamps(x2, k3, strides=2)

# %% [markdown]
# It *grows* the map. With `"valid"` padding Keras makes the output `n s + max(k - s, 0)`
# cells long: the stamps span `s (n - 1) + k` cells when `k >= s`, and when the kernel is
# smaller than the stride each stamp is followed by `s - k` empty cells, the last one
# included. With `"same"` it is `n s`. A 7 x 7 input with a 3 x 3 kernel at stride 2
# gives 15 x 15 (valid) or 14 x 14 (same).
#
# Several input sizes give the same output size under a strided convolution (13 and 14
# both give 7 at stride 2, SAME), so going back is ambiguous. `output_padding` (smaller
# than the stride) picks one: with it, the size becomes `s (n - 1) + k + a` for valid and
# `s (n - 1) + k - 2 (k // 2) + a` for same, where `a` is the output padding. In the
# figure below, `output_padding=1` adds a last row and column that no stamp reaches.

# %%
figures.transposed_stamps(x2, k3, strides=2, output_padding=1)

# %% [markdown]
# A transposed kernel lists its output channels before its input channels,
# `(k, k, out, in)`, the reverse of `conv2d`'s `(k, k, in, out)`: it is laid out like the
# kernel of the forward convolution whose shape it undoes.
#
# **Predict, then run.** A 7 x 7 input, a 3 x 3 kernel, stride 2, `"same"` padding:
# what size do `output_padding=0` and `output_padding=1` give?

# %%
small = rng.standard_normal((1, 7, 7, 3)).astype(np.float32)
up_kernel = rng.standard_normal((3, 3, 5, 3)).astype(np.float32)  # (k, k, out, in)
back = [shapes.conv_output_size(n, 3, strides=2, padding="same") for n in (13, 14)]
print("input 7x7, kernel 3x3, stride 2 | 13 and 14 go forward to", back, "at stride 2, SAME")
for padding, output_padding in [("valid", None), ("same", None), ("same", 0), ("same", 1)]:
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
# `output_padding=None` and `output_padding=0` differ: with `None`, Keras's SAME size is
# simply `n s`, 14; with a number, it is the stamps' span minus SAME's crop plus that
# number: 13 with 0, 14 with 1.
#
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
# connected (dense) layers — each output (each *unit*) a weighted sum of *all* its inputs
# plus a bias — and the last one produces one score per class (per digit, for MNIST;
# notebook 06 calls these scores *logits*). The network of the notes for MNIST digits is
# `N = 1`, `M = 2`, `K = 1`:

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
# `convlab.summary.layer_table` lists every layer's output shape, parameters, FLOPs
# (floating-point operations; a multiply and an add count as two), activation memory per
# image in float32, and receptive field
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
# ## How far one value sees: the receptive field
#
# The figure traces one value of `conv2` (top) back to the input, along one axis:
# it is computed from 5 neighbouring cells of `pool1`; each of those is the maximum of
# 2 cells of `conv1`; each of those comes from 5 input pixels. The orange cells at the
# bottom are every input pixel that can influence that one value: 14, the "14x14" of
# `conv2`'s row in the table. Pooling's stride of 2 spreads the second convolution's
# cells two input pixels apart, which is why the field grows faster after it.

# %%
figures.receptive_field([(5, 1), (2, 2), (5, 1)], names=["conv1", "pool1", "conv2"])

# %%
conv2 = next(row for row in table.rows if row.name == "conv2")
print("receptive field of conv2:", shapes.receptive_field([(5, 1), (2, 2), (5, 1)]),
      "| the table says:", conv2.receptive_field)

# %% [markdown]
# ## The notes' TensorFlow 1 code, in TensorFlow 2
#
# The notes build this network in TensorFlow 1 style. A shortened excerpt, quoted as it
# is (line numbers added; `...` marks lines left out):
#
# ```python
#  1  mnist = input.data.read_data_sets(".", one_hot=True, reshap=False)
#  2  learning_rate = 0.00001
#  3  dropout = 0.75
#  4  biases = {'bc1': tf.Variable(tf.random_normal([32])), ...,
#  5            'out': tf.Variable(tf.random_normal[n_classes])}
#  6  def conv_net(x, weights, biases, dropout):
#  7      ...
#  8      fc1 = tf.reshap(conv2, [-1, weights['wd1'].get_shape().as_list()[0]])
#  9      ...
# 10      fc1 = tf.nn.dropout(fc1, dropout)
# 11      out = tf.add(tf.matmul(fc1, weights['out']), biases['out'])
# 12  x = tf.placeholder(tf.float32, [None, 28, 28, 1])
# 13  y = tf.placeholder(tf.float32, [None, n_classes])
# 14  logits = conv_net(x, weights, biases, keep_prob)
# 15  loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits), labels=y)
# 16  optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate).minimize(cost)
# 17  with tf.Session() as sess:
# 18      ...
# 19          sess.run(optimizer, feed_dict={x: batch_x, y: batch_y, keep_prob: dropout})
# ```
#
# `tf.placeholder` (lines 12–13), hand-made variables and `tf.Session().run` (lines
# 17–19) are TensorFlow 1 APIs, gone from TensorFlow 2. The excerpt also has bugs: the
# tutorial module is `input_data`, not `input.data` (line 1); `reshap` is misspelled
# twice (lines 1 and 8); `tf.random_normal[n_classes]` indexes the function instead of
# calling it (line 5); `conv_net` never returns `out` (line 11), so `logits` is `None`;
# `keep_prob` (lines 14 and 19) and `cost` (line 16) are never defined; the closing
# parenthesis of line 15 leaves `labels=y` outside the call to
# `softmax_cross_entropy_with_logits`; and plain gradient descent with a learning rate
# of 0.00001 (line 2) barely moves the weights. Finally, `tf.nn.dropout`'s second
# argument in TensorFlow 1 is the probability of *keeping* a value: `dropout = 0.75`
# keeps 75 % and drops 25 %, which is a dropout **rate** of 0.25 in TensorFlow 2.
#
# In TensorFlow 2 the whole model is the Keras `Sequential` above: variables live in the
# layers, the model is called like a function (no session, no placeholders), dropout is
# a layer that is active only while training, and training takes two calls: `compile`
# chooses the loss to minimise and the optimiser that minimises it (notebook 06 defines
# both), `fit` runs it. The model above uses the rate of the classic TensorFlow tutorial,
# 0.5; the notes' setting would be `Dropout(0.25)`:

# %%
keep_prob = 0.75
print(f"keep_prob {keep_prob} keeps {keep_prob:.0%} and drops {1 - keep_prob:.0%} of the values")
print("as a TF2 dropout rate:", keras.layers.Dropout(1 - keep_prob).rate)
print("the model above:", model.get_layer("dropout").rate)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
print("compiled:", model.name, "| loss:", type(model.loss).__name__)

# %% [markdown]
# `model.fit(images, labels, epochs=..., batch_size=128)` then trains it — notebook 06
# does exactly that, on real digits.
#
# ## Summary
#
# * `tf.nn.conv2d` takes NHWC inputs and HWIO filters; a conv layer is conv + bias +
#   activation; Keras layers wrap these ops and own the weights.
# * `convlab`'s NumPy ops give TensorFlow's numbers, option for option.
# * An independent, readable reference catches a framework's bugs: TensorFlow's default
#   oneDNN kernels get one family of valid convolutions wrong; its reference kernels
#   (`TF_ENABLE_ONEDNN_OPTS=0`) do not.
# * Transposed convolutions stamp the kernel once per input cell and add the overlaps;
#   Keras's sizes are `n s + max(k - s, 0)` (valid) and `n s` (same), and
#   `output_padding` picks among the sizes a strided convolution maps to the same size.
#   They are the convolution's input gradient, not its inverse.
# * The receptive field grows with every layer, fastest after a stride.
# * A per-layer table shows where parameters (dense layers) and computation
#   (convolutions) go.
#
# ## Exercises
#
# **1.** `transpose_size(n, k, s, padding, output_padding)`: the output length of
# `Conv2DTranspose` along one axis, for `"valid"` and `"same"`, with `output_padding`
# either `None` or an int smaller than the stride (careful with `k < s`).

# %% [exercise] transpose_size

# %%
exercises.check("transpose_size", transpose_size)

# %% [markdown]
# **2.** `transpose_by_stamps(x, kernel, s)`: a `"valid"` transposed convolution of a
# 2-D `x` with a 2-D kernel at stride `s`, in NumPy, by stamping as in the figures above.
# The check compares it with Keras's numbers (through `convlab`), kernels smaller than
# the stride included.

# %% [exercise] transpose_by_stamps

# %%
exercises.check("transpose_by_stamps", transpose_by_stamps)
