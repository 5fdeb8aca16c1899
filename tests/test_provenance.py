"""Rows measured with weights other than the shipped ones are found and listed."""

from pathlib import Path

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


def test_stale_rows_group_into_bench_runs_with_their_own_settings():
    base = {"dataset": "mnist", "method": "drift-cond", "n": 1000, "offset": 0, "seed": 0, "precision": "float32"}
    stale = [base | {"task": "sr4", "samples": 8}, base | {"task": "deblur", "samples": 8},
             base | {"task": "deblur:std=2", "n": 200, "precision": "bf16"},
             base | {"task": "sr4", "method": "regression"}]
    groups = provenance.rerun_groups(stale)
    assert [(g["methods"], g["tasks"], g["n"], g["samples"], g["bf16"]) for g in groups] == [
        (["drift-cond"], ["sr4", "deblur"], 1000, 8, False), (["drift-cond"], ["deblur:std=2"], 200, 0, True),
        (["regression"], ["sr4"], 1000, 0, False)]
    # a recorded batch size is kept (a sampler's draws follow the batch); rows without one take the default
    sized = [stale[0] | {"batch_size": 150}, stale[1], stale[1] | {"task": "sr2", "batch_size": 256}]
    assert [(g["tasks"], g["batch_size"]) for g in provenance.rerun_groups(sized, batch_size=256)] == [
        (["sr4"], 150), (["deblur", "sr2"], 256)]


def test_bench_stale_measures_old_rows_again_and_nothing_else(capsys, tmp_path, data_root, shipped_subset):
    import json

    from invdrift import bench, cli

    checkpoints = shipped_subset("regression-mnist")
    out = tmp_path / "results"
    common = ["--data-root", str(data_root), "--checkpoints", str(checkpoints), "--out", str(out)]
    assert cli.main(["bench", "--task", "sr4,deblur:std=2", "--methods", "regression,wiener", "--n", "8",
                     *common]) == 0
    fresh = {(r["task"], r["method"]): r for r in bench.load_rows(out)}
    assert {r["batch_size"] for r in fresh.values()} == {256}
    doc = json.loads((out / "results.json").read_text())
    for row in doc["rows"]:
        if row["method"] == "regression":
            row["checkpoint"], row["psnr"] = "regression-mnist.safetensors@0123456789ab", 0.0
    (out / "results.json").write_text(json.dumps(doc))
    capsys.readouterr()
    for chooser in (["--methods", "wiener"], ["--dataset", "cifar10"]):  # no stale row among those chosen
        assert cli.main(["bench", "--stale", *chooser, *common]) == 0
        assert "chosen by --dataset, --task and --methods" in capsys.readouterr().out
    assert cli.main(["bench", "--stale", "--task", "sr4", *common]) == 0  # the chosen stale row only
    printed = capsys.readouterr().out
    assert printed.count("re-running") == 1 and "re-running mnist regression on sr4 (n 8)" in printed
    again = {(r["task"], r["method"]): r for r in bench.load_rows(out)}
    assert again[("deblur:std=2", "regression")]["psnr"] == 0.0
    assert cli.main(["bench", "--stale", *common]) == 0
    assert "re-running mnist regression on deblur:std=2 (n 8)" in capsys.readouterr().out
    again = {(r["task"], r["method"]): r for r in bench.load_rows(out)}
    assert again.keys() == fresh.keys()
    assert all(again[key]["psnr"] == fresh[key]["psnr"] for key in fresh)
    assert cli.main(["bench", "--stale", *common]) == 0
    assert "nothing to re-run" in capsys.readouterr().out


