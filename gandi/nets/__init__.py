"""Architecture factory dictionaries: name -> build(input_shape, **params) -> keras.Model."""
from gandi.nets.discriminators import DISCRIMINATORS, JOINT_DISCRIMINATORS
from gandi.nets.encoders import ENCODERS
from gandi.nets.generators import GENERATORS

__all__ = ["DISCRIMINATORS", "ENCODERS", "GENERATORS", "IMAGE_ARCHITECTURES",
           "JOINT_DISCRIMINATORS", "PRECISIONS", "as_float32", "build", "features_of",
           "precision_of"]

# The convolutional builders (in any of the dictionaries): they take (height, width, channels)
# samples, so a setting on vectors (distributions, tables) cannot use them.
IMAGE_ARCHITECTURES = frozenset({"dcgan", "cae", "dcgan_joint"})


PRECISIONS = ("float32", "mixed_bfloat16")


def precision_of(setting: dict) -> str:
    """What the networks compute in: the setting's `precision`; "auto" (resolved by a run,
    gandi/training/precision.py) is float32 for a detector built outside a run. SettingError
    for mixed bfloat16 where TensorFlow cannot run it (machine.bfloat16_blocked)."""
    chosen = setting.get("precision", "float32")
    if chosen == "mixed_bfloat16":
        from gandi.training.machine import bfloat16_blocked
        from gandi.settings.checks import SettingError
        blocked = bfloat16_blocked()  # TensorFlow's step would abort at its first convolution
        if blocked:
            raise SettingError(f"precision = 'mixed_bfloat16' cannot run here: {blocked}")
    return "float32" if chosen == "auto" else chosen


def build(factory: dict, name: str, input_shape, precision: str = "float32", **params):
    """Build `factory[name]` on the compute device (GPU if any, else CPU). `mixed_bfloat16`:
    Keras mixed precision (layers compute in bfloat16, variables stay float32) with every
    output cast back to float32, so that losses, scores and the code around a network see the
    float32 tensors they see without it (gandi/training/precision.py)."""
    import keras
    from gandi.training.device import compute_device
    with compute_device():
        if precision == "float32":
            return factory[name](tuple(input_shape), **params)
        before = keras.config.dtype_policy()
        keras.config.set_dtype_policy(precision)
        try:
            network = factory[name](tuple(input_shape), **params)
        finally:
            keras.config.set_dtype_policy(before)
        return as_float32(network)


def as_float32(network):
    """`network` with each output cast to float32 (a model sharing its layers and weights)."""
    import keras
    outputs = [keras.layers.Activation("linear", dtype="float32", name=f"float32_{i}")(out)
               for i, out in enumerate(network.outputs)]
    return keras.Model(network.inputs, outputs if len(outputs) > 1 else outputs[0],
                       name=network.name)


def features_of(discriminator):
    """A model giving the discriminator's "features" layer (feature matching: AnoGAN, EGBAD,
    GANomaly), in float32 whatever the discriminator computes in; it shares its weights."""
    import keras
    features = keras.Model(discriminator.inputs, discriminator.get_layer("features").output)
    return features if features.output.dtype == "float32" else as_float32(features)
