# %% [markdown]
# # 07 — Inside the trained network
#
# Notebook 06 trained a network to read digits. This notebook opens it up: what each
# layer produces for one digit, what the first layer's filters learned, a proof that the
# network is nothing but the operations of notebooks 01–05 (it runs on `convlab`'s NumPy
# code and gives TensorFlow's predictions), and how a gradient flows back through a
# convolution during training.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, kernels, predict, train, viz

tf = convlab.import_tensorflow()

# %% [markdown]
# ## The trained model
#
# `load_or_train` loads the model notebook 06 saved to `models/mnist-lean.keras` (and
# trains it first if you have not run notebook 06).

# %% tags=nbval-ignore-output
mnist = convlab.data.load_mnist()
(x_train, y_train), (x_test, y_test) = mnist
model = train.load_or_train("lean")

# %%
print([layer.name for layer in model.layers])

# %% [markdown]
# ## Feature maps, layer by layer
#
# `convlab.predict.layer_outputs` runs the network one layer at a time — with
# `convlab`'s NumPy operations — and hands back every intermediate result. Here is one
# test digit, and the output of each of the four convolution blocks after its batch
# normalisation and ReLU, every map of each layer. Each block's maps share one colour
# scale, from 0 (dark: the ReLU has removed everything negative) to the block's largest
# value. Batch normalisation shifts each map before the ReLU, so the background of many
# maps is not 0: the digit shows up brighter or darker than its background. The first
# layer's maps still look like the digit, each picking out strokes of some direction or
# edges on one side; deeper maps are smaller, more numerous and less like the digit.

# %%
digit = x_test[:1]
outputs = {layer.name: y for layer, y in predict.layer_outputs(model, digit)}
viz.show_image(digit, title=f"a test digit, label {y_test[0]}")

# %%
for name in ["conv1_relu", "conv2_relu", "conv3_relu", "conv4_relu"]:
    print(f"{name}: {outputs[name].shape[1:]}")

# %%
viz.show_feature_maps(outputs["conv1_relu"], columns=16, title="conv1: 32 maps, 28 x 28")

# %%
viz.show_feature_maps(outputs["conv2_relu"], columns=16, max_maps=64, title="conv2: 64 maps, 14x14")

# %%
viz.show_feature_maps(outputs["conv3_relu"], columns=16, max_maps=64, title="conv3: 64 maps, 14x14")

# %%
viz.show_feature_maps(outputs["conv4_relu"], columns=16, max_maps=128, title="conv4: 128 maps, 7x7")

# %% [markdown]
# The last layers turn those maps into one score per class: global average pooling
# keeps one number per map, and the dense layer weighs them into 10 logits. The softmax
# of the logits gives probabilities:

# %%
print("after global average pooling:", outputs["gap"].shape, "| logits:", outputs["logits"].shape)
probabilities = tf.nn.softmax(outputs["logits"])[0].numpy()
print("predicted digit:", probabilities.argmax(), "| true digit:", y_test[0])

# %% [markdown]
# ## What the first layer learned
#
# The first layer's 32 filters are 3 x 3 kernels, just like the hand-made ones of
# notebook 01 — but learned. Below, each filter (small square, on one colour scale for
# all 32: red positive, blue negative) sits above its response to the digit: the
# layer's raw output, before batch normalisation and ReLU, also on one shared scale.
# Some filters have a clear red side and blue side and respond to edges across that
# direction, like Sobel; others are mostly of one sign and respond to the strokes
# themselves; many are less tidy than any hand-made kernel.

