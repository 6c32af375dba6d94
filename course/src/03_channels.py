# %% [markdown]
# # 03 — Channels and parameter sharing
#
# Real layers take many channels in and produce many channels out. This notebook counts
# what that costs — weights, and the memory for activations — and shows why sharing
# one filter across all positions is what makes convolutional layers affordable.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, shapes, viz

# %% tags=tensorflow
tf = convlab.import_tensorflow()
import keras  # noqa: E402  (after TensorFlow, which it runs on)

# %% [markdown]
# ## A filter spans all input channels; K filters give depth K
#
# With `c_in` input channels, one filter is a `k x k x c_in` block of weights. At each
# position it multiplies the whole `k x k x c_in` patch and sums it to **one** number —
# so a filter always produces one output channel (one *feature map*), however many
# channels come in. Stack `K` filters and the output has depth `K`. That is the layout of
# a kernel tensor: `(k, k, c_in, K)`.

# %%
rng = np.random.default_rng(0)
x = rng.random((1, 32, 32, 3)).astype(np.float32)  # one 32 x 32 RGB image
kernel = rng.standard_normal((5, 5, 3, 10)).astype(np.float32)  # 10 filters of 5 x 5 x 3
y = convlab.conv2d(x, kernel)
print("input", x.shape, "* kernel", kernel.shape, "->", y.shape)

# %%
viz.show_feature_maps(y, columns=5, title="10 feature maps from 10 random 5x5x3 filters")

# %% [markdown]
# ## Counting parameters
#
# Each filter has `k * k * c_in` weights and one bias, so a layer has
# $(k \cdot k \cdot c_{in} + 1) \cdot K$ parameters. One 5 x 5 x 3 filter:
# 75 weights + 1 bias = 76. Ten of them: 760. Keras agrees:

# %%
print("one 5x5x3 filter:", 5 * 5 * 3, "weights +1 bias =", shapes.conv_params(5, 3, 1))
print("ten of them:", shapes.conv_params(5, 3, 10))

# %% tags=tensorflow
model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(10, 5)])
print("Keras count_params():", model.count_params())

# %% [lite]
# In the full edition, Keras builds that layer (`Conv2D(10, 5)` on 32 x 32 x 3 input)
# and its `count_params()` gives the same 760.

# %% [markdown]
# ## What sharing saves
#
# Notebook 02's example layer — 20 filters of 8 x 8 x 3 at stride 2 with padding 1 —
# makes a 14 x 14 x 20 output from 3,860 parameters. The same filter is used at all
# 14 * 14 = 196 positions. Without sharing, every position would need its own filters
# (a *locally connected* layer): 3,860 x 196 = 756,560 parameters, for the same output
# shape. Sharing is justified by translation equivariance (notebook 01): a useful
# feature detector is useful everywhere.

# %%
shared = shapes.conv_params(8, 3, 20)
out = shapes.conv_output_size(32, 8, strides=2, padding=1)
unshared = shapes.locally_connected_params(8, 3, 20, out)
print(f"output {out}x{out}x20; shared: {shared:,}; locally connected: {unshared:,}"
      f" = {shared:,} x {out * out}")

# %% [markdown]
# ## Convolution is a (sparse, weight-tied) matrix product
#
# Flatten a 4 x 4 image into a vector of 16 numbers. A 3 x 3 kernel, valid, produces a
# 2 x 2 output: 4 numbers. Each output is a weighted sum of inputs, so the whole
# convolution is a 4 x 16 matrix times the vector. Most of its entries are 0 (each
# output sees only 9 of the 16 inputs), and the non-zero ones are the same 9 kernel
# weights, shifted along each row.

# %%
kernel3 = np.arange(1.0, 10.0).reshape(3, 3)  # weights 1..9, to see where each goes
n, k = 4, 3
out_n = shapes.conv_output_size(n, k)
matrix = np.zeros((out_n * out_n, n * n))
for y_ in range(out_n):
    for x_ in range(out_n):
        window = np.zeros((n, n))
        window[y_ : y_ + k, x_ : x_ + k] = kernel3  # where this output's weights land
        matrix[y_ * out_n + x_] = window.ravel()
print(matrix.astype(int))

# %%
image = rng.random((n, n))
by_matrix = (matrix @ image.ravel()).reshape(out_n, out_n)
by_sliding = convlab.conv2d(image[None, :, :, None], kernel3[:, :, None, None])[0, :, :, 0]
print("matrix @ x == sliding window:", np.allclose(by_matrix, by_sliding))
print("entries:", matrix.size, "| non-zero:", np.count_nonzero(matrix),
      "| distinct non-zero values:", len(np.unique(matrix[matrix != 0])))

# %%
fig = Figure(figsize=(7, 2.2), layout="constrained")
ax = fig.subplots()
ax.imshow(matrix, cmap="viridis")
ax.set_title("the 4 x 16 matrix of a 3x3 convolution on 4x4 (0 = dark)")
ax.set_xlabel("input pixel")
ax.set_ylabel("output pixel")
fig

# %% [markdown]
# ## 1x1 convolutions
#
# A 1 x 1 kernel sees one pixel at a time, across all its channels: at every pixel it
# multiplies the `c_in` channel values by a `c_in x K` matrix. It changes the depth
# without looking at neighbours — cheaply: 64 to 16 channels costs 64 * 16 + 16 = 1,040
# parameters.

