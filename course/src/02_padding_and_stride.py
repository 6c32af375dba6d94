# %% [markdown]
# # 02 — Padding and stride
#
# Notebook 01 slid a kernel over every position where it fits, and the feature map came
# out smaller than the image. Two settings control the size of the output: **padding**
# (cells of zeros added around the border) and **stride** (how far the kernel moves
# between positions). This notebook draws both, derives the size formula, shows
# TensorFlow's exact `"VALID"` and `"SAME"` rules — including the one-sided padding that
# trips people up — and ends with dilation.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import convlab
from convlab import exercises, figures, shapes, widgets

# %% tags=tensorflow
tf = convlab.import_tensorflow()

# %% [markdown]
# ## Every window, drawn
#
# A 5 x 5 input (blue) padded with one cell of zeros on every side (grey, hatched)
# becomes 7 x 7. A 3 x 3 kernel moved with stride 2 fits at three positions along each
# axis, so the output (green) is 3 x 3. The figure draws all nine windows, one small
# frame per output cell: the window's cells are orange, and so is the output cell it
# computes. Windows reach into the padding at every border.

# %%
figures.conv_positions(5, 3, strides=2, padding=1)

# %% [markdown]
# ## The output size formula
#
# Along one axis, an input of `n` cells padded with `p` zeros on each side has
# `n + 2p` cells. A kernel of size `k` starts at positions `0, s, 2s, …` as long as it
# does not hang over the end. The last start position is at most `n + 2p - k`, so the
# number of positions is
#
# $$\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 .$$
#
# For the figure: ⌊(5 + 2 - 3) / 2⌋ + 1 = 3. The floor is the important part: a window
# that would hang over the edge is not computed. `convlab.shapes.conv_output_size`
# implements this (and TensorFlow's named paddings, below); let's check it against
# TensorFlow's actual output shapes.

# %%
cases = [(5, 3, 2, 1), (32, 5, 1, 0), (32, 5, 1, 2), (7, 3, 2, 0), (28, 5, 2, 2)]
for n, k, s, p in cases:
    formula = shapes.conv_output_size(n, k, strides=s, padding=p)
    print(f"n={n:2d} k={k} s={s} p={p}: formula {formula:2d}")

# %% tags=tensorflow
def tf_length(n, k, s, padding):
    """Output length of tf.nn.conv2d along one axis, read off a real output."""
    if isinstance(padding, int):
        padding = [[0, 0], [padding, padding], [0, 0], [0, 0]]
    x, kernel = tf.zeros((1, n, 1, 1)), tf.zeros((k, 1, 1, 1))
    return tf.nn.conv2d(x, kernel, strides=[1, s, 1, 1], padding=padding).shape[1]


print("TensorFlow:", [tf_length(n, k, s, p) for n, k, s, p in cases])

# %% [lite]
# Read off real `tf.nn.conv2d` outputs (in the full edition), TensorFlow's lengths for
# these five cases are the formula's: 3, 28, 32, 3 and 14.

# %% [markdown]
# ## Padding that keeps the size
#
# At stride 1 the output has `n + 2p - k + 1` cells, so `p = (k - 1) / 2` keeps the
# size: 1 for a 3 x 3 kernel, 2 for 5 x 5, 3 for 7 x 7. That only works for **odd**
# kernels. An even kernel needs `k - 1` padding cells in total — an odd number — so one
# side must get one more than the other, and the kernel has no centre pixel to align
# with the input pixel either. That is why nearly every network uses odd kernels.

# %%
for k in (3, 5, 7):
    p = (k - 1) // 2
    print(f"k={k}: p={p} keeps 32 -> {shapes.conv_output_size(32, k, padding=p)}")
print("k=4: total padding needed", 4 - 1, "-> split", shapes.same_padding(32, 4))

# %% [markdown]
# ## TensorFlow's `"VALID"` and `"SAME"`
#
# Keras, TensorFlow's library of ready-made layers (`keras.layers.Conv2D`, notebook 05),
# does not take a number `p`: it takes a name, `"valid"` or `"same"`. The lower-level
# `tf.nn.conv2d` takes either a name or explicit `(before, after)` padding for every
# axis, as the cells below show.
#
# * `"VALID"` means no padding: $\text{out} = \lceil (n - k + 1) / s \rceil$, the same
#   number as the formula with `p = 0`.
# * `"SAME"` means: pad just enough that $\text{out} = \lceil n / s \rceil$. It needs
#   $\text{total} = \max((\text{out} - 1)\,s + k - n,\ 0)$ padding cells, and puts
#   $\lfloor \text{total} / 2 \rfloor$ **before** and the rest **after**. When the
#   total is odd, the extra row goes to the bottom and the extra column to the right.
#
# So `"SAME"` keeps the size only at stride 1 — the notes say it always does, which is
# wrong: at stride 2 it halves (rounding up). The figure shows the case `n = 28`,
# `k = 5`, `s = 2` along one axis: 14 windows (orange bars, staggered so that
# overlapping windows stay apart) need 3 padding cells, one before and two after; the
# last window ends on the second padding cell.

