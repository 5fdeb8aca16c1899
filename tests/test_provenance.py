"""Rows measured with weights other than the shipped ones are found and listed."""

from invdrift import provenance
from invdrift.checkpoint import checkpoint_label


def test_rows_from_other_weights_are_stale(tmp_path):
    (tmp_path / "regression-mnist.safetensors").write_bytes(b"new weights")
    current = checkpoint_label(tmp_path / "regression-mnist.safetensors")
    rows = [{"dataset": "mnist", "task": "sr4", "method": "regression", "checkpoint": current},
            {"dataset": "mnist", "task": "sr2", "method": "regression", "checkpoint": "regression-mnist.safetensors@0123456789ab"},
            {"dataset": "mnist", "task": "sr2", "method": "drift-cond", "checkpoint": "drift-cond-mnist.safetensors@0123456789ab"},
            {"dataset": "mnist", "task": "sr2", "method": "wiener", "checkpoint": ""}]
    stale = provenance.stale_rows(rows, tmp_path)
    assert [r["task"] + r["method"] for r in stale] == ["sr2regression", "sr2drift-cond"]  # changed, then missing
    lines = provenance.stale_summary(rows, tmp_path)
    assert lines[0].startswith("**2 rows") and "| mnist | regression | regression-mnist.safetensors@0123456789ab | 1 |" in lines
    assert provenance.stale_summary(rows[:1] + rows[3:], tmp_path) == []
