"""``blend``: the strongest simple baseline for ranking a pool, named so the recommended
predictor is measured against it in the same run.

It fits the same members as ``stack`` (XGBoost and a random forest on 30 % of the
features) and averages their predictions' *ranks within the predicted batch*, the rank
blend peers report. Unlike ``stack`` a row's prediction depends on the rest of its
batch: the blend orders a pool (what Kendall tau scores) and maps the mean rank to
accuracy units through the training targets' quantiles, but a single row predicted alone
sits at the median. Use it as a baseline for ``evaluate``; ``stack`` is the estimator
whose predictions stand alone.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.stack import StackSurrogate, target_quantile


class BlendSurrogate(StackSurrogate):
    def _positions(self, X) -> np.ndarray:
        """Each member's predictions as ranks within the batch, scaled to [0, 1]."""
        check_is_fitted(self, "models_")
        X = validate_data(self, X, reset=False)
        n = len(X)
        preds = [np.asarray(model.predict(X), dtype=float) for model in self.models_]
        if n < 2:
            return np.full((len(preds), n), 0.5)
        return np.stack([(rankdata(p) - 1.0) / (n - 1) for p in preds])

    def predict(self, X) -> np.ndarray:
        pos = self._positions(X)
        return target_quantile(self.weights_ @ pos, self.y_sorted_)

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        pos = self._positions(X)
        mapped = target_quantile(pos, self.y_sorted_)
        mean = target_quantile(self.weights_ @ pos, self.y_sorted_)
        return mean, np.sqrt(self.weights_ @ (mapped - mean) ** 2)
