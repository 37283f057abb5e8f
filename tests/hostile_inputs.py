"""1,000 malformed or hostile strings, generated deterministically."""

from __future__ import annotations

import random

SQL = [
    "'; DROP TABLE compounds; --",
    "1' OR '1'='1",
    "CCO'); DELETE FROM users; --",
    '" UNION SELECT password FROM pg_authid --',
    "$$; COPY compounds TO PROGRAM 'sh'; $$",
]
TEMPLATES = [
    "C1CC{n}",  # unbalanced rings
    "C{n}CC",
    "c1ccc{n}cc1",
    "[Xx{n}]",  # unknown elements
    "[Zz]C{n}",
    "C[Qq]{n}",
    "C(" * 1 + "C{n}",  # unbalanced branches
    "CC){n}",
    "N(C)(C)(C)(C)C{n}",  # hypervalent
    "c1cc{n}c1",  # non-kekulizable
    "[C@@H{n}",
    "InChI=1S/C{n}H/q",
    "InChI=1S/" + "x" * 10 + "{n}",
    "C%{n}C",
    "*C{n}",
    "{n}",
    "CHEMBL{n}",
    "AAAAAAAAAAAAAA-BBBBBBBBBB-{n}",
    "<script>alert({n})</script>",
    "../../etc/passwd{n}",
]


def hostile_strings(count: int = 1000, seed: int = 20261129) -> list[str]:
    """``count`` strings that must each be rejected or read, never crash or hang."""
    rng = random.Random(seed)
    out: list[str] = []
    out += SQL
    out += ["", " ", "\n", "\t\t", "$$$$", "M  END", "\x00", "\ufeff", "🧪", "C" * 10_240]
    out += ["C" * 4_999 + "(", "(" * 5_000, "C1" * 2_400, "[C]" * 1_600, "c" * 4_000]
    out += ["C(" * 2_400 + "C" + ")" * 2_400, "=" * 100, "#" * 100, "." * 100]
    n = 0
    while len(out) < count:
        kind = n % 5
        if kind == 0:
            out.append(rng.randbytes(rng.randint(1, 300)).decode("latin-1"))
        elif kind == 1:
            template = TEMPLATES[n % len(TEMPLATES)]
            out.append(template.format(n=rng.randint(0, 99)))
        elif kind == 2:
            alphabet = "CNOcnos()[]=#@+-123456789%/\\."
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120))))
        elif kind == 3:
            out.append("".join(chr(rng.randint(0x80, 0x2FFF)) for _ in range(rng.randint(1, 40))))
        else:
            out.append(rng.choice(SQL) + "".join(rng.choice("C1()=") for _ in range(10)))
        n += 1
    return out[:count]
