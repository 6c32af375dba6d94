# %% [markdown]
# # 04 — Pooling
#
# Convolutions keep (or slowly shrink) the size of their input. **Pooling** layers
# shrink it on purpose: they slide a window over each channel and keep one summary
# number per window — the maximum or the average. They have no weights at all.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, figures, shapes, viz, widgets

np.set_printoptions(precision=2, suppress=True)

# %% tags=tensorflow
tf = convlab.import_tensorflow()
import keras  # noqa: E402  (after TensorFlow, which it runs on)

# %% [markdown]
# ## Max and average pooling
#
# The most common setting is a 2 x 2 window moved with stride 2: the windows tile the
# map without overlapping, and each keeps one of its four values. On a 4 x 4 grid the
# figure outlines the four windows; max pooling keeps the orange cell of each, and the
# four winners make the 2 x 2 output.

# %%
grid = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
figures.pooling_windows(grid, 2, mode="max")

# %% [markdown]
# Average pooling keeps the mean of each window instead. The figure shows one window
# (output cell `[0, 1]`) and writes its average out: (2 + 4 + 7 + 8) / 4 = 5.25.

# %%
figures.pooling_windows(grid, 2, mode="avg", position=(0, 1))

# %%
batch = grid[None, :, :, None]
print("max:\n", convlab.max_pool2d(batch, 2)[0, :, :, 0])
print("average:\n", convlab.avg_pool2d(batch, 2)[0, :, :, 0])

# %% [markdown]
# Pooling works on each channel separately, so the depth stays the same. Its output
# size is the convolution formula without padding,
# $\lfloor (n - k) / s \rfloor + 1$. With 2 x 2 windows at stride 2 each side halves,
# so 25 % of the activations remain. A layer can also use **overlapping** windows, for
# example 3 x 3 at stride 2 (as in AlexNet, the network that made convolutional
# networks famous): 13 becomes 6.

# %%
x = np.random.default_rng(0).random((1, 28, 28, 32))
pooled = convlab.max_pool2d(x, 2)
print(x.shape, "->", pooled.shape, f"| kept {pooled.size / x.size:.0%} of the activations")
print("3x3 windows at stride 2 on 13:", shapes.pool_output_size(13, 3, strides=2))

# %% tags=tensorflow
print("parameters of a pooling layer:", keras.layers.MaxPooling2D(2).count_params())

# %% [lite]
# A pooling layer has nothing to learn: in the full edition, Keras's
# `MaxPooling2D(2).count_params()` confirms it has no parameters.

# %% [markdown]
# The photograph, max-pooled twice: a quarter of the pixels each time, and still
# recognisable.

# %%
photo = convlab.data.photo()[None]
fig = Figure(figsize=(8, 3), layout="constrained")
images = [photo, convlab.max_pool2d(photo, 2), convlab.max_pool2d(convlab.max_pool2d(photo, 2), 2)]
for ax, image in zip(fig.subplots(1, 3), images):
    viz.show_image(image, ax=ax, title=f"{image.shape[1]} x {image.shape[2]}")
fig

# %% [markdown]
# ## `"SAME"` pooling: how TensorFlow pads
#
# With `padding="same"`, TensorFlow pads exactly as for convolutions (notebook 02) —
# the output is $\lceil n / s \rceil$, extra cells at the bottom and right — but the
# padded cells are not zeros:
#
# * for **max** pooling they count as $-\infty$, so they never win;
# * for **average** pooling they are left out: each window divides by the number of
#   *real* cells it covers.
#
# On a 3 x 3 grid holding 1 to 9, a 2 x 2 average at stride 2 gives 2 x 2 outputs: the
# top-left window averages four real cells (3); the one on the right only two (4.5);
# below, two (7.5); and the bottom-right window covers a single real cell, the 9. The
# figure draws the right-hand window: its two padded cells (grey, hatched) are left out
# of the average.

# %%
nine_grid = np.arange(1.0, 10.0).reshape(3, 3)
figures.pooling_windows(nine_grid, 2, padding="same", mode="avg", position=(0, 1))