def test_rows_are_chosen_by_dataset_operator_family_and_method():
    rows = [{"dataset": d, "task": t, "method": m} for d in ("mnist", "cifar10")
            for t in ("inpaint_box", "inpaint_box:size=8", "sr4") for m in ("drift-cond", "wiener")]
    chosen = provenance.chosen_rows(rows, ["mnist"], ["inpaint_box"], ["drift-cond"])
    assert [r["task"] for r in chosen] == ["inpaint_box", "inpaint_box:size=8"]
    assert [r["task"] for r in provenance.chosen_rows(rows, ["mnist"], ["inpaint_box:size=8"], ["drift-cond"])] == [
        "inpaint_box:size=8"]
    assert len(provenance.chosen_rows(rows, ["mnist", "cifar10"], ["sr4", "inpaint_box"], ["wiener"])) == 6


def test_bench_again_re_runs_the_chosen_rows_only(capsys, tmp_path, data_root):
    from invdrift import bench, cli

    out = tmp_path / "results"
    common = ["--data-root", str(data_root), "--out", str(out)]
    assert cli.main(["bench", "--task", "sr4,deblur:std=2", "--methods", "pinv,wiener", "--n", "8", *common]) == 0
    assert cli.main(["bench", "--task", "sr4", "--methods", "pinv", "--n", "4", "--offset", "8", "--out",
                     str(tmp_path / "other"), "--data-root", str(data_root)]) == 0
    assert cli.main(["merge", "--out", str(out), str(tmp_path / "other")]) == 0  # sr4 pinv now on n 4, offset 8
    before = {(r["task"], r["method"]): r for r in bench.load_rows(out)}
    capsys.readouterr()
    assert cli.main(["bench", "--again", "--task", "sr4,deblur", "--methods", "pinv", *common]) == 0
    printed = capsys.readouterr().out
    assert "re-running mnist pinv on sr4 (n 4)" in printed and "re-running mnist pinv on deblur:std=2 (n 8)" in printed
    after = {(r["task"], r["method"]): r for r in bench.load_rows(out)}
    assert after.keys() == before.keys() and after[("sr4", "pinv")]["offset"] == 8
    assert after[("sr4", "pinv")]["psnr"] == before[("sr4", "pinv")]["psnr"]
    assert cli.main(["bench", "--again", "--task", "inpaint_box", "--methods", "pinv", *common]) == 0
    assert "nothing to re-run" in capsys.readouterr().out
    assert cli.main(["bench", "--again", "--stale", *common]) == 2
    assert cli.main(["bench", "--float32", *common]) == 2  # only with --stale or --again
    assert cli.main(["bench", "--again", "--float32", "--bf16", *common]) == 2


def test_rows_re_run_in_float32_on_request():
    from invdrift import provenance

    rows = [{"dataset": "mnist", "method": "drift-cond", "task": t, "n": 1000, "precision": p}
            for t, p in (("sr4", "bf16"), ("deblur", "bf16"), ("denoise", "float32"))]
    assert [g["bf16"] for g in provenance.rerun_groups(rows)] == [True, False]
    assert [(g["bf16"], g["tasks"]) for g in provenance.rerun_groups(rows, float32=True)] == [
        (False, ["sr4", "deblur", "denoise"])]


def test_labels_in_text_name_the_shipped_weights_or_are_listed(tmp_path):
    (tmp_path / "drift-cond-mnist.safetensors").write_bytes(b"weights")
    current = checkpoint_label(tmp_path / "drift-cond-mnist.safetensors")
    text = f"| {current} | 0.7 |\n| drift-cond-mnist.safetensors@0123456789ab |\n| gone-mnist.safetensors@abcdef012345 |"
    assert provenance.stale_labels(text, tmp_path) == ["drift-cond-mnist.safetensors@0123456789ab",
                                                       "gone-mnist.safetensors@abcdef012345"]
    assert provenance.stale_labels(current, tmp_path) == []


def test_committed_tables_and_report_were_made_with_the_shipped_weights():
    root = Path(__file__).resolve().parents[1]
    generated = sorted((root / "results").rglob("*.md")) + [root / "report" / "report.md"]
    stale = {str(p.relative_to(root)): provenance.stale_labels(p.read_text(), root / "checkpoints")
             for p in generated if p.is_file()}
    assert {name: labels for name, labels in stale.items() if labels} == {}
