"""Architecture factory dictionaries: name -> build(input_shape, **params) -> keras.Model."""
from gandi.nets.discriminators import DISCRIMINATORS, JOINT_DISCRIMINATORS
from gandi.nets.encoders import ENCODERS
from gandi.nets.generators import GENERATORS

__all__ = ["DISCRIMINATORS", "ENCODERS", "GENERATORS", "IMAGE_ARCHITECTURES",
           "JOINT_DISCRIMINATORS", "build", "features_of"]

# The convolutional builders (in any of the dictionaries): they take (height, width, channels)
# samples, so a setting on vectors (distributions, tables) cannot use them.
IMAGE_ARCHITECTURES = frozenset({"dcgan", "cae", "dcgan_joint"})


def build(factory: dict, name: str, input_shape, **params):
    """Build `factory[name]` on the compute device (GPU if any, else CPU)."""
    from gandi.training.device import compute_device
    with compute_device():
        return factory[name](tuple(input_shape), **params)


def features_of(discriminator):
    """A model giving the discriminator's "features" layer (feature matching: AnoGAN, EGBAD,
    GANomaly); it shares the discriminator's weights."""
    import keras
    return keras.Model(discriminator.inputs, discriminator.get_layer("features").output)
