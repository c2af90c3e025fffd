"""Optimiser factory: one fresh optimiser per network (never share an Adam between G and D)."""
import keras


def _adam(lr, beta_1, beta_2):
    return keras.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2)


def _rmsprop(lr, beta_1, beta_2):
    return keras.optimizers.RMSprop(learning_rate=lr)


def _sgd(lr, beta_1, beta_2):
    return keras.optimizers.SGD(learning_rate=lr, momentum=beta_1)


OPTIMIZERS = {"adam": _adam, "rmsprop": _rmsprop, "sgd": _sgd}


def make_optimizer(name, lr, beta_1=0.5, beta_2=0.999):
    return OPTIMIZERS[name](lr, beta_1, beta_2)
