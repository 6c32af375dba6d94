# %% [markdown]
# # 03 — Channels and parameter sharing
#
# Real layers take many channels in and produce many channels out. This notebook counts
# what that costs — weights, and the memory for the values the layers output (called
# **activations**) — and shows why sharing one filter across all positions is what
# makes convolutional layers affordable.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, figures, shapes, viz

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
#
# The figure draws volumes as stacked slabs, one per channel. Left: a 6 x 6 image with 3
# channels; the dashed box is one 3 x 3 x 3 filter's place, reaching through all three
# channels: its 27 weights times the 27 values under them add up to the one orange value
# of a 4 x 4 map. Right: four filters, each in its own colour, make four maps, each map
# in its filter's colour — an output of depth 4.

# %%
figures.filter_volumes(3, 4, kernel_size=3, n=6)

# %% [markdown]
# The same on the colour photograph: ten random 5 x 5 x 3 filters give ten feature maps,
# each a different mix of the three colour channels' neighbourhoods.

# %%
rng = np.random.default_rng(0)
x = convlab.data.photo()[None]  # one RGB image, (1, 150, 128, 3)
kernel = rng.standard_normal((5, 5, 3, 10)).astype(np.float32)  # 10 filters of 5 x 5 x 3
y = convlab.conv2d(x, kernel)
print("input", x.shape, "* kernel", kernel.shape, "->", y.shape)

# %%
viz.show_feature_maps(y, columns=5, title="10 feature maps from 10 random 5x5x3 filters")

# %% [markdown]
# ## Counting parameters
#
# Each filter has `k * k * c_in` weights and one **bias** (a number added to its sum,
# one per filter), so a layer has $(k \cdot k \cdot c_{in} + 1) \cdot K$ parameters — the
# figure above counts 28 per 3 x 3 x 3 filter. One 5 x 5 x 3 filter: 75 weights + 1
# bias = 76. Ten of them: 760. Keras agrees:

# %%
print("one 3x3x3 filter:", shapes.conv_params(3, 3, 1), "parameters")
print("one 5x5x3 filter:", 5 * 5 * 3, "weights +1 bias =", shapes.conv_params(5, 3, 1))
print("ten of them:", shapes.conv_params(5, 3, 10))

# %% tags=tensorflow
model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(10, 5)])
print("Keras count_params():", model.count_params())

# %% [lite]
# In the full edition, Keras builds that layer (`Conv2D(10, 5)` on an input of shape
# `(32, 32, 3)`) and its `count_params()` gives the same 760.

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
print("layer: 20 filters of 8x8x3, stride 2, padding 1, on 32x32x3")
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
print("matrix", matrix.shape, "for a", (n, n), "image flattened to", n * n, "numbers:")
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
shown = ax.imshow(matrix, cmap="Purples", vmin=0)
fig.colorbar(shown, ax=ax, label="weight")
ax.set_title("the 4 x 16 matrix of a 3x3 convolution on 4x4 (0 = white)")
ax.set_xlabel("input pixel")
ax.set_ylabel("output pixel")
fig

# %% [markdown]
# ## How `convlab.conv2d` computes it: one matrix product (im2col)
#
# That matrix is mostly zeros, so libraries turn the product around. Copy each window of
# the input into one row of a **patch matrix** (*im2col*, "image to columns": the name
# comes from the first descriptions, which put each window in a column): for a
# 4 x 4 image and a 3 x 3 kernel, 4 windows of 9 numbers each. Read the kernel row by row
# into one column of 9 numbers. Then one matrix product gives every output at once: row
# `i` of the patch matrix times the kernel column is output `i`. In the figure the
# second window (orange) becomes the second row, and its product, -4, the second
# output. With many channels the rows hold `k * k * c_in` numbers, and with `K` filters
# the kernel has `K` columns. This is how `convlab.conv2d` works (a block of rows at a
# time), and a common way for libraries to compute convolutions (others use fast
# Fourier transforms, or Winograd's method for small kernels).

# %%
small = np.array([[3, 0, 1, 2], [1, 5, 8, 9], [2, 7, 2, 5], [0, 1, 3, 1]], dtype=float)
edge3 = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)
figures.im2col(small, edge3, highlight=1)

# %%
windows = np.lib.stride_tricks.sliding_window_view(small, (3, 3))  # (2, 2, 3, 3)
patches = windows.reshape(4, 9)  # one row per window
by_product = (patches @ edge3.reshape(9, 1)).reshape(2, 2)
print("patch matrix", patches.shape, "@ kernel", edge3.reshape(9, 1).shape, "->\n", by_product)
direct = convlab.conv2d(small[None, :, :, None], edge3[:, :, None, None])[0, :, :, 0]
print("equals convlab.conv2d:", np.allclose(by_product, direct))

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
# the parameters. The figure draws each kind for 16 channels in and 32 out, with the
# depth of each box standing for its number of channels: standard filters are as deep
# as the input, 1x1 filters are one cell wide but just as deep, depthwise filters are
# flat (one channel each). Standard 4,640 parameters; 1x1 544; depthwise alone 160 (and
# it still has 16 channels out); separable 688. (Not 160 + 544: a separable layer keeps
# only the final 32 biases, so it is 144 depthwise weights + 512 pointwise weights + 32.)

