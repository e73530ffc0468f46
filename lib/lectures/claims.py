"""A lecture's claim, the one rule that compares it with what `lib` computes, and the verdicts.

Every checkable number of the five lectures is a `Claim`: where it is (lecture, line), what it
says (a short quote and the value as printed, with its convention: MACs or FLOPs, weights with or
without biases, the input size) and how the course recomputes it (a function of `lib`, or a
source where no code can). `check` applies the course's one comparison rule:

- **correct**: the printed value is the computed one, exactly;
- **rounding**: the printed value is the computed one rounded or truncated to the digits the
  slide shows ("35K" for 34,848, "101M" for 101.6 M), or, where the claim says so, within a
  stated tolerance of it (a table that is not rounded consistently);
- **wrong**: anything else; the claim carries the explanation (a typo, a convention, the
  paper's own error, a wrong input size);
- **not computable**: no code can check it (an accuracy on ImageNet, a date); the claim names
  the source that supports or contradicts it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

CORRECT, ROUNDING, WRONG, NOT_COMPUTABLE = "correct", "rounding", "wrong", "not computable"
VERDICTS = (CORRECT, ROUNDING, WRONG, NOT_COMPUTABLE)
MARKS = {CORRECT: "✓", ROUNDING: "≈", WRONG: "✗", NOT_COMPUTABLE: "·"}


# --- Rules ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Digits:
    """A number as printed: "35K", "0.16 M", "25.5×10^6", "2.3X", "40%", "133", or a product
    such as "28x28x128x1x1x256" (exact).

    `scale` multiplies a printed number that has no suffix of its own (Table 2's "in millions":
    scale=1e6); `kilo` is what "K" means (1024 in GoogLeNet's Table 1); `step` overrides the size
    of the last digit for a number said aloud ("160,000" meaning 160 thousand: step=10_000);
    `tolerance`, relative, accepts a value that neither rounding nor truncation gives (the claim
    says why)."""
    scale: float = 1
    kilo: int = 1000
    step: float | None = None
    tolerance: float = 0


@dataclass(frozen=True)
class Exact:
    """A value that must equal the computed one: a shape, a count, a list of kernel sizes."""


@dataclass(frozen=True)
class Holds:
    """A statement (a formula, a rule) that the computation confirms or refutes: the compute
    function returns a `Computed` with `holds` set."""


Rule = Digits | Exact | Holds


@dataclass(frozen=True)
class Computed:
    """What a compute function found: the value compared, how to show it, and for a `Holds`
    claim whether the statement holds."""
    value: Any
    shown: str = ""
    holds: bool | None = None

    def __str__(self):
        return self.shown or show(self.value)


# --- Claims -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One checkable statement of a lecture.

    id: "<lecture>.<topic>.<detail>", unique, stable: chapters select claims by it.
    lecture: "000" ... "004", the file in the course's lecture notes.
    where: the line(s) of the lecture file, and the slide when it has a title.
    quote: the lecture's words, short.
    stated: the value as the lecture prints it.
    convention: what the number counts (MACs or FLOPs, with or without biases, input size).
    compute: a function of `lib` returning the true value (a number, a string, or `Computed`);
        None for a claim no code can check.
    rule: how `stated` is compared with the computed value.
    verdict: the recorded verdict; the tests fail when the computation disagrees.
    explanation: why a wrong claim is wrong; for a claim that cannot be computed, the source
        that supports or contradicts it; otherwise a note worth reading beside the number.
    chapters: the chapter stems that discuss the claim (chapters/<stem>.ipynb).
    """
    id: str
    lecture: str
    where: str
    quote: str
    stated: Any
    convention: str
    compute: Callable[[], Any] | None
    rule: Rule | None
    verdict: str
    explanation: str
    chapters: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.id}: verdict={self.verdict!r}; valid: {', '.join(VERDICTS)}")
        if (self.compute is None) != (self.verdict == NOT_COMPUTABLE):
            raise ValueError(f"claim {self.id}: a claim has a compute function exactly when its "
                             f"verdict is not {NOT_COMPUTABLE!r}")
        if self.verdict in (WRONG, NOT_COMPUTABLE) and not self.explanation:
            raise ValueError(f"claim {self.id}: a {self.verdict} claim needs an explanation")


