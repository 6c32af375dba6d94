"""train_mnist on tiny synthetic digits: it trains, saves, resumes after an interruption."""

import numpy as np
import pytest

from convlab import train


def tiny_digits(n=192, seed=0):
    """Two easy 'classes' (a vertical or a horizontal bar) in the MNIST layout."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = np.zeros((n, 28, 28, 1), np.float32)
    for image, label in zip(images, labels, strict=True):
        offset = rng.integers(6, 20)
        if label:
            image[4:24, offset : offset + 3] = 1.0
        else:
            image[offset : offset + 3, 4:24] = 1.0
    return (images[:160], labels[:160]), (images[160:], labels[160:])


def test_trains_saves_and_reports_the_device(tmp_path, capsys, tf):
    model, history = train.train_mnist(data=tiny_digits(), epochs=2, model_dir=tmp_path, verbose=2)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["val_accuracy"]) == 2
    assert history.history["loss"][1] < history.history["loss"][0]  # it learns
    assert train.model_path("lean", tmp_path).is_file()
    out = capsys.readouterr().out
    assert "Training 'lean' on CPU (" in out and "TensorFlow sees no GPU" in out
    assert f"Saved the trained model to {tmp_path / 'mnist-lean.keras'}" in out
    assert not (tmp_path / "mnist-lean-backup").exists()  # removed after a finished run


def test_same_seed_same_run(tmp_path, tf):
    runs = [
        train.train_mnist(data=tiny_digits(), epochs=1, model_dir=tmp_path / str(i), verbose=0)[
            1
        ].history
        for i in range(2)
    ]
    assert runs[0] == runs[1]


def test_an_interrupted_run_resumes_from_its_last_epoch(tmp_path, tf):
    import keras

    class StopAfterSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train.train_mnist(
            data=tiny_digits(),
            epochs=4,
            model_dir=tmp_path,
            verbose=0,
            callbacks=[StopAfterSecondEpoch()],
        )
    assert (tmp_path / "mnist-lean-backup").exists()
    _, history = train.train_mnist(data=tiny_digits(), epochs=4, model_dir=tmp_path, verbose=0)
    assert history.epoch == [2, 3]  # epochs 0 and 1 were not trained again


def test_load_or_train_reuses_the_saved_model(tmp_path, capsys, tf):
    model, _ = train.train_mnist(data=tiny_digits(), epochs=1, model_dir=tmp_path, verbose=0)
    loaded = train.load_or_train(model_dir=tmp_path)
    assert (
        f"Loading the trained model from {tmp_path / 'mnist-lean.keras'}" in capsys.readouterr().out
    )
    x = tiny_digits()[1][0][:4]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def test_recipes_and_their_sizes(tf):
    import keras

    counts = {name: recipe.build(keras).count_params() for name, recipe in train.RECIPES.items()}
    assert counts["classic"] == 3_274_634
    assert counts["lean"] < 150_000
    assert counts["keras_example"] == 34_826


def test_bad_arguments():
    with pytest.raises(
        ValueError,
        match="train_mnist: `recipe` must be one of lean, classic, keras_example; received 'big'",
    ):
        train.train_mnist("big")
    with pytest.raises(
        ValueError, match="train_mnist: `epochs` must be a positive int; received 0"
    ):
        train.train_mnist(epochs=0)


class FakeDevices:
    """Just enough of tf.config to describe GPUs that this machine does not have."""

    def __init__(self, capabilities):
        self.gpus = [f"/physical_device:GPU:{i}" for i in range(len(capabilities))]
        self.details = {
            gpu: {"device_name": f"NVIDIA Test {i}", "compute_capability": capability}
            for i, (gpu, capability) in enumerate(zip(self.gpus, capabilities, strict=True))
        }

    @property
    def config(self):
        devices = self

        class Experimental:
            @staticmethod
            def get_device_details(gpu):
                return devices.details[gpu]

        class Config:
            experimental = Experimental

            @staticmethod
            def list_physical_devices(kind):
                return devices.gpus if kind == "GPU" else []

        return Config


def test_device_report_names_gpus_and_mirrored_strategy():
    assert train.device_report(FakeDevices([(9, 0)])) == "GPU: NVIDIA Test 0"
    assert train.device_report(FakeDevices([(8, 0), (8, 0)])) == (
        "GPU: NVIDIA Test 0, NVIDIA Test 1, 2 GPUs with MirroredStrategy"
    )


def test_mixed_precision_only_on_tensor_core_gpus():
    for capabilities, expected in [
        ([(9, 0)], True),
        ([(7, 0), (8, 6)], True),
        ([(6, 1)], False),
        ([], False),
    ]:
        devices = FakeDevices(capabilities)
        assert train._mixed_precision_ok(devices, devices.gpus) is expected