# %%
figures.conv_flavours(16, 32, kernel_size=3)

# %%
ours = {
    "standard Conv2D": shapes.conv_params(3, 16, 32),
    "1x1 Conv2D": shapes.conv_params(1, 16, 32),
    "DepthwiseConv2D": shapes.depthwise_params(3, 16),
    "SeparableConv2D": shapes.separable_params(3, 16, 32),
}
for name, count in ours.items():
    print(f"{name:16s} convlab {count:5,}")
print("separable:", 3 * 3 * 16, "depthwise weights +", 16 * 32, "pointwise weights +", 32, "biases")

# %% tags=tensorflow
layers = {
    "standard Conv2D": keras.layers.Conv2D(32, 3),
    "DepthwiseConv2D": keras.layers.DepthwiseConv2D(3),
    "SeparableConv2D": keras.layers.SeparableConv2D(32, 3),
}
for name, layer in layers.items():
    count = ours[name]
    model = keras.Sequential([keras.Input((10, 10, 16)), layer])
    keras_count, shape = model.count_params(), model.output_shape
    print(f"{name:16s} convlab {count:5,}  Keras {keras_count:5,}  output {shape}")

# %% [lite]
# Keras's own layers, built on an input of shape `(10, 10, 16)` in the full edition,
# count the same parameters.

# %% [markdown]
# The same computation in `convlab` — a depthwise step followed by a 1x1 step — equals
# `separable_conv2d`:

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
# volume: 9,633,792 activations for the three layers, per image. Training also keeps,
# for each activation, its *gradient* (how much the network's error changes with it;
# notebook 06): in float32 (4 bytes each), 77,070,336 bytes, about 73.5 MiB — for one
# image, before the batch size multiplies it.

# %%
size = shapes.conv_output_size(224, 3, padding=1)
activations = shapes.activation_count(size, size, 64, layers=3)
print("bytes per float32:", np.dtype(np.float32).itemsize)
nbytes = activations * 4 * 2  # float32, activations and gradients
print(f"each layer: {size}x{size}x64 | activations: {activations:,} | bytes: {nbytes:,}"
      f" = {nbytes / 2**20:.1f} MiB")

# %% [markdown]
# **Predict, then run.** `Conv2D(64, 3)` on a 32 x 32 RGB image, and the same layer on a
# 224 x 224 RGB image: which has more parameters?

# %%
for size in (32, 224):
    kernel_shape, bias_shape = (3, 3, 3, 64), (64,)  # what Conv2D(64, 3) makes for RGB
    count = int(np.prod(kernel_shape)) + int(np.prod(bias_shape))
    out = shapes.conv_output_size(size, 3)
    print(f"{size}x{size}x3 input: {count:,} parameters, output {out}x{out}x64")

# %% tags=tensorflow
for size in (32, 224):
    model = keras.Sequential([keras.Input((size, size, 3)), keras.layers.Conv2D(64, 3)])
    print(f"Keras, {size}x{size}x3:", f"{model.count_params():,}", model.output_shape)

# %% [lite]
# Keras counts the same 1,792 parameters for both (in the full edition).

# %% [markdown]
# The same: 3 x 3 x 3 weights and a bias per filter, whatever the image size. Only the
# output (and the memory for it) grows with the image. (In Keras's output shapes, the
# first entry, `None`, is the batch size, left open.)
#
# ## Summary
#
# * A filter spans all input channels and yields one feature map; K filters give depth K.
# * A conv layer has $(k \cdot k \cdot c_{in} + 1) \cdot K$ parameters, independent of
#   the image size, because the filters are shared across positions.
# * Convolution is multiplication by a sparse matrix whose non-zeros are the kernel's
#   few weights, repeated; im2col computes it as one dense product of a patch matrix and
#   the reshaped kernel, which is how `convlab.conv2d` does it.
# * 1x1 convolutions mix channels per pixel; depthwise + 1x1 (separable) is a cheap
#   substitute for a full convolution.
# * Activations, not weights, often dominate memory.
#
# ## Exercises
#
# **1.** What sharing saves, in general: `params_without_sharing(n, k, c_in, filters,
# s, p)` counts the parameters of a layer like `Conv2D(filters, k, strides=s)` with `p`
# cells of zero padding on an `n x n x c_in` input *if it did not share its weights* —
# every output position with its own filters and biases. (The notes' example above is
# one case; the check tries others.)

# %% [exercise] params_without_sharing

# %%
exercises.check("params_without_sharing", params_without_sharing)

# %% [markdown]
# **2.** `conv_multichannel(x, kernel)`: a valid, stride-1 convolution of an NHWC batch
# with a `(kh, kw, c_in, c_out)` kernel, with loops — notebook 01's `slide`, grown to
# batches, input channels and several filters. (Compare with `convlab.naive.conv2d`
# when you are done; the check notes it if your answer simply calls it.)

# %% [exercise] conv_multichannel

# %%
exercises.check("conv_multichannel", conv_multichannel)