# %%
figures.same_padding_split(28, 5, strides=2)

# %%
print("SAME, n=28 k=5 s=2: output", shapes.conv_output_size(28, 5, strides=2, padding="same"),
      "padding (before, after) =", shapes.same_padding(28, 5, strides=2))
print("SAME, n=28 k=5 s=1: output", shapes.conv_output_size(28, 5, padding="same"))

# %% [markdown]
# The asymmetry is real, not a rounding detail: padding `(1, 2)` explicitly (one row
# on top, two at the bottom, and the same for columns) reproduces TensorFlow's `"SAME"`
# exactly, while the mirror image `(2, 1)` gives different numbers.

# %%
rng = np.random.default_rng(0)
x = rng.standard_normal((1, 28, 28, 1)).astype(np.float32)
kernel = rng.standard_normal((5, 5, 1, 1)).astype(np.float32)
same = convlab.conv2d(x, kernel, strides=2, padding="same")  # TensorFlow's rule
for pads in [(1, 2), (2, 1)]:
    explicit = convlab.conv2d(x, kernel, strides=2, padding=(pads, pads))
    equal = np.allclose(explicit, same, atol=1e-5)
    print(f"explicit padding {pads}: equals SAME? {equal}")

# %% tags=tensorflow
reference = tf.nn.conv2d(x, kernel, strides=2, padding="SAME").numpy()
print("convlab's SAME equals TensorFlow's:", np.allclose(same, reference, atol=1e-5))

# %% [lite]
# `convlab`'s `"same"` is TensorFlow's `"SAME"`: in the full edition, the same
# comparison with TensorFlow's own `tf.nn.conv2d` finds them equal.

# %% [markdown]
# ## A worked example from the notes
#
# *Input 32 x 32 x 3; 20 filters of 8 x 8 x 3; stride 2; padding 1. What is the output?*
#
# The formula gives $\lfloor (32 + 2 - 8) / 2 \rfloor + 1 = 14$, so 14 x 14 x 20 —
# the notes' answer. But that answer needs *explicit* padding of 1. Written with
# TensorFlow's named paddings you get something else: `"SAME"` gives
# $\lceil 32 / 2 \rceil = 16$ and `"VALID"` gives $\lceil (32 - 8 + 1) / 2 \rceil = 13$.
# The depth is always the number of filters, 20.

# %%
print("input", (32, 32, 3), "| filters", (8, 8, 3, 20), "| stride 2")
for padding in ["same", "valid", 1]:
    size = shapes.conv_output_size(32, 8, strides=2, padding=padding)
    print(f"{padding!s:10s} -> {(size, size, 20)}")

# %% tags=tensorflow
x = tf.zeros((1, 32, 32, 3))
filters = tf.zeros((8, 8, 3, 20))
print("TensorFlow, same input and filters:")
for padding in ["SAME", "VALID", [[0, 0], [1, 1], [1, 1], [0, 0]]]:
    label = padding if isinstance(padding, str) else "explicit 1"
    print(f"{label:10s} -> {tuple(tf.nn.conv2d(x, filters, 2, padding).shape[1:])}")

# %% [lite]
# TensorFlow's `tf.nn.conv2d` on a 32 x 32 x 3 input with these 20 filters (in the full
# edition) gives exactly these three shapes.

# %% [markdown]
# ## Dropped rows and columns
#
# When `n + 2p - k` is not a multiple of `s`, the floor throws something away: the last
# rows and columns of the (padded) input are never read by any window. With `n = 7`,
# `k = 2`, `s = 2`, windows start at 0, 2 and 4 and cover cells 0 to 5; cell 6 is never
# read. The figure marks such cells with red cross-hatching ("not read"): the input's
# last row and column play no part in the output.

# %%
figures.conv_geometry(7, 2, strides=2, position=(2, 1))

# %% [markdown]
# `convlab.shapes.windows` lists, along one axis, the cells each window reads and the
# cells none reads — the figure is drawn from it:

# %%
found = shapes.windows(7, 2, strides=2)
print("cells each window reads:", found.taps, "| never read:", found.unread)

# %% [markdown]
# **Predict, then run.** A 10-cell input, a 3-cell kernel, stride 4, no padding. How
# many outputs, and which input cells does no window read? (When the stride is larger
# than the kernel, cells *between* windows are skipped as well.)

