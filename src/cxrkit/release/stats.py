"""Summary tables of a release (S20), reproduced from the release files alone.

- images per examination name (MIMIC-CXR's Table 1);
- label frequencies, negative / positive / uncertain, per labeler (the arXiv paper's Table 2);
- the split summary: patients, studies, images, and frontal / lateral / other views;
- reports and patients with each finding (Table 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxrkit.errors import DataFileError
from cxrkit.labels import LABELS

FRONTAL = {"PA", "AP", "AP AXIAL", "PA LLD", "PA RLD", "AP LLD", "AP RLD"}
LATERAL = {"LATERAL", "LL", "RL", "LAO", "RAO"}


@dataclass(frozen=True)
class Summary:
    tables: dict[str, pd.DataFrame]


TABLES = (
    "mimic-cxr-2.0.0-metadata.csv.gz",
    "mimic-cxr-2.0.0-split.csv.gz",
    "mimic-cxr-2.0.0-chexpert.csv.gz",
    "mimic-cxr-2.0.0-negbio.csv.gz",
)


def _read(root: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(root / name, dtype=str, keep_default_na=False)
    except (OSError, EOFError, ValueError) as exc:  # gzip, CSV and I/O errors alike
        raise DataFileError(f"{root / name} cannot be read ({type(exc).__name__})") from None


def exam_table(meta: pd.DataFrame) -> pd.DataFrame:
    names = meta["ProcedureCodeSequence_CodeMeaning"].where(
        meta["ProcedureCodeSequence_CodeMeaning"] != "", meta["PerformedProcedureStepDescription"]
    )
    counts = names.replace("", "(none)").value_counts().rename_axis("examination")
    out = counts.rename("images").reset_index()
    out["percent"] = (100 * out["images"] / max(len(meta), 1)).round(2)
    return out


def label_table(labels: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for label in LABELS:
        col = labels[label]
        rows.append(
            {
                "label": label,
                "positive": int((col == "1.0").sum()),
                "negative": int((col == "0.0").sum()),
                "uncertain": int((col == "-1.0").sum()),
                "blank": int((col == "").sum()),
            }
        )
    return pd.DataFrame(rows)


def split_table(meta: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    merged = meta.merge(split[["dicom_id", "split"]], on="dicom_id", how="left")
    view = merged["ViewPosition"].str.upper()
    merged["group"] = view.map(
        lambda v: "frontal" if v in FRONTAL else ("lateral" if v in LATERAL else "other")
    )
    rows = []
    for name, part in sorted(merged.groupby("split"), key=lambda kv: str(kv[0])):
        counts = part["group"].value_counts()
        rows.append(
            {
                "split": name,
                "patients": part["subject_id"].nunique(),
                "studies": part["study_id"].nunique(),
                "images": len(part),
                "frontal": int(counts.get("frontal", 0)),
                "lateral": int(counts.get("lateral", 0)),
                "other": int(counts.get("other", 0)),
            }
        )
    columns = ("split", "patients", "studies", "images", "frontal", "lateral", "other")
    return pd.DataFrame(rows, columns=list(columns))  # the columns even for an empty release


def finding_table(labels: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for label in LABELS:
        positive = labels[labels[label] == "1.0"]
        rows.append(
            {"label": label, "reports": len(positive), "patients": positive["subject_id"].nunique()}
        )
    return pd.DataFrame(rows)


def summarise(out: str | Path) -> Summary:
    """Every summary table of the release in ``out``."""
    root = Path(out)
    missing = [name for name in TABLES if not (root / name).is_file()]
    if missing:
        raise DataFileError(
            f"{root} is not a cxrkit release: {', '.join(missing)} missing "
            "(give the OUT folder of cxrkit build)"
        )
    meta, split, chexpert, negbio = (_read(root, name) for name in TABLES)
    return Summary(
        {
            "images_per_examination": exam_table(meta),
            "labels_chexpert": label_table(chexpert),
            "labels_negbio": label_table(negbio),
            "split": split_table(meta, split),
            "findings_chexpert": finding_table(chexpert),
        }
    )


def markdown(table: pd.DataFrame) -> str:
    """A pipe table of ``table``."""
    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def write_summary(summary: Summary, folder: str | Path) -> list[Path]:
    """Each table as CSV and markdown, and ``labels.png`` (label frequencies and views)."""
    dest = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in summary.tables.items():
        table.to_csv(dest / f"{name}.csv", index=False)
        (dest / f"{name}.md").write_text(markdown(table), encoding="utf-8")
        written += [dest / f"{name}.csv", dest / f"{name}.md"]
    written.append(_figure(summary, dest / "labels.png"))
    return written


def _figure(summary: Summary, path: Path) -> Path:
    import matplotlib  # noqa: PLC0415 - only for the figure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    labels = summary.tables["labels_chexpert"].set_index("label")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), width_ratios=(3, 1))
    labels[["positive", "uncertain", "negative"]].plot.barh(stacked=True, ax=left)
    left.set_xlabel("studies")
    left.set_title("CheXpert-style labels")
    views = summary.tables["split"][["frontal", "lateral", "other"]].sum()
    views.plot.bar(ax=right)
    right.set_title("images by view")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