# %%
nine = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
print("input:\n", nine[0, :, :, 0])
print("convlab SAME average:\n", convlab.avg_pool2d(nine, 2, padding="same")[0, :, :, 0])
zero_padded = np.pad(nine, ((0, 0), (0, 1), (0, 1), (0, 0)))  # one row and column of 0s
print("if padding counted as 0:\n", convlab.avg_pool2d(zero_padded, 2)[0, :, :, 0])

# %% tags=tensorflow
print("TensorFlow SAME average:\n", tf.nn.avg_pool2d(nine, 2, 2, "SAME").numpy()[0, :, :, 0])

# %% [lite]
# TensorFlow's `tf.nn.avg_pool2d(nine, 2, 2, "SAME")` gives `convlab`'s 3, 4.5, 7.5 and
# 9 (in the full edition), not the zero-padded numbers.

# %% [markdown]
# **Predict, then run.** Now max pooling, SAME, on the same grid with every value made
# negative (-1 to -9). If the padding were zeros, which outputs would be 0? What do
# TensorFlow and `convlab` give?

# %%
negative = -nine
print("SAME max of -1..-9:\n", convlab.max_pool2d(negative, 2, padding="same")[0, :, :, 0])

# %% tags=tensorflow
reference = tf.nn.max_pool2d(negative, 2, 2, "SAME").numpy()
ours = convlab.max_pool2d(negative, 2, padding="same")
print("matches TensorFlow:", np.array_equal(ours, reference))

# %% [lite]
# TensorFlow's `tf.nn.max_pool2d` gives the same maxima (in the full edition).

# %% [markdown]
# With zeros as padding, the three windows that reach into the padding would give 0
# (a zero beats every negative value): outputs `[0, 1]`, `[1, 0]` and `[1, 1]`. But
# TensorFlow's padded cells count as $-\infty$, so each window's maximum is its largest
# *real* value, and no output is 0 (the figure marks the padded cells `-∞`).

# %%
figures.pooling_windows(-nine_grid, 2, padding="same", mode="max")

# %% [markdown]
# ## Explore
#
# Switch between max and average, change the window, the stride and the padding, and
# pick an output cell to see its window and its arithmetic. It opens on a 7 x 7 grid
# with 2 x 2 windows at stride 2, where the last row and column are never read
# (red-hatched), just as with convolutions. With a stride smaller than the window,
# windows overlap; with `"same"` the grey hatched cells are padding.

# %%
widgets.PoolExplorer()

# %% [markdown]
# ## Global average pooling and pooling across channels
#
# **Global average pooling** uses one window as large as the whole map: each channel
# becomes a single number. Many modern networks end with it instead of a large *dense*
# layer (one in which every output is a weighted sum of all the inputs, notebook 05). A
# 7 x 7 x 512 map becomes 512 numbers:

# %%
maps = np.random.default_rng(1).random((1, 7, 7, 512)).astype(np.float32)
gap = convlab.avg_pool2d(maps, 7)
print(maps.shape, "->", gap.shape, "| same as mean over height and width:",
      np.allclose(gap[0, 0, 0], maps.mean(axis=(1, 2))[0], atol=1e-6))

# %% tags=tensorflow
print("Keras GlobalAveragePooling2D:", keras.layers.GlobalAveragePooling2D()(maps).shape)

# %% [lite]
# Keras's `GlobalAveragePooling2D` layer returns the same 512 numbers per image (in the
# full edition), without the two axes of length 1.

# %% [markdown]
# Pooling can also run **across channels** instead of across space:
# `tf.nn.max_pool` with `ksize=(1, 1, 1, 3)` takes the maximum of every 3 consecutive
# channels at each pixel. The channel count must be divisible by the window: 6 channels
# give 2.

# %%
six = np.random.default_rng(2).random((1, 4, 4, 6)).astype(np.float32)
by_hand = six.reshape(1, 4, 4, 2, 3).max(axis=-1)  # the maximum of each group of 3 channels
print(six.shape, "->", by_hand.shape, "| the maximum of each group of 3 channels")

