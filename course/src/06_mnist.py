# %% [markdown]
# # 06 — A convnet for MNIST
#
# Time to train a network. MNIST is the classic first dataset: 28 x 28 grayscale images
# of handwritten digits, 0 to 9. This notebook loads it, defines what training means,
# compares two networks, trains both with TensorFlow — on the GPU if TensorFlow sees
# one — and looks at what they get right and wrong.
#
# Some outputs here depend on your data and your machine: training progress, exact
# accuracies, seconds per epoch.

# %%
%matplotlib inline
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from matplotlib.figure import Figure

import convlab
from convlab import exercises, summary, train, viz

tf = convlab.import_tensorflow()
import keras  # noqa: E402  (after TensorFlow, which it runs on)

# %% [markdown]
# ## The data
#
# `convlab.data.load_mnist()` uses Keras's loader (`keras.datasets.mnist.load_data`,
# which downloads the file once and caches it in `~/.keras/datasets`). Offline, point it
# at a copy of `mnist.npz` with `load_mnist(path)` or the `CONVLAB_MNIST_PATH`
# environment variable. It prints which file it read and how many images it holds:
# the full dataset has the counts printed below, a smaller offline stand-in fewer.
# Everything after this cell works with whatever was loaded.

# %% tags=nbval-ignore-output
mnist = convlab.data.load_mnist()
(x_train, y_train), (x_test, y_test) = mnist

# %%
FULL_MNIST = {"train": 60_000, "test": 10_000}
print(f"full MNIST: {FULL_MNIST['train']:,} training and {FULL_MNIST['test']:,} test images")
low, high = x_train.min(), x_train.max()
print("images:", x_train.shape[1:], x_train.dtype, f"values {low:.0f}..{high:.0f}")
print("classes:", sorted(set(y_train.tolist())))

# %%
fig = Figure(figsize=(8, 2.4), layout="constrained")
for ax, image, label in zip(fig.subplots(2, 8).flat, x_train, y_train):
    viz.show_image(image, ax=ax, title=str(label))
fig

# %% [markdown]
# ## What training means
#
# A classifier's last layer outputs one number per class, the **logits**: any real
# numbers, larger for classes the network favours. **Softmax** turns them into
# probabilities: exponentiate each, then divide by their sum, so they are positive and
# add up to 1. The **cross-entropy** loss of one image is $-\log p$, where $p$ is the
# probability given to the true class: 0 when the network is sure and right, large when
# it is sure and wrong. Training lowers the average loss over the training images.

# %%
logits = np.array([2.0, 0.5, -1.0])
probabilities = np.exp(logits) / np.exp(logits).sum()
print("logits:", logits, "-> softmax:", probabilities.round(3), "sum:", probabilities.sum())
print("cross-entropy if class 0 is true:", round(float(-np.log(probabilities[0])), 3))
print("cross-entropy if class 2 is true:", round(float(-np.log(probabilities[2])), 3))

# %% [markdown]
# An **optimiser step** takes a *batch* of training images, computes the
# loss's gradient — how much the loss changes when each weight changes — and moves every
# weight a small step against its gradient. The size of the step is the **learning
# rate**. **Adam**, the optimiser used here, scales each weight's step by running
# averages of its past gradients and their squares, so that weights with small or noisy
# gradients still move at a sensible pace. A **learning-rate schedule** changes the rate
# as training goes on; the lean network below uses a cosine decay, from its starting
# rate down to 0 by the last step. One pass over all training images is an **epoch**.
#
# **Batch normalisation** (`BatchNormalization`, *batch norm*) normalises each channel
# of a convolution's output over the batch (subtract its mean, divide by its standard
# deviation), then scales it by a learned γ and shifts it by a learned β. That keeps
# each layer's inputs well scaled, so higher learning rates work. For inference it
# keeps a *moving* mean and variance: running averages of what it saw in training,
# updated as it goes rather than learned from gradients.
#
# **Predict, then run.** How many parameters does batch normalisation of 32 channels
# have, and how many of them are trainable?

