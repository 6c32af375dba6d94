# %% [markdown]
# # 01 — Sliding windows
#
# A neural network is a chain of **layers**: each takes an array and computes a new
# array from it. A *convolutional* layer does one simple thing many times: it lays a
# small grid of numbers, the **kernel** (its *weights*), over a patch of the image,
# multiplies cell by cell, adds everything up, and writes that one number to the
# output. Then it slides the kernel one step and does it again. This notebook builds
# that operation by hand, applies classic hand-made kernels to a real photograph, and
# shows why sharing one kernel across the whole image is the right idea.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, figures, kernels, viz

np.set_printoptions(precision=2, suppress=True)

# %% [markdown]
# ## An image is an array
#
# `convlab.data.photo()` loads a portrait of Grace Hopper that ships with matplotlib (no
# download), as floats between 0 and 1. In colour it has three channels — red, green,
# blue — on the last axis; in grey, one value per pixel.

# %%
photo = convlab.data.photo()
gray = convlab.data.photo(gray=True)
print("colour:", photo.shape, " gray:", gray.shape)
print("top-left pixel (R, G, B):", photo[0, 0])

# %%
fig = Figure(figsize=(7, 3.5), layout="constrained")
left, right = fig.subplots(1, 2)
viz.show_image(photo, ax=left, title="RGB (h, w, 3)")
viz.show_image(gray, ax=right, title="gray (h, w)")
fig

# %% [markdown]
# ## One window, one number
#
# Take a small image and a kernel. Lay the kernel over a **window** of the image of the
# same size — in the figure, the orange cells; the small brown numbers in their corners
# are the kernel's weights sitting on them. Multiply each image value by the weight on
# it and add the products: the sum is one output value, written in the orange cell of
# the output. The products are written out under the image.

# %%
image = np.array(
    [[3, 0, 1, 2, 7], [1, 5, 8, 9, 3], [2, 7, 2, 5, 1], [0, 1, 3, 1, 7], [4, 2, 1, 6, 2]],
    dtype=float,
)
kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)
figures.window_step(image, kernel, position=(1, 2))

# %% [markdown]
# In code, the window for output row 1, column 2 is the slice `image[1:4, 2:5]`; the
# multiplication is element-wise and the addition is `np.sum`. It is also a **dot
# product**: flatten both grids into vectors and multiply them with `@`.

# %%
window = image[1:4, 2:5]
print("window:\n", window)
print("sum of products:", np.sum(window * kernel))
print("as a dot product:", window.ravel() @ kernel.ravel())

# %% [markdown]
# ## Sliding it everywhere
#
# Do that at every position where the kernel fits and you get a new image, the
# **feature map**. The figure shows four of the nine steps: the output fills up in
# reading order, one cell per window (green: computed at an earlier step; orange: this
# step's).

# %%
figures.window_steps(image, kernel)

# %% [markdown]
# Here it is as two loops over output positions. With no padding, an image of height
# `h` and a kernel of height `k` leave `h - k + 1` positions, so the map is a little
# smaller than the image (notebook 02 is about that): the 5 x 5 image gives a 3 x 3 map.

# %%
def slide(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
    return out


print(image.shape, "->", slide(image, kernel).shape)
print(slide(image, kernel))

# %% [markdown]
# This is what deep learning calls a **convolution**, and it is exactly
# `convlab.naive.conv2d` (the readable version) and `convlab.conv2d` (the fast one).
# They work on NHWC batches (notebook 00) and on many channels at once, so the image
# gets a batch and a channel axis, and the kernel becomes a **filter**: the same
# weights in a 4-D array of shape `(height, width, in channels, out channels)`, here
# `(3, 3, 1, 1)` (notebook 03 is about the two channel axes):

# %%
batch = image[None, :, :, None]  # (1, 5, 5, 1)
filters = kernels.as_filter(kernel)  # (3, 3, 1, 1)
fast = convlab.conv2d(batch, filters)[0, :, :, 0]
print("loop == convlab.conv2d:", np.allclose(slide(image, kernel), fast))

# %% [markdown]
# ### Cross-correlation, not the textbook convolution
#
# In mathematics, convolving with a kernel first **flips** it (rows and columns
# reversed); laying it on as it is, is called *cross-correlation*. Deep learning
# libraries, TensorFlow included, compute cross-correlation and call it convolution.
# For a symmetric kernel the two agree; for an asymmetric one they do not. A kernel
# whose only 1 sits right of centre makes the difference visible: cross-correlation
# gives each output pixel the value one step to its right, so a single bright dot moves
# one step **left**; the flipped kernel moves it one step **right**. (The 3 x 3 output
# is smaller than the 5 x 5 input: output cell `[1, 1]` has its window centred on input
# `[2, 2]`, where the dot is, so "one step left" is output `[1, 0]`.)

# %%
impulse = np.zeros((5, 5))
impulse[2, 2] = 1.0
shift = np.zeros((3, 3))
shift[1, 2] = 1.0  # "take the value to my right"
print("cross-correlation (what TensorFlow does):\n", slide(impulse, shift))
print("textbook convolution (kernel flipped):\n", slide(impulse, shift[::-1, ::-1]))

# %% [markdown]
# A network *learns* its kernels: training (notebook 06) adjusts their numbers
# automatically. So the flip does not matter for training — it would simply learn
# flipped weights. It matters when you port code or compare with `convolve2d` from
# SciPy (a library of scientific routines), which flips.
#
# **Predict, then run.** A step image: dark (0) on the left, bright (1) on the right.
# The one-row kernel `[1, 0, -1]` is laid on each window of three neighbouring pixels.
# Which outputs are non-zero, and are they positive or negative?

# %%
step = np.array([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]] * 2)
print(slide(step, np.array([[1.0, 0.0, -1.0]])))

