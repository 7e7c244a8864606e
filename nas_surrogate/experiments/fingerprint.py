"""What makes two runs into one results folder comparable: settings *and* inputs.

A folder's ``run.json`` records every setting that changes a number plus the content
digest of every input file (benchmark data, proxy table, evolved-proxy files) and the
results-format version. A rerun whose fingerprint differs anywhere is refused, naming
the first differing entry, so demo-subset rows are never mixed with full-data rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nas_surrogate.encodings import parse_feature_spec
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import ProxySource
from nas_surrogate.surrogates import SurrogateSpec

#: bump when the rows a command writes change meaning
RESULTS_FORMAT = 2


def file_digests(paths: Iterable[str | Path]) -> dict[str, str]:
    """{path: sha256} of each input file (the path as the user gave it)."""
    from nas_surrogate.cache import file_digest

    out = {}
    for p in paths:
        try:
            out[str(p)] = file_digest(Path(p))
        except OSError as e:
            raise BadInputError(str(p), f"cannot be read ({e.strerror})") from None
    return out


def input_fingerprint(
    benchmarks: Iterable[str], data_dir: str | None, files: Iterable[str | Path] = ()
) -> dict:
    """Digests of every benchmark's source files and of the other input files."""
    from nas_surrogate.benchmarks import source_files

    data = {b: file_digests(source_files(b, data_dir)) for b in benchmarks}
    digests = {b: sorted(d.values()) for b, d in data.items()}
    return {"results_format": RESULTS_FORMAT, "data": digests, "files": file_digests(files)}


def source_inputs(specs: Iterable[str], data_dir: str | None) -> list[str]:
    """Source files of every ``source:TASK[@DIR]`` table in the feature specs (transfer)."""
    from nas_surrogate.benchmarks import source_files
    from nas_surrogate.benchmarks.transfer import source_location
    from nas_surrogate.encodings import parse_feature_spec

    out: list[str] = []
    for spec in specs:
        for name in parse_feature_spec(spec).sources:
            files = source_files(*source_location(name, data_dir))
            out += [str(f) for f in files if str(f) not in out]
    return out


def evolved_files(
    features: Iterable[str] = (), surrogates: Iterable[str] = (), proxies: Iterable = ()
) -> list[str]:
    """Files named by ``evolved:FILE`` and ``lpz:FILE`` in feature specs, surrogate names
    (``proxy:evolved:FILE``) and proxy settings (a warm-up, a training-free objective;
    None where unset), each read by its own parser."""
    found = [f for spec in features for f in parse_feature_spec(spec).evolved]
    found += [n[len("lpz:") :] for spec in features for n in parse_feature_spec(spec).lpz]
    for name in surrogates:
        surrogate = SurrogateSpec.parse(name)
        if surrogate.proxy:
            proxies = [*proxies, surrogate.proxy]
    found += [ProxySource.parse(p).evolved_file for p in proxies if p is not None]
    return list(dict.fromkeys(f for f in found if f))
