"""AUPRC's chance level, so that AUPRC made on different test sets can be compared: a random
score's AUPRC is the share of anomalies in its test set. On MNIST's anomaly_class protocol
ours is the anomalous digit's share of the MNIST test set (gandi's split tests on the test
set); Zenati et al.'s (EGBAD's code, data/mnist.py, as read in
../shared/published/one_class_tables.md, S10) is every image of the digit, training and test
sets pooled, beside a fifth of the other digits' images: 3-4 times ours. Their printed AUPRC
and ours then compare only as multiples of chance."""
from __future__ import annotations

import pandas as pd

# images per digit in MNIST's training and test sets (the IDX label files)
MNIST_TRAIN = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
MNIST_TEST = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
ZENATI_NORMAL_TEST_SHARE = 0.2  # of the other digits' pooled images, tested beside the digit


def ours(digit: int) -> float:
    """The digit's share of the MNIST test set: a random score's AUPRC on our split."""
    return MNIST_TEST[digit] / sum(MNIST_TEST)


def zenati(digit: int) -> float:
    """A random score's AUPRC on Zenati et al.'s split of that digit."""
    total = [a + b for a, b in zip(MNIST_TRAIN, MNIST_TEST)]
    anomalies = total[digit]
    return anomalies / (anomalies + ZENATI_NORMAL_TEST_SHARE * (sum(total) - anomalies))


def chance_text(ours_auprc: pd.Series, published: pd.DataFrame) -> str:
    """The sentence for an MNIST anomaly_class AUPRC comparison with Zenati et al.'s numbers
    (`ours_auprc`: our mean per class; `published`: their rows of those classes)."""
    digits = list(ours_auprc.index)
    pub = published.set_index("class")["value"].reindex(digits)
    lift_ours = pd.Series({d: ours_auprc[d] / ours(d) for d in digits})
    lift_pub = pd.Series({d: pub[d] / zenati(d) for d in digits})
    return (f" Chance level (a random score's AUPRC, the anomalies' share of the test set): "
            f"ours {sum(ours(d) for d in digits) / len(digits):.3f}, theirs "
            f"{sum(zenati(d) for d in digits) / len(digits):.3f} (every image of the digit, "
            f"training and test sets pooled, beside a fifth of the other digits'); as multiples "
            f"of chance, ours {lift_ours.mean():.2f}, theirs {lift_pub.mean():.2f} (per class: "
            + ", ".join(f"{d} {lift_ours[d]:.2f} / {lift_pub[d]:.2f}" for d in digits) + ").")