# %%
x64 = rng.standard_normal((1, 8, 8, 64)).astype(np.float32)
w = rng.standard_normal((1, 1, 64, 16)).astype(np.float32)
as_conv = convlab.conv2d(x64, w)
as_matmul = x64 @ w[0, 0]  # (1, 8, 8, 64) @ (64, 16): a matrix product per pixel
same = np.allclose(as_conv, as_matmul, atol=1e-4)
print(as_conv.shape, "| equals a per-pixel matrix product:", same)
print(f"parameters, 1x1 from 64 to 16 channels: {shapes.conv_params(1, 64, 16):,}")

# %% [markdown]
# ## Depthwise and separable convolutions
#
# A **depthwise** convolution gives each input channel its own `k x k` filter and never
# mixes channels. A **separable** convolution follows it with a 1x1 convolution that
# does the mixing. Together they approximate a standard convolution for a fraction of
# the parameters. For 16 channels in and 32 out with 3 x 3 kernels: standard 4,640;
# depthwise alone 160 (and it still has 16 channels out); separable 688.

# %%
ours = {
    "standard Conv2D": shapes.conv_params(3, 16, 32),
    "DepthwiseConv2D": shapes.depthwise_params(3, 16),
    "SeparableConv2D": shapes.separable_params(3, 16, 32),
}
for name, count in ours.items():
    print(f"{name:16s} convlab {count:5,}")

# %% tags=tensorflow
layers = {
    "standard Conv2D": keras.layers.Conv2D(32, 3),
    "DepthwiseConv2D": keras.layers.DepthwiseConv2D(3),
    "SeparableConv2D": keras.layers.SeparableConv2D(32, 3),
}
for name, layer in layers.items():
    model = keras.Sequential([keras.Input((10, 10, 16)), layer])
    keras_count, shape = model.count_params(), model.output_shape
    print(f"{name:16s} Keras {keras_count:5,}  output {shape}")

# %% [lite]
# Keras's own layers, built on a 10 x 10 x 16 input in the full edition, count the same
# parameters.

# %% [markdown]
# The same computation in `convlab` — a depthwise step followed by a 1x1 step — equals
# `separable_conv2d`, and both match TensorFlow:

# %%
x16 = rng.standard_normal((1, 10, 10, 16)).astype(np.float32)
depthwise = rng.standard_normal((3, 3, 16, 1)).astype(np.float32)
pointwise = rng.standard_normal((1, 1, 16, 32)).astype(np.float32)
two_steps = convlab.conv2d(convlab.depthwise_conv2d(x16, depthwise), pointwise)
separable = convlab.separable_conv2d(x16, depthwise, pointwise)
print("two steps == separable:", np.allclose(two_steps, separable, atol=1e-4))

# %% tags=tensorflow
reference = tf.nn.separable_conv2d(x16, depthwise, pointwise, [1, 1, 1, 1], "VALID").numpy()
print("separable == TensorFlow:", np.allclose(separable, reference, atol=1e-4))

# %% [lite]
# In the full edition, TensorFlow's `tf.nn.separable_conv2d` gives the same numbers.

# %% [markdown]
# ## Memory: activations add up fast
#
# Parameters are not the only cost. Three 3 x 3 convolutions with 64 filters and
# padding 1 on a 224 x 224 x 3 image keep the size, so each produces a 224 x 224 x 64
# volume: 9,633,792 activations for the three layers, per image. Training keeps each
# activation and its gradient, in float32 (4 bytes): 77,070,336 bytes, about 73.5 MiB —
# for one image, before the batch size multiplies it.

# %%
size = shapes.conv_output_size(224, 3, padding=1)
activations = shapes.activation_count(size, size, 64, layers=3)
nbytes = activations * 4 * 2  # float32, activations and gradients
print(f"each layer: {size}x{size}x64 | activations: {activations:,} | bytes: {nbytes:,}"
      f" = {nbytes / 2**20:.1f} MiB")

# %% [markdown]
# ## Summary
#
# * A filter spans all input channels and yields one feature map; K filters give depth K.
# * A conv layer has $(k \cdot k \cdot c_{in} + 1) \cdot K$ parameters, independent of
#   the image size, because the filters are shared across positions.
# * Convolution is multiplication by a sparse matrix whose non-zeros are the kernel's
#   few weights, repeated.
# * 1x1 convolutions mix channels per pixel; depthwise + 1x1 (separable) is a cheap
#   substitute for a full convolution.
# * Activations, not weights, often dominate memory.
#
# ## Exercises
#
# **1.** `conv_params(k, c_in, filters)`: the trainable parameters of a conv layer.

# %% [exercise] conv_params

# %%
exercises.check("conv_params", conv_params)

# %% [markdown]
# **2.** `conv_multichannel(x, kernel)`: a valid, stride-1 convolution of an NHWC batch
# with a `(kh, kw, c_in, c_out)` kernel, with loops. (Compare with
# `convlab.naive.conv2d` when you are done.)

# %% [exercise] conv_multichannel

# %%
exercises.check("conv_multichannel", conv_multichannel)
