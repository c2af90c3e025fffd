"""A run's networks exported for scoring: each scoring network at the sweet spot and at each
checkpoint-ensemble member as a Keras model file, with what `gandi score` needs beside them
(how the ensemble combines). The sweet spot's thresholds file is `RunFolders.write_thresholds`'s."""
from __future__ import annotations

from gandi.outputs.run_folder import atomic_save


def export_networks(networks: dict, weights: dict, path_of, copies: dict | None = None) -> None:
    """The scoring networks with `weights` ({network: weights}), each a copy of
    `networks[network]` saved as the Keras model file `path_of(network)`. `copies` keeps the
    copies for the next call: cloning a network costs as much as saving it, and the ensemble's
    members differ only in their weights."""
    import keras
    copies = {} if copies is None else copies
    for name, w in weights.items():
        if name not in copies:
            copies[name] = keras.models.clone_model(networks[name])
        copies[name].set_weights(w)
        atomic_save(path_of(name), copies[name].save)


def export_sweet_spot(run, networks: dict, weights: dict) -> None:
    """Each scoring network at the sweet spot: sweet_spot_<network>.keras."""
    export_networks(networks, weights, run.sweet_spot_model)


def export_checkpoint_ensemble(run, networks: dict, ensemble: dict, weights_of: dict) -> None:
    """Each member's scoring networks (`weights_of[step]`) as Keras files and how to combine
    them (steps, the validation scale of each, the threshold), so that `gandi score --ensemble`
    gives the ensemble's very scores."""
    copies = {}
    for member in ensemble["members"]:
        step = member["step"]
        export_networks(networks, weights_of[step],
                        lambda name: run.ensemble_model(step, name), copies)
    run.write_ensemble({k: v for k, v in ensemble.items() if k != "scores"})