# %%
n, k, s = 10, 3, 4
found = shapes.windows(n, k, strides=s)
print(f"n={n}, k={k}, s={s}: outputs:", len(found.taps))
print("windows read:", found.taps, "| never read:", found.unread)

# %% [markdown]
# ## Chains of layers
#
# Sizes compose: each layer's output is the next one's input. From the notes: 32 x 32
# through a 7 x 7 valid convolution at stride 1 gives 26, then a 5 x 5 valid convolution
# at stride 2 gives 11.

# %%
n = 32
for k, s in [(7, 1), (5, 2)]:
    n_out = shapes.conv_output_size(n, k, strides=s)
    print(f"{n} -({k}x{k}, stride {s}, valid)-> {n_out}")
    n = n_out

# %% [markdown]
# ## Dilation
#
# A **dilated** kernel spaces its weights (its *taps*) `d` cells apart, so a 3 x 3 kernel
# at `d = 2` covers a 5 x 5 area with still only 9 weights: in the figure, the orange
# cells are the 9 cells one window reads, and the outlined square is the area it spans,
# with holes between the taps. Its effective size is $k + (k - 1)(d - 1)$, which
# replaces `k` in every formula above: a 9 x 9 input gives 5 x 5 outputs, and a
# 28 x 28 input with a 3 x 3 kernel at `d = 2`, valid, gives 24 x 24.

# %%
figures.conv_geometry(9, 3, dilation_rate=2, position=(1, 2))

# %%
print("3x3 at d=2: effective size", shapes.dilated_size(3, 2), "with", 3 * 3, "weights")
print("9x9, 3x3, d=2, valid:", shapes.conv_output_size(9, 3, dilation_rate=2))
print("28x28, 3x3, d=2, valid:", shapes.conv_output_size(28, 3, dilation_rate=2))

# %% tags=tensorflow
y = tf.nn.conv2d(tf.zeros((1, 28, 28, 1)), tf.zeros((3, 3, 1, 1)), 1, "VALID", dilations=2)
print("TensorFlow:", tuple(y.shape[1:3]))

# %% [lite]
# TensorFlow's dilated `tf.nn.conv2d` (in the full edition) gives the same 24 x 24.

# %% [markdown]
# ## Explore
#
# The explorer draws the same picture for any setting. It opens on a common case where
# the stride does not fit: an 8 x 8 input padded by 1 on each side, a 3 x 3 window at
# stride 2. The windows start at 0, 2, 4 and 6 and never reach the last padding row and
# column, which are red-hatched. The input holds small whole numbers and the kernel is
# all ones, so each output cell is the sum of the cells its window reads. The formula
# and TensorFlow's actual output size are written under the grids; pick an output cell
# with the sliders to see its window. Try `"same"` padding (TensorFlow pads 0 before
# and 1 after here, so nothing is wasted), a stride larger than the kernel, or a
# dilation of 2.

# %%
opening = shapes.windows(8, 3, strides=2, padding=1)
print("window starts:", [taps[0] for taps in opening.taps], "| never read:", opening.unread)
print("SAME instead:", shapes.same_padding(8, 3, strides=2))

# %% [lite]
# In the browser, the line under the controls says *TensorFlow not installed* where the
# full edition shows TensorFlow's output size, and the picture leaves that line out; the
# formula's number is the one TensorFlow gives.

# %%
widgets.ConvExplorer()

# %% [markdown]
# ## Summary
#
# * $\text{out} = \lfloor (n + 2p - k) / s \rfloor + 1$; the floor drops windows that
#   would hang over the edge, and with them the last rows and columns.
# * `p = (k - 1) / 2` keeps the size at stride 1 for odd kernels.
# * TensorFlow's `"VALID"` is `p = 0`; `"SAME"` gives $\lceil n / s \rceil$ — the same
#   size only at stride 1 — and puts the odd padding cell at the bottom/right.
#   `tf.nn.conv2d` also takes explicit `(before, after)` padding; Keras layers take only
#   the names.
# * Dilation replaces `k` by $k + (k - 1)(d - 1)$.
#
# ## Exercises
#
# **1.** Information lost: `dropped_cells(n, k, s, p)` returns how many of the `n` input
# cells (not the padding) no window reads, along one axis. Count both the cells after
# the last window and, when the stride is larger than the kernel, those between
# windows.

# %% [exercise] dropped_cells

# %%
exercises.check("dropped_cells", dropped_cells)

# %% [markdown]
# **2.** TensorFlow's `"SAME"` padding with dilation: `same_padding(n, k, s, d)` returns
# `(before, after)` for a kernel of size `k` at dilation `d`. Combine the SAME rule with
# what dilation does to a kernel.

# %% [exercise] same_padding

# %%
exercises.check("same_padding", same_padding)
