"""The served model: :class:`RiskModel`, a fitted :class:`~rashrisk.models.classifier.RashriskClassifier`
with its model card, saved as a bundle folder that holds data only, never code.

Bundle layout (format :data:`FORMAT_VERSION`):

- ``model.json``: the classifier's parameters and fitted state as tagged JSON
  (:mod:`rashrisk.models.state`): preprocessing, calibration, feature names and factors, training
  aggregates; the estimator of a linear family inline;
- ``*.xgboost.json``: each XGBoost booster (the served one and the bootstrap members) in XGBoost's
  own JSON model format;
- ``card.json`` (the model card, :class:`~rashrisk.models.card.ModelCard`) and ``card.md``;
- ``manifest.json``: the format, the package versions it was written with and the sha256 of every
  file above. :meth:`RiskModel.load` checks every hash before reading a file, and refuses a bundle
  whose format or package major versions it cannot read; the bundle's hash is the sha256 of its
  manifest, shown with the version wherever a score appears.

Loading looks classes up in a closed table (:data:`rashrisk.models.state.CLASSES`); nothing named in
the files is imported, and no file is unpickled, so a bundle cannot run code (docs/tracking.md).
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from rashrisk._version import __version__
from rashrisk.atomic import atomic_folder, check_replaceable_folder
from rashrisk.errors import ModelError
from rashrisk.models.candidates import FAMILIES, Candidate
from rashrisk.models.card import ModelCard, card_markdown
from rashrisk.models.classifier import RashriskClassifier
from rashrisk.models.state import decode, encode
from rashrisk.stages import STAGES, model_name

FORMAT = "rashrisk-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_JSON = "model.json"
CARD_JSON = "card.json"
CARD_MD = "card.md"
STAGE_NAMES = {stage: model_name(stage) for stage in STAGES}
# packages whose major version must match the bundle's (their fitted state is read back as written),
# besides the ones the model's family reads its estimator with (ModelFamily.packages)
CHECKED_PACKAGES = ("numpy", "scikit-learn")
# fitted attributes of the classifier stored in model.json (the estimators are stored by their family)
_FITTED = ("classes_", "n_features_in_", "feature_names_in_", "family_", "params_", "calibration_intercept_",
           "calibration_slope_", "cv_splits_", "input_columns_", "preprocess_", "feature_names_", "feature_factor_",
           "feature_means_", "input_summary_", "cv_results_")
# not stored: oof_raw_logit_ (one value per training patient; training reads it, serving never does)


def is_bundle_file(entry: Path) -> bool:
    """A file a bundle folder may hold: .json/.md (and the pickled .joblib of rashrisk <= 0.1.0)."""
    return entry.suffix in (".json", ".md", ".joblib") and entry.is_file() and not entry.is_symlink()


def risk_band(risk, low_below: float, high_from: float) -> np.ndarray:
    """'low' below ``low_below``, 'high' from ``high_from``, else 'intermediate' (the card's bands)."""
    risk = np.asarray(risk, dtype=float)
    return np.where(risk < low_below, "low", np.where(risk >= high_from, "high", "intermediate"))


def _package_version(name: str) -> str | None:
    for distribution in ((name, "xgboost-cpu") if name == "xgboost" else (name,)):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None


def _major(version: str | None) -> str | None:
    return None if version is None else version.split(".")[0]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RiskModel:
    """A released severe-rash model of one stage: the fitted classifier, its card, and the hash of
    the bundle it was loaded from (None before it is saved)."""

    def __init__(self, classifier: RashriskClassifier, card: ModelCard, *, bundle_sha256: str | None = None):
        if classifier.stage not in STAGE_NAMES:
            raise ModelError(f"stage {classifier.stage!r}; expected one of {', '.join(STAGE_NAMES)}")
        self.classifier = classifier
        self.card = card
        self.bundle_sha256 = bundle_sha256

    # ---- identity --------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        return self.classifier.stage

    @property
    def name(self) -> str:
        return STAGE_NAMES[self.stage]

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def label(self) -> str:
        """'rashrisk-tdm 0.1.0+ab12cd34ef (bundle sha256 0123456789ab)': name, version and bundle hash."""
        digest = f" (bundle sha256 {self.bundle_sha256[:12]})" if self.bundle_sha256 else ""
        return f"{self.name} {self.version}{digest}"

    def __repr__(self) -> str:
        return f"RiskModel(name={self.name!r}, version={self.version!r}, family={self.family!r})"

    # ---- the classifier's fitted state, under the names the explanations and reports use ---------
    family = property(lambda self: self.classifier.family_)
    params = property(lambda self: dict(self.classifier.params_))
    preprocess_ = property(lambda self: self.classifier.preprocess_)
    estimator_ = property(lambda self: self.classifier.estimator_)
    leaf_table_ = property(lambda self: self.classifier.leaf_table_)
    ensemble_ = property(lambda self: self.classifier.ensemble_)
    calibration_intercept_ = property(lambda self: self.classifier.calibration_intercept_)
    calibration_slope_ = property(lambda self: self.classifier.calibration_slope_)
    feature_factor_ = property(lambda self: self.classifier.feature_factor_)
    feature_means_ = property(lambda self: self.classifier.feature_means_)
    input_summary_ = property(lambda self: self.classifier.input_summary_)
    input_columns_ = property(lambda self: self.classifier.input_columns_)
    feature_names_ = property(lambda self: self.classifier.feature_names_)

    def transform(self, X) -> np.ndarray:
        return self.classifier.feature_matrix(X)

    def raw_logit(self, X) -> np.ndarray:
        return self.classifier.raw_logit_matrix(self.classifier.feature_matrix(X))

    def decision_function_matrix(self, matrix, data=None) -> np.ndarray:
        return self.classifier.decision_function_matrix(matrix, data)

    def decision_function(self, X) -> np.ndarray:
        return self.classifier.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        return self.classifier.predict_proba(X)

    def predict_interval(self, X, level: float = 0.95):
        return self.classifier.predict_interval(X, level=level)

    def interval_from_matrix(self, matrix, logit=None, level: float = 0.95):
        return self.classifier.interval_from_matrix(matrix, logit, level)

    def ensemble_risks_from_matrix(self, matrix, data=None) -> np.ndarray:
        return self.classifier.ensemble_risks_from_matrix(matrix, data)

    def band(self, risk) -> np.ndarray:
        """'low' / 'intermediate' / 'high' by the card's thresholds."""
        bands = self.card.band_thresholds
        return risk_band(risk, bands.low_below, bands.high_from)

    # ---- persistence -------------------------------------------------------------------------------
    def save(self, directory) -> Path:
        """Write the bundle folder (see the module docstring); sets :attr:`bundle_sha256`.

        Atomic (:func:`rashrisk.atomic.atomic_folder`): written into a hidden sibling folder renamed
        to ``directory`` once complete. An existing ``directory`` holding only bundle files
        (:func:`is_bundle_file`, a previous bundle) is replaced whole; one with any other entry is
        refused (RashriskError) and left as it is."""
        directory = check_replaceable_folder(directory, is_bundle_file, "bundle folder")
        clf = self.classifier
        family = FAMILIES[clf.family_]
        files: dict[str, bytes] = {}
        estimator_state, extra = family.to_state(clf.estimator_, "estimator")
        files.update(extra)
        members = []
        for k, (member, _) in enumerate(clf.ensemble_):
            state, extra = family.to_state(member, f"member-{k:03d}")
            members.append(state)
            files.update(extra)
        model = {"params": encode(clf.get_params(deep=False)),
                 "fitted": {name: encode(getattr(clf, name)) for name in _FITTED if hasattr(clf, name)},
                 "estimator": estimator_state, "ensemble": members}
        files[MODEL_JSON] = _json_bytes(model)
        files[CARD_JSON] = _json_bytes(self.card.to_dict())
        files[CARD_MD] = card_markdown(self.card).encode("utf-8")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "rashrisk_version": __version__,
                    "stage": clf.stage, "name": self.name, "version": self.version, "family": clf.family_,
                    "packages": {p: _package_version(p) for p in (*CHECKED_PACKAGES, *family.packages)},
                    "files": {name: sha256_bytes(data) for name, data in sorted(files.items())}}
        manifest_bytes = _json_bytes(manifest)
        with atomic_folder(directory, is_bundle_file, what="bundle folder") as folder:
            for name, data in files.items():
                (folder / name).write_bytes(data)
            (folder / MANIFEST).write_bytes(manifest_bytes)
        self.bundle_sha256 = sha256_bytes(manifest_bytes)
        return directory

    @classmethod
    def load(cls, directory) -> "RiskModel":
        """The bundle in ``directory``, every file checked against the manifest first."""
        directory = Path(directory)
        manifest_path = directory / MANIFEST
        if not manifest_path.is_file():
            legacy = " (a pickled bundle from rashrisk <= 0.1.0 is refused: retrain it)" if (
                directory / "model.joblib").exists() else ""
            raise ModelError(f"no model bundle at {directory}: {MANIFEST} is missing{legacy}; expected a folder "
                             "written by RiskModel.save")
        manifest_bytes = manifest_path.read_bytes()
        manifest = _read_json(manifest_bytes, manifest_path)
        _check_manifest(manifest, manifest_path)
        files = {}
        for name, digest in manifest["files"].items():
            path = directory / name
            if Path(name).name != name or not path.is_file():
                raise ModelError(f"{path}: listed in {MANIFEST} but missing; the bundle is incomplete")
            data = path.read_bytes()
            if sha256_bytes(data) != digest:
                raise ModelError(f"{path}: sha256 {sha256_bytes(data)[:12]}... differs from the manifest's "
                                 f"{str(digest)[:12]}...; the bundle was changed after it was written and is refused")
            files[name] = data
        for required in (MODEL_JSON, CARD_JSON):
            if required not in files:
                raise ModelError(f"{manifest_path}: the manifest lists no {required}")
        card = ModelCard.from_dict(_read_json(files[CARD_JSON], directory / CARD_JSON), source=str(directory / CARD_JSON))
        classifier = _classifier(_read_json(files[MODEL_JSON], directory / MODEL_JSON), files, directory)
        if classifier.stage != card.stage or manifest.get("stage") != card.stage:
            raise ModelError(f"{directory}: the model, card and manifest disagree on the stage")
        return cls(classifier, card, bundle_sha256=sha256_bytes(manifest_bytes))