# %% [markdown]
# Only the two windows that straddle the step see a difference, and the kernel
# subtracts the right-hand (bright) pixel from the left-hand (dark) one: -1 at both.
#
# ## Kernels that need no training
#
# Long before neural networks, image processing used hand-made kernels. `convlab.kernels`
# has the classics; each is 3 x 3. Every kernel is drawn on the same kind of scale: red
# cells are positive weights, blue negative, white zero, and the stronger the colour,
# the larger the weight compared with the kernel's largest:

# %%
print(kernels.names(), "| each", kernels.get("edge").shape)
fig = Figure(figsize=(10, 2.2), layout="constrained")
for ax, name in zip(fig.subplots(1, 8), kernels.names()):
    viz.show_kernel(kernels.get(name), ax=ax, title=name, decimals=2)
fig

# %% [markdown]
# What the weights add up to decides what a kernel does to a flat (constant) area,
# and so how its result is best shown. The blurs, sharpen, identity and emboss add up
# to 1: a flat area keeps its brightness, and the result is shown like a photo,
# clipped to [0, 1]. The edge detectors add up to 0: a flat area becomes 0 and only
# changes survive, with a sign that says which way the brightness changes; they are
# shown with red for positive, blue for negative and white for 0.

# %%
for name in kernels.names():
    print(f"{name:14s} sum = {kernels.get(name).sum():5.2f}")

# %% [markdown]
# Applied to the grey photograph (with `padding="same"` so the size stays, see notebook
# 02): blurs average the neighbourhood; sharpen adds the image's edges to itself; the
# edge kernel (the *Laplacian*: a pixel minus its neighbours) lights up every outline;
# Sobel x responds to brightness changing from left to right (red where it gets
# brighter to the right, blue where it gets darker), Sobel y to changes from top to
# bottom; emboss makes a relief lit from the top left. The frame around the edge
# detectors' pictures comes from that padding: at the border the photo meets a ring of
# zeros, which looks like an edge.

# %%
gray_batch = gray[None, :, :, None]
fig = Figure(figsize=(10, 5.4), layout="constrained")
for ax, name in zip(fig.subplots(2, 4).flat, kernels.names()):
    kernel_ = kernels.get(name)
    result = convlab.conv2d(gray_batch, kernels.as_filter(kernel_), padding="same")[0, :, :, 0]
    viz.show_response(result, kernel_, ax=ax, title=name)
fig

# %% [markdown]
# ## Colour: one kernel per channel, or kernels that mix
#
# A convolution layer's filter spans **all** input channels: for RGB input, a 3 x 3
# filter holds 3 x 3 x 3 weights and each output value adds up products over red,
# green *and* blue. With several filters, the full kernel has shape `(kh, kw, in, out)`,
# and weight `[i, j, c, f]` says how much input channel `c` contributes to output
# channel `f`.
#
# To blur a colour photo without changing its colours, each output channel must see
# only its own input channel: the 2-D blur sits on the "diagonal" `c == f` and every
# other weight is 0 (notebook 03 comes back to channels in depth). `kernels.per_channel`
# builds exactly that. The notes put the blur
# in *every* slot instead — then each output channel is the blur of R + G + B, and
# colours turn grey. A single red pixel shows the difference:

# %%
red_dot = np.zeros((1, 5, 5, 3))
red_dot[0, 2, 2] = [1.0, 0.0, 0.0]
blur = kernels.get("box_blur")
per_channel = kernels.per_channel(blur)  # zero off the channel diagonal
mixing = np.tile(blur[:, :, None, None], (1, 1, 3, 3))  # the notes' mistake
print("filter shape (kh, kw, in, out):", per_channel.shape)
kept = convlab.conv2d(red_dot, per_channel, padding="same")[0, 2, 2]
mixed = convlab.conv2d(red_dot, mixing, padding="same")[0, 2, 2]
print("centre pixel (R, G, B), per-channel blur:", kept)
print("centre pixel (R, G, B), mixing blur:     ", mixed)

# %%
fig = Figure(figsize=(9, 3), layout="constrained")
axes = fig.subplots(1, 3)
viz.show_image(photo, ax=axes[0], title="photo")
kept_colours = convlab.conv2d(photo[None], per_channel, padding="same")[0]
greyed = convlab.conv2d(photo[None], mixing, padding="same")[0] / 3
viz.show_image(kept_colours, ax=axes[1], title="per-channel blur")
viz.show_image(greyed, ax=axes[2], title="mixing blur (/ 3): grey")
fig

# %% [markdown]
# ## Try it: the kernel playground
#
# Pick a kernel or type your own nine numbers (fractions like `1/9` work), on the colour
# photo or, with the box unticked, the grey one. The line under the controls says what
# the weights add up to and how the result is shown: kernels that add up to 1 are
# clipped to [0, 1] like the photo; kernels that add up to 0 are shown signed (red and
# blue) on the grey photo, and as the size of the response on the colour one. Editing a
# number turns the kernel into "custom". (The explorer needs Python running behind the
# notebook: on GitHub you see a still picture.)

# %%
convlab.widgets.KernelPlayground()

# %% [markdown]
# ## Translation equivariance: why one kernel serves the whole image
#
# The same kernel is applied at every position. So if the image shifts, the feature map
# shifts by the same amount: an edge detector finds an edge wherever it is. This is
# called **translation equivariance**, and it is why a layer can *share* one set of
# weights across all positions instead of learning separate weights for each. Below,
# the photo moves 7 pixels down and 11 to the right; away from the border (where pixels
# wrap around), filtering the moved photo gives the moved response.

# %%
edge = kernels.as_filter(kernels.get("sobel_x"))
shifted = np.roll(gray_batch, shift=(7, 11), axis=(1, 2))  # move the photo 7 down, 11 right
response = convlab.conv2d(gray_batch, edge, padding="same")
response_of_shifted = convlab.conv2d(shifted, edge, padding="same")
shifted_response = np.roll(response, shift=(7, 11), axis=(1, 2))
inside = (0, slice(10, -10), slice(14, -14), 0)  # away from the wrapped-around border
print("shift:", (7, 11))
same = np.allclose(response_of_shifted[inside], shifted_response[inside], atol=1e-6)
print("response of the shifted photo == shifted response:", same)

# %% [markdown]
# ## Summary
#
# * One output value = the sum of a kernel's weights times the window under it (a dot
#   product); sliding the kernel over every position gives a feature map
#   (`convlab.naive.conv2d`, `convlab.conv2d`).
# * Deep learning's "convolution" is cross-correlation: no kernel flip.
# * Hand-made kernels blur, sharpen and find edges; kernels summing to 1 keep
#   brightness, kernels summing to 0 respond only to change, with a sign.
# * A filter spans all input channels; a per-channel filter is zero off the channel
#   diagonal, so colours never mix.
# * The same kernel everywhere makes the layer translation-equivariant — the reason
#   weights can be shared.
#
# ## Exercises
#
# **1.** `slide` moves the window one cell at a time. Write `strided_correlate(image,
# kernel, s)`, which moves it `s` cells at a time, down and across: window `(y, x)`
# starts at `(y * s, x * s)`, and only windows that fit inside the image count. Work
# out how many fit from the positions they can start at. (Notebook 02 is about exactly
# this; here, reason it out.)

# %% [exercise] strided_correlate

# %%
exercises.check("strided_correlate", strided_correlate)

# %% [markdown]
# **2.** Design a kernel. `vertical_edge_kernel()` returns a 3 x 3 array whose
# cross-correlation (valid, as `slide` computes it) gives 0 on a flat image, exactly +1
# at the two outputs next to a step from dark on the left to bright on the right (the
# brightness jumping by 1, as in the prediction above), -1 for the opposite step, and 0
# everywhere for a step from top to bottom. Careful: the prediction's kernel
# `[1, 0, -1]` gives -1 for a dark-to-bright step, not +1. Many kernels work; the check
# tries yours on four test images and says which one it gets wrong.

# %% [exercise] vertical_edge_kernel

# %%
exercises.check("vertical_edge_kernel", vertical_edge_kernel)
