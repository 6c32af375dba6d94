# %% [markdown]
# # 01 — Sliding windows
#
# A convolutional layer does one simple thing many times: it lays a small grid of
# weights, the **kernel**, over a patch of the image, multiplies cell by cell, adds
# everything up, and writes that one number to the output. Then it slides the kernel
# one step and does it again. This notebook builds that operation by hand, applies
# classic hand-made kernels to a real photograph, and shows why sharing one kernel
# across the whole image is the right idea.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, kernels, viz

np.set_printoptions(precision=2, suppress=True)

# %% [markdown]
# ## An image is an array
#
# `convlab.data.photo()` loads a portrait of Grace Hopper that ships with matplotlib (no
# download), as floats between 0 and 1. In colour it has three channels — red, green,
# blue — on the last axis; in gray, one value per pixel. (Each colour filter in this
# notebook therefore has shape `(3, 3, 3, out)`: 3 x 3 cells over 3 input channels.)

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
# ## One patch, one kernel, one number
#
# Take a 3 x 3 patch of pixels and a 3 x 3 kernel. Multiply them cell by cell and add
# the 9 products: that is a dot product, and it is the whole computation behind one
# output pixel.

# %%
patch = gray[60:63, 50:53]
kernel = kernels.get("sharpen")
print("patch:\n", patch)
print("kernel:\n", kernel)
print(patch.size, "products added up:", round(float(np.sum(patch * kernel)), 4))
print("same as a dot product:", round(float(patch.ravel() @ kernel.ravel()), 4))

# %% [markdown]
# ## Sliding it everywhere
#
# Do that at every position where the kernel fits and you get a new image, the
# **feature map**. Here it is as two loops over output positions. With no padding,
# an image of height `h` and a kernel of height `k` leave `h - k + 1` positions, so the
# map is a little smaller than the image (notebook 02 is about that).