# %%
learned = model.get_layer("conv1").get_weights()[0]  # (3, 3, 1, 32)
responses = outputs["conv1"][0]  # (28, 28, 32): before batch norm
print("learned filters:", learned.shape, "| responses:", responses.shape)
weight_limit = float(np.abs(learned).max())
response_limit = float(np.abs(responses).max())
fig = Figure(figsize=(10, 5.6), layout="constrained")
axes = fig.subplots(8, 8)
for index in range(32):
    row, col = 2 * (index // 8), index % 8
    viz.show_kernel(learned[:, :, 0, index], ax=axes[row, col], decimals=None, limit=weight_limit)
    axes[row, col].set_title(f"filter {index}", fontsize=7)
    axes[row + 1, col].imshow(
        responses[:, :, index], cmap="RdBu_r", vmin=-response_limit, vmax=response_limit
    )
    axes[row + 1, col].set_axis_off()
fig.suptitle(f"learned 3x3 filters (|weight| up to {weight_limit:.2f}) and their responses")
fig

# %% [markdown]
# For comparison, four of notebook 01's hand-made kernels:

# %%
fig = Figure(figsize=(7, 1.8), layout="constrained")
for ax, name in zip(fig.subplots(1, 4), ["sobel_x", "sobel_y", "edge", "gaussian_blur"]):
    viz.show_kernel(kernels.get(name), ax=ax, title=name, decimals=2)
fig

# %% [markdown]
# ## The network, in NumPy
#
# Every layer of this network is an operation from notebooks 01–05: convolutions,
# batch normalisation (a per-channel scale and shift, with statistics fixed after
# training), ReLU, max pooling, global average pooling, one matrix product. So
# `convlab.numpy_predict` can run the trained weights without TensorFlow and must give
# the same outputs as `model.predict` — within float32 rounding (1e-4) — and the same
# predicted class for every test image.

# %%
ours = convlab.numpy_predict(model, x_test)
theirs = model.predict(x_test, verbose=0)
print("largest difference below 1e-4:", bool(np.abs(ours - theirs).max() < 1e-4))
same_classes = bool((ours.argmax(1) == theirs.argmax(1)).all())
print("same predicted class for every test image:", same_classes)

# %% [markdown]
# (How fast? `benchmarks/mnist.py` times it against `model.predict`; the README at the
# top of the repository has the figures.)
#
# ## Backpropagation through a convolution
#
# Training (notebook 06) moves every weight against the gradient of the loss `L`. The
# gradient is computed backwards, layer by layer (*backpropagation*): once `dL/dy` is
# known for a layer's output `y`, the **chain rule** of derivatives gives `dL/dx` for
# its input `x` — how much `L` changes when one input value changes is the sum, over
# the outputs that input affects, of (how much `L` changes with that output) times (how
# much that output changes with the input). The layer below then continues from
# `dL/dx`, its own output's gradient. `dL/dy` has one number per value of `y`, so it
# has `y`'s shape; `dL/dx` has `x`'s.
#
# For a convolution `y = x ⋆ w` (cross-correlation, stride 1, valid), each input pixel
# `x[i, j]` contributed to the outputs `y[i - a, j - b]` with weight `w[a, b]`, so that
# output changes by `w[a, b]` when `x[i, j]` does. So given the upstream gradient
# `g = dL/dy`,
#
# $$\frac{\partial L}{\partial x_{i,j}} = \sum_{a,b} g_{i-a,\,j-b}\, w_{a,b},$$
#
# which is a **full** correlation of `g` (padded by `k - 1` on every side) with the
# kernel **flipped** — the textbook convolution after all. It is also exactly the
# transposed convolution of notebook 05.
#
# **Predict, then run.** For a valid 3 x 3 convolution of a 6 x 7 input with 2
# channels into 4 channels, what shape has `dL/dy`, and what shape has `dL/dx`?

# %%
x_shape, w_shape = (1, 6, 7, 2), (3, 3, 2, 4)
print("x", x_shape, "with a", w_shape, "kernel")
y_shape = convlab.conv2d(np.zeros(x_shape), np.zeros(w_shape)).shape
print("dL/dy has y's shape:", y_shape)
# The transposed convolution of notebook 05 takes dL/dy back to x's shape.
print("dL/dx:", convlab.conv2d_transpose(np.zeros(y_shape), np.zeros(w_shape)).shape)

# %% [markdown]
# Four ways to compute that gradient, which must agree. To have a gradient to check,
# the cell uses the loss `L = sum(y * g)` for a random `g`: its `dL/dy` is exactly `g`.
# `tf.GradientTape` is TensorFlow's automatic differentiation: it records a computation
# and returns the gradient of its result. The numerical way nudges each input value a
# little and watches the loss change.

# %%
rng = np.random.default_rng(0)
x = rng.standard_normal((1, 6, 7, 2))
w = rng.standard_normal((3, 3, 2, 4))
upstream = rng.standard_normal((1, 4, 5, 4))  # dL/dy for the 4 x 5 x 4 output


def loss(x_):
    return float(np.sum(convlab.conv2d(x_, w) * upstream))  # L = sum(y * g), so dL/dy = g


# 1. TensorFlow's automatic differentiation
x_tf = tf.Variable(x)
with tf.GradientTape() as tape:
    y_tf = tf.nn.conv2d(x_tf, w, strides=1, padding="VALID")
by_tape = tape.gradient(y_tf, x_tf, output_gradients=upstream).numpy()

# 2. A full correlation with the flipped kernel (input and output channels swapped)
flipped = w[::-1, ::-1].transpose(0, 1, 3, 2)
by_flip = convlab.conv2d(upstream, flipped, padding=2)  # k - 1 = 2 cells of padding

# 3. The transposed convolution
by_transpose = convlab.conv2d_transpose(upstream, w)

# 4. Numerical differentiation: nudge each input pixel, watch the loss
by_numbers = np.zeros_like(x)
step = 1e-6
for index in np.ndindex(x.shape):
    bump = np.zeros_like(x)
    bump[index] = step
    by_numbers[index] = (loss(x + bump) - loss(x - bump)) / (2 * step)

ways = [("flipped kernel", by_flip), ("transposed conv", by_transpose), ("numerical", by_numbers)]
for name, gradient in ways:
    same = np.allclose(gradient, by_tape, atol=1e-5)
    print(f"{name:16s} equals tf.GradientTape: {same}")

# %% [markdown]
# The gradient with respect to the *weights* is a correlation too — of the input with the
# upstream gradient — which is how a network learns its kernels:

# %%
with tf.GradientTape() as tape:
    w_tf = tf.Variable(w)
    y_tf = tf.nn.conv2d(x, w_tf, strides=1, padding="VALID")
by_tape_w = tape.gradient(y_tf, w_tf, output_gradients=upstream).numpy()
# dL/dw[a, b, c, f] = sum over output positions (i, j) of x[i + a, j + b, c] * g[i, j, f]:
# kernel cell (a, b) met the input window shifted by (a, b), one product per output.
by_correlation = np.zeros_like(w)
for a in range(3):
    for b in range(3):
        shifted = x[0, a : a + 4, b : b + 5, :]  # (4, 5, 2): what cell (a, b) multiplied
        by_correlation[a, b] = np.einsum("ijc,ijf->cf", shifted, upstream[0])
same = np.allclose(by_correlation, by_tape_w, atol=1e-6)
print("weight gradient, correlation of x with g, equals tf.GradientTape:", same)

# %% [markdown]
# ## Summary
#
# * Early feature maps look like filtered versions of the digit; later ones are small,
#   many, and abstract.
# * The first layer learns 3 x 3 kernels; some have a positive and a negative side,
#   like the hand-made edge detectors.
# * The trained network is only convolutions, normalisation, ReLU, pooling and one
#   matrix product: `convlab.numpy_predict` reproduces its predictions in NumPy.
# * Backpropagation through a convolution is again a convolution: the input gradient is
#   a full correlation with the flipped kernel (a transposed convolution), the weight
#   gradient a correlation of the input with the upstream gradient.
#
# ## Exercises
#
# **1.** `input_gradient(upstream, kernel)`: `dL/dx` for a valid cross-correlation of a
# 2-D input with a 2-D kernel, given the upstream gradient `dL/dy`. Do it with
# `np.pad`, the flipped kernel and a loop (notebook 01's `slide` is most of it); the
# check notes if your answer calls `convlab` instead.

# %% [exercise] input_gradient

# %%
exercises.check("input_gradient", input_gradient)

# %% [markdown]
# **2.** `weight_gradient(x, upstream)`: `dL/dkernel` for the same convolution, from the
# input and the upstream gradient. Which input cells did kernel cell `(a, b)` multiply?

# %% [exercise] weight_gradient

# %%
exercises.check("weight_gradient", weight_gradient)
