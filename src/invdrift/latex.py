"""LaTeX text from the project's strings: escaping, inline Markdown, and booktabs tables.

Everything the bundle writes goes through `escape`, so method names such as `drift-cond-mean8`,
`dps:steps=100` or `inpaint_box` and the report's symbols (σ, ×, ≥, x̂₀) compile with plain pdflatex.
"""

from __future__ import annotations

import re

SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
           "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
SYMBOLS = {"σ": r"$\sigma$", "ζ": r"$\zeta$", "η": r"$\eta$", "λ": r"$\lambda$", "ρ": r"$\rho$", "μ": r"$\mu$",
           "ε": r"$\varepsilon$", "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "θ": r"$\theta$",
           "Σ": r"$\Sigma$", "ᾱ": r"$\bar\alpha$", "×": r"$\times$", "±": r"$\pm$", "≥": r"$\geq$", "≤": r"$\leq$",
           "≈": r"$\approx$", "→": r"$\rightarrow$", "←": r"$\leftarrow$", "−": r"$-$", "·": r"$\cdot$",
           "√": r"$\surd$", "∞": r"$\infty$", "∈": r"$\in$", "′": r"$'$", "²": r"$^2$", "³": r"$^3$",
           "₀": r"$_0$", "₁": r"$_1$", "½": r"$\frac{1}{2}$", "–": "--", "—": "---", "…": r"\ldots{}",
           "‖": r"$\|$", "†": r"$^\dagger$", "ᵀ": r"$^T$", "“": "``", "”": "''", "’": "'", "‘": "`", "°": r"$^\circ$",
           "✓": "yes", "✗": "no", "\u00a0": "~"}
HAT = "\u0302"  # combining circumflex: x̂ → $\hat{x}$


def escape(text: str) -> str:
    """Plain text → LaTeX that pdflatex compiles (ASCII only): specials escaped, symbols as math."""
    out = []
    chars = list(str(text))
    for i, ch in enumerate(chars):
        if ch == HAT:
            continue
        if i + 1 < len(chars) and chars[i + 1] == HAT:
            out.append(rf"$\hat{{{ch}}}$")
        elif ch in SPECIAL:
            out.append(SPECIAL[ch])
        elif ch in SYMBOLS:
            out.append(SYMBOLS[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")  # a symbol this table does not know: visible, never a compile error
    return "".join(out)


def inline(text: str) -> str:
    """The report's inline Markdown (`code`, **bold**) → LaTeX, the rest escaped."""
    parts = re.split(r"(`[^`]*`|\*\*[^*]+\*\*)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(r"\texttt{" + escape(part[1:-1]) + "}")
        elif part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(r"\textbf{" + escape(part[2:-2]) + "}")
        else:
            out.append(escape(part))
    return "".join(out)


def leading_number(cell: str) -> float | None:
    """The first number of a table cell ('24.42 / 15.4*' → 24.42), None if it has none."""
    match = re.match(r"\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)", cell)
    return float(match.group(1)) if match else None


def ranks(values: list[float | None], higher_is_better: bool) -> list[int]:
    """1 for the best value, 2 for the second best (ties share a rank), 0 for the rest and for missing."""
    distinct = sorted({v for v in values if v is not None}, reverse=higher_is_better)
    order = {v: i + 1 for i, v in enumerate(distinct[:2])}
    return [order.get(v, 0) if v is not None else 0 for v in values]


def marked(cell: str, rank: int) -> str:
    """A LaTeX cell in bold (rank 1) or underlined (rank 2)."""
    return r"\textbf{" + cell + "}" if rank == 1 else r"\underline{" + cell + "}" if rank == 2 else cell


def booktabs(header: list[str], body: list[list[str]], caption: str, label: str, align: str | None = None,
             wide: bool = False) -> str:
    """A complete table environment (cells already LaTeX) with \\toprule/\\midrule/\\bottomrule."""
    env = "table*" if wide else "table"
    align = align or "l" + "r" * (len(header) - 1)
    lines = [rf"\begin{{{env}}}[t]", r"\centering", r"\footnotesize", rf"\caption{{{caption}}}", rf"\label{{{label}}}",
             r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
             rf"\begin{{tabular}}{{{align}}}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    lines += [" & ".join(row) + r" \\" for row in body]
    lines += [r"\bottomrule", r"\end{tabular}}", rf"\end{{{env}}}", ""]
    return "\n".join(lines)