# %% tags=tensorflow
across = tf.nn.max_pool(six, ksize=(1, 1, 1, 3), strides=(1, 1, 1, 3), padding="VALID")
same = np.allclose(across, by_hand)
print("tf.nn.max_pool:", tuple(across.shape), "| equals max over groups of 3:", same)

# %% [lite]
# In the full edition, `tf.nn.max_pool` with that window gives the same `(1, 4, 4, 2)`
# maxima as the NumPy line above.

# %% [markdown]
# ## What pooling buys, and the alternative
#
# * **Less computation** in the layers that follow: every 2 x 2 pooling divides the
#   positions by 4.
# * **Invariance to small shifts** (the output does not change at all, where notebook
#   01's *equivariance* meant it moves along with the input): moving the input by one
#   pixel often leaves the maximum of each window unchanged — but not always. Below, a
#   single bright pixel (left) moves one step to the right inside its 2 x 2 window
#   (middle): the pooled map does not change. Moved one more step (right), it crosses
#   into the next window, and the output's 1 moves with it.

# %%
dot = np.zeros((1, 6, 6, 1))
dot[0, 2, 2] = 1.0
within = np.roll(dot, 1, axis=2)  # column 2 -> 3: the same window
across = np.roll(dot, 2, axis=2)  # column 2 -> 4: the next window
fig = Figure(figsize=(10, 2.6))
for panel, (image, title) in zip(
    fig.subfigures(1, 3), [(dot, "original"), (within, "moved 1 right"), (across, "moved 2 right")]
):
    figures.pooling_windows(image[0, :, :, 0], 2, fig=panel)
    panel.suptitle(title, fontsize=11, y=1.0, fontweight="bold")
fig

# %%
pooled = convlab.max_pool2d(dot, 2)
print("moved 1 right, pooled map unchanged:", np.array_equal(pooled, convlab.max_pool2d(within, 2)))
print("moved 2 right, pooled map unchanged:", np.array_equal(pooled, convlab.max_pool2d(across, 2)))

# %% [markdown]
# Pooling also throws information away (three quarters of it, for 2 x 2). The
# **all-convolutional** alternative drops pooling layers and shrinks maps with strided
# convolutions instead — the downsampling is then learned. A 3 x 3 convolution at stride
# 2 with `"same"` padding halves the size just like 2 x 2 pooling does:

# %%
x = np.random.default_rng(3).random((1, 28, 28, 32)).astype(np.float32)
kernel = np.random.default_rng(4).standard_normal((3, 3, 32, 32)).astype(np.float32)
strided = convlab.conv2d(x, kernel, strides=2, padding="same")
print("max pooling:", convlab.max_pool2d(x, 2).shape, "| strided convolution:", strided.shape)
before, after = 28 * 28, 14 * 14
print("positions after 2x2 pooling:", before, "->", after, "=", before // after, "times fewer")

# %% [markdown]
# ## Summary
#
# * Pooling keeps one value (max or average) per window, per channel, and has no
#   parameters; 2 x 2 at stride 2 keeps 25 % of the activations.
# * Output size $\lfloor (n - k) / s \rfloor + 1$; windows overlap when $s < k$.
# * TensorFlow's SAME pooling pads like SAME convolution, but padded cells are
#   $-\infty$ for max and left out of averages.
# * Global average pooling turns each map into one number; strided convolutions are the
#   learned alternative to pooling.
#
# ## Exercises
#
# **1.** `max_pool(image, k, s)`: max pooling of a 2-D image with `k x k` windows at
# stride `s`, valid. The check includes overlapping windows, a non-square image and a
# grid of negative numbers.

# %% [exercise] max_pool

# %%
exercises.check("max_pool", max_pool)

# %% [markdown]
# **2.** `avg_pool_same(image, k, s)`: TensorFlow's SAME average pooling of a 2-D image,
# with the padding left out of each average. This combines notebook 02's SAME rule
# (how many windows, and where the padding goes) with the rule above.

# %% [exercise] avg_pool_same

# %%
exercises.check("avg_pool_same", avg_pool_same)
