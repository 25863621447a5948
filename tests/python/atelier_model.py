"""Load an Atelier model export (safetensors) and run it with numpy alone.

The README's "Open an export in Python" shows this file in use; the test suite runs it
(`check_export.py`) against the probabilities Atelier itself computes.

    from atelier_model import load, predict
    model = load("atelier-dense.safetensors")
    probabilities = predict(model, images)  # images: uint8 [n, 28, 28] or [n, 784]
"""

import json
import math

import numpy as np
from safetensors import safe_open

FORMAT = "model/2"


def load(path):
    """The model's description (config, normalisation, test accuracy) and its weights."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        weights = {name: f.get_tensor(name) for name in f.keys()}
    if meta.get("atelier") != FORMAT:
        raise ValueError(f"{path} is not an Atelier model export ({meta.get('atelier')!r})")
    return {
        "config": json.loads(meta["model"]),
        "normalization": meta["normalization"],
        "pixel_mean": float(meta["pixel_mean"]),
        "pixel_std": float(meta["pixel_std"]),
        "test_accuracy": float(meta["test_accuracy"]) if "test_accuracy" in meta else None,
        "weights": weights,
    }


def normalise(model, images):
    """uint8 images as the model was trained on them: x / 255, standardised if it says so."""
    x = np.asarray(images, dtype=np.float32).reshape(-1, 1, 28, 28) / 255.0
    if model["normalization"] == "standard":
        x = (x - model["pixel_mean"]) / model["pixel_std"]
    return x.astype(np.float32)


def predict(model, images):
    """Class probabilities [n, 10] for uint8 images."""
    x = normalise(model, images)
    forward = {"dense": dense, "baseline-cnn": baseline_cnn, "atelier-cnn": atelier_cnn}
    config = model["config"]
    logits = forward[config["kind"]](x, model["weights"], config)
    return softmax(logits)


# The three architectures (src/model/*.rs). Linear weights are [in, out]: y = x @ W + b.

def dense(x, w, config):
    x = x.reshape(len(x), -1)
    act = ACTIVATIONS[config.get("activation", "relu")]
    for i in range(len(config["hidden"])):
        x = act(linear(x, w, f"hidden.{i}"))
    return linear(x, w, "output")


def baseline_cnn(x, w, config):
    x = maxpool2(relu(conv2d(x, w["conv.weight"], w["conv.bias"], padding=0)))  # [n, 32, 13, 13]
    x = relu(linear(x.reshape(len(x), -1), w, "fc"))
    return linear(x, w, "output")


def atelier_cnn(x, w, config):
    for block, pool in (("block1", True), ("block2", True), ("block3", False)):
        x = relu(batch_norm(conv2d(x, w[f"{block}.conv.weight"], None, padding=1), w, f"{block}.norm"))
        x = maxpool2(x) if pool else x
    x = relu(linear(x.reshape(len(x), -1), w, "fc"))  # [n, 64 * 7 * 7] -> [n, 128]
    return linear(x, w, "output")


def linear(x, w, name):
    return x @ w[f"{name}.weight"] + w[f"{name}.bias"]


def conv2d(x, weight, bias, padding):
    """NCHW input, weight [out, in, kh, kw], stride 1."""
    kh, kw = weight.shape[2:]
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # [n, c, h, w, kh, kw]
    y = np.einsum("nchwij,ocij->nohw", windows, weight, optimize=True)
    return y if bias is None else y + bias[None, :, None, None]


def maxpool2(x):
    n, c, h, w = x.shape
    return x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def batch_norm(x, w, name, eps=1e-5):
    shape = (1, -1, 1, 1)
    mean, var = w[f"{name}.running_mean"].reshape(shape), w[f"{name}.running_var"].reshape(shape)
    return (x - mean) / np.sqrt(var + eps) * w[f"{name}.gamma"].reshape(shape) + w[f"{name}.beta"].reshape(shape)


def relu(x):
    return np.maximum(x, 0)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


_erf = np.vectorize(math.erf, otypes=[np.float32])

ACTIVATIONS = {
    "relu": relu,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "gelu": lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2))),
}
