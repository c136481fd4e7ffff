"""The project ships its own list of sources: every key cited by a parameter, an intervention or an area is in it."""

from __future__ import annotations

from actlocally.model.area import load_area
from actlocally.model.interventions.registry import REGISTRY
from actlocally.model.params import DEFAULTS
from actlocally.model.references import cited_keys, plain_source, references
from actlocally.model.scenario import SCENARIOS_DIR


def _cited_texts() -> list[tuple[str, str]]:
    texts = [(f"parameters.toml {k}", p.source) for k, p in DEFAULTS.rows.items()]
    for kind, cls in REGISTRY.items():
        for name, field in cls.Params.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if "source" in extra:
                texts.append((f"{kind}.{name}", str(extra["source"])))
    for path in sorted((SCENARIOS_DIR / "areas").glob("*.toml")):
        texts.append((path.name, path.read_text(encoding="utf-8")))  # every figure's source and reason
    assert load_area("keighley_central")  # the profiles read above are the ones the model loads
    return texts


def test_every_cited_key_is_in_the_references_file():
    refs = references()
    cited = {}
    for where, text in _cited_texts():
        for key in cited_keys(text):
            cited.setdefault(key, where)
    assert len(cited) >= 30  # the parameters and profiles do cite sources
    missing = {k: where for k, where in cited.items() if k not in refs}
    assert not missing, f"keys cited but not in model/references.toml: {missing}"
    for key, ref in refs.items():
        assert ref["reference"].strip() and ref["topic"].strip(), key


def test_cited_keys_reads_brackets_and_documents():
    assert cited_keys("FACTS §7 [B4]; [B6/B7] and [A1, A2]; seed 004_e566fbbb039e3b24.txt") == {
        "B4", "B6", "B7", "A1", "A2", "seed 004"}


def test_plain_source_names_project_documents_in_words():
    text = plain_source("seed 004_e566fbbb039e3b24.txt (Act Locally plans): 'nearly 20%'; FACTS.md §8")
    assert "004_e566" not in text and "seed" not in text
    assert text.startswith("Act Locally locality plans")