def claim(id, where, quote, stated, convention, compute, rule, verdict, explanation="",
          chapters=()) -> Claim:
    """A `Claim` whose lecture is the first part of its id."""
    return Claim(id, id.split(".")[0], where, quote, stated, convention, compute, rule, verdict,
                 explanation, tuple(chapters))


def unchecked(id, where, quote, stated, source, chapters=(), convention="") -> Claim:
    """A claim no code can check: an accuracy, a date, a dataset the course does not ship."""
    return claim(id, where, quote, stated, convention, None, None, NOT_COMPUTABLE, source, chapters)


# --- The comparison rule ----------------------------------------------------------------------

SUFFIXES = {"K": 1000, "k": 1000, "M": 10 ** 6, "G": 10 ** 9}
_NUMBER = re.compile(
    r"^\s*(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(?:(?P<suffix>[KkMG])|[×x]\s*10\^(?P<exp>\d+)|(?P<pct>%)|(?P<times>[xX×]))?\s*$")


_PRODUCT = re.compile(r"^\s*\d+(?:\s*[x×·]\s*\d+)+\s*$")


def printed(text: str, rule: Digits = Digits()) -> tuple[float, float]:
    """The value a printed number stands for, and the size of its last digit:
    "1.2M" -> (1.2e6, 1e5); "35K" -> (35e3, 1e3); "40%" -> (0.4, 0.01); "28x28x2" -> (1568, 0)."""
    if _PRODUCT.match(str(text)):
        return float(math.prod(int(f) for f in re.split(r"[x×·]", str(text)))), 0.0
    m = _NUMBER.match(str(text))
    if m is None:
        raise ValueError(f"{text!r} is not a number as the lectures print them "
                         f"(digits with an optional K, M, G, ×10^n, % or x, or a product)")
    digits = Decimal(m["num"].replace(",", ""))
    if m["suffix"]:
        unit = Decimal(rule.kilo) if m["suffix"] == "K" else Decimal(SUFFIXES[m["suffix"]])
    elif m["exp"]:
        unit = Decimal(10) ** int(m["exp"])
    elif m["pct"]:
        unit = Decimal("0.01")
    elif m["times"]:
        unit = Decimal(1)
    else:
        unit = Decimal(str(rule.scale))
    step = Decimal(1).scaleb(digits.as_tuple().exponent) * unit
    return float(digits * unit), float(step) if rule.step is None else rule.step


def compare(stated, computed, rule: Rule) -> tuple[str, str]:
    """The verdict of `stated` against `computed` under `rule`, and a short note saying how a
    rounded value was rounded ("rounded", "truncated", "within 1 %")."""
    if isinstance(rule, Holds):
        if not isinstance(computed, Computed) or computed.holds is None:
            raise TypeError("a Holds claim's compute function must return Computed(..., holds=...)")
        return (CORRECT if computed.holds else WRONG), ""
    value = computed.value if isinstance(computed, Computed) else computed
    if isinstance(rule, Exact):
        return (CORRECT if value == stated else WRONG), ""
    shown, step = printed(stated, rule)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"a Digits claim needs a number, got {value!r}")
    if math.isclose(value, shown, rel_tol=1e-12, abs_tol=1e-12):
        return CORRECT, ""
    if abs(value - shown) <= step / 2 * (1 + 1e-9):
        return ROUNDING, "rounded"
    if shown <= value < shown + step:
        return ROUNDING, "truncated"
    if rule.tolerance and abs(value - shown) <= rule.tolerance * abs(value):
        return ROUNDING, f"within {rule.tolerance:.0%}".replace("%", " %")
    return WRONG, ""


# --- Showing values ---------------------------------------------------------------------------

def show(value) -> str:
    """A computed value as the tables print it: 34,848; 2.71; 1.92; 0.4."""
    if isinstance(value, Computed):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


@dataclass(frozen=True)
class Result:
    """A claim and what checking it found: the computed value (None when it cannot be
    computed), the verdict and, for a rounded value, how it was rounded."""
    claim: Claim
    computed: Any
    verdict: str
    note: str = ""

    @property
    def agrees(self) -> bool:
        """Whether the computation gives the verdict the registry records."""
        return self.verdict == self.claim.verdict


def check(c: Claim) -> Result:
    """Compute `c` and compare it with what the lecture states."""
    if c.compute is None:
        return Result(c, None, NOT_COMPUTABLE)
    computed = c.compute()
    verdict, note = compare(c.stated, computed, c.rule)
    return Result(c, computed, verdict, note)