# %%
def slide(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
    return out


sharpened = slide(gray, kernel)
print(gray.shape, "->", sharpened.shape)

# %% [markdown]
# This is what deep learning calls a **convolution**, and it is exactly
# `convlab.naive.conv2d` (the readable version) and `convlab.conv2d` (the fast one),
# which work on NHWC batches with many channels and filters:

# %%
batch = gray[None, :, :, None]  # (1, h, w, 1)
filters = kernels.as_filter(kernel)  # (3, 3, 1, 1): (height, width, in channels, out channels)
fast = convlab.conv2d(batch, filters)[0, :, :, 0]
print("loop == convlab.conv2d:", np.allclose(sharpened, fast, atol=1e-6))

# %% [markdown]
# ### Cross-correlation, not the textbook convolution
#
# In mathematics, convolving with a kernel first **flips** it (rows and columns
# reversed); laying it on as it is, is called *cross-correlation*. Deep learning
# libraries, TensorFlow included, compute cross-correlation and call it convolution.
# For a symmetric kernel the two agree; for an asymmetric one they do not. A kernel
# whose only 1 sits right of centre makes the difference visible: cross-correlation
# gives each output pixel the value one step to its right, so a single bright dot moves
# one step **left**; the flipped kernel moves it one step **right**.

# %%
impulse = np.zeros((5, 5))
impulse[2, 2] = 1.0
shift = np.zeros((3, 3))
shift[1, 2] = 1.0  # "take the value to my right"
print("cross-correlation (what TensorFlow does):\n", slide(impulse, shift))
print("textbook convolution (kernel flipped):\n", slide(impulse, shift[::-1, ::-1]))

# %% [markdown]
# Since a network *learns* its kernels, the flip does not matter for training — it would
# simply learn flipped weights. It matters when you port code or compare with SciPy's
# `convolve2d`.
#
# ## Kernels that need no training
#
# Long before neural networks, image processing used hand-made kernels. `convlab.kernels`
# has the classics; each is 3 x 3:

# %%
print(kernels.names())
fig = Figure(figsize=(10, 2.2), layout="constrained")
for ax, name in zip(fig.subplots(1, 8), kernels.names()):
    viz.show_kernel(kernels.get(name), ax=ax, title=name, decimals=2)
fig

# %% [markdown]
# Applied to the photograph (with `padding="same"` so the size stays, see notebook 02).
# Blurs average the neighbourhood; sharpen adds the image's edges to itself; the edge
# (Laplacian) kernel sums to 0, so flat regions become 0 and only changes survive; Sobel x
# responds to brightness changing from left to right, Sobel y from top to bottom;
# emboss makes a relief lit from the top left.

# %%
fig = Figure(figsize=(10, 5.2), layout="constrained")
for ax, name in zip(fig.subplots(2, 4).flat, kernels.names()):
    result = convlab.conv2d(batch, kernels.as_filter(kernels.get(name)), padding="same")[0, :, :, 0]
    signed = name in ("edge", "sobel_x", "sobel_y")
    shown = np.abs(result) / np.abs(result).max() if signed else np.clip(result, 0, 1)
    viz.show_image(shown, ax=ax, title=name + (" (|response|)" if signed else ""))
fig

# %% [markdown]
# Two quick facts explain those pictures: the blurs and sharpen sum to 1 (a flat area
# keeps its brightness), the edge detectors sum to 0 (a flat area becomes black).

# %%
for name in kernels.names():
    print(f"{name:14s} sum = {kernels.get(name).sum():5.2f}")

# %% [markdown]
# ## Colour: one kernel per channel, or kernels that mix
#
# A convolution layer's filter spans **all** input channels: for RGB input, a 3 x 3
# filter holds 3 x 3 x 3 weights and each output value adds up products over red,
# green *and* blue. With several filters, the full kernel has shape `(kh, kw, in, out)`, and
# weight `[i, j, c, f]` says how much input channel `c` contributes to output channel `f`.
#
# To blur a colour photo without changing its colours, each output channel must see
# only its own input channel: the 2-D blur sits on the "diagonal" `c == f` and every
# other weight is 0. `kernels.per_channel` builds exactly that. One of the source notes
# this course grew out of put the blur in *every* slot instead — then each output
# channel is the blur of R + G + B, and colours turn grey. A single red pixel shows the
# difference:

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
# Pick a kernel or type your own nine numbers. (Needs a running kernel: on GitHub you
# see a still picture.)

# %%
convlab.widgets.KernelPlayground()

# %% [markdown]
# ## Translation equivariance: why one kernel serves the whole image
#
# The same kernel is applied at every position. So if the image shifts, the feature map
# shifts by the same amount: an edge detector finds an edge wherever it is. This is
# called **translation equivariance**, and it is why a layer can *share* one set of
# weights across all positions instead of learning separate weights for each.

# %%
edge = kernels.as_filter(kernels.get("sobel_x"))
shifted = np.roll(batch, shift=(7, 11), axis=(1, 2))  # move the photo 7 down, 11 right
response = convlab.conv2d(batch, edge, padding="same")
response_of_shifted = convlab.conv2d(shifted, edge, padding="same")
shifted_response = np.roll(response, shift=(7, 11), axis=(1, 2))
inside = (0, slice(10, -10), slice(14, -14), 0)  # away from the wrapped-around border
same = np.allclose(response_of_shifted[inside], shifted_response[inside], atol=1e-6)
print("response of the shifted photo == shifted response:", same)

# %% [markdown]
# ## Summary
#
# * One output pixel = the dot product of a kernel with one patch; sliding the kernel
#   over every position gives a feature map (`convlab.naive.conv2d`, `convlab.conv2d`).
# * Deep learning's "convolution" is cross-correlation: no kernel flip.
# * Hand-made kernels blur, sharpen and find edges; kernels summing to 1 keep
#   brightness, kernels summing to 0 respond only to change.
# * A filter spans all input channels; a per-channel filter is zero off the channel
#   diagonal, so colours never mix.
# * The same kernel everywhere makes the layer translation-equivariant — the reason
#   weights can be shared.
#
# ## Exercises
#
# **1.** Write the double loop yourself: `correlate2d(image, kernel)` returns the valid
# cross-correlation of a 2-D image with a 2-D kernel (no padding, stride 1, no flip).

# %% [exercise] correlate2d

# %%
exercises.check("correlate2d", correlate2d)

# %% [markdown]
# **2.** Build the `(3, 3, 3, 3)` filter for `convlab.conv2d` that box-blurs each colour
# channel on its own (a red pixel must stay red).

# %% [exercise] blur_rgb_filter

# %%
exercises.check("blur_rgb_filter", blur_rgb_filter)