def _json_default(value):
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write a {type(value).__name__} into a bundle")


def _json_bytes(data) -> bytes:
    return (json.dumps(data, indent=1, allow_nan=True, default=_json_default) + "\n").encode("utf-8")


def _read_json(data: bytes, path: Path):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None


def _check_manifest(manifest, path: Path) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{path}: not a rashrisk bundle manifest (format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(f"{path}: bundle format version {version!r}; this rashrisk ({__version__}) reads "
                         f"version {FORMAT_VERSION} only")
    if not isinstance(manifest.get("files"), dict):
        raise ModelError(f"{path}: the manifest has no file list")
    family = FAMILIES.get(manifest.get("family"))
    if family is None:
        raise ModelError(f"{path}: model family {manifest.get('family')!r}; expected one of {sorted(FAMILIES)}")
    packages = manifest.get("packages") or {}
    for package in (*CHECKED_PACKAGES, *family.packages):
        written, installed = packages.get(package), _package_version(package)
        if written is None:
            raise ModelError(f"{path}: the manifest does not say which {package} version wrote the bundle")
        if _major(installed) != _major(written):
            raise ModelError(f"{path}: written with {package} {written}, but {package} {installed or 'is not installed'} "
                             f"is installed; the major versions must match")


def _classifier(model: dict, files: dict, directory: Path) -> RashriskClassifier:
    where = str(directory / MODEL_JSON)
    try:
        params = decode(model["params"], where)
        fitted = {name: decode(value, where) for name, value in model["fitted"].items()}
        family = FAMILIES.get(fitted.get("family_"))
        if family is None:
            raise ModelError(f"{where}: model family {fitted.get('family_')!r}; expected one of {sorted(FAMILIES)}")
        classifier = RashriskClassifier(**params)
        unknown = set(fitted) - set(_FITTED)
        if unknown:
            raise ModelError(f"{where}: unknown fitted attributes {sorted(unknown)}")
        for name, value in fitted.items():
            setattr(classifier, name, value)
        classifier.estimator_, classifier.leaf_table_ = family.from_state(model["estimator"], files, exact=True)
        classifier.ensemble_ = [family.from_state(state, files, exact=False) for state in model["ensemble"]]
        classifier.candidate_ = Candidate(family.name, tuple(sorted(classifier.params_.items())))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{where}: not a valid rashrisk model state ({type(exc).__name__}: {exc})") from None
    return classifier


def default_bundle_dir(stage: str) -> Path:
    """The embedded default bundle for ``stage`` (package data ``rashrisk/_bundles/<stage>``)."""
    if stage not in STAGE_NAMES:
        raise ModelError(f"stage {stage!r}; expected one of {', '.join(STAGE_NAMES)}")
    path = Path(str(resources.files("rashrisk") / "_bundles" / stage))
    if not (path / MANIFEST).is_file():
        raise ModelError(f"the embedded default {stage} model is missing ({path / MANIFEST}); "
                         "reinstall rashrisk or train one with `rashrisk train`")
    return path


def load_default_model(stage: str) -> RiskModel:
    return RiskModel.load(default_bundle_dir(stage))
