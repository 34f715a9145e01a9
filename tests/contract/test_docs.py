from importlib import resources
from pathlib import Path

from rashrisk.contract.docs import render_contract_markdown
from rashrisk.contract.schema import FILE_RULES, all_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_committed_contract_doc_is_generated_from_schema():
    assert DOC.read_text(encoding="utf-8") == render_contract_markdown(), (
        "docs/data-contract.md is stale: run `python -m rashrisk.contract.docs > docs/data-contract.md`")


def test_doc_lists_every_rule_id():
    text = render_contract_markdown()
    for rule_id in [r.id for r in all_rules()] + [r[0] for r in FILE_RULES]:
        assert f"`{rule_id}`" in text


def test_example_cohort_is_package_data():
    from rashrisk.data import example_cohort_path

    folder = example_cohort_path()
    assert (folder / "patients.csv").is_file() and (folder / "genotypes.vcf").is_file()
    assert resources.files("rashrisk.data").joinpath("example_cohort", "tdm.csv").is_file()