# %%
norm = keras.layers.BatchNormalization()
norm.build((None, 28, 28, 32))
count = norm.count_params()
trainable = sum(int(np.prod(w.shape)) for w in norm.trainable_weights)
print("channels: 32 | parameters:", count, "| trainable:", trainable)
print("per channel:", count // 32, "| trainable per channel:", trainable // 32)

# %% [markdown]
# Four numbers per channel: γ and β, which are trained, and the moving mean and
# variance, which are only updated. The shift β does what a convolution's bias would do,
# which is why a convolution followed by batch norm has `use_bias=False`.
#
# Two speed-ups apply only on a GPU. **Mixed precision** does most arithmetic in
# 16-bit floats, which GPUs with *tensor cores* (circuits built for such matrix
# products) compute faster than 32-bit ones, while keeping the weights in 32-bit
# floats. **XLA** compiles the whole model into a few fused GPU programs.
# `train_mnist` switches them on when it finds a suitable GPU, and says so; on a CPU it
# uses neither. This run's device:

# %% tags=nbval-ignore-output
print(train.device_report(tf))

# %% [markdown]
# ## Two networks
#
# The **classic** network of the notes: two 5 x 5 convolutions (32 and 64 filters),
# each followed by max pooling that halves the size, then a dense layer of 1024 units,
# dropout, and 10 outputs. The **lean** one used by default here: four 3 x 3
# convolutions, each followed by batch normalisation and ReLU, with max pooling after
# the first and the third; then global average pooling (notebook 04) instead of a big
# dense layer, and dropout. During training its input layer shifts each image at random
# by up to a tenth of its size, so the network cannot memorise pixel positions.

# %%
classic = train.RECIPES["classic"].build(keras)
lean = train.RECIPES["lean"].build(keras)
for model in (classic, lean):
    table = summary.layer_table(model)
    mflops = table.total_flops / 1e6
    print(f"{model.name:8s} {table.total_params:>10,} parameters {mflops:7.1f} MFLOPs per image")
ratio = classic.count_params() / lean.count_params()
print(f"the classic network has {ratio:.0f} times as many parameters")

# %% [markdown]
# The lean network has 25 times fewer parameters, but it does *more* computation per
# image: 29.4 against 27.8 million floating-point operations. Most of the classic
# network's 3,274,634 parameters sit in its dense layer; the lean one has 131,754 and
# spends them on convolutions, which reuse each weight at every position:

# %%
summary.layer_table(classic)

# %%
summary.layer_table(lean)

# %% [markdown]
# ## Training
#
# `convlab.train.train_mnist` compiles a network with the Adam optimiser and the
# cross-entropy loss, keeps the whole dataset in memory as a `tf.data` pipeline
# (TensorFlow's way of cutting data into shuffled batches and feeding them), and
# trains in batches of 128 images for the recipe's epochs (6 for both networks here),
# measuring the accuracy on
# the test images after each. It prints the device, one line per epoch, and where it
# saved the trained model (`models/`, where notebook 07 picks up the lean one); if
# training is interrupted, running the cell again resumes from the last finished
# epoch. A small *callback* (a function Keras calls at fixed points of training)
# records how long each epoch takes. In the progress lines, `val_accuracy` and
# `val_loss` are measured on the test images (Keras calls them *validation* data).

# %%
class EpochTimer(keras.callbacks.Callback):
    """Seconds per epoch, measured around each pass over the training data."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


for name in ("lean", "classic"):
    recipe = train.RECIPES[name]
    print(f"{name}: {recipe.epochs} epochs, batches of {recipe.batch_size}")

# %% tags=nbval-ignore-output
lean_timer = EpochTimer()
model, history = train.train_mnist("lean", data=mnist, verbose=2, callbacks=[lean_timer])

# %% tags=nbval-ignore-output
classic_timer = EpochTimer()
classic_model, classic_history = train.train_mnist(
    "classic", data=mnist, verbose=2, callbacks=[classic_timer]
)

# %% [markdown]
# ## Learning curves
#
# Loss and accuracy per epoch, on the training images and on the test images the
# networks never train on: one colour per network, solid for training, dashed for test.
# Training accuracy is measured with dropout and (for the lean network) random shifts
# switched on, which is why it can sit below the test accuracy.

# %%
fig = Figure(figsize=(9, 3.2), layout="constrained")
loss_ax, accuracy_ax = fig.subplots(1, 2)
runs = [("lean", history, "C0"), ("classic", classic_history, "C1")]
for name, run, colour in runs:
    curves = run.history
    epochs = np.arange(1, len(curves["loss"]) + 1)
    for ax, metric in [(loss_ax, "loss"), (accuracy_ax, "accuracy")]:
        ax.plot(epochs, curves[metric], "-o", color=colour, label=f"{name}, train")
        ax.plot(epochs, curves[f"val_{metric}"], "--s", color=colour, label=f"{name}, test")
loss_ax.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
accuracy_ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
for ax in (loss_ax, accuracy_ax):
    ax.legend(fontsize=8)
fig

# %% [markdown]
# ## Test accuracy
#
# The prediction for an image is the class with the largest logit. The first cell
# prints both networks' accuracy on the test images, and whether the much smaller lean
# network did at least as well as the classic one on this run.

# %% tags=nbval-ignore-output
logits = model.predict(x_test, verbose=0)
predicted = logits.argmax(axis=1)
accuracy = float((predicted == y_test).mean())
classic_accuracy = float((classic_model.predict(x_test, verbose=0).argmax(1) == y_test).mean())
print(f"test accuracy on {len(y_test):,} images:")
print(f"lean {accuracy:.2%}, classic {classic_accuracy:.2%}")
print("lean at least as accurate as classic:", accuracy >= classic_accuracy)

# %% [markdown]
# The check below sets a floor that fits the data: a higher one when the full training
# set was loaded, a lower one for the smaller offline stand-in (fewer training images,
# less to learn from).

# %%
FLOORS = {"full MNIST": 0.99, "smaller stand-in": 0.98}
print("accuracy floors:", {data: f"{floor:.0%}" for data, floor in FLOORS.items()})
floor = FLOORS["full MNIST" if len(x_train) >= FULL_MNIST["train"] else "smaller stand-in"]
print("lean network's test accuracy is above the floor for this data:", accuracy >= floor)

# %% [markdown]
# ## Where it goes wrong
#
# The **confusion matrix** counts, for each true digit (row), how often each digit was
# predicted (column). The diagonal holds the correct answers; everything off it is a
# mistake. The colours follow a logarithmic scale, so that a few mistakes still show
# next to hundreds of correct answers. The cell after the matrix lists this run's most
# frequent mistakes.

# %%
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
fig = Figure(figsize=(5, 4.4), layout="constrained")
ax = fig.subplots()
ax.imshow(np.log1p(confusion), cmap="Blues")
for (true, guess), count in np.ndenumerate(confusion):
    if count:
        colour = "white" if true == guess else "black"
        ax.text(guess, true, count, ha="center", va="center", fontsize=7, color=colour)
ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10))
ax.set_title("confusion matrix (lean network)")
fig

# %% tags=nbval-ignore-output
mistakes = confusion.copy()
np.fill_diagonal(mistakes, 0)
order = np.argsort(mistakes, axis=None)[::-1][:5]
print(f"{mistakes.sum()} mistakes in {confusion.sum():,} test images; the most frequent:")
for true, guess in zip(*np.unravel_index(order, mistakes.shape)):
    if mistakes[true, guess]:
        count = mistakes[true, guess]
        print(f"  a {true} read as a {guess}: {count} time{'s' if count > 1 else ''}")

# %% [markdown]
# And the misclassified digits themselves, with the network's guess and its confidence
# (the softmax probability of that guess).

# %%
wrong = np.flatnonzero(predicted != y_test)
probabilities = tf.nn.softmax(logits).numpy()
fig = Figure(figsize=(9, 3.0), layout="constrained")
for ax in fig.subplots(2, 8).flat:
    ax.set_axis_off()
for ax, index in zip(fig.axes, wrong[:16]):
    confidence = probabilities[index, predicted[index]]
    viz.show_image(x_test[index], ax=ax)
    ax.set_title(f"{y_test[index]} -> {predicted[index]}\n({confidence:.0%})", fontsize=9)
fig.suptitle("true -> predicted (confidence)")
fig

# %% [markdown]
# ## Compared with the notes
#
# The notes trained the classic network with TensorFlow 1 on a CPU and reported its
# test accuracy after 1 to 25 epochs, at about 250 seconds per epoch, on the full
# training set:

# %%
notes = {1: 0.9131, 2: 0.9363, 3: 0.9478, 5: 0.9573, 10: 0.971, 25: 0.9818}  # from the notes
print("the notes: classic network, TensorFlow 1 on a CPU, about 250 s per epoch")
for epoch, value in notes.items():
    print(f"  epoch {epoch:2d}: {value:.4f}")

# %% [markdown]
# This run, on this machine and its data, epoch by epoch: both networks' test
# accuracy and the seconds each epoch took (the first includes compiling the model).
# The last lines say when this run first reached the notes' best accuracy, the one
# they had after 25 epochs.

# %% tags=nbval-ignore-output
print(f"this run: {len(x_train):,} training images, {train.device_report(tf)}")
print("epoch   lean accuracy  seconds   classic accuracy  seconds")
lean_curve, classic_curve = history.history["val_accuracy"], classic_history.history["val_accuracy"]
for epoch in range(len(lean_curve)):
    print(
        f"{epoch + 1:5d}   {lean_curve[epoch]:13.4f}  {lean_timer.seconds[epoch]:7.1f}"
        f"   {classic_curve[epoch]:16.4f}  {classic_timer.seconds[epoch]:7.1f}"
    )
best = max(notes.values())
for name, curve in [("lean", lean_curve), ("classic", classic_curve)]:
    reached = next((epoch for epoch, value in enumerate(curve, 1) if value >= best), None)
    when = f"at epoch {reached}" if reached else f"not within {len(curve)} epochs"
    print(f"{name} reached the notes' best ({best}) {when}")

# %% [markdown]
# ## Summary
#
# * `load_mnist` gives NHWC float images in [0, 1] and integer labels, and says which
#   file it read and how many images it holds.
# * A classifier outputs logits; softmax makes them probabilities; training lowers the
#   cross-entropy, one optimiser step (here Adam's) per batch.
# * Batch normalisation rescales each channel, with 4 numbers per channel of which 2
#   are trained, and replaces the preceding convolution's bias.
# * A lean network (3 x 3 convolutions, batch normalisation, global average pooling,
#   shifted training images) has 25 times fewer parameters than the classic one but
#   more FLOPs; the test accuracies of both are printed above.
# * `train_mnist` picks the GPU when there is one, shows progress, saves the model and
#   resumes interrupted runs.
# * The confusion matrix and the misclassified digits show *how* a network fails, not
#   only how often.
#
# ## Exercises
#
# **1.** `bn_conv_params(k, c_in, filters)`: the parameters of a lean block's
# convolution and batch normalisation, as Keras counts them — return `(total,
# trainable)`. (The lean table's rows `conv1` and `conv1_bn` together are one case.)

# %% [exercise] bn_conv_params

# %%
exercises.check("bn_conv_params", bn_conv_params)

# %% [markdown]
# **2.** `cross_entropy(logits, label)`: the loss of one image, from its logits and its
# true class. It must stay finite for logits as large as 1000, where `np.exp` overflows:
# find a way around that (softmax does not change when the same number is subtracted
# from every logit).

# %% [exercise] cross_entropy

# %%
exercises.check("cross_entropy", cross_entropy)
